"""A quarterly return's life: saved, submitted, approved, locked, reopened, restored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from indicators import workflow
from indicators.models import Observation, QuarterlyReturn, YearLock
from tests.conftest import RCT_ALLOCATIONS as COUNTS


@pytest.fixture
def definitions(db):
    call_command("load_indicators", verbosity=0)


@pytest.fixture
def draft(users, council_a, definitions):
    ret = workflow.return_for(council_a, workflow.quarter_period("2015-16 Q1"), "allocations")
    return workflow.save_return(ret, COUNTS, user=users["officer_a"], expected_version=0)


def figure(council, code, period):
    return Observation.objects.get(
        authority=council, indicator__normalised_code=code, period__code=period
    )


def test_saving_a_return_writes_provisional_derived_figures(draft, council_a):
    quarter = figure(council_a, "SCC013AII", "2015-16 Q1")
    assert (quarter.value, quarter.numerator, quarter.denominator) == (D("63.29"), 393, 621)
    assert quarter.status == "provisional"
    year = figure(council_a, "SCC013AII", "2015-16")
    assert year.value == D("63.29") and year.note == "Year to date: Q1"
    assert figure(council_a, "LOOKED_AFTER_CHILDREN", "2015-16 Q1").value == 621


def test_approval_makes_the_quarter_final_and_locks_the_return(draft, users, council_a):
    workflow.submit_return(draft, user=users["officer_a"], expected_version=1)
    workflow.approve_return(draft, user=users["approver"], expected_version=2)
    assert figure(council_a, "SCC013AII", "2015-16 Q1").status == "final"
    assert figure(council_a, "SCC013AII", "2015-16").status == "provisional"  # Q1 only
    with pytest.raises(workflow.ReturnError, match="approved and locked"):
        workflow.save_return(draft, COUNTS, user=users["officer_a"], expected_version=3)


def test_an_officer_cannot_approve_and_another_councils_officer_cannot_edit(draft, users):
    workflow.submit_return(draft, user=users["officer_a"], expected_version=1)
    with pytest.raises(workflow.NotAllowed):
        workflow.approve_return(draft, user=users["officer_a"], expected_version=2)
    with pytest.raises(workflow.NotAllowed):
        workflow.save_return(draft, COUNTS, user=users["officer_b"], expected_version=2)
    with pytest.raises(workflow.NotAllowed):
        workflow.save_return(draft, COUNTS, user=users["member"], expected_version=2)


def test_reopening_needs_a_reason_and_is_recorded(draft, users):
    workflow.submit_return(draft, user=users["officer_a"], expected_version=1)
    workflow.approve_return(draft, user=users["approver"], expected_version=2)
    with pytest.raises(workflow.ReturnError, match="reason"):
        workflow.reopen_return(draft, user=users["approver"], reason=" ", expected_version=3)
    workflow.reopen_return(
        draft, user=users["approver"], reason="LAC count corrected", expected_version=3
    )
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.history.first().history_change_reason == "reopened: LAC count corrected"


def test_the_second_of_two_concurrent_saves_is_refused_with_what_changed(draft, users):
    mine = QuarterlyReturn.objects.get(pk=draft.pk)
    theirs = QuarterlyReturn.objects.get(pk=draft.pk)
    workflow.save_return(
        theirs, {**COUNTS, "lac_social_worker": 394}, user=users["approver"], expected_version=1
    )
    with pytest.raises(workflow.StaleReturn) as refused:
        workflow.save_return(
            mine, {**COUNTS, "cp_open": 450}, user=users["officer_a"], expected_version=1
        )
    assert refused.value.changes == [("lac_social_worker", 393, 394)]
    stored = QuarterlyReturn.objects.get(pk=draft.pk)
    assert stored.figures["lac_social_worker"] == 394 and stored.figures["cp_open"] == 449


def test_a_locked_year_refuses_changes(draft, users, council_a):
    YearLock.objects.create(authority=council_a, financial_year=2015)
    with pytest.raises(workflow.ReturnError, match="2015-16 is locked"):
        workflow.save_return(draft, COUNTS, user=users["officer_a"], expected_version=1)


def test_no_returns_for_future_periods(users, council_a, definitions):
    ret = workflow.return_for(council_a, workflow.quarter_period("2099-00 Q1"), "allocations")
    with pytest.raises(workflow.ReturnError, match="future"):
        workflow.save_return(ret, COUNTS, user=users["officer_a"], expected_version=0)


def test_a_return_is_for_a_quarter():
    with pytest.raises(workflow.ReturnError, match="quarter"):
        workflow.quarter_period("2015-16")


def test_year_to_date_referrals_sum_counts(users, council_a, definitions):
    quarters = {
        "2015-16 Q1": (10, 9, 0),
        "2015-16 Q2": (300, 150, 100),
    }
    for code, (referrals, to_sw, to_other) in quarters.items():
        ret = workflow.return_for(council_a, workflow.quarter_period(code), "referrals")
        counts = {
            "referrals": referrals,
            "referrals_social_worker": to_sw,
            "referrals_other": to_other,
            "assessments": 10,
            "seen": 5,
            "seen_alone": 1,
        }
        workflow.save_return(ret, counts, user=users["officer_a"], expected_version=0)
    year = figure(council_a, "SCC007A", "2015-16")
    assert (year.numerator, year.denominator, year.value) == (159, 310, D(51))
    assert year.note == "Year to date: Q1, Q2"


def test_an_administrator_restores_an_earlier_value_and_the_restore_is_recorded(
    draft, users, council_a
):
    workflow.save_return(
        draft, {**COUNTS, "lac_social_worker": 394}, user=users["officer_a"], expected_version=1
    )
    obs = figure(council_a, "SCC013AII", "2015-16 Q1")
    assert obs.value == D("63.45")
    first = obs.history.order_by("history_date").first()
    with pytest.raises(workflow.NotAllowed):
        workflow.restore_observation(obs, first.history_id, user=users["officer_a"])
    workflow.restore_observation(obs, first.history_id, user=users["admin"])
    obs.refresh_from_db()
    assert obs.value == D("63.29")
    assert obs.history.first().history_change_reason.startswith("restored the version of")
    assert obs.history.count() == 3


def test_last_quarter_and_last_year_are_offered_beside_the_inputs(draft, users, council_a):
    next_q = workflow.return_for(council_a, workflow.quarter_period("2015-16 Q2"), "allocations")
    last_quarter, last_year = workflow.neighbouring_figures(next_q)
    assert last_quarter["lac_open"] == 621 and last_year == {}
    assert dt.date.today() > next_q.period.start_date
