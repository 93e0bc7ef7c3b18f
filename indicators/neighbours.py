"""Statistical neighbours' mean and median, derived from the members' own figures.

A neighbour group's comparators ("Halton statistical neighbours (mean)") store no values:
DfE publishes the model (who the neighbours are), not the averages, and an average stored
would go stale whenever a member's figure is corrected. So they are computed here, from the
members' observations, with `derive.neighbour_mean` and `derive.neighbour_median`; a
withheld or missing figure leaves that member out rather than counting as zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from indicators import derive
from indicators.models import Comparator, Indicator, NeighbourGroup, Observation, Statistic


@dataclass(frozen=True)
class NeighbourFigure:
    """A group's figure for one indicator and period, and how many members it rests on."""

    mean: Decimal | None
    median: Decimal | None
    reporting: int  # members with a value (not withheld, not missing)
    members: int

    def statistic(self, name: str) -> Decimal | None:
        if name == Statistic.MEAN:
            return self.mean
        if name == Statistic.MEDIAN:
            return self.median
        raise ValueError(f"'{name}' is not a neighbour statistic (mean or median)")


def neighbour_figures(
    group: NeighbourGroup,
    *,
    indicators: Iterable[Indicator] | None = None,
    periods: Iterable[str] | None = None,
    include_provisional: bool = False,
) -> dict[tuple[int, str], NeighbourFigure]:
    """The group's mean and median per (indicator id, period code), in two queries.

    Rounded half up to each indicator's decimals. Only final figures count unless
    `include_provisional`. Keys are every indicator and period some member has a row for.
    """
    member_ids = list(group.members.values_list("neighbour_id", flat=True))
    observations = Observation.objects.filter(authority_id__in=member_ids)
    if not include_provisional:
        observations = observations.published()
    if indicators is not None:
        observations = observations.filter(indicator__in=list(indicators))
    if periods is not None:
        observations = observations.filter(period__code__in=list(periods))

    values: dict[tuple[int, str], list[Decimal | None]] = defaultdict(list)
    decimals: dict[int, int] = {}
    for indicator_id, places, period_code, value in observations.values_list(
        "indicator_id", "indicator__decimals", "period__code", "value"
    ):
        values[(indicator_id, period_code)].append(value)
        decimals[indicator_id] = places
    return {
        key: NeighbourFigure(
            mean=derive.neighbour_mean(found, decimals[key[0]]),
            median=derive.neighbour_median(found, decimals[key[0]]),
            reporting=sum(1 for v in found if v is not None),
            members=len(member_ids),
        )
        for key, found in values.items()
    }


def comparator_values(
    comparator: Comparator,
    *,
    indicators: Iterable[Indicator] | None = None,
    periods: Iterable[str] | None = None,
    include_provisional: bool = False,
) -> dict[tuple[int, str], Decimal | None]:
    """A neighbour comparator's values per (indicator id, period code): its group's mean or
    median, whichever the comparator is."""
    if comparator.neighbour_group_id is None:
        raise ValueError(f"'{comparator}' is not a statistical-neighbour comparator")
    figures = neighbour_figures(
        comparator.neighbour_group,  # type: ignore[arg-type]
        indicators=indicators,
        periods=periods,
        include_provisional=include_provisional,
    )
    return {key: figure.statistic(comparator.statistic) for key, figure in figures.items()}
