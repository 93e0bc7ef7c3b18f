"""Report packs (issue 5, item 5): a saved paper drawn for several councils at once by the
real task worker (django-tasks' database backend: `manage.py worker --burst`, which runs
`db_worker --batch`, in-process), with its progress as JSON, a zip per pack and a clear
failure that leaves no zip."""

from __future__ import annotations

import csv
import html
import io
import re
import signal
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from indicators import frames
from indicators.models import (
    Authority,
    Comparator,
    ComparatorKind,
    Nation,
    NeighbourGroup,
    Observation,
    Period,
    Region,
    Statistic,
)
from reports import packs
from reports.models import Block, BlockType, Report, ReportPack, Section

# Worker tests need real commits: the start view queues the task on commit, and the worker
# claims it in a transaction of its own.
worker = pytest.mark.django_db(transaction=True)

RCT_FIGURES = {"2013-14": "68.70", "2014-15": "63.28"}
CAERPHILLY_FIGURES = {"2013-14": "80.10", "2014-15": "84.37"}
WALES_FIGURES = {"2013-14": "95.60", "2014-15": "96.00"}
OWN_WORDS = "Our own words on the 63.28 for Rhondda Cynon Taf."


def _observe(indicator, values: dict[str, str], *, authority=None, comparator=None) -> None:
    for code, value in values.items():
        Observation.objects.create(
            authority=authority,
            comparator=comparator,
            indicator=indicator,
            period=Period.objects.for_code(code),
            value=Decimal(value),
            status=Observation.Status.FINAL,
            source="Welsh Government",
        )


@pytest.fixture
def figures(council_a, council_b, wales_average, lac_allocated):
    _observe(lac_allocated, RCT_FIGURES, authority=council_a)
    _observe(lac_allocated, CAERPHILLY_FIGURES, authority=council_b)
    _observe(lac_allocated, WALES_FIGURES, comparator=wales_average)
    return lac_allocated


def _report(authority, comparators, *, chart=False, slug="lac-allocations") -> Report:
    report = Report.objects.create(
        slug=slug,
        title="Looked after children: allocations",
        committee="Corporate Parenting Board",
        authority=authority,
        comparators=comparators,
    )
    section = Section.objects.create(
        report=report, position=1, heading="Allocations", text="Figures for the year."
    )
    periods = list(RCT_FIGURES)
    blocks = [
        (BlockType.INDICATOR_TABLE, {"indicators": ["SCC/013aii"], "periods": periods}, ""),
        (BlockType.COMMENTARY, {"indicator": "SCC/013aii", "periods": periods}, OWN_WORDS),
    ]
    if chart:
        blocks.append(
            (BlockType.INDICATOR_CHART, {"indicators": ["SCC/013aii"], "periods": periods}, "")
        )
    for position, (kind, settings, text) in enumerate(blocks, start=1):
        Block.objects.create(
            section=section,
            position=position,
            kind=kind,
            settings=settings,
            text=text,
            edited=bool(text),
        )
    return report


@pytest.fixture
def report(figures, council_a) -> Report:
    return _report(council_a, ["wales-average", "target"])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run_worker():
    """The database backend's worker, in this process: every queued task, then it exits.
    The worker installs its own SIGINT/SIGTERM handlers; pytest gets its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def _run() -> None:
        call_command("worker", burst=True, verbosity=0)  # db_worker --batch, as configured

    yield _run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _client(client, user):
    client.force_login(user)
    return client


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _text(document: bytes) -> str:
    html_text = document.decode("utf-8")
    html_text = re.sub(r"<(script|style)\b.*?</\1>", " ", html_text, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html_text).split())


# ---------------------------------------------------------------------------------------
# Comparators per council


@pytest.fixture
def english_council(db, lac_allocated):
    north_west = Region.objects.create(name="North West", nation=Nation.ENGLAND)
    halton = Authority.objects.create(
        name="Halton", gss_code="E06000006", nation=Nation.ENGLAND, region=north_west
    )
    Comparator.objects.create(name="England", kind=ComparatorKind.NATIONAL, nation=Nation.ENGLAND)
    Comparator.objects.create(
        name="North West", kind=ComparatorKind.REGIONAL, nation=Nation.ENGLAND, region=north_west
    )
    group = NeighbourGroup.objects.create(authority=halton, method="DfE 2025")
    for statistic in (Statistic.MEAN, Statistic.MEDIAN):
        Comparator.objects.create(
            name=f"Halton statistical neighbours ({statistic})",
            kind=ComparatorKind.NEIGHBOURS,
            neighbour_group=group,
            statistic=statistic,
        )
    return halton


def test_a_national_average_maps_to_each_councils_own_nation(
    english_council, council_a, wales_average
):
    assert frames.mapped_comparators(["wales-average", "target"], english_council) == (
        ["england", "target"],
        [],
    )
    assert frames.mapped_comparators(["england"], council_a) == (["wales-average"], [])


def test_comparators_a_council_does_not_have_are_left_out_and_named(
    english_council, council_a, wales_average
):
    slugs = ["england", "region", "sn-median", "target"]
    assert frames.mapped_comparators(slugs, english_council) == (slugs, [])
    assert frames.mapped_comparators(slugs, council_a) == (
        ["wales-average", "target"],
        ["region", "sn-median"],
    )
    outcome = {"council": "Rhondda Cynon Taf", "base": "Halton", "left_out": ["region"]}
    assert packs.notes_of(outcome) == ["Left out the regional average: Rhondda Cynon Taf has none."]


# ---------------------------------------------------------------------------------------
# A pack from start to download, through the view and the real worker


@worker
def test_author_starts_an_html_pack_for_a_region_and_the_worker_builds_a_paper_per_council(
    client, users, report, wales, media, run_worker
):
    author = _client(client, users["author"])
    response = author.post(
        reverse("packs:new"), {"report": report.pk, "region": wales.pk, "format": "html"}
    )

    pack = ReportPack.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "packs:pack", kwargs={"pk": pack.pk}
    )
    assert (pack.status, pack.total, pack.created_by) == ("queued", 2, users["author"])
    task = DBTaskResult.objects.get()  # queued when the request's transaction committed
    assert pack.task_id == str(task.id) and task.args_kwargs["args"] == [pack.pk]
    status_url = reverse("packs:status", kwargs={"pk": pack.pk})
    assert author.get(status_url).json()["status"] == "queued"

    run_worker()

    state = author.get(status_url).json()
    assert state["status"] == "done" and state["finished"]
    assert (state["processed"], state["total"]) == (2, 2)
    assert state["counts"] == "2 of 2 councils"
    assert state["download_url"] == reverse("packs:download", kwargs={"pk": pack.pk})
    DBTaskResult.objects.get(status="SUCCESSFUL")

    download = author.get(state["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "lac-allocations-v1-south-east-wales.zip" in download["Content-Disposition"]
    archive = _zip(download)
    assert sorted(archive.namelist()) == [
        "lac-allocations-caerphilly.html",
        "lac-allocations-rhondda-cynon-taf.html",
        "manifest.csv",
    ]
    rct = _text(archive.read("lac-allocations-rhondda-cynon-taf.html"))
    caerphilly = _text(archive.read("lac-allocations-caerphilly.html"))
    assert "2014/15 63.28 96.00" in rct and "2013/14 68.70 95.60" in rct
    assert "2014/15 84.37 96.00" in caerphilly and "2013/14 80.10 95.60" in caerphilly
    assert "Caerphilly" in caerphilly and "63.28" not in caerphilly
    # The author's commentary is about Rhondda Cynon Taf's figures: Caerphilly gets its own.
    assert OWN_WORDS in rct and OWN_WORDS not in caerphilly
    assert "Caerphilly's figure was 84.37% in 2014/15" in caerphilly

    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [(r["council"], r["gss_code"], r["file"], r["version"]) for r in rows] == [
        ("Caerphilly", "W06000018", "lac-allocations-caerphilly.html", "1"),
        ("Rhondda Cynon Taf", "W06000016", "lac-allocations-rhondda-cynon-taf.html", "1"),
    ]
    assert rows[0]["comparators"] == "Wales average; Target"
    assert rows[0]["figures"].startswith("as they stood on ")
    assert rows[0]["notes"] == (
        "1 commentary edited for Rhondda Cynon Taf replaced by the text generated from "
        "Caerphilly's figures."
    )
    assert rows[1]["notes"] == ""
    # Nothing but the zip is left in the packs folder.
    assert [p.name for p in (media / "packs").iterdir()] == [f"lac-allocations-pack-{pack.pk}.zip"]

    page = author.get(reverse("packs:pack", kwargs={"pk": pack.pk})).content.decode()
    assert "Ready to download" in page and "2 of 2 councils" in page
    assert f'href="{state["download_url"]}"' in page


@worker
def test_a_council_without_a_comparator_gets_its_paper_without_it_and_a_note(
    client, users, figures, council_a, english_council, media, run_worker
):
    base = _report(english_council, ["england", "region"], slug="halton-lac")
    response = _client(client, users["admin"]).post(
        reverse("packs:new"),
        {"report": base.pk, "councils": [english_council.pk, council_a.pk], "format": "html"},
    )
    assert response.status_code == 302

    run_worker()

    pack = ReportPack.objects.get()
    assert pack.status == "done", pack.error
    with zipfile.ZipFile(pack.file.path) as archive:
        rct = _text(archive.read("halton-lac-rhondda-cynon-taf.html"))
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert "2014/15 63.28 96.00" in rct and "Wales average" in rct and "North West" not in rct
    assert rows[1]["council"] == "Rhondda Cynon Taf"
    assert rows[1]["comparators"] == "Wales average"
    assert "Left out the regional average: Rhondda Cynon Taf has none." in rows[1]["notes"]
    assert rows[0]["comparators"] == "England; North West"


@worker
def test_a_published_paper_keeps_its_own_councils_published_figures(
    client, users, report, council_a, council_b, media, run_worker
):
    from django.utils import timezone

    from reports.paper import build_paper
    from reports.spec import parse_spec, spec_of

    # Published as reports.editing.publish does: the paper frozen with its figures.
    spec = parse_spec(spec_of(report))
    spec.slug, spec.status = report.slug, Report.Status.PUBLISHED
    Report.objects.filter(pk=report.pk).update(
        frozen=build_paper(spec), status=Report.Status.PUBLISHED, published_at=timezone.now()
    )
    # A correction after publishing: the published paper keeps 63.28.
    Observation.objects.filter(authority=council_a, period__code="2014-15").update(
        value=Decimal("70.00")
    )
    report.refresh_from_db()
    packs.start(report, [council_a, council_b], fmt="html", user=users["author"])

    run_worker()

    pack = ReportPack.objects.get()
    with zipfile.ZipFile(pack.file.path) as archive:
        rct = _text(archive.read("lac-allocations-rhondda-cynon-taf.html"))
        caerphilly = _text(archive.read("lac-allocations-caerphilly.html"))
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert "2014/15 63.28" in rct and "Published version 1" in rct
    # Caerphilly's paper was never published: it says it is a draft.
    assert "2014/15 84.37" in caerphilly and "Draft, version 1" in caerphilly
    assert rows[1]["figures"].startswith("as published on ")


@worker
def test_a_pdf_pack_holds_one_pdf_per_council_with_its_figures(
    client, users, figures, council_a, council_b, wales, media, run_worker, tmp_path
):
    base = _report(council_a, ["wales-average"], chart=True)
    _client(client, users["author"]).post(
        reverse("packs:new"), {"report": base.pk, "region": wales.pk, "format": "pdf"}
    )

    run_worker()

    pack = ReportPack.objects.get()
    assert pack.status == "done", pack.error
    texts = {}
    with zipfile.ZipFile(pack.file.path) as archive:
        for council in ("rhondda-cynon-taf", "caerphilly"):
            out = tmp_path / f"{council}.pdf"
            out.write_bytes(archive.read(f"lac-allocations-{council}.pdf"))
            texts[council] = " ".join(
                subprocess.run(
                    ["pdftotext", "-layout", str(out), "-"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
            )
    assert "2014/15 63.28 96.00" in texts["rhondda-cynon-taf"]
    assert "2014/15 84.37 96.00" in texts["caerphilly"]
    assert "Caerphilly" in texts["caerphilly"] and "Page 1 of" in texts["caerphilly"]


# ---------------------------------------------------------------------------------------
# Failures leave no zip and say why


@worker
def test_without_chromium_a_pdf_pack_fails_saying_how_to_install_it_and_leaves_no_zip(
    client, users, figures, council_a, council_b, media, run_worker, monkeypatch, empty_cache
):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    base = _report(council_a, ["wales-average"], chart=True)
    author = _client(client, users["author"])
    author.post(
        reverse("packs:new"),
        {"report": base.pk, "councils": [council_a.pk, council_b.pk], "format": "pdf"},
    )

    run_worker()

    pack = ReportPack.objects.get()
    assert pack.status == "failed" and not pack.file
    assert "apt-get install -y --no-install-recommends chromium" in pack.error
    assert "/nonexistent/chromium" in pack.error
    assert not list((media / "packs").iterdir())  # no zip, no temporary file
    state = author.get(reverse("packs:status", kwargs={"pk": pack.pk})).json()
    assert state["status"] == "failed" and state["finished"] and state["download_url"] is None
    assert "apt-get install" in state["error"]
    assert author.get(reverse("packs:download", kwargs={"pk": pack.pk})).status_code == 404
    page = author.get(reverse("packs:pack", kwargs={"pk": pack.pk})).content.decode()
    assert "The pack failed" in page and "apt-get install" in page


@worker
def test_a_council_whose_paper_fails_is_named_the_others_are_drawn_and_no_zip_is_written(
    client, users, report, council_a, council_b, media, run_worker, monkeypatch
):
    from reports.errors import ReportError

    real_build = packs.build_paper

    def failing_for_caerphilly(spec, **kwargs):
        if spec.authority.name == "Caerphilly":
            raise ReportError("the chart of SCC/013aii could not be drawn")
        return real_build(spec, **kwargs)

    monkeypatch.setattr(packs, "build_paper", failing_for_caerphilly)
    packs.start(report, [council_a, council_b], fmt="html", user=users["author"])

    run_worker()

    pack = ReportPack.objects.get()
    assert pack.status == "failed" and not pack.file
    assert pack.error == (
        "The paper for 1 council could not be drawn, so no zip was written: "
        "Caerphilly: the chart of SCC/013aii could not be drawn"
    )
    assert [(o["council"], bool(o["file"]), o["error"]) for o in pack.outcomes] == [
        ("Caerphilly", False, "the chart of SCC/013aii could not be drawn"),
        ("Rhondda Cynon Taf", True, ""),
    ]
    assert pack.processed == 2
    assert not list((media / "packs").iterdir())


def test_a_pack_is_built_once_only_by_the_worker_that_claims_it(db, users, report, council_a):
    pack = ReportPack.objects.create(
        report=report, format="html", total=1, status=ReportPack.Status.RUNNING
    )
    pack.councils.set([council_a])

    # Another worker is building it: this one leaves it alone.
    assert packs.build(pack.pk) == "running"
    pack.refresh_from_db()
    assert (pack.status, pack.processed, pack.outcomes) == ("running", 0, [])


# ---------------------------------------------------------------------------------------
# Who may, and bad input


@pytest.mark.parametrize("role", ["officer_a", "approver", "member"])
def test_only_authors_and_admins_may_start_watch_or_download_packs(
    client, users, report, council_a, media, role
):
    pack = ReportPack.objects.create(
        report=report, format="html", total=1, status="done", file="packs/x.zip"
    )
    pack.councils.set([council_a])
    (media / "packs").mkdir(parents=True)
    (media / "packs" / "x.zip").write_bytes(b"PK")
    c = _client(client, users[role])
    for name in ("packs:pack", "packs:status", "packs:download"):
        assert c.get(reverse(name, kwargs={"pk": pack.pk})).status_code == 403, name
    assert c.get(reverse("packs:list")).status_code == 403
    assert c.get(reverse("packs:new")).status_code == 403
    response = c.post(reverse("packs:new"), {"report": report.pk, "councils": [council_a.pk]})
    assert response.status_code == 403
    assert ReportPack.objects.count() == 1 and not DBTaskResult.objects.exists()
    admin = _client(client, users["admin"])
    assert admin.get(reverse("packs:download", kwargs={"pk": pack.pk})).status_code == 200


@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"councils": [], "region": "", "nation": ""},
            "councils",
            "Choose a nation or a region, or tick at least one council",
        ),
        ({"nation": "scotland"}, "nation", "Choose Wales or England, or no nation"),
        ({"region": "999999"}, "region", "That region was not found"),
        ({"report": "999999"}, "report", "That committee paper was not found"),
        ({"report": ""}, "report", "Choose the committee paper to draw for each council"),
        ({"councils": ["999999"]}, "councils", "A council you chose was not found"),
        ({"format": "docx"}, "format", "Choose PDF or HTML"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_started(
    client, users, report, council_a, change, field, message
):
    data = {"report": report.pk, "councils": [council_a.pk], "format": "html", **change}
    response = _client(client, users["author"]).post(reverse("packs:new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert f'href="#id_{field}' in page  # the summary links to the field
    assert not ReportPack.objects.exists() and not DBTaskResult.objects.exists()


def test_every_council_of_a_nation_with_ticked_ones_counted_once(
    client, users, report, council_a, council_b, english_council, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(client, users["author"]).post(
            reverse("packs:new"),
            {"report": report.pk, "nation": "wales", "councils": [council_a.pk], "format": "pdf"},
        )
    pack = ReportPack.objects.get()
    assert response["Location"] == reverse("packs:pack", kwargs={"pk": pack.pk})
    assert (pack.nation, pack.region, pack.format, pack.total) == ("wales", None, "pdf", 2)
    assert list(pack.councils.order_by("name")) == [council_b, council_a]
    assert pack.task_id == str(DBTaskResult.objects.get().id)
    assert packs.download_name(pack) == "lac-allocations-v1-wales.zip"


def test_a_region_without_councils_is_refused(client, users, report):
    empty = Region.objects.create(name="Nowhere", nation=Nation.WALES)
    response = _client(client, users["author"]).post(
        reverse("packs:new"), {"report": report.pk, "region": empty.pk, "format": "html"}
    )
    assert "Nowhere has no councils" in response.content.decode()
    assert not ReportPack.objects.exists()


def test_a_paper_that_cannot_be_drawn_is_refused_before_a_pack_starts(
    client, users, report, council_a
):
    Block.objects.filter(kind=BlockType.INDICATOR_TABLE).update(
        settings={"indicators": ["SCC/999"], "periods": ["2014-15"]}
    )
    response = _client(client, users["author"]).post(
        reverse("packs:new"), {"report": report.pk, "councils": [council_a.pk], "format": "html"}
    )
    assert 'unknown indicator "SCC/999"' in html.unescape(response.content.decode())
    assert not ReportPack.objects.exists()


def test_the_form_offers_papers_regions_and_councils_by_region(client, users, report, wales):
    page = (
        _client(client, users["author"])
        .get(reverse("packs:new"), {"report": report.pk})
        .content.decode()
    )
    assert f'<option value="{report.pk}" selected>' in page
    assert "South East Wales (2 councils)" in page and "Wales (2 councils)" in page
    assert '<legend class="fieldset__legend">South East Wales</legend>' in page
    assert 'id="id_councils_0"' in page and 'id="id_format_0"' in page


def test_a_running_packs_page_shows_its_progress_for_scripts_and_for_screen_readers(
    client, users, report, council_a, council_b
):
    pack = ReportPack.objects.create(
        report=report,
        format="pdf",
        total=2,
        processed=1,
        status="running",
        current_council="Rhondda Cynon Taf",
    )
    pack.councils.set([council_a, council_b])
    author = _client(client, users["author"])
    page = html.unescape(author.get(reverse("packs:pack", kwargs={"pk": pack.pk})).content.decode())
    assert (
        '<progress id="pack-progress-bar" max="2" value="1" data-pack-bar>1 of 2 councils' in page
    )
    assert 'role="status"' in page and "Drawing Rhondda Cynon Taf's paper." in page
    assert f'data-status-url="{reverse("packs:status", kwargs={"pk": pack.pk})}"' in page
    # Its own script file (under a content-hashed name once collectstatic has run).
    assert f'<script src="{static("reports/pack-progress.js")}"' in page
    assert "<script>" not in page
    assert "Refresh this page" in page
    status = author.get(reverse("packs:status", kwargs={"pk": pack.pk}))
    assert "no-cache" in status["Cache-Control"]
    assert status.json()["message"] == "1 of 2 councils done. Drawing Rhondda Cynon Taf's paper."
    listing = author.get(reverse("packs:list")).content.decode()
    assert "Looked after children: allocations" in listing and "Building" in listing
