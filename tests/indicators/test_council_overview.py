"""A council's page: latest figures, the comparator, the direction of travel in words."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from council_reports.accounts import provision_user
from indicators import workflow
from indicators.models import (
    ComparatorKind,
    NeighbourMembership,
    Period,
    Polarity,
    Statistic,
    Theme,
)
from tests.conftest import PASSWORD, RCT_ALLOCATIONS
from tests.factories import (
    AuthorityFactory,
    ComparatorFactory,
    IndicatorFactory,
    NeighbourGroupFactory,
    ObservationFactory,
    RegionFactory,
    TargetFactory,
)
from tests.indicators.test_figure_views import figure_data, new_url


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def member(demo):
    return provision_user("councillor", "member", [], PASSWORD)[0]


def row_text(response, code):
    html = response.content.decode()
    start = html.index(f'<span class="code">{code}</span>')
    return html[start : html.index("</tr>", start)]


def test_rct_shows_lac_allocation_declining_and_below_the_wales_average(client, member):
    client.force_login(member)
    response = client.get("/councils/rhondda-cynon-taf/", {"comparators": "wales-average"})
    assert response.status_code == 200
    row = row_text(response, "SCC/013aii")
    assert "2014/15" in row
    assert "63.28%" in row
    assert "96.00%" in row
    assert "32.72 below: worse" in row
    assert "declining" in row and "from 68.70% in 2013/14" in row
    # The sparkline is hidden from screen readers, which read its figures instead.
    assert 'class="sparkline"' in row and 'aria-hidden="true"' in row
    assert (
        "Trend: 2010/11: 75.83; 2011/12: 71.60; 2012/13: 69.80; 2013/14: 68.70; 2014/15: 63.28"
        in row
    )


def test_a_figure_within_the_councils_target_says_so_in_words(client, member):
    client.force_login(member)
    response = client.get("/councils/rhondda-cynon-taf/", {"comparators": "wales-average,target"})
    html = response.content.decode()
    start = html.index("Children on the child protection register allocated to an Assessor")
    row = html[start : html.index("</tr>", start)]
    # 0 of 449 at 31 March 2015 against the year's target of at most 1%.
    assert "0.00%" in row and "0 of 449" in row
    assert "On target" in row and "target 1.00% (2014/15)" in row
    assert "no target" in row_text(response, "SCC/013aii")


def test_themes_come_in_the_order_a_paper_takes_them(client, member):
    client.force_login(member)
    html = client.get("/councils/rhondda-cynon-taf/").content.decode()
    themes = re.findall(r'<h2 id="theme-([a-z_]+)">', html)
    assert themes[:3] == ["allocations", "referrals", "child_protection"]
    assert themes == sorted(themes, key=list(Theme.values).index)


@pytest.fixture
def small_council(db):
    """A council with a figure on 3 of 4 cases, one on 393 of 621, targets and neighbours."""
    council = AuthorityFactory(name="Smallshire")
    ComparatorFactory(name="Wales average")
    small = IndicatorFactory(code="SCC/900a", polarity=Polarity.HIGHER)
    large = IndicatorFactory(code="SCC/901a", polarity=Polarity.LOWER)
    ObservationFactory(authority=council, indicator=small, numerator=3, denominator=4, value=75)
    ObservationFactory(authority=council, indicator=large)
    return council


def test_a_figure_on_few_cases_carries_a_caution(client, small_council, users):
    client.force_login(users["member"])
    response = client.get("/councils/smallshire/")
    assert "based on 4 cases" in row_text(response, "SCC/900a")
    assert "based on" not in row_text(response, "SCC/901a")


def test_gaps_to_each_chosen_comparator_including_the_neighbours(client, users, db):
    council, comparators = _council_with_everything(indicators=1)
    client.force_login(users["member"])
    response = client.get(
        f"/councils/{council.slug}/", {"comparators": "wales-average,sn-mean,sn-median,target"}
    )
    row = row_text(response, "SCC/800a")
    # The council has 60.00 (higher is better); Wales 70.00; neighbours 50.00 and 80.00.
    assert "10.00 below: worse" in row  # Wales average
    assert row.count("65.00%") == 2 and "5.00 below: worse" in row  # mean and median
    assert "Off target" in row and "target 75.00% (2014/15)" in row


def test_the_choice_of_comparators_is_kept_for_the_next_page_and_visit(client, member):
    client.force_login(member)
    client.get("/councils/rhondda-cynon-taf/", {"comparators": "target"})
    member.refresh_from_db()
    assert member.comparators == ["target"]
    # A bare URL uses it, links carry it, and the indicator pages use it too.
    html = client.get("/councils/rhondda-cynon-taf/").content.decode()
    assert "Wales average</th>" not in html and "Against target" in html
    assert "/indicators/scc013aii/?comparators=target" in html
    page = client.get("/councils/rhondda-cynon-taf/indicators/scc013aii/").content.decode()
    assert 'data-canonical-query="comparators="' in page  # no target for SCC/013aii


def _council_with_everything(indicators: int, first_code: int = 800, years: int = 6):
    """A Welsh council with `indicators` indicators over `years` years (from 2009-10), each
    with a national figure, a target and two statistical neighbours' figures."""
    council = AuthorityFactory(name=f"Everyshire {indicators}")
    wales = ComparatorFactory(name="Wales average")
    group = NeighbourGroupFactory(authority=council)
    ComparatorFactory(
        name=f"{council.name} neighbours (mean)",
        kind=ComparatorKind.NEIGHBOURS,
        statistic=Statistic.MEAN,
        neighbour_group=group,
    )
    ComparatorFactory(
        name=f"{council.name} neighbours (median)",
        kind=ComparatorKind.NEIGHBOURS,
        statistic=Statistic.MEDIAN,
        neighbour_group=group,
    )
    neighbours = [AuthorityFactory(), AuthorityFactory()]
    for rank, neighbour in enumerate(neighbours, start=1):
        NeighbourMembership.objects.create(group=group, neighbour=neighbour, rank=rank)
    for i in range(indicators):
        indicator = IndicatorFactory(code=f"SCC/{first_code + i}a")
        for year in range(2009, 2009 + years):
            period = Period.objects.for_code(f"{year}-{str(year + 1)[2:]}")
            figure = {
                "indicator": indicator,
                "period": period,
                "numerator": None,
                "denominator": None,
            }
            ObservationFactory(authority=council, value=60, **figure)
            ObservationFactory(authority=None, comparator=wales, value=70, **figure)
            ObservationFactory(authority=neighbours[0], value=50, **figure)
            ObservationFactory(authority=neighbours[1], value=80, **figure)
        TargetFactory(authority=council, indicator=indicator, period=period, value=75)
    return council, wales


def test_members_see_final_figures_only_and_staff_see_provisional_ones(client, member):
    officer = provision_user("rct.o", "officer", ["Rhondda Cynon Taf"], PASSWORD)[0]
    ret = workflow.return_for(
        officer.authorities.get(), workflow.quarter_period("2015-16 Q1"), "allocations"
    )
    counts = dict(RCT_ALLOCATIONS)
    workflow.save_return(ret, counts, user=officer, expected_version=0)

    client.force_login(officer)
    staff_view = row_text(client.get("/councils/rhondda-cynon-taf/"), "SCC/013aii")
    assert "63.29%" in staff_view and "Provisional" in staff_view

    client.force_login(member)
    member_view = row_text(client.get("/councils/rhondda-cynon-taf/"), "SCC/013aii")
    assert "63.28%" in member_view and "Provisional" not in member_view


def test_the_overview_needs_the_same_queries_for_2_indicators_as_for_25(client, users, db):
    few, _wales = _council_with_everything(indicators=2, first_code=100)
    many, _wales = _council_with_everything(indicators=25, first_code=200)
    client.force_login(users["member"])
    everything = {"comparators": "wales-average,sn-mean,sn-median,target"}

    def queries(council):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/councils/{council.slug}/", everything)
        assert response.status_code == 200
        return len(captured)

    queries(few)  # the first request saves the choice on the user
    assert queries(many) == queries(few) <= 12


def _queries(client, path, data=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, data)
    assert response.status_code == 200
    return len(captured), response.text


@pytest.mark.django_db(transaction=True)
def test_cached_tables_need_the_same_few_queries_whatever_the_figures_stored(client, users):
    """Committed figures, as in production: the first request draws the tables (a fixed
    number of queries, whether 2 indicators over 3 years or 25 over 13), the next ones take
    them from the cache (fewer still, the same again)."""
    few, _wales = _council_with_everything(indicators=2, first_code=100, years=3)
    many, _wales = _council_with_everything(indicators=25, first_code=200, years=13)
    member = users["member"]
    member.comparators = ["wales-average", "sn-mean", "sn-median", "target"]
    member.save()  # as saved by an earlier visit: saving the choice is not part of the count
    client.force_login(member)
    everything = {"comparators": ",".join(member.comparators)}

    drawn_few, _ = _queries(client, f"/councils/{few.slug}/", everything)
    drawn_many, page = _queries(client, f"/councils/{many.slug}/", everything)
    cached_few, _ = _queries(client, f"/councils/{few.slug}/", everything)
    cached_many, cached_page = _queries(client, f"/councils/{many.slug}/", everything)

    assert drawn_few == drawn_many <= 12
    assert cached_few == cached_many < drawn_many
    tables = slice(page.index("<table"), page.rindex("</table>"))
    assert cached_page[tables] == page[tables]  # the rest holds a fresh CSRF token each time
    assert "2021/22" in page  # the 13th year is there


@pytest.mark.django_db(transaction=True)
def test_a_cached_overview_reads_only_the_session_the_user_and_the_figures_version(client):
    """The council, its comparators and the tables all come from the cache: what is left
    for the database is the member's session and user, and the token saying whether figures
    changed. (Members' load on the overview, bench/load.py, is mostly these views.)"""
    council, _wales = _council_with_everything(indicators=3)
    council.region = RegionFactory(name="South Wales", nation="wales")
    council.save()
    member = provision_user("councillor", "member", [], PASSWORD)[0]
    member.comparators = ["wales-average", "sn-mean", "sn-median", "target"]
    member.save()
    client.force_login(member)
    path = f"/councils/{council.slug}/"
    drawn, page = _queries(client, path)

    with CaptureQueriesContext(connection) as captured:
        cached_page = client.get(path).text
    tables = [re.search(r'FROM "(\w+)"', query["sql"]).group(1) for query in captured]
    assert tables == ["django_session", "council_reports_user", "indicators_figuresversion"]
    assert len(tables) < drawn
    # The same page: the council's name and region, every comparator offered and chosen.
    heading = slice(page.index("<h1>"), page.index("</form>"))
    assert cached_page[heading] == page[heading]
    assert 'id="comparator-target" checked' in cached_page
    assert "<p>Wales, South Wales" in cached_page


@pytest.fixture
def lac_2014_15(council_a, lac_allocated):
    """Rhondda Cynon Taf's SCC/013aii for 2014-15, as published: 63.28% (393 of 621)."""
    return ObservationFactory(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2014-15"),
        numerator=393,
        denominator=621,
        value=63.28,
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_target_and_a_renamed_council_show_on_the_next_view_of_a_cached_page(
    client, users, council_a, lac_allocated, lac_2014_15
):
    client.force_login(users["member"])
    path = f"/councils/{council_a.slug}/"
    client.get(path)
    page = client.get(path).text  # from the cache
    assert 'id="comparator-target"' not in page  # no targets, so none offered

    TargetFactory(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2014-15"),
        value=70,
    )
    council_a.name = "Rhondda Cynon Taff"
    council_a.save()

    page = client.get(path).text
    assert 'id="comparator-target"' in page
    assert "<h1>Rhondda Cynon Taff</h1>" in page


@pytest.mark.django_db(transaction=True)
def test_a_figure_entered_by_an_approver_shows_on_the_next_view_of_a_cached_page(
    client, users, council_a, lac_2014_15
):
    from indicators.caching import current_version

    client.force_login(users["member"])
    path = f"/councils/{council_a.slug}/"
    assert "63.28%" in client.get(path).text
    assert "63.28%" in client.get(path).text  # from the cache
    version = current_version()

    # The approver's figures are final at once: members see them.
    client.force_login(users["approver"])
    entered = client.post(
        new_url(council_a), figure_data(period="2015-16", numerator="400", confirm="yes")
    )
    assert entered.status_code == 302
    assert current_version() != version

    client.force_login(users["member"])
    row = row_text(client.get(path), "SCC/013aii")
    assert "64.41%" in row and "2015/16" in row and "from 63.28% in 2014/15" in row


@pytest.mark.django_db(transaction=True)
def test_an_import_retires_the_cached_pages(client, users, council_a, lac_2014_15, tmp_path):
    client.force_login(users["member"])
    path = f"/councils/{council_a.slug}/"
    assert "63.28%" in client.get(path).text
    csv = tmp_path / "figures.csv"
    csv.write_text("authority,indicator,period,value\nRhondda Cynon Taf,SCC/013aii,2014-15,61.5\n")
    call_command("import_observations", str(csv), stdout=io.StringIO())

    row = row_text(client.get(path), "SCC/013aii")
    assert "61.50%" in row and "63.28%" not in row


@pytest.mark.django_db(transaction=True)
def test_members_and_staff_are_never_given_each_others_cached_tables(
    client, users, council_a, lac_allocated, lac_2014_15
):
    ObservationFactory(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2015-16"),
        value=70,
        status="provisional",
    )
    path = f"/councils/{council_a.slug}/"
    for user, shown, hidden in (
        ("member", "63.28%", "70.00%"),
        ("officer_a", "70.00%", "63.28%"),
        ("member", "63.28%", "70.00%"),
        ("officer_a", "70.00%", "63.28%"),
    ):
        client.force_login(users[user])
        latest = row_text(client.get(path), "SCC/013aii").split("</td>")[0]
        assert shown in latest and hidden not in latest, user


@pytest.mark.django_db(transaction=True)
def test_figures_not_yet_committed_are_never_cached_and_a_rollback_leaves_the_cache_alone(
    client, users, council_a, lac_allocated, lac_2014_15
):
    from django.db import transaction

    from indicators.caching import current_version

    client.force_login(users["member"])
    path = f"/councils/{council_a.slug}/"
    version = current_version()

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        observation = lac_allocated.observations.get()
        observation.value = 99
        observation.save()
        # This connection sees its own change, drawn afresh rather than from (or into) the cache.
        assert "99.00%" in client.get(path).text
        raise Abandoned

    assert current_version() == version
    assert "63.28%" in client.get(path).text  # drawn, and cached
    assert "63.28%" in client.get(path).text  # from the cache
