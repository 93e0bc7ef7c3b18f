"""A council's page: latest figures, the comparator, the direction of travel in words."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from council_reports.accounts import provision_user
from indicators import workflow
from tests.conftest import PASSWORD


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
    response = client.get("/councils/rhondda-cynon-taf/")
    assert response.status_code == 200
    row = row_text(response, "SCC/013aii")
    assert "2014/15" in row
    assert "63.28%" in row
    assert "96.00%" in row
    assert "32.72 below" in row
    assert "declining" in row and "since 2013/14" in row


def test_members_see_final_figures_only_and_staff_see_provisional_ones(client, member):
    officer = provision_user("rct.o", "officer", ["Rhondda Cynon Taf"], PASSWORD)[0]
    ret = workflow.return_for(
        officer.authorities.get(), workflow.quarter_period("2015-16 Q1"), "allocations"
    )
    counts = {
        "cp_open": 449,
        "cp_social_worker": 447,
        "cp_other": 2,
        "lac_open": 621,
        "lac_social_worker": 393,
        "lac_other": 227,
        "cin_open": 1588,
        "cin_social_worker": 1077,
        "cin_other": 365,
    }
    workflow.save_return(ret, counts, user=officer, expected_version=0)

    client.force_login(officer)
    staff_view = row_text(client.get("/councils/rhondda-cynon-taf/"), "SCC/013aii")
    assert "63.29%" in staff_view and "Provisional" in staff_view

    client.force_login(member)
    member_view = row_text(client.get("/councils/rhondda-cynon-taf/"), "SCC/013aii")
    assert "63.28%" in member_view and "Provisional" not in member_view


def test_the_page_needs_a_fixed_number_of_queries(client, member):
    client.force_login(member)
    with CaptureQueriesContext(connection) as few:
        client.get("/councils/caerphilly/")
    with CaptureQueriesContext(connection) as many:
        client.get("/councils/rhondda-cynon-taf/")
    assert len(many) == len(few)


def test_an_unknown_council_is_404(client, member):
    client.force_login(member)
    assert client.get("/councils/atlantis/").status_code == 404


def test_the_seed_tables_five_years_are_financial_years_not_months(demo):
    from indicators.models import Observation

    periods = Observation.objects.filter(
        authority__slug="rhondda-cynon-taf", indicator__code="SCC/013aii"
    ).values_list("period__code", "period__kind", "period__start_date__month")
    assert sorted(periods) == [
        (code, "year", 4) for code in ["2010-11", "2011-12", "2012-13", "2013-14", "2014-15"]
    ]
