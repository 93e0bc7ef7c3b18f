"""Chromium crashing during a PDF export (issue 7, faults).

The real Chromium that kaleido drives is made to crash in the middle of drawing a chart: as
the chart is sent to it, its browser process is frozen (SIGSTOP), so it cannot finish, then
killed (SIGKILL), as the kernel's out-of-memory killer would. Whoever asked for the PDF gets
a plain message and no file: the export page answers 503, build_report exits 1, a pack is
recorded as failed with no zip. No process, profile or temporary folder of the crashed
Chromium is left, and the next export starts a new Chromium and works.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import kaleido
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from indicators.models import Observation, Period
from reports import packs
from reports.models import Block, BlockType, Report, ReportPack, Section

PERIODS = ["2013-14", "2014-15"]
FIGURES = {
    "Rhondda Cynon Taf": ["68.70", "63.28"],
    "Caerphilly": ["80.10", "84.37"],
}
WALES = ["95.60", "96.00"]
CRASH = "Chromium failed while drawing a chart"


@pytest.fixture
def report(council_a, council_b, wales_average, lac_allocated) -> Report:
    """A saved paper with a table and a chart of SCC/013aii against the Wales average."""
    for subject, values in [
        *(({"authority": c}, FIGURES[c.name]) for c in (council_a, council_b)),
        ({"comparator": wales_average}, WALES),
    ]:
        for code, value in zip(PERIODS, values, strict=True):
            Observation.objects.create(
                indicator=lac_allocated,
                period=Period.objects.for_code(code),
                value=Decimal(value),
                status=Observation.Status.FINAL,
                source="Welsh Government",
                **subject,
            )
    report = Report.objects.create(
        slug="lac-allocations",
        title="Looked after children: allocations",
        committee="Corporate Parenting Board",
        authority=council_a,
        comparators=["wales-average"],
    )
    section = Section.objects.create(report=report, position=1, heading="Allocations")
    settings = {"indicators": ["SCC/013aii"], "periods": PERIODS}
    for position, kind in enumerate((BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART), 1):
        Block.objects.create(section=section, position=position, kind=kind, settings=settings)
    return report


# ---------------------------------------------------------------------------------------
# Crashing kaleido's Chromium


def _children(pid: int) -> list[int]:
    # Each thread keeps its own list of the children it started.
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").glob("*/children")
        for child in task.read_text().split()
    ]


def _tree(pid: int) -> list[int]:
    found = [pid]
    for child in _children(pid):
        found += _tree(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextmanager
def chromium_crashes_while_drawing(monkeypatch, charts: int = 1) -> Iterator[list[dict]]:
    """The Chromium drawing each of the next `charts` charts crashes while drawing it.

    Yields what each crash ended: the browser's processes, its profile folder and its
    singleton folder in the temporary directory."""
    crashes: list[dict] = []
    draw = kaleido.Kaleido.calc_fig

    async def crashing(self, *args, **kwargs):
        if len(crashes) < charts:
            # choreographer starts Chromium from a small wrapper process.
            (browser,) = _children(self.subprocess.pid)
            profile = Path(self._browser_impl.tmp_dir.path)
            crashes.append(
                {
                    "processes": _tree(browser),
                    "profile": profile,
                    "singleton": Path(os.readlink(profile / "SingletonSocket")).parent,
                }
            )
            os.kill(browser, signal.SIGSTOP)  # it takes the chart but never answers
            threading.Timer(0.3, os.kill, (browser, signal.SIGKILL)).start()
        return await draw(self, *args, **kwargs)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", crashing)
    try:
        yield crashes
    finally:
        monkeypatch.setattr(kaleido.Kaleido, "calc_fig", draw)
    assert len(crashes) == charts, "no chart was drawn while Chromium was to crash"


def assert_nothing_left_of(crash: dict) -> None:
    """The crashed Chromium's processes are gone (its helpers may take a moment to notice
    their browser died), and so are its profile and singleton folders."""
    deadline = time.monotonic() + 10
    while any(map(_running, crash["processes"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in crash["processes"] if _running(pid)]
    assert not crash["profile"].exists()
    assert not crash["singleton"].exists()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    path.unlink()
    return " ".join(result.stdout.split())


# ---------------------------------------------------------------------------------------
# The three ways a PDF is asked for


def test_export_page_says_the_chart_could_not_be_drawn_and_the_next_export_works(
    report, users, monkeypatch, tmp_path
):
    client = Client()
    client.force_login(users["author"])
    url = reverse("reports:export_pdf", kwargs={"slug": report.slug, "version": report.version})

    with chromium_crashes_while_drawing(monkeypatch) as crashes:
        failed = client.get(url)

    assert failed.status_code == 503
    assert failed["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in failed
    page = failed.content.decode()
    assert "The paper could not be drawn" in page
    assert CRASH in page and "it starts afresh on the next export" in page
    assert "Traceback" not in page
    # The exception's name and detail go to the server's log, not to the reader.
    assert "drawing a chart; it starts afresh on the next export, so try again" in page
    assert "drawing a chart (" not in page
    assert_nothing_left_of(crashes[0])

    again = client.get(url)

    assert again.status_code == 200
    assert again["Content-Type"] == "application/pdf"
    text = pdf_text(again.content, tmp_path)
    assert "Looked after children: allocations" in text and "2014/15 63.28 96.00" in text


def test_build_report_exits_1_leaves_no_file_and_builds_the_paper_next_time(
    report, monkeypatch, tmp_path
):
    folder = tmp_path / "papers"
    folder.mkdir()
    older = folder / "older.pdf"
    older.write_bytes(b"%PDF- an earlier paper")
    out = folder / "paper.pdf"
    args = ["build_report", "--slug", report.slug, "--format", "pdf", "--out", str(out)]

    with (
        chromium_crashes_while_drawing(monkeypatch) as crashes,
        pytest.raises(CommandError) as failed,
    ):
        call_command(*args, stdout=io.StringIO())

    assert failed.value.returncode == 1
    assert str(failed.value).startswith(CRASH)
    assert str(failed.value).endswith(": no file written")
    assert sorted(p.name for p in folder.iterdir()) == ["older.pdf"]  # no .part either
    assert older.read_bytes() == b"%PDF- an earlier paper"
    assert_nothing_left_of(crashes[0])

    call_command(*args, stdout=io.StringIO())

    assert sorted(p.name for p in folder.iterdir()) == ["older.pdf", "paper.pdf"]
    assert "2014/15 63.28 96.00" in pdf_text(out.read_bytes(), tmp_path)


def test_a_pack_names_the_council_whose_chart_crashed_writes_no_zip_and_builds_next_time(
    report, users, council_a, council_b, settings, monkeypatch, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    first = packs.start(report, [council_a, council_b], fmt="pdf", user=users["author"])

    with chromium_crashes_while_drawing(monkeypatch) as crashes:
        assert packs.build(first.pk) == ReportPack.Status.FAILED

    first.refresh_from_db()
    assert not first.file
    assert first.error.startswith(
        f"The paper for 1 council could not be drawn, so no zip was written: Caerphilly: {CRASH}"
    )
    # Chromium started afresh for the next council, whose paper was drawn.
    assert [(o["council"], bool(o["file"]), o["error"][: len(CRASH)]) for o in first.outcomes] == [
        ("Caerphilly", False, CRASH),
        ("Rhondda Cynon Taf", True, ""),
    ]
    assert list((tmp_path / "media" / "packs").iterdir()) == []  # no zip, no .part
    assert_nothing_left_of(crashes[0])

    second = packs.start(report, [council_a, council_b], fmt="pdf", user=users["author"])
    assert packs.build(second.pk) == ReportPack.Status.DONE

    second.refresh_from_db()
    with zipfile.ZipFile(second.file.path) as archive:
        caerphilly = archive.read("lac-allocations-caerphilly.pdf")
    assert "2014/15 84.37 96.00" in pdf_text(caerphilly, tmp_path)
