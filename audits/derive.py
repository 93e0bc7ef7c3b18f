"""Rules on audit figures: shares of cases by grade, children covered, and child protection
cases held by unqualified workers against the register.

Plain typed functions, no database access; they take grades and counts so that the same rule
serves an audit's stored cases and a paper's printed counts. The dashboard's rules (outcomes
of cases, recommendations open, overdue or done, a year's ACM share against its target) are
here too; audits/dashboard.py only fetches the rows they take.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy

from audits.models import AuditedCase, Grade, Recommendation
from indicators import codes
from indicators.derive import roll_up_stock, round_half_up, value_from_counts


def grade_counts(grades: Iterable[str]) -> dict[str, int]:
    """Cases per grade, every grade present (0 when none); ungraded cases are left out."""
    found = Counter(g for g in grades if g)
    return {grade: found.get(grade, 0) for grade in Grade.values}


def share_graded(
    grades: Iterable[str], grade: str = Grade.GOOD, decimals: int = 0
) -> Decimal | None:
    """The percentage of graded cases given `grade`: 18 good of 27 is 67%.

    Ungraded cases are not in the denominator (an audit that grades none has no share).
    """
    counts = grade_counts(grades)
    graded = sum(counts.values())
    return value_from_counts(Decimal(counts[grade]), Decimal(graded), "percent", decimals)


def children_covered(cases: Iterable[AuditedCase]) -> int:
    """Children in the audited cases: a case can cover siblings (seed 000's 'Case 5 and 6')."""
    return sum(case.children for case in cases)


def cp_cases_held_by_acm_share(
    held_by_acm: Decimal, on_register: Decimal, decimals: int = 2
) -> Decimal | None:
    """Children on the child protection register whose case an Assessor Care Manager holds,
    as a percentage of the register: 2 of 509 is 0.39%. None for an empty register."""
    return value_from_counts(held_by_acm, on_register, "percent", decimals)


# --- The audit dashboard (issue 4, item 4): aggregates only, never an audit's free text ---


class CaseOutcome(StrEnum):
    """Where one audited case falls: its grade, or, when the auditor gave none, what was
    recorded about compliance. Each case falls in exactly one, so the counts add up to the
    cases audited."""

    GOOD = Grade.GOOD.value
    REQUIRES_IMPROVEMENT = Grade.REQUIRES_IMPROVEMENT.value
    INADEQUATE = Grade.INADEQUATE.value
    COMPLIANT = "compliant"
    NOT_COMPLIANT = "not_compliant"
    NOT_RECORDED = "not_recorded"


OUTCOME_LABELS = {
    CaseOutcome.GOOD: Grade.GOOD.label,
    CaseOutcome.REQUIRES_IMPROVEMENT: Grade.REQUIRES_IMPROVEMENT.label,
    CaseOutcome.INADEQUATE: Grade.INADEQUATE.label,
    CaseOutcome.COMPLIANT: gettext_lazy("Not graded: compliant"),
    CaseOutcome.NOT_COMPLIANT: gettext_lazy("Not graded: not compliant"),
    CaseOutcome.NOT_RECORDED: gettext_lazy("Not graded, compliance not recorded"),
}


def case_outcome(grade: str, compliant: bool | None) -> CaseOutcome:
    """A graded case counts by its grade; an ungraded one by its compliance finding."""
    if grade:
        return CaseOutcome(grade)
    if compliant is None:
        return CaseOutcome.NOT_RECORDED
    return CaseOutcome.COMPLIANT if compliant else CaseOutcome.NOT_COMPLIANT


def outcome_counts(cases: Iterable[tuple[str, bool | None]]) -> dict[CaseOutcome, int]:
    """Cases per outcome, from (grade, compliant) pairs; every outcome present, in order."""
    found = Counter(case_outcome(grade, compliant) for grade, compliant in cases)
    return {outcome: found.get(outcome, 0) for outcome in CaseOutcome}


class RecommendationState(StrEnum):
    OPEN = "open"  # not done, and not yet due (or given no due date)
    OVERDUE = "overdue"
    DONE = "done"


def recommendation_state(
    status: str, due_date: dt.date | None, today: dt.date
) -> RecommendationState:
    """Done, overdue (not done and due before today), or open. A recommendation due today
    is not yet overdue; one in progress is open until its due date passes."""
    if status == Recommendation.Status.DONE:
        return RecommendationState.DONE
    if due_date is not None and due_date < today:
        return RecommendationState.OVERDUE
    return RecommendationState.OPEN


@dataclass(frozen=True)
class RecommendationCounts:
    open: int = 0
    overdue: int = 0
    done: int = 0

    @property
    def total(self) -> int:
        return self.open + self.overdue + self.done

    def __add__(self, other: RecommendationCounts) -> RecommendationCounts:
        return RecommendationCounts(
            self.open + other.open, self.overdue + other.overdue, self.done + other.done
        )


def recommendation_counts(
    recommendations: Iterable[tuple[str, dt.date | None]], today: dt.date
) -> RecommendationCounts:
    """Open, overdue and done among (status, due date) pairs, as at `today` (passed in, so
    that a paper or a test can say which day it counts at)."""
    found = Counter(recommendation_state(status, due, today) for status, due in recommendations)
    return RecommendationCounts(
        open=found[RecommendationState.OPEN],
        overdue=found[RecommendationState.OVERDUE],
        done=found[RecommendationState.DONE],
    )


class TargetStatus(StrEnum):
    WITHIN = "within"
    ABOVE = "above"
    NONE = "none"  # no figure or no target to compare


def against_ceiling(value: Decimal | None, ceiling: Decimal | None, decimals: int) -> TargetStatus:
    """A target that is a maximum ("at most 1% of the register held by ACMs"): the figure as
    printed (rounded half up to `decimals`) is within it when no greater, else above it."""
    if value is None or ceiling is None:
        return TargetStatus.NONE
    if round_half_up(value, decimals) <= ceiling:
        return TargetStatus.WITHIN
    return TargetStatus.ABOVE


@dataclass(frozen=True)
class RegisterFigure:
    """One stored figure of the share of the child protection register held by ACMs: at a
    date (or a quarter's end), or for a whole financial year."""

    period_code: str
    label: str
    end: dt.date
    financial_year: int
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    withheld: str = ""
    provisional: bool = False


@dataclass(frozen=True)
class YearAgainstTarget:
    financial_year: int
    figures: list[RegisterFigure]  # the figures at dates within the year, in date order
    year_figure: RegisterFigure | None  # the one the year is judged by
    from_annual: bool  # True when that is the year's own stored figure
    value: Decimal | None
    target: Decimal | None
    status: TargetStatus

    @property
    def label(self) -> str:
        """As a paper prints it: 2014/15."""
        return codes.financial_year_code(self.financial_year).replace("-", "/")

    @property
    def has_provisional(self) -> bool:
        return any(f.provisional for f in self.figures) or bool(
            self.year_figure and self.year_figure.provisional
        )


def share_of_register(figure: RegisterFigure, decimals: int = 2) -> Decimal | None:
    """The figure's value as stored, or as its counts imply (seed 000 prints "0 out of 449"
    with no percentage); None when withheld."""
    if figure.withheld:
        return None
    if figure.value is not None:
        return figure.value
    if figure.numerator is None or figure.denominator is None:
        return None
    return cp_cases_held_by_acm_share(figure.numerator, figure.denominator, decimals)


def years_against_target(
    at_dates: Iterable[RegisterFigure],
    annual: Iterable[RegisterFigure],
    targets: dict[int, Decimal],
    decimals: int = 2,
) -> list[YearAgainstTarget]:
    """Each financial year's figures held against its target, oldest year first.

    Why the latest and not the highest: the share is a stock (children on the register at
    a date), and a stock's year is its value at the year's end (DOMAIN.md; indicators.
    derive.roll_up_stock), never the mean of its dates nor its worst one. Judging by the
    highest would make one busy quarter decide the year, which is not how the annual
    target is reported; the page lists every date's figure beside the year's, so a
    quarter above the line is still seen. In a year not yet over the latest figure so far
    stands, and the page names its date. Where the year's own figure is stored (an annual
    return), it is used instead.
    """
    by_year: dict[int, list[RegisterFigure]] = {}
    for figure in sorted(at_dates, key=lambda f: f.end):
        by_year.setdefault(figure.financial_year, []).append(figure)
    annual_by_year = {figure.financial_year: figure for figure in annual}
    years = sorted(set(by_year) | set(annual_by_year) | set(targets))
    rows = []
    for year in years:
        figures = by_year.get(year, [])
        year_figure = annual_by_year.get(year)
        from_annual = year_figure is not None
        if year_figure is None:
            year_figure = roll_up_stock(figures)  # type: ignore[arg-type,assignment]
        value = share_of_register(year_figure, decimals) if year_figure else None
        target = targets.get(year)
        rows.append(
            YearAgainstTarget(
                financial_year=year,
                figures=figures,
                year_figure=year_figure,
                from_annual=from_annual,
                value=value,
                target=target,
                status=against_ceiling(value, target, decimals),
            )
        )
    return rows
