"""Charts as SVG through kaleido and Debian's Chromium: one browser for the whole session (the
module starts it on first use), a content cache in front of it."""

from __future__ import annotations

import os
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import kaleido
import pytest
from django.core.cache import cache

from reports.chart_export import (
    ChartExportError,
    ChromiumMissing,
    cache_key,
    figure_to_svg,
)
from reports.errors import ReportError
from reports.pdf import write_pdf_atomically
from tests.reports.conftest import chart, paper, trend_figure

pytestmark = pytest.mark.usefixtures("empty_cache")

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_exported_chart_keeps_its_title_axis_titles_and_ticks_as_text():
    svg = figure_to_svg(trend_figure())

    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == ("900", "450")
    texts = svg_texts(svg)
    assert "Period" in texts
    assert "Percentage" in texts
    assert "2014-15" in texts
    assert "Child protection reviews carried out in time" in texts
    assert "Wales average" in texts


def test_chart_is_drawn_at_the_size_asked_for():
    root = ET.fromstring(figure_to_svg(trend_figure(), width=640, height=320))

    assert (root.get("width"), root.get("height")) == ("640", "320")


def test_second_export_of_an_identical_figure_comes_from_the_cache(monkeypatch):
    drawn = []
    calc_fig = kaleido.Kaleido.calc_fig

    async def counting_calc_fig(self, *args, **kwargs):
        drawn.append(args)
        return await calc_fig(self, *args, **kwargs)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", counting_calc_fig)
    figure = trend_figure("Cached chart")

    first = figure_to_svg(figure)
    second = figure_to_svg(trend_figure("Cached chart"))

    assert second == first
    assert len(drawn) == 1
    assert cache.get(cache_key(figure, width=900, height=450)) == first
    figure_to_svg(figure, width=600)
    assert len(drawn) == 2


def test_cache_key_ignores_key_order_but_not_content():
    figure = trend_figure()
    reordered = {"layout": figure["layout"], "data": figure["data"]}

    key = cache_key(figure, width=900, height=450)
    assert key.startswith("chart-svg:")
    assert cache_key(reordered, width=900, height=450) == key
    assert cache_key(figure, width=900, height=451) != key
    assert cache_key(trend_figure("Another title"), width=900, height=450) != key


def test_missing_chromium_is_a_clear_error_and_writes_no_pdf(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    out = tmp_path / "paper.pdf"

    with pytest.raises(ChromiumMissing) as raised:
        write_pdf_atomically(paper(chart(figure_to_svg(trend_figure()))), out)

    message = str(raised.value)
    assert "no-chromium-here" in message
    assert "apt-get install -y --no-install-recommends chromium" in message
    assert "BROWSER_PATH" in message
    assert isinstance(raised.value, ReportError)
    assert list(tmp_path.iterdir()) == []


def _children(pid: int | str) -> list[str]:
    # Each thread has its own list; kaleido starts the browser from a worker thread.
    return [c for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]


def _kaleido_chromium_pids() -> list[int]:
    """The Chromium this process's kaleido started: the child of choreographer's wrapper."""
    pids = []
    for child in _children(os.getpid()):
        if "chromium_wrapper" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
            pids += [int(grandchild) for grandchild in _children(child)]
    return pids


def test_a_crashed_chromium_is_a_clear_error_and_the_next_export_starts_a_new_one():
    figure_to_svg(trend_figure("Before the crash"))
    pids = _kaleido_chromium_pids()
    assert pids, "kaleido's Chromium should be running"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)

    with pytest.raises(ChartExportError, match="Chromium failed while drawing a chart"):
        figure_to_svg(trend_figure("During the crash"))

    assert "Period" in svg_texts(figure_to_svg(trend_figure("After the crash")))
