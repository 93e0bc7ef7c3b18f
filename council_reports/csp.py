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

# e.id="<64 hex>",e.textContent='<css>'  (the minified bundle's stylesheet injection)
_INJECTED = re.compile(r"\.id=\"[0-9a-f]{64}\",\w+\.textContent='((?:[^'\\]|\\.)*)'")


def source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def plotly_style_hashes(bundle: Path) -> list[str]:
    """Hashes of the <style> texts plotly.js injects: the empty one and each stylesheet."""
    try:
        source = bundle.read_text(encoding="utf-8")
    except OSError:
        return [EMPTY_STYLE]
    hashes = [EMPTY_STYLE]
    for match in _INJECTED.finditer(source):
        literal = match.group(1)
        text = codecs.decode(literal, "unicode_escape") if "\\" in literal else literal
        hashes.append(source_hash(text))
    return hashes
