"""A council's overview: the latest figure of each indicator with what a councillor needs to
read it in a minute. Direction of travel since the previous period of the same kind, the gap
to each chosen comparator in the same period, red/amber/green against the council's target,
the recent trend for a sparkline, and a caution where the figure rests on few cases.

A fixed number of queries whatever the number of indicators or periods: the council's
figures (1), the stored comparators' (1), the neighbours' members and figures (2), the
targets (1); the comparator options are the caller's (indicators.frames, 1).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from indicators import codes, derive
from indicators.frames import SN_MEAN, SN_MEDIAN, TARGET, ComparatorOption
from indicators.models import Authority, Indicator, Observation, Period, Target, Theme
from indicators.neighbours import neighbour_figures

# How many periods the sparkline draws: enough to see a trend, few enough to read it.
TREND_POINTS = 8


@dataclass(frozen=True)
class Comparison:
    """One comparator's figure for the council's latest period, and the gap to it."""

    option: ComparatorOption
    value: Decimal | None
    withheld_reason: str = ""
    gap: derive.Gap | None = None


@dataclass(frozen=True)
class TrendPoint:
    label: str
    value: Decimal | None  # None: withheld or not reported, a break in the line


@dataclass(frozen=True)
class LatestFigure:
    indicator: Indicator
    observation: Observation
    previous: Observation | None
    direction: derive.Direction
    comparisons: list[Comparison] = field(default_factory=list)
    target: Target | None = None
    rag: derive.Rag = derive.Rag.NONE
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def small_base(self) -> int | None:
        """How many cases the figure rests on, where they are few enough to say so."""
        base = derive.small_base(self.observation.denominator, self.indicator.unit)
        return None if base is None else int(base)

    @property
    def rag_label(self) -> str:
        return str(derive.RAG_LABELS[self.rag])


@dataclass(frozen=True)
class ThemeFigures:
    theme: str
    label: str
    figures: list[LatestFigure]


def latest_figures(
    authority: Authority,
    comparators: list[ComparatorOption],
    *,
    include_provisional: bool,
) -> list[LatestFigure]:
    """Latest figure per indicator, in theme order (as Theme lists them) then by code.

    Members see final figures only; staff of the council see provisional ones too (marked).
    Among periods ending on the same day the shortest wins (a quarter before its year), as
    Period's ordering says. `comparators` are the chosen ones (frames.comparator_options);
    a "target" among them is shown as red/amber/green rather than as a gap.
    """
    latest = _latest_series(authority, include_provisional=include_provisional)
    if not latest:
        return []

    compared = _comparator_values(
        comparators,
        [last for last, _previous, _trend in latest.values()],
        include_provisional=include_provisional,
    )
    targets = (
        _targets(authority, list(latest)) if any(o.slug == TARGET for o in comparators) else {}
    )

    figures = []
    for indicator_id, (last, previous, trend) in latest.items():
        indicator = last.indicator
        comparisons = []
        for option in comparators:
            if option.slug == TARGET:
                continue
            value, withheld = compared.get(
                (option.slug, indicator_id, last.period.code), (None, "")
            )
            comparisons.append(
                Comparison(
                    option,
                    value,
                    withheld,
                    derive.gap_to(last.value, value, indicator.polarity, indicator.decimals),
                )
            )
        target = _target_for(targets.get(indicator_id, []), last.period)
        figures.append(
            LatestFigure(
                indicator=indicator,
                observation=last,
                previous=previous,
                direction=derive.direction_of_travel(
                    previous.value if previous else None,
                    last.value,
                    indicator.polarity,
                    indicator.decimals,
                ),
                comparisons=comparisons,
                target=target,
                rag=derive.rag_status(
                    last.value,
                    target.value if target else None,
                    target.tolerance if target else Decimal(0),
                    indicator.polarity,
                ),
                trend=trend,
            )
        )
    order = {theme: i for i, theme in enumerate(Theme.values)}
    figures.sort(
        key=lambda f: (order.get(f.indicator.theme, len(order)), f.indicator.normalised_code)
    )
    return figures


def _latest_series(
    authority: Authority, *, include_provisional: bool
) -> dict[int, tuple[Observation, Observation | None, list[TrendPoint]]]:
    """Indicator id → (latest observation, the one before it for the same kind of period, the
    last TREND_POINTS points of that kind), in two queries whatever the years stored.

    The database ranks each indicator's figures per kind of period, latest first, and returns
    the first TREND_POINTS of each kind as plain values; only the latest and previous
    observations are loaded as objects. A council with 13 years of quarters has some 4,000
    figures, of which the page shows about 600.
    """
    qs = Observation.objects.filter(authority=authority)
    if not include_provisional:
        qs = qs.published()
    ranked = qs.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("indicator_id"), F("period__kind")],
            order_by=[F("period__end_date").desc(), F("period__start_date").asc()],
        )
    ).filter(rank__lte=TREND_POINTS)
    # Each kind's points, latest first; the latest overall comes last in Period's ordering
    # (end date, then the longer period), so the same rule picks it here.
    points: dict[int, dict[str, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for row in ranked.values_list(
        "pk",
        "indicator_id",
        "period__kind",
        "period__code",
        "period__start_date",
        "period__end_date",
        "value",
    ).order_by("indicator_id", "period__kind", "rank"):
        points[row[1]][row[2]].append(row)
    chosen: dict[int, list[tuple]] = {}
    for indicator_id, kinds in points.items():
        chosen[indicator_id] = max(kinds.values(), key=lambda s: (s[0][5], -s[0][4].toordinal()))
    wanted = [series[i][0] for series in chosen.values() for i in range(min(2, len(series)))]
    loaded = Observation.objects.select_related("indicator", "period").in_bulk(wanted)
    series_of: dict[int, tuple[Observation, Observation | None, list[TrendPoint]]] = {}
    for indicator_id, series in chosen.items():
        trend = [
            TrendPoint(codes.period_label(kind, code, start, end), value)
            for _pk, _indicator, kind, code, start, end, value in reversed(series)
        ]
        previous = loaded[series[1][0]] if len(series) > 1 else None
        series_of[indicator_id] = (loaded[series[0][0]], previous, trend)
    return series_of


def by_theme(figures: list[LatestFigure]) -> list[ThemeFigures]:
    """The figures (already in theme order) grouped under their theme's name."""
    groups: list[ThemeFigures] = []
    for figure in figures:
        theme = figure.indicator.theme
        if not groups or groups[-1].theme != theme:
            label = str(Theme(theme).label) if theme in Theme.values else theme
            groups.append(ThemeFigures(theme, label, []))
        groups[-1].figures.append(figure)
    return groups


def _comparator_values(
    comparators: list[ComparatorOption],
    latest: list[Observation],
    *,
    include_provisional: bool,
) -> dict[tuple[str, int, str], tuple[Decimal | None, str]]:
    """(slug, indicator id, period code) → (value, withheld reason) for the chosen comparators
    in the periods asked for: stored ones in one query, the neighbours' mean and median
    derived from the members' figures in two."""
    indicators = {obs.indicator_id: obs.indicator for obs in latest}
    periods = {obs.period_id: obs.period.code for obs in latest}
    found: dict[tuple[str, int, str], tuple[Decimal | None, str]] = {}
    stored = {
        o.comparator.pk: o.slug
        for o in comparators
        if o.comparator and o.slug not in (SN_MEAN, SN_MEDIAN)
    }
    if stored:
        observations = Observation.objects.filter(
            comparator_id__in=stored, indicator_id__in=indicators, period_id__in=periods
        ).select_related("period")
        if not include_provisional:
            observations = observations.published()
        for obs in observations:
            reason = str(obs.get_withheld_display()) if obs.withheld else ""
            found[(stored[obs.comparator_id], obs.indicator_id, obs.period.code)] = (
                obs.value,
                reason,
            )
    neighbours = [o for o in comparators if o.slug in (SN_MEAN, SN_MEDIAN) and o.comparator]
    if neighbours:
        group = neighbours[0].comparator.neighbour_group  # type: ignore[union-attr]
        figures = neighbour_figures(
            group,  # type: ignore[arg-type]
            indicators=indicators.values(),
            periods=set(periods.values()),
            include_provisional=include_provisional,
        )
        for (indicator_id, code), figure in figures.items():
            for option in neighbours:
                value = figure.statistic(option.comparator.statistic)  # type: ignore[union-attr]
                found[(option.slug, indicator_id, code)] = (value, "")
    return found


def _targets(authority: Authority, indicator_ids: list[int]) -> dict[int, list[Target]]:
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(
        authority=authority, indicator_id__in=indicator_ids
    ).select_related("period"):
        targets[target.indicator_id].append(target)
    return targets


def _target_for(targets: list[Target], period: Period) -> Target | None:
    """The target set for the period itself, else for the shortest period containing it: a
    year's target applies to its quarters and to counts at a date within it."""
    exact = [t for t in targets if t.period_id == period.pk]
    if exact:
        return exact[0]
    containing = [
        t
        for t in targets
        if t.period.start_date <= period.start_date and period.end_date <= t.period.end_date
    ]
    return min(containing, key=lambda t: t.period.end_date - t.period.start_date, default=None)
