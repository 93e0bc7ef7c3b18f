"""Issue 4, in a real browser on the DfE's own figures: a member compares Halton's re-referral
rate with England, switches to its statistical neighbours' median, and downloads exactly the
figures the page shows; and the comparator chooser works from the keyboard alone.

The DfE files are read from ../shared/data/dfe (DFE_DATA_DIR overrides), never copied into the
repo; without them these tests are skipped. Only the two files the page needs are imported:
the children-in-need referrals file and the statistical-neighbour model.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from council_reports.accounts import provision_user
from indicators.models import Period
from tests.conftest import PASSWORD

DFE_DIR = Path(
    os.environ.get("DFE_DATA_DIR") or Path(settings.BASE_DIR).parent / "shared" / "data" / "dfe"
)
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
SN_MODEL = "sn_model_2025_wide.csv"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (DFE_DIR / C1).exists(),
        reason=f"the DfE files are not in {DFE_DIR} (set DFE_DATA_DIR to their folder)",
    ),
]

PAGE = "/councils/halton/indicators/cin_rereferral_percent/"
SN_MEDIAN = "Halton statistical neighbours (median)"

# What the focused element is, and whether a sighted keyboard user can see that it is.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    id: element.id,
    tag: element.tagName.toLowerCase(),
    text: (element.innerText || "").trim(),
    focusVisible: element.matches(":focus-visible"),
    outlined: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
  };
}"""

# The table as a member reads it: header cells, then each row's period and cells.
TABLE = """() => {
  const table = document.querySelector("#trend-table");
  return {
    series: [...table.querySelectorAll("thead th")].slice(1).map(th => th.innerText.trim()),
    rows: [...table.querySelectorAll("tbody tr")].map(tr => [
      tr.querySelector("th").innerText.trim(),
      [...tr.querySelectorAll("td")].map(td => td.innerText.trim()),
    ]),
  };
}"""


@pytest.fixture
def member(live_server, page, sign_in) -> Page:
    """The demo councils, the DfE re-referral figures and neighbour model, and a signed-in
    member."""
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    call_command("import_dfe", str(DFE_DIR / C1), str(DFE_DIR / SN_MODEL), stdout=io.StringIO())
    provision_user("councillor", "member", [], PASSWORD)
    return sign_in("councillor")


def legend(page: Page):
    return page.locator("#trend .legend .legendtext")


def table_cells(page: Page) -> dict[tuple[str, str], str]:
    """(series, period label) -> the cell's text, for every cell of #trend-table."""
    table = page.evaluate(TABLE)
    return {
        (series, label): text
        for label, cells in table["rows"]
        for series, text in zip(table["series"], cells, strict=True)
    }


def test_member_switches_halton_from_england_to_neighbours_median_and_downloads_the_same_figures(
    live_server, member
):
    page = member
    page.goto(f"{live_server.url}{PAGE}?comparators=england")
    expect(legend(page)).to_have_text(["Halton", "England"])
    expect(page.locator("#trend-table thead th")).to_have_text(["Period", "Halton", "England"])

    page.get_by_label("England", exact=True).uncheck()
    page.get_by_label(SN_MEDIAN).check()
    page.get_by_role("button", name="Show").click()

    expect(legend(page)).to_have_text(["Halton", SN_MEDIAN])
    expect(page.locator("#trend-table thead th")).to_have_text(["Period", "Halton", SN_MEDIAN])
    assert "comparators=sn-median" in page.url
    cells = table_cells(page)
    assert cells[("Halton", "2024/25")] == "19.0"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="These figures as CSV").click()
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))

    # The CSV names periods by code (2024-25), the table by label (2024/25).
    labels = {period.code: period.label for period in Period.objects.all()}
    assert {row["series"] for row in rows} == {"Halton", SN_MEDIAN}
    for row in rows:
        cell = cells[(row["series"], labels[row["period"]])]
        if row["withheld"]:
            assert cell.startswith("withheld"), (row, cell)
        else:
            assert cell == (row["value"] or "no figure"), (row, cell)
    # ...and nothing on the page is missing from the CSV ("–": that series has no row).
    assert len(rows) == sum(1 for text in cells.values() if text != "–")
    halton = {row["period"]: row["value"] for row in rows if row["series"] == "Halton"}
    assert halton["2024-25"] == "19.0"


def tab_through(page: Page, stop_at: str, limit: int = 150) -> list[dict]:
    """Press Tab until the element with id or text `stop_at` has focus; every element
    focused on the way, in order."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if stop_at in (focused["id"], focused["text"]):
            return seen
    raise AssertionError(f"{stop_at!r} never had focus; Tab went through {seen}")


def test_keyboard_reaches_every_control_of_the_chooser_and_uses_it(live_server, member):
    page = member
    page.goto(f"{live_server.url}{PAGE}?comparators=england")
    expect(legend(page)).to_have_count(2)
    boxes = page.locator("input[type=checkbox][name=comparators]")
    box_ids = [boxes.nth(i).get_attribute("id") for i in range(boxes.count())]
    assert "comparator-england" in box_ids and "comparator-sn-median" in box_ids
    controls = [*box_ids, *(["period"] if page.locator("select#period").count() else [])]

    seen = tab_through(page, stop_at="These figures as CSV")
    reached = {focused["id"] or focused["text"]: focused for focused in seen}
    for control in [*controls, "Show", "These figures as CSV"]:
        assert control in reached, f"Tab never reached {control}: {seen}"
        focused = reached[control]
        assert focused["focusVisible"] and focused["outlined"] and focused["onScreen"], focused
    order = [focused["id"] or focused["text"] for focused in seen]
    assert order.index(box_ids[-1]) < order.index("Show") < order.index("These figures as CSV")

    # From the top again: Space ticks and unticks the focused box; Enter on Show sends it.
    page.goto(f"{live_server.url}{PAGE}?comparators=england")
    tab_through(page, stop_at="comparator-england")
    page.keyboard.press("Space")
    expect(page.locator("#comparator-england")).not_to_be_checked()
    tab_through(page, stop_at="comparator-sn-median")
    page.keyboard.press("Space")
    expect(page.locator("#comparator-sn-median")).to_be_checked()
    tab_through(page, stop_at="Show")
    page.keyboard.press("Enter")
    expect(page.locator("#trend-table thead th")).to_have_text(["Period", "Halton", SN_MEDIAN])
    assert "comparators=sn-median" in page.url


def test_keyboard_reaches_the_first_indicator_on_the_council_overview(live_server, member):
    page = member
    page.goto(f"{live_server.url}/councils/halton/")
    first = page.locator("main table a").first
    name = first.inner_text().strip()
    seen = tab_through(page, stop_at=name)
    assert seen[-1]["focusVisible"] and seen[-1]["outlined"] and seen[-1]["onScreen"], seen[-1]
    expect(first).to_be_focused()
