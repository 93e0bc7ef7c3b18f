"""The Content Security Policy's allowances for plotly.js, read from the bundle the app serves.

plotly.js adds two <style> elements as it loads: an empty one that it fills with its own rules
through the CSSOM (which a policy allows), and one holding the stylesheet of its map traces.
A policy without 'unsafe-inline' must name each element's text by its hash: the empty string's,
and the map stylesheet's, computed here from the bundle so that a new plotly.js brings its own.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
from pathlib import Path

EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"

# e.id="<64 hex>",e.textContent='<css>'  (the minified bundle's stylesheet injection). The
# bundle is 4.8 MB and this runs as settings load: a byte search finds each textContent, and
# the patterns only look around it (12 ms, where a regular expression over it all took 25).
_TEXT = b"textContent='"
_INJECTOR = re.compile(rb'\.id="[0-9a-f]{64}",\w+\.$')
_LITERAL = re.compile(rb"((?:[^'\\]|\\.)*)'")


def source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def plotly_style_hashes(bundle: Path) -> list[str]:
    """Hashes of the <style> texts plotly.js injects: the empty one and each stylesheet."""
    try:
        source = bundle.read_bytes()
    except OSError:
        return [EMPTY_STYLE]
    hashes = [EMPTY_STYLE]
    at = source.find(_TEXT)
    while at != -1:
        start = at + len(_TEXT)
        if _INJECTOR.search(source, max(0, at - 100), at) and (
            literal := _LITERAL.match(source, start)
        ):
            text = literal.group(1).decode("utf-8")
            if "\\" in text:
                text = codecs.decode(text, "unicode_escape")
            hashes.append(source_hash(text))
        at = source.find(_TEXT, start)
    return hashes
