"""The audit dashboard's figures for one council: how its audited cases were graded, its
recommendations open, overdue or done, and the share of its child protection register held
by Assessor Care Managers against the target.

Aggregates only. Nothing here reads an audit's free text (its summary, the cases' findings
and meetings, the recommendations' actions and notes): the rows are fetched with `values_list`
of the columns the counts need, so the text never leaves the database, and members, who may
not read it, may read this.

A fixed number of queries whatever the number of audits, cases and recommendations: the
audits (1), their cases (1), their recommendations (1), the indicator (1), its observations
(1) and targets (1). The rules applied to the rows are in audits/derive.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext as _

from audits import derive
from audits.models import AuditedCase, CaseAudit, Recommendation
from indicators.frames import COLUMNS, tidy_row
from indicators.models import Authority, Indicator, Observation, PeriodKind, Target

# The local indicator the ACM audit reports (fixtures/indicators/local.toml).
ACM_INDICATOR = "cp_cases_held_by_acm"
TARGET_SLUG = "target"


@dataclass(frozen=True)
class AuditFigures:
    """One audit as the dashboard shows it: title and dates, and counts. No free text."""

    pk: int
    title: str
    audit_date: dt.date | None
    period_label: str
    outcomes: dict[derive.CaseOutcome, int]
    share_good: Decimal | None
    recommendations: derive.RecommendationCounts

    @property
    def cases(self) -> int:
        return sum(self.outcomes.values())

    @property
    def graded(self) -> int:
        return sum(self.outcomes[o] for o in GRADES)

    @property
    def good(self) -> int:
        return self.outcomes[derive.CaseOutcome.GOOD]

    @property
    def outcome_rows(self) -> list[tuple[str, int]]:
        return [(str(derive.OUTCOME_LABELS[o]), n) for o, n in self.outcomes.items()]


GRADES = (
    derive.CaseOutcome.GOOD,
    derive.CaseOutcome.REQUIRES_IMPROVEMENT,
    derive.CaseOutcome.INADEQUATE,
)


@dataclass
class AcmFigures:
    """The share of the register held by ACMs: the indicator (None when not loaded), each
    financial year against its target, and the frame the chart and its table are drawn
    from."""

    indicator: Indicator | None
    years: list[derive.YearAgainstTarget] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))


def audit_figures(authority: Authority, today: dt.date) -> list[AuditFigures]:
    """The council's audits, newest first, with their counts. Three queries."""
    audits = (
        CaseAudit.objects.filter(authority=authority)
        .select_related("period")
        .only("pk", "title", "audit_date", "period")
    )
    cases: dict[int, list[tuple[str, bool | None]]] = {}
    for audit_id, grade, compliant in AuditedCase.objects.filter(
        audit__authority=authority
    ).values_list("audit_id", "grade", "compliant"):
        cases.setdefault(audit_id, []).append((grade, compliant))
    recommendations: dict[int, list[tuple[str, dt.date | None]]] = {}
    for audit_id, status, due_date in Recommendation.objects.filter(
        audit__authority=authority
    ).values_list("audit_id", "status", "due_date"):
        recommendations.setdefault(audit_id, []).append((status, due_date))
    found = []
    for audit in audits:
        its_cases = cases.get(audit.pk, [])
        found.append(
            AuditFigures(
                pk=audit.pk,
                title=audit.title,
                audit_date=audit.audit_date,
                period_label=audit.period.label if audit.period else "",
                outcomes=derive.outcome_counts(its_cases),
                share_good=derive.share_graded(grade for grade, _compliant in its_cases),
                recommendations=derive.recommendation_counts(
                    recommendations.get(audit.pk, []), today
                ),
            )
        )
    return found


def outcome_frame(audits: list[AuditFigures], source: str) -> pd.DataFrame:
    """Cases per outcome per audit, tidy (indicators.frames.COLUMNS): an audit stands where
    a period stands in an indicator's frame, so that one chart path draws both. Outcomes no
    audit has are left out of the chart; the tables per audit list them all."""
    present = [o for o in derive.CaseOutcome if any(a.outcomes[o] for a in audits)]
    rows = [
        tidy_row(
            str(derive.OUTCOME_LABELS[outcome]),
            outcome.value,
            period=f"audit-{audit.pk}",
            period_label=audit.title,
            period_end=audit.audit_date,
            value=Decimal(audit.outcomes[outcome]),
            source=source,
        )
        for outcome in present
        for audit in audits
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _register_figure(obs: Observation) -> derive.RegisterFigure:
    return derive.RegisterFigure(
        period_code=obs.period.code,
        label=obs.period.label,
        end=obs.period.end_date,
        financial_year=obs.period.financial_year,
        numerator=obs.numerator,
        denominator=obs.denominator,
        value=obs.value,
        withheld=obs.withheld,
        provisional=obs.status == Observation.Status.PROVISIONAL,
    )


def acm_figures(authority: Authority, *, include_provisional: bool) -> AcmFigures:
    """The council's ACM share at each date and for each year, against its targets. Three
    queries. Members see final figures only; the council's staff also provisional ones,
    which the page marks."""
    indicator = Indicator.objects.filter(code=ACM_INDICATOR).first()
    if indicator is None:
        return AcmFigures(indicator=None)
    observations = Observation.objects.filter(
        authority=authority, indicator=indicator
    ).select_related("period")
    if not include_provisional:
        observations = observations.published()
    at_dates, annual = [], []
    for obs in observations:
        figure = _register_figure(obs)
        (annual if obs.period.kind == PeriodKind.YEAR else at_dates).append(figure)
    # Targets are set for financial years (the seed's "annual target of 1%").
    targets = {
        target.period.financial_year: target.value
        for target in Target.objects.filter(
            authority=authority, indicator=indicator, period__kind=PeriodKind.YEAR
        ).select_related("period")
    }
    years = derive.years_against_target(at_dates, annual, targets, indicator.decimals)
    return AcmFigures(
        indicator=indicator,
        years=years,
        frame=_acm_frame(authority, indicator, years),
    )


def _acm_frame(
    authority: Authority, indicator: Indicator, years: list[derive.YearAgainstTarget]
) -> pd.DataFrame:
    """The figures at dates within each year and, beside each, the year's target: the
    target caps the register's share at any date of the year, so it is drawn as a level
    line through the year's dates."""
    rows = []
    for year in years:
        for figure in year.figures:
            rows.append(
                _frame_row(
                    figure,
                    series=authority.name,
                    slug=authority.slug,
                    value=derive.share_of_register(figure, indicator.decimals),
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    withheld=figure.withheld,
                    provisional=figure.provisional,
                    source=indicator.source,
                )
            )
    for year in years:
        if year.target is not None:
            rows.extend(
                _frame_row(
                    figure, series=_("Target (at most)"), slug=TARGET_SLUG, value=year.target
                )
                for figure in year.figures
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _frame_row(
    figure: derive.RegisterFigure,
    *,
    series: str,
    slug: str,
    value: Decimal | None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    withheld: str = "",
    provisional: bool = False,
    source: str = "",
) -> dict:
    return tidy_row(
        series,
        slug,
        period=figure.period_code,
        period_label=figure.label,
        period_end=figure.end,
        value=value,
        numerator=numerator,
        denominator=denominator,
        withheld=withheld,
        status=Observation.Status.PROVISIONAL if provisional else Observation.Status.FINAL,
        source=source,
    )
