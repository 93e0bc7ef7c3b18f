"""Plotly figure → SVG for the PDF's vector charts, through kaleido driving Debian's Chromium.

    from reports.chart_export import figure_to_svg
    svg = figure_to_svg(charts.trend_figure(frame, scale, title))  # 900 × 450 px
    html = f'<img src="{svg_data_url(svg)}" alt="...">'  # for the PDF (see svg_data_url)

Starting Chromium costs about two seconds, so one kaleido browser is kept for the life of the
process: started on the first export, reused (a chart then takes a fraction of a second) and
closed at exit. MathJax is off: kaleido would otherwise fetch it from a CDN and stall each
export for seconds, and no chart of ours has LaTeX in it.

kaleido's own `start_sync_server` is not used: when Chromium fails to start, or after it
crashed, its next call waits forever on a queue nobody reads. The browser here runs on an
event loop in a thread of its own, and every call to it has a timeout.

No browser is ever downloaded (never `kaleido.get_chrome`): without Chromium the export
fails with ChromiumMissing, whose message says how to install Debian's.

SVGs are cached by content (Django's cache, `chart-svg:` keys): the same figure at the same
size, drawn by the same plotly and kaleido, is the same picture, so a second export of it never
starts a browser.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.core.cache import cache

from reports.errors import ReportError

logger = logging.getLogger(__name__)

DEBIAN_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = (
    "Install Debian's Chromium (apt-get install -y --no-install-recommends chromium) "
    "or set BROWSER_PATH to a Chromium or Chrome executable."
)
DEFAULT_WIDTH, DEFAULT_HEIGHT = 900, 450
CACHE_PREFIX = "chart-svg:"
# Content-addressed, so an entry never goes stale; the timeout only bounds what is kept.
CACHE_TIMEOUT = 60 * 60 * 24 * 30
START_TIMEOUT = 60  # seconds for Chromium to start
EXPORT_TIMEOUT = 60  # seconds for one chart


class ChromiumMissing(ReportError):
    """No Chromium to draw charts with."""


class ChartExportError(ReportError):
    """Chromium or kaleido failed while drawing a chart."""


def figure_to_svg(
    figure: Mapping[str, Any], *, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT
) -> str:
    """The figure ({"data": [...], "layout": {...}}, as `indicators.charts.trend_figure`
    returns) as SVG text, `width` × `height` px. Text stays text: titles, axis labels and
    tick labels are <text> elements, so they remain words in a PDF."""
    key = cache_key(figure, width=width, height=height)
    svg = cache.get(key)
    if svg is None:
        svg = _server.export(figure, width, height)
        cache.set(key, svg, CACHE_TIMEOUT)
    return svg


def svg_data_url(svg: str) -> str:
    """The SVG as a `data:` URL for `<img src=... alt=...>`: WeasyPrint draws it as vectors
    with its labels as text, as it does an inline <svg>, but tags it as a Figure with the
    img's alt text (an inline <svg>'s aria-label is lost) and reads its plotly styles
    without a warning per property."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def cache_key(figure: Mapping[str, Any], *, width: int, height: int) -> str:
    """The sha256 of the figure's canonical JSON, its size and the versions that draw it."""
    from plotly.utils import PlotlyJSONEncoder

    canonical = json.dumps(
        {
            "figure": figure,
            "width": width,
            "height": height,
            "drawn by": _drawing_versions(),
        },
        cls=PlotlyJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return CACHE_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@functools.cache
def _drawing_versions() -> dict[str, str]:
    return {name: version(name) for name in ("plotly", "kaleido")}


def browser_path() -> str:
    """The Chromium kaleido will drive: BROWSER_PATH when set, else Debian's (which then
    becomes BROWSER_PATH, so kaleido never prefers a downloaded Chrome), else one on the
    PATH. Raises ChromiumMissing when there is none."""
    from choreographer.browsers.chromium import Chromium

    if "BROWSER_PATH" not in os.environ and os.access(DEBIAN_CHROMIUM, os.X_OK):
        os.environ["BROWSER_PATH"] = DEBIAN_CHROMIUM
    configured = os.environ.get("BROWSER_PATH")
    path = configured or Chromium.find_browser(skip_local=False)
    if not path or not Path(path).is_file() or not os.access(path, os.X_OK):
        where = f"No Chromium at BROWSER_PATH={configured!r}" if configured else "No Chromium"
        raise ChromiumMissing(f"{where}, so charts cannot be drawn. {INSTALL_HINT}")
    return path


def stop_server() -> None:
    """Close the browser (it starts again on the next export). Called at exit."""
    _server.stop()


class _KaleidoServer:
    """One kaleido browser on an event loop in a daemon thread, started lazily under a lock.
    A failed export stops it, so the next export starts a fresh Chromium."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._path: str | None = None
        self._singleton: Path | None = None
        self._atexit_registered = False

    def export(self, figure: Mapping[str, Any], width: int, height: int) -> str:
        path = browser_path()
        with self._lock:
            if self._kaleido is not None and self._path != path:
                self._stop()
            if self._kaleido is None:
                self._start(path)
            opts = {"format": "svg", "width": width, "height": height}
            try:
                svg = self._run(self._kaleido.calc_fig(dict(figure), opts=opts), EXPORT_TIMEOUT)
            except FutureTimeout:
                self._stop()
                raise ChartExportError(
                    f"Chromium took more than {EXPORT_TIMEOUT} s to draw a chart; it has been "
                    "stopped and starts afresh on the next export."
                ) from None
            except Exception as exc:
                # The detail is for the server's log; the reader is told what to do.
                logger.exception("Chromium failed while drawing a chart")
                self._stop()
                raise ChartExportError(
                    "Chromium failed while drawing a chart; it starts afresh on the next "
                    "export, so try again."
                ) from exc
        return svg.decode("utf-8") if isinstance(svg, bytes) else svg

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _start(self, path: str) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def open_browser() -> Any:
            browser = kaleido.Kaleido(mathjax=False, timeout=EXPORT_TIMEOUT, path=path)
            await browser.open()
            return browser

        try:
            self._kaleido = self._run(open_browser(), START_TIMEOUT)
        except Exception as exc:
            self._stop()
            reason = (
                f"did not start within {START_TIMEOUT} s"
                if isinstance(exc, FutureTimeout)
                else f"failed to start ({type(exc).__name__}: {exc})"
            )
            raise ChartExportError(f"Chromium at {path} {reason}. {INSTALL_HINT}") from exc
        self._path = path
        self._singleton = _singleton_folder(self._kaleido)
        if not self._atexit_registered:
            atexit.register(stop_server)
            self._atexit_registered = True

    def _run(self, coroutine: Any, timeout: float) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _stop(self) -> None:
        loop, thread, browser = self._loop, self._thread, self._kaleido
        singleton = self._singleton
        self._loop = self._thread = self._kaleido = self._path = self._singleton = None
        if loop is None or thread is None:
            return
        if browser is not None:
            # A crashed browser cannot close cleanly; choreographer then kills what is left
            # and deletes the profile folder it made.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(10)
        if singleton is not None:
            shutil.rmtree(singleton, ignore_errors=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if not thread.is_alive():
            loop.close()


def _singleton_folder(browser: Any) -> Path | None:
    """The folder Chromium makes in the temporary directory for its SingletonSocket
    (org.chromium.Chromium. and six random characters), which its profile links to; read once it has started.
    Chromium deletes it when it exits normally, but one that crashed or was killed (say,
    out of memory) leaves it behind: one folder a crash, for the life of the machine."""
    with contextlib.suppress(Exception):
        profile = Path(browser._browser_impl.tmp_dir.path)
        folder = Path(os.readlink(profile / "SingletonSocket")).parent
        if folder.name.startswith("org.chromium."):
            return folder
    return None


_server = _KaleidoServer()
