"""The indicator page (/councils/<council>/indicators/<indicator>/): one tidy frame feeds the
chart, the table and the CSV and XLSX downloads, against the comparators the URL names."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.templatetags.static import static
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from council_reports.accounts import provision_user
from indicators import workflow
from indicators.frames import indicator_frame
from indicators.models import Authority, Indicator, Observation, Period, Target
from tests.conftest import PASSWORD, RCT_ALLOCATIONS
from tests.indicators.test_figure_views import figure_data, new_url

RCT = "/councils/rhondda-cynon-taf/indicators/scc013aii/"
HALTON = "/councils/halton/indicators/cin_rereferral_percent/"

C1_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,category,referral_count,rereferral_count,"
    "rereferral_percent,no_further_action_count,no_further_action_percent,not_in_need_count,"
    "not_in_need_percent,referral_child_count,rereferral_child_count,rereferral_child_percent"
)
ENGLAND = "National,E92000001,England,,,,,"
NORTH_WEST = "Regional,E92000001,England,E12000002,North West,,,"


def _la(code: str, gss: str, name: str) -> str:
    return f"Local authority,E92000001,England,E12000002,North West,{code},{gss},{name}"


def _c1_row(year: int, place: str, referrals: str, again: str, percent: str) -> str:
    return (
        f"{year},Reporting year,{place},Referrals and Re-referrals,{referrals},{again},{percent},"
        "1,1,1,1,1,1,1"
    )


# Halton's 2023-24 re-referrals are suppressed ("c"): withheld, never 0.
C1_ROWS = [
    _c1_row(2024, ENGLAND, "621640", "136600", "22.0"),
    _c1_row(2025, ENGLAND, "632830", "142900", "22.6"),
    _c1_row(2024, NORTH_WEST, "90000", "18000", "20.0"),
    _c1_row(2025, NORTH_WEST, "91000", "18900", "20.8"),
    _c1_row(2024, _la("876", "E06000006", "Halton"), "1500", "c", "c"),
    _c1_row(2025, _la("876", "E06000006", "Halton"), "1600", "320", "20.0"),
    _c1_row(2024, _la("877", "E06000007", "Warrington"), "1000", "150", "15.0"),
    _c1_row(2025, _la("877", "E06000007", "Warrington"), "1000", "180", "18.0"),
    _c1_row(2024, _la("340", "E08000011", "Knowsley"), "1000", "250", "25.0"),
    _c1_row(2025, _la("340", "E08000011", "Knowsley"), "1000", "300", "30.0"),
]
SN_MODEL = (
    "old_la_code,la_name,region_ind,region_name,SN_1,SN_1P,SN_2,SN_2P\n"
    "876,Halton,2,North West,877,Close,340,Close\n"
)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def member(demo):
    return provision_user("councillor", "member", [], PASSWORD)[0]


@pytest.fixture
def dfe(demo, tmp_path):
    c1 = tmp_path / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    c1.write_text(C1_HEADER + "\n" + "\n".join(C1_ROWS) + "\n", encoding="utf-8")
    model = tmp_path / "sn_model_2025_wide.csv"
    model.write_text(SN_MODEL, encoding="utf-8")
    call_command("import_dfe", str(c1), str(model), stdout=io.StringIO())


def table_cells(html: str) -> dict[tuple[str, str], str]:
    """The trend table as {(period, series): cell text}."""
    table = html[html.index('<table class="table table--compact" id="trend-table"') :]
    table = table[: table.index("</table>")]
    series = re.findall(r'<th scope="col" class="numeric">(.*?)</th>', table)
    cells = {}
    for period, row in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', table, re.S):
        values = re.findall(r'<td class="numeric">(.*?)</td>', row, re.S)
        for name, value in zip(series, values):
            cells[(period, name)] = re.sub(r"<[^>]+>", " ", value).split()
    return {key: " ".join(words) for key, words in cells.items()}


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_rct_page_shows_6328_for_2014_15_against_the_wales_average_of_9600(client, member):
    client.force_login(member)
    response = client.get(RCT)
    assert response.status_code == 200
    html = response.content.decode()
    cells = table_cells(html)
    assert cells[("2014/15", "Rhondda Cynon Taf")] == "63.28"
    assert cells[("2014/15", "Wales average")] == "96.00"
    # Definition, polarity in words, the chart's data and plotly.js from the app itself.
    assert "Higher is better" in html
    assert 'id="trend-data"' in html and 'aria-describedby="trend-table"' in html
    # (Under a content-hashed name once collectstatic has run.)
    assert f'<script src="{static("plotly/plotly.min.js")}">' in html
    assert "cdn" not in html.lower()


def test_comparators_param_switches_series_and_is_remembered(client, member):
    client.force_login(member)
    none = client.get(RCT, {"comparators": ""})
    assert {name for _p, name in table_cells(none.content.decode())} == {"Rhondda Cynon Taf"}
    # A bare URL then uses the last choice (none), and says so in its links.
    bare = client.get(RCT).content.decode()
    assert "Wales average" not in {name for _p, name in table_cells(bare)}
    assert 'href="?comparators="' in bare
    # Repeated parameters (the form without JavaScript) work as a comma-separated list.
    repeated = client.get(RCT, {"comparators": ["", "wales-average"]}).content.decode()
    assert ("2014/15", "Wales average") in table_cells(repeated)


def test_unknown_comparator_is_ignored_with_a_message(client, member):
    client.force_login(member)
    html = client.get(RCT, {"comparators": "wales-average,nonsense,england"}).content.decode()
    assert "“nonsense” is not a comparator for Rhondda Cynon Taf" in html
    assert "“england” is not a comparator for Rhondda Cynon Taf" in html  # a Welsh council
    assert ("2014/15", "Wales average") in table_cells(html)


def test_csv_figures_equal_the_tables(client, member):
    client.force_login(member)
    html = client.get(RCT, {"comparators": "wales-average"}).content.decode()
    response = client.get(RCT, {"comparators": "wales-average", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    table = table_cells(html)
    assert len(rows) == len(table)
    for row in rows:
        period = row["period"].replace("-", "/")
        assert table[(period, row["series"])] == row["value"]
    xlsx = client.get(RCT, {"comparators": "wales-average", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    header = values[0]
    assert [float(r[header.index("value")]) for r in values[1:]] == [
        float(r["value"]) for r in rows
    ]


def test_download_neutralises_formula_injection(client, member):
    obs = Observation.objects.get(
        authority__slug="rhondda-cynon-taf", indicator__slug="scc013aii", period__code="2014-15"
    )
    obs.source = '=HYPERLINK("http://evil")'
    obs.save()
    client.force_login(member)
    text = client.get(RCT, {"format": "csv"}).content.decode()
    assert "'=HYPERLINK" in text
    xlsx = client.get(RCT, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_withheld_value_shows_as_withheld_with_its_reason_never_0(client, member, dfe):
    client.force_login(member)
    html = client.get(HALTON, {"comparators": "england"}).content.decode()
    cells = table_cells(html)
    assert cells[("2023/24", "Halton")] == "withheld Suppressed to protect confidentiality"
    assert cells[("2024/25", "Halton")] == "20.0"
    assert cells[("2023/24", "England")] == "22.0"
    assert "Gaps are withheld figures" in html  # the chart's note
    assert "A gap in a line is a withheld figure" in html
    rows = csv_rows(client.get(HALTON, {"comparators": "england", "format": "csv"}))
    withheld = next(r for r in rows if r["series"] == "Halton" and r["period"] == "2023-24")
    assert (withheld["value"], withheld["withheld"]) == ("", "c")
    assert withheld["withheld_reason"] == "Suppressed to protect confidentiality"


def test_neighbour_mean_and_median_and_region(client, member, dfe):
    client.force_login(member)
    html = client.get(HALTON, {"comparators": "sn-mean,sn-median,region"}).content.decode()
    cells = table_cells(html)
    mean = next(name for _p, name in cells if "mean" in name)
    median = next(name for _p, name in cells if "median" in name)
    assert cells[("2024/25", mean)] == "24.0"  # Warrington 18.0, Knowsley 30.0
    assert cells[("2024/25", median)] == "24.0"
    assert cells[("2024/25", "North West")] == "20.8"


def test_frame_query_count_does_not_grow_with_periods_or_comparators(member, dfe):
    halton = Authority.objects.get(slug="halton")
    indicator = Indicator.objects.get(slug="cin_rereferral_percent")

    def queries(comparators):
        with CaptureQueriesContext(connection) as captured:
            indicator_frame(halton, indicator, comparators, include_provisional=False)
        return len(captured)

    few = queries(["england"])
    many = queries(["england", "region", "sn-mean", "sn-median", "target"])
    for year in range(2010, 2020):
        period = Period.objects.for_code(f"{year}-{str(year + 1)[2:]}")
        Observation.objects.create(authority=halton, indicator=indicator, period=period, value=5)
        Target.objects.create(authority=halton, indicator=indicator, period=period, value=5)
    assert queries(["england", "region", "sn-mean", "sn-median", "target"]) == many
    assert many <= 6 and few <= many


def test_members_see_final_figures_only_and_staff_see_provisional_ones_marked(client, member):
    officer = provision_user("rct.o", "officer", ["Rhondda Cynon Taf"], PASSWORD)[0]
    ret = workflow.return_for(
        officer.authorities.get(), workflow.quarter_period("2015-16 Q1"), "allocations"
    )
    counts = dict(RCT_ALLOCATIONS)
    workflow.save_return(ret, counts, user=officer, expected_version=ret.version)
    client.force_login(member)
    assert "63.29" not in client.get(RCT, {"period": "quarter"}).content.decode()
    client.force_login(officer)
    html = client.get(RCT, {"period": "quarter"}).content.decode()
    assert table_cells(html)[("2015/16 Q1", "Rhondda Cynon Taf")] == "63.29 Provisional"


def test_unknown_council_or_indicator_is_404(client, member):
    client.force_login(member)
    assert client.get("/councils/nowhere/indicators/scc013aii/").status_code == 404
    assert client.get("/councils/rhondda-cynon-taf/indicators/nothing/").status_code == 404


def test_halton_ranks_among_englands_councils_with_every_council_charted(client, member, dfe):
    client.force_login(member)
    response = client.get(HALTON, {"comparators": "england"})
    html = response.content.decode()
    # Re-referrals: lower is better. 2024-25: Warrington 18.0, Halton 20.0, Knowsley 30.0.
    assert "Halton ranks 2 of 3 councils in England with a figure for 2024/25" in html
    assert "(1 is the lowest: lower is better)" in html
    table = html[
        html.index('id="councils-table"') : html.index(
            "</table>", html.index('id="councils-table"')
        )
    ]
    rows = [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]
    assert rows == ["1 Warrington 18.0", "2 Halton (this council) 20.0", "3 Knowsley 30.0"]
    # The chart: one column per council, Halton's striped and named, England as a line.
    figure = json.loads(re.search(r'id="councils-data"[^>]*>(.*?)</script>', html, re.S)[1])
    bars = figure["data"][0]
    assert bars["x"] == ["Warrington", "Halton", "Knowsley"]
    assert bars["marker"]["pattern"]["shape"] == ["", "/", ""]
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert "<b>Halton</b>: 20.0" in texts and "England: 22.6" in texts


def test_a_withheld_latest_figure_is_not_ranked(client, member, dfe):
    client.force_login(member)
    Observation.objects.filter(authority__slug="halton", period__code="2024-25").delete()
    html = client.get(HALTON, {"comparators": "england"}).content.decode()
    # Halton's latest is now 2023-24, withheld: no rank, and the table says why.
    assert "Halton has no published figure to rank for 2023/24" in html
    assert "Suppressed to protect confidentiality" in html


@pytest.mark.django_db(transaction=True)
def test_the_page_is_drawn_once_and_cached_until_a_figure_changes(
    client, users, council_a, lac_allocated, wales_average
):
    """Committed figures, as in production: the second view takes the chart, tables and
    ranking from the cache in fewer queries (the same whatever is stored), and a figure
    entered through the form is on the next view."""
    for code, value in (("2013-14", "68.70"), ("2014-15", "63.28")):
        period = Period.objects.for_code(code)
        Observation.objects.create(
            authority=council_a, indicator=lac_allocated, period=period, value=value
        )
        Observation.objects.create(
            comparator=wales_average, indicator=lac_allocated, period=period, value="96.00"
        )
    member = users["member"]
    member.comparators = ["wales-average"]
    member.save()
    client.force_login(member)
    path = f"/councils/{council_a.slug}/indicators/{lac_allocated.slug}/"

    def view() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        return len(captured), response.text

    drawn, first = view()
    cached, again = view()
    assert cached <= 8 < drawn
    assert "63.28" in first and "63.28" in again

    client.force_login(users["approver"])
    entered = client.post(
        new_url(council_a),
        figure_data(period="2014-15", numerator="400", reason="Late recording", confirm="yes"),
    )
    assert entered.status_code == 302
    client.force_login(member)
    _count, after = view()
    cells = table_cells(after)
    assert cells[("2014/15", "Rhondda Cynon Taf")] == "64.41"


@pytest.mark.django_db(transaction=True)
def test_members_and_staff_are_never_given_each_others_cached_page(
    client, users, council_a, lac_allocated
):
    Observation.objects.create(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2014-15"),
        value="63.28",
    )
    Observation.objects.create(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2015-16"),
        value="70.00",
        status=Observation.Status.PROVISIONAL,
    )
    path = f"/councils/{council_a.slug}/indicators/{lac_allocated.slug}/"
    for user, sees_provisional in (
        ("member", False),
        ("officer_a", True),
        ("member", False),
        ("officer_a", True),
    ):
        client.force_login(users[user])
        cells = table_cells(client.get(path).text)
        assert cells[("2014/15", "Rhondda Cynon Taf")] == "63.28", user
        assert (("2015/16", "Rhondda Cynon Taf") in cells) is sees_provisional, user
