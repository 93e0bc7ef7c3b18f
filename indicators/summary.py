"""A council's latest figure for each indicator, with the comparator for the same period and
the direction of travel since the previous period of the same kind.

A fixed number of queries whatever the number of indicators: one for the council's figures,
one for the comparator's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from indicators import derive
from indicators.models import Authority, Comparator, ComparatorKind, Indicator, Observation


@dataclass(frozen=True)
class LatestFigure:
    indicator: Indicator
    observation: Observation
    previous: Observation | None
    comparator: Observation | None
    direction: derive.Direction

    @property
    def gap(self) -> Decimal | None:
        """The council's value less the comparator's, for the same period."""
        if self.observation.value is None or self.comparator is None:
            return None
        if self.comparator.value is None:
            return None
        return self.observation.value - self.comparator.value


def national_comparator(authority: Authority) -> Comparator | None:
    return Comparator.objects.filter(kind=ComparatorKind.NATIONAL, nation=authority.nation).first()


def latest_figures(authority: Authority, *, include_provisional: bool) -> list[LatestFigure]:
    """Latest figure per indicator, ordered by theme and code.

    Members see final figures only; staff of the council see provisional ones too (marked).
    Among periods ending on the same day the shortest wins (a quarter before its year), as
    Period's ordering says.
    """
    qs = Observation.objects.filter(authority=authority).select_related("indicator", "period")
    if not include_provisional:
        qs = qs.published()
    by_indicator: dict[int, list[Observation]] = {}
    for obs in qs.order_by("indicator_id", "period__end_date", "-period__start_date"):
        by_indicator.setdefault(obs.indicator_id, []).append(obs)

    latest: dict[int, tuple[Observation, Observation | None]] = {}
    for indicator_id, series in by_indicator.items():
        last = series[-1]
        same_kind = [o for o in series[:-1] if o.period.kind == last.period.kind]
        latest[indicator_id] = (last, same_kind[-1] if same_kind else None)

    comparator = national_comparator(authority)
    against: dict[tuple[int, int], Observation] = {}
    if comparator and latest:
        for obs in Observation.objects.filter(
            comparator=comparator,
            indicator_id__in=latest,
            period_id__in={last.period_id for last, _ in latest.values()},
        ).select_related("indicator", "period"):
            against[(obs.indicator_id, obs.period_id)] = obs

    figures = []
    for last, previous in latest.values():
        indicator = last.indicator
        figures.append(
            LatestFigure(
                indicator=indicator,
                observation=last,
                previous=previous,
                comparator=against.get((indicator.pk, last.period_id)),
                direction=derive.direction_of_travel(
                    previous.value if previous else None,
                    last.value,
                    indicator.polarity,
                    indicator.decimals,
                ),
            )
        )
    figures.sort(key=lambda f: (f.indicator.theme, f.indicator.normalised_code))
    return figures
