"""HTML → PDF with WeasyPrint: a tagged PDF (PDF/UA-1) whose headings, tables and images with
alt text are in the structure tree, whose text is real text, and whose title and language come
from the page's <title> and <html lang>.

    from reports.pdf import html_to_pdf, write_pdf_atomically
    pdf = html_to_pdf(html)
    write_pdf_atomically(html, Path("paper.pdf"))

Charts go in as SVG (kaleido's, see reports.chart_export), inline or as an
`<img src="data:image/svg+xml;base64,...">`; WeasyPrint draws both as vectors with their
labels as text. The print stylesheet for A4 committee papers is static/reports/paper-print.css.

A paper is built from the app's own templates, but authors write some of its text, so
resources are only read from `data:` URLs, the app's static files (`/static/...` links) and
files under `base_url`'s folder; nothing is fetched over the network and no other file is
read (WeasyPrint would otherwise embed any `file:` or `http:` URL it is given).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reports.libraries import import_weasyprint

HTML = import_weasyprint().HTML
from weasyprint.urls import URLFetcher  # noqa: E402 (imported above, with its libraries)

PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The HTML document as a tagged A4 PDF (the page size comes from its stylesheet).
    `base_url` (a folder path or file: URL) resolves relative links."""
    base = _base_url(base_url)
    # Without a base, "/static/..." links (Django's {% static %}) still resolve.
    document = HTML(string=html, base_url=base or "file:///", url_fetcher=_PaperFetcher(base))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def write_pdf_atomically(html: str, out_path: str | Path, base_url: str | None = None) -> None:
    """The PDF written only once it is complete: a failure leaves no file (and an older
    file at `out_path` untouched)."""
    write_atomically(html_to_pdf(html, base_url=base_url), Path(out_path))


def write_atomically(data: bytes, out: Path) -> None:
    """Write through a temporary file beside `out`, renamed into place when complete, so a
    reader never sees half a paper and a failure leaves no file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        # mkstemp makes the file private to its owner; a paper is an ordinary file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _base_url(base_url: str | None) -> str | None:
    if base_url is None or "://" in base_url:
        return base_url
    return Path(base_url).resolve().as_uri() + "/"


class _PaperFetcher(URLFetcher):
    """data: URLs, the app's static files and files under the base folder; nothing else."""

    def __init__(self, base_url: str | None) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self._base_folder = None
        if base_url and base_url.startswith("file:"):
            self._base_folder = Path(unquote(urlsplit(base_url).path)).resolve()

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            url = self._allowed_file(url)
        return super().fetch(url, headers)

    def _allowed_file(self, url: str) -> str:
        from django.conf import settings
        from django.contrib.staticfiles import finders

        path = unquote(urlsplit(url).path)
        static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if path.startswith(static_prefix):
            found = finders.find(path.removeprefix(static_prefix))
            if found:
                return Path(found).resolve().as_uri()
        resolved = Path(path).resolve()
        if self._base_folder is not None and resolved.is_relative_to(self._base_folder):
            return resolved.as_uri()
        raise ValueError(f"{url} is outside the paper's folder and the app's static files")
