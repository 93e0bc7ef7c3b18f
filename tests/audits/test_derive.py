import datetime as dt
from decimal import Decimal

from audits import derive
from audits.derive import CaseOutcome, RecommendationState, RegisterFigure, TargetStatus
from audits.models import AuditedCase

HEREFORDSHIRE_MASH = ["good"] * 18 + ["requires_improvement"] * 8 + ["inadequate"]


def test_grade_counts_name_every_grade():
    assert derive.grade_counts(["good", "good", ""]) == {
        "good": 2,
        "requires_improvement": 0,
        "inadequate": 0,
    }


def test_share_graded_good_is_18_of_27_or_67_percent():
    assert derive.share_graded(HEREFORDSHIRE_MASH) == Decimal(67)
    assert derive.share_graded(HEREFORDSHIRE_MASH, "requires_improvement") == Decimal(30)
    assert derive.share_graded(HEREFORDSHIRE_MASH, "inadequate", decimals=1) == Decimal("3.7")


def test_ungraded_cases_are_not_in_the_denominator():
    assert derive.share_graded(["good", "", "inadequate"]) == Decimal(50)
    assert derive.share_graded(["", ""]) is None


def test_children_covered_counts_siblings_in_one_case():
    cases = [AuditedCase(reference=f"Case {n}") for n in range(1, 5)]
    cases.append(AuditedCase(reference="Case 5 and 6", children=2))
    assert derive.children_covered(cases) == 6  # "6 children from 5 families"


def test_cp_cases_held_by_acms_as_a_share_of_the_register():
    # Seed 000, appendix 2: the four quarter ends of 2014-15.
    quarters = [(2, 509, "0.39"), (3, 519, "0.58"), (1, 528, "0.19"), (0, 449, "0.00")]
    for held, register, printed in quarters:
        share = derive.cp_cases_held_by_acm_share(Decimal(held), Decimal(register))
        assert share == Decimal(printed)
    assert derive.cp_cases_held_by_acm_share(Decimal(0), Decimal(0)) is None


# ---------------------------------------------------------------------------------------
# The audit dashboard's rules (issue 4, item 4)


def test_a_graded_case_counts_by_grade_an_ungraded_one_by_compliance():
    assert derive.case_outcome("good", False) == CaseOutcome.GOOD
    assert derive.case_outcome("", True) == CaseOutcome.COMPLIANT
    assert derive.case_outcome("", False) == CaseOutcome.NOT_COMPLIANT
    assert derive.case_outcome("", None) == CaseOutcome.NOT_RECORDED


def test_outcome_counts_add_up_to_the_cases_audited():
    cases = [("good", None)] * 18 + [("requires_improvement", None)] * 8
    cases += [("inadequate", None), ("", True), ("", None)]
    counts = derive.outcome_counts(cases)
    assert list(counts) == list(CaseOutcome)
    assert counts == {
        CaseOutcome.GOOD: 18,
        CaseOutcome.REQUIRES_IMPROVEMENT: 8,
        CaseOutcome.INADEQUATE: 1,
        CaseOutcome.COMPLIANT: 1,
        CaseOutcome.NOT_COMPLIANT: 0,
        CaseOutcome.NOT_RECORDED: 1,
    }
    assert sum(counts.values()) == len(cases)


def test_overdue_is_not_done_and_due_before_the_given_day():
    today = dt.date(2015, 7, 1)
    state = derive.recommendation_state
    assert state("open", dt.date(2015, 6, 30), today) == RecommendationState.OVERDUE
    assert state("in_progress", dt.date(2015, 6, 30), today) == RecommendationState.OVERDUE
    assert state("open", today, today) == RecommendationState.OPEN  # due today: not yet
    assert state("open", None, today) == RecommendationState.OPEN
    assert state("done", dt.date(2015, 1, 1), today) == RecommendationState.DONE
    counts = derive.recommendation_counts(
        [("open", dt.date(2015, 6, 30)), ("in_progress", None), ("done", None)], today
    )
    assert (counts.open, counts.overdue, counts.done, counts.total) == (1, 1, 1, 3)
    assert (counts + counts).total == 6


def test_the_same_recommendation_is_open_before_its_due_date_and_overdue_after():
    recommendations = [("open", dt.date(2015, 9, 30))]
    assert derive.recommendation_counts(recommendations, dt.date(2015, 9, 30)).overdue == 0
    assert derive.recommendation_counts(recommendations, dt.date(2015, 10, 1)).overdue == 1


def _at(date: str, held: int | None, register: int | None, value: str | None = None):
    end = dt.date.fromisoformat(date)
    year = end.year if end.month >= 4 else end.year - 1
    return RegisterFigure(
        period_code=date,
        label=end.strftime("%d/%m/%Y"),
        end=end,
        financial_year=year,
        numerator=None if held is None else Decimal(held),
        denominator=None if register is None else Decimal(register),
        value=None if value is None else Decimal(value),
    )


# Seed 000, appendix 2; the paper prints no percentage for 31/03/2015.
RCT_2014_15 = [
    _at("2014-06-30", 2, 509, "0.39"),
    _at("2014-09-30", 3, 519, "0.58"),
    _at("2014-12-31", 1, 528, "0.19"),
    _at("2015-03-31", 0, 449),
]


def test_a_stock_year_is_judged_by_its_latest_figure_against_a_ceiling():
    # Given out of order: the rule orders by date, and the year is its end, 0 of 449.
    (year,) = derive.years_against_target(reversed(RCT_2014_15), [], {2014: Decimal(1)}, decimals=2)
    assert year.label == "2014/15"
    assert [f.label for f in year.figures] == [
        "30/06/2014",
        "30/09/2014",
        "31/12/2014",
        "31/03/2015",
    ]
    assert year.year_figure.label == "31/03/2015" and not year.from_annual
    assert year.value == Decimal("0.00")  # derived from 0 of 449
    assert year.status == TargetStatus.WITHIN


def test_a_years_own_stored_figure_is_used_when_there_is_one():
    annual = _at("2015-03-31", None, None, "1.20")
    (year,) = derive.years_against_target(RCT_2014_15, [annual], {2014: Decimal(1)})
    assert year.from_annual and year.value == Decimal("1.20")
    assert year.status == TargetStatus.ABOVE
    assert len(year.figures) == 4  # the dates are still listed


def test_against_ceiling_compares_the_figure_as_printed():
    assert derive.against_ceiling(Decimal("1.004"), Decimal(1), 2) == TargetStatus.WITHIN
    assert derive.against_ceiling(Decimal("1.00"), Decimal(1), 2) == TargetStatus.WITHIN
    assert derive.against_ceiling(Decimal("1.005"), Decimal(1), 2) == TargetStatus.ABOVE
    assert derive.against_ceiling(None, Decimal(1), 2) == TargetStatus.NONE
    assert derive.against_ceiling(Decimal("0.5"), None, 2) == TargetStatus.NONE


def test_a_year_with_a_target_and_no_figures_has_nothing_to_compare():
    rows = derive.years_against_target(RCT_2014_15, [], {2014: Decimal(1), 2015: Decimal(1)})
    assert [(r.label, r.status) for r in rows] == [
        ("2014/15", TargetStatus.WITHIN),
        ("2015/16", TargetStatus.NONE),
    ]
