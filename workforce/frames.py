"""Snapshots → tidy DataFrames for a council's workforce dashboard, and the figures the papers
print beside them (permanent:agency 61:39, qualified : unqualified 2.9:1, post costs).

Each chart's frame has the columns of `indicators.frames.COLUMNS`, one row per series and
snapshot date, so `indicators.charts` draws it and writes its accessible table as it does an
indicator's. A figure nobody reported is NaN (the table says "no figure"), never 0.

Which snapshots count: a council may give a role's figure for the whole service and also
for some of its teams (seed 000 gives 24 filled ACM posts for the service, and 4 of them in
MASH). The whole-service row is the council's own total, so where a role has one at a date
its team rows are left out rather than added to it; where it has none, its team rows add up.
A total across roles adds the roles that report the figures it needs at that date, which
is why its series is called "all roles reported".

A fixed number of queries whatever the number of snapshots: the snapshots (1), the post
costs (1) and the printed conversion cost (1).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils.text import slugify
from django.utils.translation import gettext as _

from indicators import codes
from indicators.charts import Scale
from indicators.frames import COLUMNS, tidy_row
from indicators.models import Authority, Observation
from workforce import derive
from workforce.models import PostCost, WorkforceSnapshot

# The observation in which a council's paper printed what converting an ACM post costs
# (fixtures/indicators/local.toml); its figure is shown beside the one computed here.
PRINTED_CONVERSION_CODE = "acm_post_conversion_cost"
ALL_ROLES = "all-roles"
FTE_DECIMALS = 2  # as stored


@dataclass(frozen=True)
class Chart:
    """One chart of the dashboard: its frame and how its figures print. `key` names it in
    the template (and, with dashes, in the page's ids)."""

    key: str
    title: str
    frame: pd.DataFrame
    scale: Scale
    source: str
    empty_text: str

    @property
    def empty(self) -> bool:
        return bool(self.frame["value"].isna().all())


@dataclass(frozen=True)
class AgencySplit:
    """Permanent and agency staff at a date, as a paper prints them (61:39)."""

    as_at: dt.date
    label: str
    filled: Decimal
    agency: Decimal

    @property
    def permanent(self) -> Decimal:
        return derive.permanent_fte(self.filled, self.agency)

    @property
    def counts(self) -> tuple[str, str, str]:
        """Filled, permanent and agency FTE as printed."""
        return fte_text(self.filled), fte_text(self.permanent), fte_text(self.agency)

    @property
    def printed(self) -> str:
        return derive.permanent_agency_ratio(self.permanent, self.agency)


@dataclass(frozen=True)
class StaffRatio:
    """Qualified to unqualified staff in post at a date: 90.3 : 31.4, or 2.9:1."""

    as_at: dt.date
    label: str
    qualified: Decimal
    unqualified: Decimal
    ratio: Decimal

    @property
    def printed(self) -> str:
        return f"{self.ratio}:1"

    @property
    def printed_counts(self) -> str:
        return f"{fte_text(self.qualified)} : {fte_text(self.unqualified)}"


@dataclass(frozen=True)
class CaseloadComparison:
    """The average caseload of a role (in a team, or the service) against the recommended."""

    as_at: dt.date
    label: str
    group: str
    average: Decimal
    recommended: Decimal

    @property
    def average_text(self) -> str:
        return fte_text(self.average)

    @property
    def recommended_text(self) -> str:
        return fte_text(self.recommended)

    @property
    def above(self) -> bool:
        return self.average > self.recommended

    @property
    def below(self) -> bool:
        return self.average < self.recommended


@dataclass(frozen=True)
class PostCostLine:
    post: PostCost
    total: Decimal

    @property
    def financial_year(self) -> str:
        return codes.financial_year_code(self.post.financial_year).replace("-", "/")


@dataclass(frozen=True)
class Printed:
    """A figure as a council's paper printed it."""

    value: Decimal
    period: str
    source: str


@dataclass(frozen=True)
class Conversion:
    """The extra yearly cost of turning an unqualified post into a qualified one, computed
    from the stored components, with the paper's own figure where one was printed."""

    current: PostCostLine
    proposed: PostCostLine
    variance: Decimal
    printed: Printed | None = None

    @property
    def printed_differs(self) -> bool:
        return self.printed is not None and self.printed.value != self.variance


@dataclass(frozen=True)
class SnapshotNote:
    as_at: dt.date
    team: str
    role: str
    note: str


@dataclass
class WorkforceDashboard:
    snapshot_count: int
    charts: dict[str, Chart]
    agency_splits: list[AgencySplit]
    staff_ratios: list[StaffRatio]
    caseloads: list[CaseloadComparison]
    post_costs: list[PostCostLine]
    conversions: list[Conversion]
    unmatched_printed: list[Printed] = field(default_factory=list)
    notes: list[SnapshotNote] = field(default_factory=list)


def workforce_dashboard(
    authority: Authority, *, include_notes: bool, include_provisional: bool
) -> WorkforceDashboard:
    """Everything the dashboard shows of one council. Notes on snapshots are staff detail:
    they come back only with `include_notes`. Members read final printed figures only."""
    snapshots = list(
        WorkforceSnapshot.objects.filter(authority=authority)
        .select_related("team", "role")
        .order_by("as_at", "role__name", "team__name")
    )
    counted = counted_snapshots(snapshots)
    lines, conversions, unmatched = post_costs(authority, include_provisional=include_provisional)
    charts = {
        chart.key: chart
        for chart in (
            vacancy_rate_chart(counted),
            vacancies_chart(counted),
            agency_chart(counted),
            caseload_chart(counted),
            staff_ratio_chart(counted),
        )
    }
    return WorkforceDashboard(
        snapshot_count=len(snapshots),
        charts=charts,
        agency_splits=agency_splits(counted),
        staff_ratios=staff_ratios(counted),
        caseloads=caseload_comparisons(counted),
        post_costs=lines,
        conversions=conversions,
        unmatched_printed=unmatched,
        notes=[
            SnapshotNote(s.as_at, _team_name(s), s.role.name, s.note) for s in snapshots if s.note
        ]
        if include_notes
        else [],
    )


def post_costs(
    authority: Authority, *, include_provisional: bool
) -> tuple[list[PostCostLine], list[Conversion], list[Printed]]:
    """The council's post costs, each conversion of an unqualified post to a qualified one
    with the paper's printed figure beside it where there is one, and printed figures that
    match no single conversion. Two queries."""
    lines = [
        PostCostLine(post, derive.total_cost(post))
        for post in PostCost.objects.filter(authority=authority)
        .select_related("role")
        .order_by("financial_year", "salary", "post_title")
    ]
    printed = Observation.objects.filter(
        authority=authority, indicator__code=PRINTED_CONVERSION_CODE, value__isnull=False
    ).select_related("period")
    if not include_provisional:
        printed = printed.published()
    conversions, unmatched = post_conversions(lines, list(printed))
    return lines, conversions, unmatched


# ---------------------------------------------------------------------------------------
# Which snapshots count


def counted_snapshots(snapshots: Iterable[WorkforceSnapshot]) -> list[WorkforceSnapshot]:
    """The rows that make up each role's figures at each date: its whole-service row where
    there is one, else its team rows (see the module docstring)."""
    rows = list(snapshots)
    with_service_row = {(s.as_at, s.role_id) for s in rows if s.team_id is None}
    return [s for s in rows if s.team_id is None or (s.as_at, s.role_id) not in with_service_row]


Pair = tuple[Decimal, Decimal]


def _totals(
    rows: Iterable[WorkforceSnapshot],
    figures: Callable[[WorkforceSnapshot], Pair | None],
    *,
    by_role: bool,
) -> dict[tuple[dt.date, str], tuple[Decimal, Decimal, list[WorkforceSnapshot]]]:
    """Sums of two figures per date (and role), over the rows that report both."""
    totals: dict[tuple[dt.date, str], tuple[Decimal, Decimal, list[WorkforceSnapshot]]] = {}
    for row in rows:
        pair = figures(row)
        if pair is None:
            continue
        key = (row.as_at, row.role.name if by_role else ALL_ROLES)
        first, second, contributing = totals.get(key, (Decimal(0), Decimal(0), []))
        totals[key] = (first + pair[0], second + pair[1], [*contributing, row])
    return totals


def _vacancy_figures(row: WorkforceSnapshot) -> Pair | None:
    """(vacancies, establishment)."""
    vacant = derive.reported_vacancies(row.establishment_fte, row.filled_fte, row.vacancies_fte)
    if vacant is None or row.establishment_fte is None:
        return None
    return vacant, row.establishment_fte


def _agency_figures(row: WorkforceSnapshot) -> Pair | None:
    """(agency, filled)."""
    agency = derive.agency_fte(row.agency_fte, row.filled_fte, agency_role=row.role.agency)
    if agency is None or row.filled_fte is None:
        return None
    return agency, row.filled_fte


# ---------------------------------------------------------------------------------------
# Charts


def vacancy_rate_chart(counted: list[WorkforceSnapshot]) -> Chart:
    """Vacancies as a percentage of the establishment, for all roles reported and (where
    more than one role reports them) for each role."""

    def rate(vacant: Decimal, establishment: Decimal) -> Decimal | None:
        return derive.vacancy_rate(establishment, None, vacant=vacant)

    frame = _split_by_role(counted, _vacancy_figures, rate)
    return Chart(
        key="vacancy_rate",
        title=_("Vacancy rate"),
        frame=frame,
        scale=Scale(1, _("% of establishment")),
        source=_source(frame),
        empty_text=_("No snapshot gives an establishment with its vacancies or filled posts."),
    )


def vacancies_chart(counted: list[WorkforceSnapshot]) -> Chart:
    frame = _split_by_role(counted, _vacancy_figures, lambda vacant, _establishment: vacant)
    return Chart(
        key="vacancies",
        title=_("Vacancies"),
        frame=frame,
        scale=Scale(_decimals_of(frame["value"]), _("posts or FTE")),
        source=_source(frame),
        empty_text=_("No snapshot gives an establishment with its vacancies or filled posts."),
    )


def agency_chart(counted: list[WorkforceSnapshot]) -> Chart:
    """Agency staff as a share of the staff in post, all roles reported."""
    rows = [
        _row(
            _("Agency staff"),
            ALL_ROLES,
            as_at,
            derive.agency_share(agency, filled),
            numerator=agency,
            denominator=filled,
            rows=contributing,
        )
        for (as_at, _key), (agency, filled, contributing) in sorted(
            _totals(counted, _agency_figures, by_role=False).items()
        )
    ]
    frame = _frame(rows)
    return Chart(
        key="agency",
        title=_("Agency staff as a share of staff in post"),
        frame=frame,
        scale=Scale(1, _("% of filled FTE")),
        source=_source(frame),
        empty_text=_("No snapshot gives agency staff with the staff in post."),
    )


def caseload_chart(counted: list[WorkforceSnapshot]) -> Chart:
    """Average and recommended caseload, per role (and team) that reports either."""
    groups = _caseload_groups(counted)
    rows = []
    for group, snapshots in groups.items():
        for label, attribute, slug in (
            (_("Average caseload"), "average_caseload", "average"),
            (_("Recommended caseload"), "recommended_caseload", "recommended"),
        ):
            series = label if len(groups) == 1 else f"{label} – {group}"
            for s in snapshots:
                rows.append(
                    _row(
                        series, f"{slug}-{slugify(group)}", s.as_at, getattr(s, attribute), rows=[s]
                    )
                )
    frame = _frame(rows)
    return Chart(
        key="caseload",
        title=_("Average caseload against the recommended caseload"),
        frame=frame,
        scale=Scale(_decimals_of(frame["value"]), _("cases per worker")),
        source=_source(frame),
        empty_text=_("No snapshot gives an average or recommended caseload."),
    )


def staff_ratio_chart(counted: list[WorkforceSnapshot]) -> Chart:
    ratios = staff_ratios(counted)
    sources = _sources_by_date(counted)
    rows = [
        _row(
            _("Qualified staff per unqualified"),
            "qualified-unqualified",
            ratio.as_at,
            ratio.ratio,
            numerator=ratio.qualified,
            denominator=ratio.unqualified,
            source=sources.get(ratio.as_at, ""),
        )
        for ratio in ratios
    ]
    frame = _frame(rows)
    return Chart(
        key="staff_ratio",
        title=_("Qualified to unqualified staff"),
        frame=frame,
        scale=Scale(1, _("qualified per unqualified, as n:1")),
        source=_source(frame),
        empty_text=_(
            "No date has staff in post reported for both qualified and unqualified roles."
        ),
    )


# ---------------------------------------------------------------------------------------
# Figures as the papers print them


def agency_splits(counted: list[WorkforceSnapshot]) -> list[AgencySplit]:
    return [
        AgencySplit(as_at, _label(as_at), filled, agency)
        for (as_at, _key), (agency, filled, _rows) in sorted(
            _totals(counted, _agency_figures, by_role=False).items()
        )
        if filled > 0
    ]


def staff_ratios(counted: list[WorkforceSnapshot]) -> list[StaffRatio]:
    """Qualified to unqualified FTE in post at each date that has both: a date with no
    unqualified (or no qualified) role reported gives no ratio, not 0 or infinity."""
    qualified: dict[dt.date, Decimal] = {}
    unqualified: dict[dt.date, Decimal] = {}
    for s in counted:
        if s.filled_fte is None:
            continue
        side = qualified if s.role.qualified else unqualified
        side[s.as_at] = side.get(s.as_at, Decimal(0)) + s.filled_fte
    found = []
    for as_at in sorted(set(qualified) & set(unqualified)):
        ratio = derive.qualified_unqualified_ratio(qualified[as_at], unqualified[as_at])
        if ratio is not None:
            found.append(
                StaffRatio(as_at, _label(as_at), qualified[as_at], unqualified[as_at], ratio)
            )
    return found


def caseload_comparisons(counted: list[WorkforceSnapshot]) -> list[CaseloadComparison]:
    return [
        CaseloadComparison(
            s.as_at, _label(s.as_at), group, s.average_caseload, s.recommended_caseload
        )
        for group, snapshots in _caseload_groups(counted).items()
        for s in snapshots
        if s.average_caseload is not None and s.recommended_caseload is not None
    ]


def post_conversions(
    lines: list[PostCostLine], printed: list[Observation]
) -> tuple[list[Conversion], list[Printed]]:
    """Each unqualified post against each qualified (non-agency) post of the same year, and
    the paper's printed figures: beside the conversion of their year where that year has
    exactly one, else listed on their own (which conversion they meant is then unclear)."""
    conversions: list[Conversion] = []
    by_year: dict[int, list[Printed]] = defaultdict(list)
    for obs in printed:
        by_year[obs.period.financial_year].append(
            Printed(obs.value, obs.period.label, obs.source)  # type: ignore[arg-type]
        )
    for current in lines:
        if current.post.role is None or current.post.role.qualified:
            continue
        for proposed in lines:
            role = proposed.post.role
            if (
                role is None
                or not role.qualified
                or role.agency
                or proposed.post.financial_year != current.post.financial_year
            ):
                continue
            variance = derive.cost_variance(current.post, proposed.post)
            conversions.append(Conversion(current, proposed, variance))
    matched = []
    for year, figures in by_year.items():
        of_year = [c for c in conversions if c.current.post.financial_year == year]
        if len(of_year) == 1 and len(figures) == 1:
            index = conversions.index(of_year[0])
            conversions[index] = Conversion(
                of_year[0].current, of_year[0].proposed, of_year[0].variance, figures[0]
            )
            matched.append(figures[0])
    unmatched = [p for figures in by_year.values() for p in figures if p not in matched]
    return conversions, unmatched


# ---------------------------------------------------------------------------------------
# Helpers


def fte_text(amount: Decimal) -> str:
    """FTE or posts as a paper prints them: 90.3, 24, 1,250.5 (no trailing zeros)."""
    return f"{amount.normalize():,f}"


def _label(as_at: dt.date) -> str:
    code = as_at.isoformat()
    return codes.period_label("as_at", code, as_at, as_at)


def _team_name(snapshot: WorkforceSnapshot) -> str:
    return snapshot.team.name if snapshot.team else _("Whole service")


def _caseload_groups(counted: list[WorkforceSnapshot]) -> dict[str, list[WorkforceSnapshot]]:
    groups: dict[str, list[WorkforceSnapshot]] = defaultdict(list)
    for s in counted:
        if s.average_caseload is None and s.recommended_caseload is None:
            continue
        group = f"{s.role.name} ({s.team.name})" if s.team else s.role.name
        groups[group].append(s)
    return dict(groups)


def _split_by_role(
    counted: list[WorkforceSnapshot],
    figures: Callable[[WorkforceSnapshot], Pair | None],
    value: Callable[[Decimal, Decimal], Decimal | None],
) -> pd.DataFrame:
    """A series for each role that reports the figures and, where more than one does, one
    for all roles reported first. With one role the series is named by the role, so seed
    000's 25.0% reads as the ACMs' vacancy rate, not the whole service's."""
    by_role = _totals(counted, figures, by_role=True)
    roles = sorted({role for (_as_at, role) in by_role})
    rows = []
    if len(roles) > 1:
        for (as_at, _key), (first, second, contributing) in sorted(
            _totals(counted, figures, by_role=False).items()
        ):
            rows.append(
                _row(
                    _("All roles reported"),
                    ALL_ROLES,
                    as_at,
                    value(first, second),
                    numerator=first,
                    denominator=second,
                    rows=contributing,
                )
            )
    for role in roles:
        for (as_at, name), (first, second, contributing) in sorted(by_role.items()):
            if name == role:
                rows.append(
                    _row(
                        role,
                        f"role-{slugify(role)}",
                        as_at,
                        value(first, second),
                        numerator=first,
                        denominator=second,
                        rows=contributing,
                    )
                )
    return _frame(rows)


def _row(
    series: str,
    slug: str,
    as_at: dt.date,
    value: Decimal | None,
    *,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    rows: Iterable[WorkforceSnapshot] = (),
    source: str = "",
) -> dict:
    return tidy_row(
        series,
        slug,
        period=as_at.isoformat(),
        period_label=_label(as_at),
        period_end=as_at,
        value=value,
        numerator=numerator,
        denominator=denominator,
        status="",
        source=source or "; ".join(dict.fromkeys(s.source for s in rows if s.source)),
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def _decimals_of(values: Iterable[float]) -> int:
    """As many decimals as the figures use (FTE may have two; posts and caseloads none)."""
    places = 0
    for value in values:
        if pd.isna(value):
            continue
        exponent = Decimal(repr(value)).normalize().as_tuple().exponent
        places = max(places, -exponent if isinstance(exponent, int) else 0)
    return min(places, FTE_DECIMALS)


def _sources_by_date(counted: list[WorkforceSnapshot]) -> dict[dt.date, str]:
    found: dict[dt.date, dict[str, None]] = defaultdict(dict)
    for s in counted:
        if s.source and s.filled_fte is not None:
            found[s.as_at][s.source] = None
    return {as_at: "; ".join(sources) for as_at, sources in found.items()}


def _source(frame: pd.DataFrame) -> str:
    sources = dict.fromkeys(
        part
        for text in frame.loc[frame["value"].notna(), "source"]
        for part in str(text).split("; ")
        if part
    )
    return "; ".join(sources) or _("Workforce snapshots entered by the council")
