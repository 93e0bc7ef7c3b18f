"""QuerySet → DataFrame: one council's figures for one indicator, beside its comparators, as a
tidy frame (one row per series and period). The same frame feeds the page's table, its plotly
figure and its CSV and XLSX downloads, so they cannot disagree.

Comparators are named by slugs relative to the council (CONTRACT.md, "Pages"):

    wales-average, england  the national average of the council's own nation
    region                  its region's average
    sn-mean, sn-median      its statistical neighbours' mean or median, derived from the
                            members' own figures (indicators/neighbours.py), never stored
    target                  the council's own targets

A fixed number of queries whatever the number of periods or comparators: the comparators
(1), the council's and the stored comparators' observations (1), the neighbours' members and
figures (2) and the periods they name (1), the targets (1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import derive
from indicators.models import (
    Authority,
    Comparator,
    ComparatorKind,
    Indicator,
    Nation,
    NeighbourGroup,
    Observation,
    Period,
    PeriodKind,
    Statistic,
    Target,
    Withheld,
)
from indicators.neighbours import neighbour_figures

COLUMNS = [
    "series",
    "series_slug",
    "period",
    "period_label",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "withheld",
    "withheld_reason",
    "status",
    "source",
]

NATIONAL_SLUGS = {Nation.WALES: "wales-average", Nation.ENGLAND: "england"}
REGION, SN_MEAN, SN_MEDIAN, TARGET = "region", "sn-mean", "sn-median", "target"
# Every slug the URL may carry, in the order a paper lists comparators.
SLUGS = (*NATIONAL_SLUGS.values(), REGION, SN_MEAN, SN_MEDIAN, TARGET)
TARGET_LABEL = gettext_lazy("Target")


@dataclass(frozen=True)
class ComparatorOption:
    """A comparator this council can be shown against: its URL slug, its name, and the
    stored comparator behind it (None for targets)."""

    slug: str
    label: str
    comparator: Comparator | None = None


def comparator_options(
    authority: Authority, indicator: Indicator | None = None, *, any_target: bool = False
) -> list[ComparatorOption]:
    """The comparators that exist for this council, in SLUGS order. One query, and a second
    with an `indicator` or `any_target`: "target" is offered where the council has targets
    for that indicator (or, with `any_target`, for any)."""
    wanted = Q(kind=ComparatorKind.NATIONAL, nation=authority.nation) | Q(
        neighbour_group__authority=authority
    )
    if authority.region_id:
        wanted |= Q(region_id=authority.region_id)
    found: dict[str, ComparatorOption] = {}
    # The newest neighbour model wins where a council has groups under several.
    for comparator in (
        Comparator.objects.filter(wanted)
        .select_related("neighbour_group")
        .order_by("neighbour_group_id", "pk")
    ):
        slug = _slug_of(comparator, authority)
        if slug:
            found[slug] = ComparatorOption(slug, comparator.name, comparator)
    targets = Target.objects.filter(authority=authority)
    if indicator:
        targets = targets.filter(indicator=indicator)
    if (indicator or any_target) and targets.exists():
        found[TARGET] = ComparatorOption(TARGET, str(TARGET_LABEL))
    return [found[slug] for slug in SLUGS if slug in found]


def _slug_of(comparator: Comparator, authority: Authority) -> str | None:
    if comparator.kind == ComparatorKind.NATIONAL:
        return NATIONAL_SLUGS.get(comparator.nation)  # type: ignore[call-overload]
    if comparator.region_id and comparator.region_id == authority.region_id:
        return REGION
    if comparator.neighbour_group_id:
        return {Statistic.MEAN: SN_MEAN, Statistic.MEDIAN: SN_MEDIAN}.get(comparator.statistic)  # type: ignore[call-overload]
    return None


def default_comparators(authority: Authority) -> list[str]:
    """The national average of the council's nation, and its targets where it has them."""
    national = [NATIONAL_SLUGS[authority.nation]] if authority.nation in NATIONAL_SLUGS else []
    return [*national, TARGET]


def mapped_comparators(slugs: Iterable[str], council: Authority) -> tuple[list[str], list[str]]:
    """The report's comparator slugs as this council's, and the slugs it has no comparator
    for. A national average maps to the council's nation's; targets are always kept (a
    council without targets for an indicator simply shows none)."""
    available = {option.slug for option in comparator_options(council)}
    national = set(NATIONAL_SLUGS.values())
    kept: list[str] = []
    left_out: list[str] = []
    for slug in slugs:
        wanted = NATIONAL_SLUGS.get(council.nation, slug) if slug in national else slug
        if wanted == TARGET or wanted in available:
            kept.append(wanted)
        else:
            left_out.append(slug)
    return list(dict.fromkeys(kept)), left_out


def period_kinds(
    authority: Authority, indicator: Indicator, *, include_provisional: bool
) -> list[str]:
    """The kinds of period (year, quarter, ...) the council has figures of this indicator for,
    in PeriodKind order. One query."""
    observations = Observation.objects.filter(authority=authority, indicator=indicator)
    if not include_provisional:
        observations = observations.published()
    found = set(observations.values_list("period__kind", flat=True).distinct())
    return [kind for kind in PeriodKind.values if kind in found]


def indicator_frame(
    authority: Authority,
    indicator: Indicator,
    comparators: list[str],
    *,
    include_provisional: bool,
    period_kind: str = PeriodKind.YEAR,
) -> pd.DataFrame:
    """The council's figures and the chosen comparators' for one indicator, tidy.

    Columns: COLUMNS. `value`, `numerator` and `denominator` are floats, NaN where there is
    no figure; a withheld figure has NaN and its marker and reason, never 0. Series in the
    order asked for (the council first), each by period end. Unknown or unavailable slugs are
    ignored (the page says so). Members see final figures only: `include_provisional` is for
    the council's own staff, and the status column marks what is provisional.
    """
    options = {option.slug: option for option in comparator_options(authority)}
    options[TARGET] = ComparatorOption(TARGET, str(TARGET_LABEL))
    chosen = list(dict.fromkeys(comparators))
    stored = [options[s] for s in chosen if s in options and s not in (SN_MEAN, SN_MEDIAN)]
    derived = [options[s] for s in chosen if s in (SN_MEAN, SN_MEDIAN) and s in options]

    rows: list[dict] = []
    observations = Observation.objects.filter(
        Q(authority=authority) | Q(comparator__in=[o.comparator for o in stored]),
        indicator=indicator,
        period__kind=period_kind,
    ).select_related("period")
    if not include_provisional:
        observations = observations.published()
    by_comparator = {o.comparator.pk: o for o in stored if o.comparator}
    for obs in observations:
        if obs.authority_id:
            rows.append(_observation_row(obs, authority.name, authority.slug, order=0))
        else:
            option = by_comparator[obs.comparator_id]
            rows.append(
                _observation_row(
                    obs, option.label, option.slug, order=chosen.index(option.slug) + 1
                )
            )

    if derived:
        rows.extend(_neighbour_rows(derived, indicator, chosen, period_kind, include_provisional))

    if TARGET in chosen:
        targets = Target.objects.filter(
            authority=authority, indicator=indicator, period__kind=period_kind
        ).select_related("period")
        for target in targets:
            rows.append(
                _row(
                    str(TARGET_LABEL),
                    TARGET,
                    target.period,
                    order=chosen.index(TARGET) + 1,
                    value=target.value,
                    status=Observation.Status.FINAL,
                    source=target.source,
                )
            )

    frame = pd.DataFrame(rows, columns=[*COLUMNS, "_order", "_start"])
    if frame.empty:
        return frame.drop(columns=["_order", "_start"])
    frame = frame.sort_values(["_order", "period_end", "_start"], ascending=[True, True, False])
    return frame.drop(columns=["_order", "_start"]).reset_index(drop=True)


def _neighbour_rows(
    options: list[ComparatorOption],
    indicator: Indicator,
    chosen: list[str],
    period_kind: str,
    include_provisional: bool,
) -> list[dict]:
    """Mean and median from one computation over the group's members (both share a group)."""
    group: NeighbourGroup = options[0].comparator.neighbour_group  # type: ignore[union-attr,assignment]
    figures = neighbour_figures(
        group, indicators=[indicator], include_provisional=include_provisional
    )
    codes = {code for (_indicator, code) in figures}
    periods = {p.code: p for p in Period.objects.filter(code__in=codes, kind=period_kind)}
    rows = []
    for (_indicator, code), figure in figures.items():
        period = periods.get(code)
        if period is None:
            continue
        for option in options:
            statistic = option.comparator.statistic  # type: ignore[union-attr]
            rows.append(
                _row(
                    option.label,
                    option.slug,
                    period,
                    order=chosen.index(option.slug) + 1,
                    value=figure.statistic(statistic),
                    status=Observation.Status.FINAL,
                    source=_("Derived from %(reporting)s of %(members)s neighbours' figures")
                    % {"reporting": figure.reporting, "members": figure.members},
                )
            )
    return rows


def _observation_row(obs: Observation, series: str, slug: str, *, order: int) -> dict:
    return _row(
        series,
        slug,
        obs.period,
        order=order,
        value=obs.value,
        numerator=obs.numerator,
        denominator=obs.denominator,
        withheld=obs.withheld,
        status=obs.status,
        source=obs.source,
    )


def _row(
    series: str,
    slug: str,
    period: Period,
    *,
    order: int,
    value: Decimal | None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    withheld: str = "",
    status: str,
    source: str,
) -> dict:
    row = tidy_row(
        series,
        slug,
        period=period.code,
        period_label=period.label,
        period_end=period.end_date,
        value=value,
        numerator=numerator,
        denominator=denominator,
        withheld=withheld,
        status=status,
        source=source,
    )
    return {**row, "_order": order, "_start": period.start_date}


def tidy_row(
    series: str,
    slug: str,
    *,
    period: str,
    period_label: str,
    period_end: dt.date | None,
    value: Decimal | None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    withheld: str = "",
    status: str = Observation.Status.FINAL,
    source: str = "",
) -> dict:
    """One row of a tidy frame (COLUMNS). Anything drawn through indicators.charts builds
    its rows here, whether its points are periods, dates of snapshots or audits: figures as
    floats (NaN for none, never 0), a withheld marker with its reason."""
    return {
        "series": series,
        "series_slug": slug,
        "period": period,
        "period_label": period_label,
        "period_end": period_end,
        "value": as_float(value),
        "numerator": as_float(numerator),
        "denominator": as_float(denominator),
        "withheld": withheld,
        "withheld_reason": str(Withheld(withheld).label) if withheld else "",
        "status": status,
        "source": source,
    }


def as_float(amount: Decimal | None) -> float:
    return float("nan") if amount is None else float(amount)


def display_value(value: float, decimals: int) -> str:
    """A frame value as the table and the CSV print it: to the indicator's decimals,
    rounded half up; "" for no value."""
    if pd.isna(value):
        return ""
    return f"{derive.round_half_up(Decimal(repr(value)), decimals):.{decimals}f}"


COUNCIL_COLUMNS = ["council", "slug", "value", "withheld", "withheld_reason", "rank"]


def councils_frame(indicator: Indicator, period: Period, nation: str) -> pd.DataFrame:
    """Every council of a nation with a published figure (or a withheld marker) for one
    indicator and period, best first given the polarity, ranked with derive.rank_among
    (councils with equal values share a place; withheld ones have none). One query.

    Published figures only: the ranking is what anyone could work out from the published
    statistics, whoever is looking."""
    rows = list(
        Observation.objects.published()
        .filter(
            indicator=indicator,
            period=period,
            authority__nation=nation,
            authority__active=True,
        )
        .values_list("authority__name", "authority__slug", "value", "withheld")
    )
    ranks = derive.ranks(
        [value for _name, _slug, value, _withheld in rows], indicator.polarity, indicator.decimals
    )
    records = []
    for (name, slug, value, withheld), rank in zip(rows, ranks, strict=True):
        records.append(
            {
                "council": name,
                "slug": slug,
                "value": as_float(value),
                "withheld": withheld,
                "withheld_reason": str(Withheld(withheld).label) if withheld else "",
                "rank": rank.position if rank else None,
            }
        )
    frame = pd.DataFrame(records, columns=COUNCIL_COLUMNS)
    if frame.empty:
        return frame
    ascending = indicator.polarity != "higher"
    frame = frame.sort_values(
        ["value", "council"], ascending=[ascending, True], na_position="last", kind="stable"
    )
    return frame.reset_index(drop=True)


def latest_period(frame: pd.DataFrame, authority: Authority) -> str | None:
    """The last period in an indicator frame for which the council has a row (a figure or a
    withheld marker)."""
    if frame.empty:
        return None
    own = frame[frame["series_slug"] == authority.slug]
    return None if own.empty else str(own.iloc[-1]["period"])


@dataclass(frozen=True)
class Standing:
    """Where a council stands among its nation's councils in the latest period of its
    indicator frame: the period, every council's figure (councils_frame), and its rank
    (None when its figure is withheld or the indicator has no better direction)."""

    period: Period
    councils: pd.DataFrame
    rank: int | None
    ranked: int  # councils with a rank


def standing(authority: Authority, indicator: Indicator, frame: pd.DataFrame) -> Standing | None:
    """None without a latest period or without another council to stand among. Two
    queries: the period and the councils' figures."""
    code = latest_period(frame, authority)
    if code is None:
        return None
    period = Period.objects.get(code=code)
    councils = councils_frame(indicator, period, authority.nation)
    if len(councils) < 2:
        return None
    own = councils.loc[councils["slug"] == authority.slug, "rank"]
    return Standing(
        period=period,
        councils=councils,
        rank=None if own.empty or pd.isna(own.iloc[0]) else int(own.iloc[0]),
        ranked=int(councils["rank"].notna().sum()),
    )
