"""Issue 5 in a real browser: an author composes a committee paper (two sections, a table, a
chart and a commentary), edits the commentary, downloads it as HTML and PDF and publishes it;
an officer then corrects a figure the paper printed: the published paper's export still shows
the old figure, and a new version drafted from it shows the new one."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from council_reports.accounts import provision_user
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

YEARS = "2010-11, 2011-12, 2012-13, 2013-14, 2014-15"
EDIT = "Allocation of looked after children to qualified social workers fell to 63.28%."
LAC = "SCC/013aii"


@pytest.fixture
def people(db):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("paper.author", "author", [], PASSWORD)
    provision_user("rct.corrector", "officer", ["Rhondda Cynon Taf"], PASSWORD)


def click(locator) -> None:
    """Press a button or link that loads a page, and wait until the page, its preview frame
    and any saving are done. Django's live server shares one SQLite connection between its
    threads, so the test never lets two of its requests overlap."""
    locator.click()
    locator.page.wait_for_load_state("networkidle")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    click(page.get_by_role("button", name="Sign in"))


def section(page: Page, heading: str):
    return page.locator("section.builder-section").filter(
        has=page.get_by_role("heading", level=3, name=heading)
    )


def add_block(page: Page, heading: str, kind: str) -> None:
    part = section(page, heading)
    part.get_by_label(re.compile("^Add a block to")).select_option(label=kind)
    click(part.get_by_role("button", name="Add block"))


def download_text(page: Page, link: str, tmp_path, name: str) -> str:
    with page.expect_download() as info:
        click(page.get_by_role("link", name=link))
    path = tmp_path / name
    info.value.save_as(path)
    if name.endswith(".pdf"):
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return path.read_text(encoding="utf-8")


def test_an_author_composes_exports_and_publishes_a_paper_that_keeps_its_figures(
    people, live_server, page: Page, browser, tmp_path, axe_violations
):
    base = live_server.url
    sign_in(page, base, "paper.author")
    page.goto(f"{base}/reports/")
    click(page.get_by_role("link", name="Start a new paper"))
    page.get_by_label("Blank paper").check()
    page.get_by_label("Council").select_option(label="Rhondda Cynon Taf")
    page.get_by_label("Title").fill("Allocation of looked after children")
    page.get_by_label("Committee").fill("Corporate Parenting Board")
    page.get_by_label("Day").fill("29")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2015")
    click(page.get_by_role("button", name="Start the paper"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft version 1")

    # Two sections: Purpose with text, then Looked after children with three blocks.
    for heading in ("Purpose", "Looked after children"):
        page.get_by_label("Add a section").fill(heading)
        click(page.get_by_role("button", name="Add section"))
    purpose = section(page, "Purpose")
    purpose.get_by_label("Text").fill("To inform members about the allocation of cases.")
    click(purpose.get_by_role("button", name="Save section"))

    add_block(page, "Looked after children", "Indicator table")
    table = section(page, "Looked after children").locator(".builder-block").nth(0)
    for box in table.get_by_role("checkbox").all():
        box.uncheck()
    table.get_by_label(f"{LAC}:").check()
    table.get_by_label("Periods").fill(YEARS)
    click(table.get_by_role("button", name="Save block"))
    add_block(page, "Looked after children", "Indicator chart")
    add_block(page, "Looked after children", "Commentary")

    # The commentary is prefilled with the generated text; the author rewrites it.
    commentary = section(page, "Looked after children").locator(".builder-block").nth(2)
    box = commentary.get_by_label("Commentary")
    expect(box).to_have_value(re.compile(r"Rhondda Cynon Taf's figure was 63\.28% in 2014/15"))
    box.fill(EDIT)
    click(commentary.get_by_role("button", name="Save block"))
    commentary = section(page, "Looked after children").locator(".builder-block").nth(2)
    expect(commentary.get_by_role("heading", level=4)).to_contain_text("Edited")
    expect(commentary.get_by_label("Commentary")).to_have_value(EDIT)

    assert axe_violations() == []  # the builder, with a table, a chart and an edited text

    # The live preview: numbered sections, the table's figures, a drawn chart, the edit.
    preview = page.frame_locator("[data-preview]")
    expect(preview.locator("#section-2 h2")).to_contain_text("2. Looked after children")
    expect(preview.locator("table.paper-figures tbody tr").last).to_contain_text("63.28")
    expect(preview.locator(".paper-chart .main-svg").first).to_be_visible()
    expect(preview.locator(".paper-commentary")).to_have_text(EDIT)

    html = download_text(page, "Download HTML", tmp_path, "paper.html")
    assert EDIT in html and "63.28" in html and "Plotly.newPlot" in html
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js inlined, nothing fetched
    pdf = download_text(page, "Download PDF", tmp_path, "paper.pdf")
    assert re.search(r"2014/15\s+63\.28\s+96\.00", pdf)  # RCT beside the Wales average
    assert "Page 1 of" in pdf and "Looked after children" in pdf

    click(page.get_by_role("link", name="Publish"))
    click(page.get_by_role("button", name="Publish and freeze the figures"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published version 1")
    published_url = page.url

    # An officer of the council corrects the 2014-15 figure the paper printed.
    officer = browser.new_context().new_page()
    sign_in(officer, base, "rct.corrector")
    officer.goto(f"{base}/councils/rhondda-cynon-taf/figures/new/")
    officer.get_by_label("Indicator").select_option(value="scc013aii")
    officer.get_by_label("Period").fill("2014-15")
    officer.get_by_label("Value").fill("65.00")
    officer.get_by_label("Reason for the change").fill("Corrected after audit")
    click(officer.get_by_role("button", name="Continue"))
    click(officer.get_by_role("button", name="Update the figure"))
    expect(officer.locator(".notification")).to_be_visible()
    officer.context.close()

    # The published paper keeps 63.28, in the page's preview and in a fresh export.
    page.goto(published_url)
    expect(preview.locator("table.paper-figures tbody tr").last).to_contain_text("63.28")
    again = download_text(page, "Download HTML", tmp_path, "again.html")
    assert "63.28" in again and "65.00" not in again

    click(page.get_by_role("button", name="Draft a new version"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft version 2")
    expect(preview.locator("table.paper-figures tbody tr").last).to_contain_text("65.00")
    commentary = section(page, "Looked after children").locator(".builder-block").nth(2)
    expect(commentary.get_by_label("Commentary")).to_have_value(EDIT)  # the edit carried over
    click(page.get_by_role("link", name="Figures changed since the earlier version"))
    row = page.locator("tbody tr").filter(has_text="2014/15")
    expect(row).to_contain_text("63.28")
    expect(row).to_contain_text("65.00")
