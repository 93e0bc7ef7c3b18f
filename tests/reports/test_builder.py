"""The paper builder in the browser's terms (requests and pages): starting from a template,
sections and blocks added, moved, edited and removed, commentary edits kept and marked,
bad input named and refused, publishing freezing the figures, a new version and the
figures that changed, exports from the app."""

from __future__ import annotations

import io
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from council_reports.accounts import provision_user
from indicators.models import Authority, Observation
from reports import editing
from reports.models import Block, Report, Section

SEED_000 = json.loads(Path(settings.BASE_DIR, "fixtures", "reports", "seed000.json").read_text())
PASSWORD = "correct horse battery staple 42"
YEARS = ["2010-11", "2011-12", "2012-13", "2013-14", "2014-15"]


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def author(demo):
    user = provision_user("paper.author", "author", [], PASSWORD)[0]
    client = Client()
    client.force_login(user)
    return client


def client_for(role: str, councils=()) -> Client:
    user = provision_user(f"paper.{role}", role, list(councils), PASSWORD)[0]
    client = Client()
    client.force_login(user)
    return client


def start(client, template="performance", council="Rhondda Cynon Taf", **extra) -> Report:
    response = client.post(
        reverse("reports:new"),
        {
            "template": template,
            "authority": Authority.objects.get(name=council).pk,
            "title": "Children's services performance indicators",
            "committee": "Corporate Parenting Board",
            "meeting_date_day": "29",
            "meeting_date_month": "6",
            "meeting_date_year": "2015",
            "agenda_item": "7",
            **extra,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Report.objects.get(slug=response["Location"].split("/")[2])


def url(name: str, report: Report, **kwargs) -> str:
    return reverse(f"reports:{name}", kwargs={"slug": report.slug, "version": 1, **kwargs})


def preview_text(client, report: Report) -> str:
    response = client.get(url("preview", report) if report.version == 1 else _v(report))
    assert response.status_code == 200
    return text_of(response.content.decode())


def _v(report: Report) -> str:
    return reverse("reports:preview", kwargs={"slug": report.slug, "version": report.version})


def block_post(block: Block, **fields) -> dict:
    return {f"block-{block.pk}-{name}": value for name, value in fields.items()}


# ---------------------------------------------------------------------------------------
# Starting a paper


def test_the_performance_template_is_seed_000s_structure_with_the_councils_latest_years(author):
    report = start(author)

    headings = list(report.sections.values_list("heading", flat=True))
    assert headings == [s["heading"] for s in SEED_000["sections"]]
    table = Block.objects.filter(section__report=report, kind="indicator_table").first()
    assert table.settings["indicators"] == ["SCC/013ai", "SCC/013bi", "children_on_cp_register"]
    assert table.settings["periods"] == YEARS  # the latest five years RCT has figures for
    assert report.comparators == ["wales-average"]  # RCT has no targets in the demo data
    text = preview_text(author, report)
    assert "2014/15 63.28 96.00 36.49 4.00 621" in text  # seed 000's LAC table, as printed
    assert "1. Purpose of the report" in text


def test_the_casework_template_is_seed_001s_structure_with_caerphillys_months(author):
    report = start(author, template="casework", council="Caerphilly", title="Casework update")

    headings = list(report.sections.values_list("heading", flat=True))
    assert headings[:4] == ["Purpose of report", "Summary", "Links to strategy", "Staffing"]
    assert headings[-1] == "Recommendations"
    chart = Block.objects.get(section__report=report, kind="indicator_chart", position=1,
                              section__heading="Caseloads")  # fmt: skip
    assert chart.settings["periods"] == ["2011-01", "2011-03", "Dec 2011", "2012-01"]
    assert "Caerphilly's figure was 286 in Jan 2012" in preview_text(author, report)


def test_a_paper_without_title_or_council_is_refused_naming_each_field(author):
    papers = Report.objects.count()
    response = author.post(reverse("reports:new"), {"template": "performance", "committee": ""})

    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert 'href="#id_title"' in page and "Enter title" in page
    assert 'href="#id_authority"' in page and "Select council" in page
    assert 'href="#id_committee"' in page
    assert Report.objects.count() == papers


@pytest.mark.parametrize("role", ["officer", "member", "approver"])
def test_only_authors_and_administrators_start_papers(demo, role):
    client = client_for(role, ["Rhondda Cynon Taf"] if role != "member" else [])
    papers = Report.objects.count()
    response = client.post(reverse("reports:new"), {"template": "blank", "title": "x"})
    assert response.status_code == 403
    assert Report.objects.count() == papers


# ---------------------------------------------------------------------------------------
# Sections and blocks


@pytest.fixture
def blank(author) -> Report:
    return start(author, template="blank", title="Looked after children")


def add_section(client, report, heading) -> Section:
    client.post(url("add_section", report), {"heading": heading})
    return report.sections.get(heading=heading)


def add_block(client, report, section, kind) -> Block:
    response = client.post(url("add_block", report, section=section.pk), {"kind": kind})
    assert response.status_code == 302
    return section.blocks.order_by("-position").first()


def test_an_author_composes_sections_with_a_table_a_chart_and_commentary(author, blank):
    first = add_section(author, blank, "Purpose")
    author.post(
        url("section", blank, section=first.pk),
        {f"s{first.pk}-heading": "Purpose", f"s{first.pk}-text": "To inform **members**."},
    )
    second = add_section(author, blank, "Looked after children")
    table = add_block(author, blank, second, "indicator_table")
    response = author.post(
        url("block", blank, block=table.pk),
        block_post(
            table,
            indicators=["SCC/013aii", "SCC/013bii"],
            periods=", ".join(YEARS),
            caption="LAC allocations",
        ),  # fmt: skip
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#block-{table.pk}")
    chart = add_block(author, blank, second, "indicator_chart")
    commentary = add_block(author, blank, second, "commentary")

    # New blocks take the indicators and periods of the block above them.
    chart.refresh_from_db()
    commentary.refresh_from_db()
    assert chart.settings == {"indicators": ["SCC/013aii", "SCC/013bii"], "periods": YEARS}
    assert commentary.settings == {"indicator": "SCC/013aii", "periods": YEARS}
    text = preview_text(author, blank)
    assert "1. Purpose To inform members ." in text
    assert "2. Looked after children" in text
    assert "LAC allocations" in text and "2014/15 63.28 96.00 36.49 4.00" in text
    assert "Rhondda Cynon Taf's figure was 63.28% in 2014/15" in text
    # The builder shows the generated commentary in its box, ready to edit.
    page = author.get(url("paper", blank)).content.decode()
    assert "Rhondda Cynon Taf&#x27;s figure was 63.28% in 2014/15" in page


def test_an_edited_commentary_is_kept_and_marked_and_can_be_generated_again(author, blank):
    section = add_section(author, blank, "Looked after children")
    add_block(author, blank, section, "indicator_table")
    commentary = add_block(author, blank, section, "commentary")
    author.post(
        url("block", blank, block=commentary.pk),
        block_post(commentary, indicator="SCC/013aii", periods=", ".join(YEARS)),
    )
    generated = Block.objects.get(pk=commentary.pk)
    assert (generated.text, generated.edited) == ("", False)  # unchanged: still generated

    edit = "Allocation to qualified social workers fell to 63.28% in 2014/15."
    author.post(
        url("block", blank, block=commentary.pk),
        block_post(commentary, indicator="SCC/013aii", periods=", ".join(YEARS), text=edit),
    )
    commentary.refresh_from_db()
    assert (commentary.text, commentary.edited) == (edit, True)
    assert edit in preview_text(author, blank)
    page = author.get(url("paper", blank)).content.decode()
    assert "data-edited" in page and edit in page
    assert commentary.history.count() >= 3  # every save kept

    author.post(
        url("block", blank, block=commentary.pk),
        block_post(
            commentary, indicator="SCC/013aii", periods=", ".join(YEARS), text=edit, regenerate="on"
        ),  # fmt: skip
    )
    commentary.refresh_from_db()
    assert (commentary.text, commentary.edited) == ("", False)
    assert "Rhondda Cynon Taf's figure was 63.28% in 2014/15" in preview_text(author, blank)


def test_autosave_answers_json_with_the_edited_flag(author, blank):
    section = add_section(author, blank, "LAC")
    add_block(author, blank, section, "indicator_table")
    commentary = add_block(author, blank, section, "commentary")
    response = author.post(
        url("block", blank, block=commentary.pk),
        block_post(commentary, indicator="SCC/013aii", periods="2014-15", text="Mine."),
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"saved": True, "edited": True}
    response = author.post(
        url("block", blank, block=commentary.pk),
        block_post(commentary, indicator="SCC/013aii", periods="2014-15, 2015-166"),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and not response.json()["saved"]
    assert "2015-166" in json.dumps(response.json()["errors"])


def test_bad_periods_are_named_and_change_nothing(author, blank):
    section = add_section(author, blank, "LAC")
    table = add_block(author, blank, section, "indicator_table")
    before = (table.settings, table.history.count())

    response = author.post(
        url("block", blank, block=table.pk),
        block_post(table, indicators=["SCC/013aii"], periods="2014-15, sometime"),
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert f'href="#id_block-{table.pk}-periods"' in page and "&#x27;sometime&#x27;" in page
    table.refresh_from_db()
    assert (table.settings, table.history.count()) == before

    response = author.post(
        url("block", blank, block=table.pk),
        block_post(table, indicators=["SCC/013aii"], periods="2014-15, 2014-15 Q1"),
    )
    assert "all years, all quarters" in response.content.decode()
    response = author.post(
        url("block", blank, block=table.pk), block_post(table, indicators=[], periods="2014-15")
    )
    assert "Enter indicators" in response.content.decode() or "Select" in response.content.decode()
    table.refresh_from_db()
    assert table.settings == before[0]


def test_a_period_without_figures_is_said_so_in_the_table(author, blank):
    section = add_section(author, blank, "LAC")
    table = add_block(author, blank, section, "indicator_table")
    author.post(
        url("block", blank, block=table.pk),
        block_post(table, indicators=["SCC/013aii"], periods="2014-15, 2019-20"),
    )
    text = preview_text(author, blank)
    assert "2019/20 no data" in text and "No data for 2019/20." in text


def test_a_free_table_with_a_short_row_is_refused_naming_the_row(author, blank):
    section = add_section(author, blank, "Teams")
    free = add_block(author, blank, section, "free_table")
    response = author.post(
        url("block", blank, block=free.pk),
        block_post(free, caption="Teams", columns="Team | Posts", rows="East | 12\nWest"),
    )
    assert "Row 2 has 1 cells for 2 columns" in response.content.decode()
    author.post(
        url("block", blank, block=free.pk),
        block_post(free, caption="Teams", columns="Team | Posts", rows="East | 12\nWest | 9"),
    )
    assert "Teams Team Posts East 12 West 9" in preview_text(author, blank)


def test_sections_and_blocks_move_and_are_removed(author, blank):
    one, two, three = (add_section(author, blank, h) for h in ("One", "Two", "Three"))
    author.post(url("move_section", blank, section=three.pk), {"direction": "up"})
    author.post(url("move_section", blank, section=one.pk), {"direction": "up"})  # already first
    assert list(blank.sections.values_list("heading", flat=True)) == ["One", "Three", "Two"]

    response = author.post(url("remove_section", blank, section=three.pk))  # no confirmation
    assert response.status_code == 400 and blank.sections.count() == 3
    author.post(url("remove_section", blank, section=three.pk), {"confirm": "remove"})
    assert list(blank.sections.values_list("heading", "position")) == [("One", 1), ("Two", 2)]

    table = add_block(author, blank, two, "indicator_table")
    chart = add_block(author, blank, two, "indicator_chart")
    author.post(url("move_block", blank, block=chart.pk), {"direction": "up"})
    assert list(two.blocks.values_list("kind", flat=True)) == ["indicator_chart", "indicator_table"]
    author.post(url("remove_block", blank, block=chart.pk), {"confirm": "remove"})
    assert list(two.blocks.values_list("pk", "position")) == [(table.pk, 1)]
    assert "2. Two" in preview_text(author, blank)


def test_another_papers_section_or_block_is_never_reached(author, blank):
    other = start(author, template="blank", title="Another paper")
    theirs = add_section(author, other, "Theirs")
    block = add_block(author, other, theirs, "indicator_table")
    before = (theirs.heading, block.settings)

    for path, data in [
        (url("section", blank, section=theirs.pk), {f"s{theirs.pk}-heading": "Mine"}),
        (url("remove_section", blank, section=theirs.pk), {"confirm": "remove"}),
        (url("add_block", blank, section=theirs.pk), {"kind": "commentary"}),
        (url("block", blank, block=block.pk), block_post(block, periods="2014-15")),
        (url("remove_block", blank, block=block.pk), {"confirm": "remove"}),
    ]:
        assert author.post(path, data).status_code == 404, path
    theirs.refresh_from_db()
    block.refresh_from_db()
    assert (theirs.heading, block.settings) == before and theirs.blocks.count() == 1


# ---------------------------------------------------------------------------------------
# Publishing, versions and exports


def lac_2014_15() -> Observation:
    return Observation.objects.get(
        authority__name="Rhondda Cynon Taf", indicator__code="SCC/013aii", period__code="2014-15"
    )


def publish(client, report: Report) -> None:
    page = client.get(url("publish", report) if report.version == 1 else
                      reverse("reports:publish", kwargs={"slug": report.slug,
                                                         "version": report.version}))  # fmt: skip
    seen = re.search(r'name="seen" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(page.wsgi_request.path, {"seen": seen})
    assert response.status_code == 302, response.content.decode()[:1500]


def test_a_published_paper_keeps_its_figures_and_a_new_version_shows_the_correction(author):
    report = start(author)
    publish(author, report)
    report.refresh_from_db()
    assert report.is_published and report.frozen["status"] == "published"

    # An officer corrects the figure the paper printed.
    corrected = lac_2014_15()
    corrected.value = Decimal("65.00")
    corrected.save()

    assert "2014/15 63.28 96.00" in preview_text(author, report)
    exported = author.get(url("export_html", report))
    assert exported["Content-Disposition"].endswith(f'"{report.slug}-v1.html"')
    assert "2014/15 63.28 96.00" in text_of(exported.content.decode())
    # The published paper cannot be edited: the author is told so, and nothing changes.
    section = report.sections.first()
    response = author.post(url("section", report, section=section.pk), {"heading": "Changed"})
    assert response.status_code == 409
    assert "A published paper cannot be changed: draft a new version." in text_of(
        response.content.decode()
    )
    section.refresh_from_db()
    assert section.heading != "Changed"

    response = author.post(url("new_version", report))
    draft = Report.objects.get(slug=report.slug, version=2)
    assert response["Location"] == reverse(
        "reports:paper", kwargs={"slug": report.slug, "version": 2}
    )
    assert draft.previous == report and not draft.is_published
    assert draft.sections.count() == report.sections.count()
    copied = Block.objects.filter(section__report=draft)
    assert copied.count() == Block.objects.filter(section__report=report).count()
    assert Block.history.filter(section__report=draft).count() == copied.count()  # recorded
    assert "2014/15 65.00 96.00" in preview_text(author, draft)
    # Drafting again goes to the same draft rather than making a third version.
    author.post(url("new_version", report))
    assert Report.objects.filter(slug=report.slug).count() == 2

    changes = author.get(
        reverse("reports:changes", kwargs={"slug": report.slug, "version": 2})
    ).content.decode()
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>\s*<td[^>]*>(.*?)</td>"
                      r"<td[^>]*>(.*?)</td></tr>", changes)  # fmt: skip
    assert (
        "SCC/013aii Looked after children&#x27;s cases with an allocated social worker",
        "Rhondda Cynon Taf",
        "2014/15",
        "63.28",
        "65.00",
    ) in rows
    assert "1 figure differs" in changes


def test_publishing_a_paper_changed_since_the_confirmation_page_is_refused(author, blank):
    page = author.get(url("publish", blank)).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    add_section(author, blank, "Added after the author looked")

    response = author.post(url("publish", blank), {"seen": seen})
    assert response.status_code == 409
    assert "The paper changed after you opened this page" in response.content.decode()
    blank.refresh_from_db()
    assert not blank.is_published and blank.frozen is None


def test_publishing_is_refused_when_the_rows_changed_whatever_the_edit_stamp(author, blank):
    """What the author reviewed is the paper's rows, not its last-changed time: a change
    written without touching the paper (a bulk update) still stops publishing."""
    section = add_section(author, blank, "Purpose")
    page = author.get(url("publish", blank)).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    stamp = Report.objects.get(pk=blank.pk).updated_at
    Section.objects.filter(pk=section.pk).update(heading="Purpose, as nobody reviewed it")
    assert Report.objects.get(pk=blank.pk).updated_at == stamp

    response = author.post(url("publish", blank), {"seen": seen})
    assert response.status_code == 409
    assert "The paper changed after you opened this page" in response.content.decode()
    blank.refresh_from_db()
    assert not blank.is_published and blank.frozen is None


def test_every_change_to_a_published_paper_is_refused_saying_so(author, blank):
    section = add_section(author, blank, "Purpose")
    block = add_block(author, blank, section, "free_table")
    publish(author, blank)
    blank.refresh_from_db()
    frozen, history = blank.frozen, Block.history.count() + Section.history.count()

    for path, data in [
        (url("details", blank), {"details-title": "Changed", "details-committee": "Changed"}),
        (url("add_section", blank), {"heading": "Changed"}),
        (url("section", blank, section=section.pk), {f"s{section.pk}-heading": "Changed"}),
        (url("move_section", blank, section=section.pk), {"direction": "down"}),
        (url("remove_section", blank, section=section.pk), {"confirm": "remove"}),
        (url("add_block", blank, section=section.pk), {"kind": "free_table"}),
        (url("block", blank, block=block.pk), block_post(block, caption="Changed")),
        (url("move_block", blank, block=block.pk), {"direction": "up"}),
        (url("remove_block", blank, block=block.pk), {"confirm": "remove"}),
    ]:
        response = author.post(path, data)
        assert response.status_code == 409, path
        page = text_of(response.content.decode())
        assert "A published paper cannot be changed: draft a new version." in page, path
        assert "Draft a new version" in page
        # The builder's autosave is told the same, in JSON.
        response = author.post(path, data, HTTP_ACCEPT="application/json")
        assert response.status_code == 409, path
        assert response.json() == {
            "saved": False,
            "errors": {"paper": ["A published paper cannot be changed: draft a new version."]},
        }

    blank.refresh_from_db()
    assert blank.title == "Looked after children" and blank.frozen == frozen
    assert list(blank.sections.values_list("heading", flat=True)) == ["Purpose"]
    assert list(Block.objects.filter(section__report=blank).values_list("pk", flat=True)) == [
        block.pk
    ]
    assert Block.history.count() + Section.history.count() == history


def test_a_change_checked_against_a_draft_published_meanwhile_is_refused_under_the_lock(
    author, blank
):
    """The view found a draft; publishing lands before the change is written: the change
    is refused as it is written (editing checks again under the paper's row lock)."""
    section = add_section(author, blank, "Purpose")
    block = add_block(author, blank, section, "free_table")
    seen_as_draft = Report.objects.get(pk=blank.pk)
    section = Section.objects.select_related("report").get(pk=section.pk)
    block = Block.objects.select_related("section__report").get(pk=block.pk)
    publish(author, blank)
    history = Block.history.count() + Section.history.count()

    for change in [
        lambda: editing.add_section(seen_as_draft, "Unreviewed"),
        lambda: editing.save_details(seen_as_draft, {"title": "Unreviewed"}),
        lambda: editing.save_section(section, heading="Unreviewed", text=""),
        lambda: editing.move(section, 1),
        lambda: editing.remove(section),
        lambda: editing.add_block(section, "free_table"),
        lambda: editing.save_block(block, settings_={}, text="Unreviewed", edited=True),
        lambda: editing.move(block, -1),
        lambda: editing.remove(block),
    ]:
        with pytest.raises(editing.PublishedReport):
            change()

    blank.refresh_from_db()
    assert blank.is_published and blank.title == "Looked after children"
    assert list(blank.sections.values_list("heading", flat=True)) == ["Purpose"]
    assert [s["heading"] for s in blank.frozen["sections"]] == ["Purpose"]
    assert Block.objects.filter(section__report=blank).count() == 1
    assert Block.history.count() + Section.history.count() == history


def test_a_change_to_a_section_or_block_removed_meanwhile_is_refused_writing_nothing(author, blank):
    """Two authors: one removes a section while the other's page still shows it. The
    other's save, move or new block is refused as it is written, never put back or left
    pointing at nothing (the page answers 404: it is gone)."""
    kept = add_section(author, blank, "Kept")
    section = add_section(author, blank, "Removed meanwhile")
    block = add_block(author, blank, section, "free_table")
    section = Section.objects.select_related("report").get(pk=section.pk)
    block = Block.objects.select_related("section__report").get(pk=block.pk)
    editing.remove(Section.objects.select_related("report").get(pk=section.pk))

    for change, gone in [
        (lambda: editing.save_section(section, heading="Put back", text=""), Section),
        (lambda: editing.move(section, -1), Section),
        (lambda: editing.remove(section), Section),
        (lambda: editing.add_block(section, "free_table"), Section),
        (lambda: editing.save_block(block, settings_={}, text="Put back", edited=True), Block),
        (lambda: editing.move(block, 1), Block),
    ]:
        with pytest.raises(gone.DoesNotExist):
            change()

    assert list(blank.sections.values_list("pk", "heading", "position")) == [(kept.pk, "Kept", 1)]
    assert not Block.objects.filter(section__report=blank).exists()


def test_members_read_published_papers_only(author, blank):
    member = client_for("member")
    papers = Report.objects.count()
    assert member.get(url("paper", blank)).status_code == 403
    assert member.get(url("preview", blank)).status_code == 403
    assert blank.title not in member.get(reverse("reports:list")).content.decode()

    publish(author, blank)
    assert member.get(url("paper", blank)).status_code == 200
    assert member.get(url("preview", blank)).status_code == 200
    assert blank.title in member.get(reverse("reports:list")).content.decode()
    assert member.post(url("new_version", blank)).status_code == 403
    assert Report.objects.count() == papers


def test_the_pdf_downloaded_from_the_builder_holds_the_tables_figures(author, tmp_path):
    report = start(author)
    response = author.get(url("export_pdf", report))
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for figure in ("75.83", "94.40", "63.28", "96.00", "1588"):
        assert figure in text
    assert re.search(r"Page 1 of \d+", text)


def test_without_chromium_the_pdf_download_says_how_to_install_it(author, monkeypatch, tmp_path):
    from reports import chart_export

    report = start(author)
    chart_export.stop_server()
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    monkeypatch.setattr(chart_export, "cache", _NoCache())
    response = author.get(url("export_pdf", report))
    assert response.status_code == 503
    page = response.content.decode()
    assert "apt-get install -y --no-install-recommends chromium" in page


class _NoCache:
    def get(self, key, default=None):
        return default

    def set(self, *args, **kwargs):
        pass


def test_the_papers_details_and_comparators_are_saved_together_or_not_at_all(author):
    report = start(author)
    fields = {
        "details-title": "Allocation of cases",
        "details-committee": "Corporate Parenting Board",
        "details-meeting_date_day": "6",
        "details-meeting_date_month": "7",
        "details-meeting_date_year": "2015",
        "details-agenda_item": "8",
        "details-comparators": [],
    }
    response = author.post(url("details", report), fields)
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.title, report.agenda_item, report.comparators) == (
        "Allocation of cases",
        "8",
        [],
    )
    text = preview_text(author, report)
    assert "6 July 2015" in text and "Agenda item 8" in text
    assert "2014/15 63.28 36.49 621" in text  # the Wales average's columns gone

    stamp = report.updated_at
    response = author.post(
        url("details", report),
        {**fields, "details-title": "", "details-comparators": ["wales-average", "moon"]},
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'href="#id_details-title"' in page
    assert "Enter title" in page and "moon is not one of the available choices" in page
    report.refresh_from_db()
    assert (report.title, report.comparators, report.updated_at) == (
        "Allocation of cases",
        [],
        stamp,
    )


def test_the_demo_holds_seed_000_published_and_seed_001_as_a_draft_loaded_once(author):
    seed_000 = Report.objects.get(slug=SEED_000["slug"])
    assert seed_000.is_published and seed_000.published_by.username == "author"
    assert [s["heading"] for s in seed_000.frozen["sections"]] == [
        s["heading"] for s in SEED_000["sections"]
    ]
    assert "2014/15 63.28 96.00 36.49 4.00 621" in preview_text(author, seed_000)
    casework = Report.objects.get(slug="caerphilly-casework-and-management-update-2012")
    assert not casework.is_published and casework.authority.name == "Caerphilly"

    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    assert Report.objects.count() == 2 and Report.objects.get(pk=seed_000.pk).frozen == (
        seed_000.frozen
    )


def test_a_register_block_takes_one_year_and_a_workforce_block_a_real_date(author, blank):
    section = add_section(author, blank, "Register and staffing")
    register = add_block(author, blank, section, "cp_register")
    staffing = add_block(author, blank, section, "workforce_table")

    response = author.post(
        url("block", blank, block=register.pk), block_post(register, periods="2013-14, 2014-15")
    )
    assert "Periods must be one financial year, like 2014-15" in response.content.decode()
    response = author.post(
        url("block", blank, block=staffing.pk), block_post(staffing, as_at="31 March")
    )
    assert f'href="#id_block-{staffing.pk}-as_at"' in response.content.decode()
    register.refresh_from_db()
    staffing.refresh_from_db()
    assert (register.settings, staffing.settings) == ({}, {})

    author.post(url("block", blank, block=register.pk), block_post(register, periods="2014-15"))
    author.post(url("block", blank, block=staffing.pk), block_post(staffing, as_at="2015-03-31"))
    register.refresh_from_db()
    staffing.refresh_from_db()
    assert register.settings == {"periods": ["2014-15"]}
    assert staffing.settings == {"as_at": "2015-03-31"}
    text = preview_text(author, blank)
    assert "Children on the child protection register: this year against last" in text
    assert "31/03/2015" in text
