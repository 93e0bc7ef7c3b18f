"""The workforce dashboard: figures to the printed decimal from the seed papers, who sees the
notes, and a fixed number of queries however many snapshots."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from council_reports.accounts import provision_user
from indicators.models import Authority
from tests.conftest import PASSWORD
from workforce import frames
from workforce.models import PostCost, Role, Team, WorkforceSnapshot

NOTE = "Two social workers on long-term sick leave since January"


def url(council: Authority | str) -> str:
    slug = council if isinstance(council, str) else council.slug
    return reverse("workforce:dashboard", kwargs={"council": slug})


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def cell(frame, series: str, period: str) -> float:
    found = frame[(frame["series"] == series) & (frame["period"] == period)]
    assert len(found) == 1, found
    return float(found["value"].iloc[0])


# ---------------------------------------------------------------------------------------
# The seed papers' figures


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def member(demo):
    return provision_user("councillor", "member", [], PASSWORD)[0]


def board_of(name: str, *, staff: bool = False) -> frames.WorkforceDashboard:
    return frames.workforce_dashboard(
        Authority.objects.get(name=name), include_notes=staff, include_provisional=staff
    )


def test_rct_acm_vacancy_rate_is_25_0_percent_of_32_posts(demo):
    # Seed 000: "32 ACM posts ... with only 24 of these posts filled", at 29 June 2015.
    board = board_of("Rhondda Cynon Taf")
    rate = board.charts["vacancy_rate"].frame
    assert list(rate["series"].unique()) == ["Assessor Care Manager"]  # the only role given
    assert cell(rate, "Assessor Care Manager", "2015-06-29") == 25.0
    row = rate[rate["period"] == "2015-06-29"].iloc[0]
    assert (row["numerator"], row["denominator"]) == (8.0, 32.0)
    assert cell(board.charts["vacancies"].frame, "Assessor Care Manager", "2015-06-29") == 8.0


def test_rct_qualified_to_unqualified_is_2_9_to_1_at_31_march_2015(demo):
    # Appendix 2: SW 63.8 + SP 26.5 = 90.3 FTE qualified against 31.4 FTE of ACMs.
    board = board_of("Rhondda Cynon Taf")
    [ratio] = board.staff_ratios  # 29/06/2015 has ACMs only: no ratio, not 0
    assert ratio.as_at == dt.date(2015, 3, 31)
    assert (ratio.qualified, ratio.unqualified) == (Decimal("90.3"), Decimal("31.4"))
    assert ratio.printed_counts == "90.3 : 31.4"
    assert ratio.printed == "2.9:1"
    assert (
        cell(board.charts["staff_ratio"].frame, "Qualified staff per unqualified", "2015-03-31")
        == 2.9
    )


def test_member_reads_rct_figures_as_printed(client, member):
    client.force_login(member)
    page = html(client.get(url("rhondda-cynon-taf")))
    assert "29/06/2015" in page and "25.0" in page  # vacancy rate table
    assert '<td class="numeric">90.3 : 31.4</td>' in page
    assert '<td class="numeric">2.9:1</td>' in page
    assert "Seed 000: RCT Corporate Parenting Board, June 2015" in page  # source line
    # Nobody gave agency or caseload figures for RCT: said in words, not charted as 0.
    assert "No snapshot gives agency staff with the staff in post." in page
    assert "No snapshot gives an average or recommended caseload." in page


def test_post_conversion_is_7369_computed_beside_7368_printed(client, member):
    client.force_login(member)
    page = html(client.get(url("rhondda-cynon-taf")))
    for printed in ("£27,123", "£2,441", "£5,777", "£35,341", "£32,778", "£2,950", "£6,982"):
        assert printed in page
    assert "£42,710" in page
    [conversion] = board_of("Rhondda Cynon Taf").conversions
    assert conversion.variance == Decimal(7369)
    assert conversion.printed is not None and conversion.printed.value == Decimal(7368)
    assert conversion.printed.period == "2015/16"
    assert '<td class="numeric">£7,369</td>' in page
    assert '<td class="numeric">£7,368</td>' in page
    assert "The council's paper printed £7,368 for 2015/16" in page
    assert "which differ by £7,369" in page


def test_halton_vacancy_rate_from_reported_vacancies_and_caseload_above_recommended(demo):
    # Seed 002: establishment 29 FTE with 2 vacancies (filled not given); caseload about 32
    # against the 23 "sensible average", at the end of September 2012.
    board = board_of("Halton")
    assert cell(board.charts["vacancy_rate"].frame, "Social Worker", "2012-09-30") == 6.9
    caseload = board.charts["caseload"].frame
    assert cell(caseload, "Average caseload", "2012-09-30") == 32.0
    assert cell(caseload, "Recommended caseload", "2012-09-30") == 23.0
    [comparison] = board.caseloads
    assert comparison.above
    assert comparison.group == "Social Worker (Children in Need Service)"


def test_halton_page_says_the_caseload_is_above_the_recommended(client, member):
    client.force_login(member)
    page = html(client.get(url("halton")))
    assert (
        "At 30/09/2012, Social Worker (Children in Need Service): average caseload 32, "
        "<strong>above</strong> the recommended caseload of 23."
    ) in page


def test_walsall_recommended_caseload_without_an_average_is_no_figure_not_zero(client, member):
    board = board_of("Walsall")
    caseload = board.charts["caseload"].frame
    assert math.isnan(cell(caseload, "Average caseload", "2010-08-31"))
    assert cell(caseload, "Recommended caseload", "2010-08-31") == 22.0
    assert board.caseloads == []  # nothing to compare
    client.force_login(member)
    page = html(client.get(url("walsall")))
    assert "no figure" in page


# ---------------------------------------------------------------------------------------
# Rules on small made-up data


@pytest.fixture
def roles(db) -> dict[str, Role]:
    return {
        "sw": Role.objects.create(name="Social Worker", short_name="SW"),
        "acm": Role.objects.create(name="Assessor Care Manager", short_name="ACM", qualified=False),
    }


def snapshot(authority, role, as_at=dt.date(2015, 3, 31), team=None, **figures):
    return WorkforceSnapshot.objects.create(
        authority=authority, role=role, team=team, as_at=as_at, **figures
    )


def test_agency_share_of_staff_in_post_and_the_permanent_agency_split(council_a, roles):
    # 79.5 FTE in post of whom 31 agency: 39.0% agency, printed 61:39.
    snapshot(council_a, roles["sw"], filled_fte=Decimal("79.5"), agency_fte=Decimal(31))
    board = frames.workforce_dashboard(council_a, include_notes=False, include_provisional=False)
    assert cell(board.charts["agency"].frame, "Agency staff", "2015-03-31") == 39.0
    [split] = board.agency_splits
    assert split.printed == "61:39"
    assert split.counts == ("79.5", "48.5", "31")


def test_a_whole_service_figure_is_not_added_to_its_own_teams(council_a, roles):
    team = Team.objects.create(authority=council_a, name="MASH")
    snapshot(council_a, roles["acm"], establishment_fte=10, filled_fte=8)
    snapshot(council_a, roles["acm"], team=team, establishment_fte=5, filled_fte=5)
    snapshot(council_a, roles["sw"], establishment_fte=30, filled_fte=27)
    frame = (
        frames.workforce_dashboard(council_a, include_notes=False, include_provisional=False)
        .charts["vacancy_rate"]
        .frame
    )
    assert cell(frame, "All roles reported", "2015-03-31") == 12.5  # 5 of 40, not 5 of 45
    assert cell(frame, "Assessor Care Manager", "2015-03-31") == 20.0
    assert cell(frame, "Social Worker", "2015-03-31") == 10.0


def test_a_role_without_a_service_row_adds_up_its_teams(council_a, roles):
    for name, establishment, filled in (("MASH", 4, 3), ("After Care", 6, 6)):
        team = Team.objects.create(authority=council_a, name=name)
        snapshot(
            council_a, roles["acm"], team=team, establishment_fte=establishment, filled_fte=filled
        )
    frame = (
        frames.workforce_dashboard(council_a, include_notes=False, include_provisional=False)
        .charts["vacancy_rate"]
        .frame
    )
    assert cell(frame, "Assessor Care Manager", "2015-03-31") == 10.0  # 1 of 10


# ---------------------------------------------------------------------------------------
# Who sees what


@pytest.fixture
def noted(council_a, roles):
    return snapshot(
        council_a,
        roles["sw"],
        establishment_fte=32,
        filled_fte=24,
        source="Workforce report",
        note=NOTE,
    )


@pytest.mark.parametrize("role", ["member", "officer_b"])
def test_member_and_other_councils_officer_see_figures_but_not_notes(client, users, noted, role):
    client.force_login(users[role])
    page = html(client.get(url(noted.authority)))
    assert "25.0" in page
    assert NOTE not in page
    assert reverse("workforce:list", kwargs={"council": noted.authority.slug}) not in page


@pytest.mark.parametrize("role", ["officer_a", "approver", "author", "admin"])
def test_councils_staff_see_the_notes_and_the_snapshot_list(client, users, noted, role):
    client.force_login(users[role])
    page = html(client.get(url(noted.authority)))
    assert NOTE in page
    assert reverse("workforce:list", kwargs={"council": noted.authority.slug}) in page


def test_anonymous_is_sent_to_sign_in(client, noted):
    response = client.get(url(noted.authority))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_dashboard_is_read_only(client, users, noted):
    client.force_login(users["officer_a"])
    assert client.post(url(noted.authority)).status_code == 405


def test_council_without_snapshots_says_so(client, users, council_b):
    client.force_login(users["member"])
    page = html(client.get(url(council_b)))
    assert "No workforce snapshots for Caerphilly yet." in page
    assert "No post costs for Caerphilly yet." in page


def test_unknown_council_is_404(client, users):
    client.force_login(users["member"])
    assert client.get(url("no-such-council")).status_code == 404


def test_the_snapshot_list_links_to_the_dashboard(client, users, noted):
    client.force_login(users["officer_a"])
    response = client.get(reverse("workforce:list", kwargs={"council": noted.authority.slug}))
    assert url(noted.authority) in html(response)


# ---------------------------------------------------------------------------------------
# Queries


def make_snapshots(authority, roles, count: int) -> None:
    teams = [Team.objects.create(authority=authority, name=f"Team {n}") for n in range(3)]
    for n in range(count):
        snapshot(
            authority,
            roles["sw" if n % 2 else "acm"],
            as_at=dt.date(2010, 3, 31) + dt.timedelta(days=30 * (n // 3)),
            team=teams[n % 3],
            establishment_fte=10,
            filled_fte=8,
            agency_fte=1,
            average_caseload=25,
            recommended_caseload=22,
            note=f"note {n}",
        )
    PostCost.objects.create(
        authority=authority,
        post_title="Assessor Care Manager",
        role=roles["acm"],
        grade="GR9",
        financial_year=2015,
        salary=27123,
        employer_ni=2441,
        superannuation=5777,
    )


def queries_for(client, authority) -> int:
    with CaptureQueriesContext(connection) as captured:
        html(client.get(url(authority)))
    return len(captured)


def test_the_same_queries_for_3_snapshots_as_for_30(client, users, council_a, council_b, roles):
    make_snapshots(council_a, roles, 3)
    make_snapshots(council_b, roles, 30)
    client.force_login(users["admin"])  # sees the notes too
    client.get(url(council_a))  # the session's first queries are not the page's
    few, many = queries_for(client, council_a), queries_for(client, council_b)
    assert few == many, (few, many)
