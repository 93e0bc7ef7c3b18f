"""Domain rules for figures: derived values, roll-up of quarters to years, direction of travel,
statistical-neighbour averages and red/amber/green against a target.

Plain typed functions over Decimals; no database access. Everything that turns counts into a
published figure goes through here, so a figure is computed in one place.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy

HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10_000)

# Units whose value is a ratio of two counts, and the multiplier that makes the ratio.
RATE_MULTIPLIERS: dict[str, Decimal] = {
    "percent": HUNDRED,
    "rate_per_10k": TEN_THOUSAND,
    "ratio": Decimal(1),
}


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    """Round as a person (and a spreadsheet's ROUND) does: 63.285 -> 63.29, not banker's."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def as_printed(value: Decimal, unit: str, decimals: int) -> str:
    """A figure as a paper prints it, with its unit: 63.28%, £7,368, 1,588."""
    text = f"{round_half_up(value, decimals):,.{decimals}f}"
    if unit == "percent":
        return f"{text}%"
    if unit == "gbp":
        return f"£{text}"
    return text


def value_from_counts(
    numerator: Decimal | None, denominator: Decimal | None, unit: str, decimals: int
) -> Decimal | None:
    """The value implied by a numerator and denominator, rounded half up to `decimals`.

    Only rate-like units derive (percent = 100 n/d, rate per 10,000 = 10,000 n/d, ratio = n/d).
    A zero denominator implies no value: 0 of 0 is not 0%.
    """
    multiplier = RATE_MULTIPLIERS.get(unit)
    if multiplier is None or numerator is None or denominator is None or denominator == 0:
        return None
    return round_half_up(multiplier * numerator / denominator, decimals)


def agrees_with_counts(value: Decimal, numerator: Decimal, denominator: Decimal, unit: str) -> bool:
    """Whether a published value is n/d as rounded to the precision it was published at.

    Publishers round half up or truncate (seed 000 prints 63.28 for 393/621 = 63.285), so a
    value agrees when it is within one unit of its last printed decimal place: 19 agrees
    with 18.6, 63.28 with 63.285, but 63.28 not with 62.80.
    """
    multiplier = RATE_MULTIPLIERS.get(unit)
    if multiplier is None or denominator == 0:
        return True
    # The precision is read from the value as written ("71.60" has two places), so pass
    # the published text's Decimal, not one re-read from a database column.
    published_decimals = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    exact = multiplier * numerator / denominator
    allowance = Decimal(1).scaleb(-published_decimals)
    return abs(exact - value) <= allowance


@dataclass(frozen=True)
class PeriodFigure:
    """A quarter's (or month's) counts, in period order."""

    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None = None


def roll_up_flow(
    figures: Iterable[PeriodFigure], unit: str, decimals: int
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """A year's (or year-to-date) value of a flow indicator from its quarters.

    Rates are the sum of numerators over the sum of denominators: never the mean of the
    quarterly percentages, which would weight a quarter of 5 referrals like one of 500.
    Counts are summed. Returns (numerator, denominator, value).
    """
    items = list(figures)
    if not items:
        return None, None, None
    if unit in RATE_MULTIPLIERS:
        if any(f.numerator is None or f.denominator is None for f in items):
            return None, None, None
        numerator = sum((f.numerator for f in items), Decimal(0))  # type: ignore[misc]
        denominator = sum((f.denominator for f in items), Decimal(0))  # type: ignore[misc]
        return numerator, denominator, value_from_counts(numerator, denominator, unit, decimals)
    if any(f.value is None for f in items):
        return None, None, None
    return None, None, sum((f.value for f in items), Decimal(0))  # type: ignore[misc]


def roll_up_stock(figures: Sequence[PeriodFigure]) -> PeriodFigure | None:
    """A year's value of a stock indicator: the figure at the year's end (its last period)."""
    return figures[-1] if figures else None


class Direction(StrEnum):
    IMPROVING = "improving"
    DECLINING = "declining"
    STEADY = "steady"
    INCREASING = "increasing"  # for indicators with no better direction
    DECREASING = "decreasing"
    UNKNOWN = "unknown"


def direction_of_travel(
    previous: Decimal | None,
    latest: Decimal | None,
    polarity: str,
    decimals: int = 1,
) -> Direction:
    """Improving, declining or steady, given whether higher or lower is better.

    A change smaller than the published precision (half a unit in the last decimal place)
    is steady: 63.28 to 63.28 after rounding has not moved.
    """
    if previous is None or latest is None:
        return Direction.UNKNOWN
    change = round_half_up(latest, decimals) - round_half_up(previous, decimals)
    if change == 0:
        return Direction.STEADY
    rising = change > 0
    if polarity == "higher":
        return Direction.IMPROVING if rising else Direction.DECLINING
    if polarity == "lower":
        return Direction.DECLINING if rising else Direction.IMPROVING
    return Direction.INCREASING if rising else Direction.DECREASING


def neighbour_mean(values: Iterable[Decimal | None], decimals: int) -> Decimal | None:
    """Mean of the neighbours that have a figure; withheld or missing ones are left out."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return round_half_up(sum(present, Decimal(0)) / len(present), decimals)


def neighbour_median(values: Iterable[Decimal | None], decimals: int) -> Decimal | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return round_half_up(Decimal(statistics.median(present)), decimals)


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"


RAG_LABELS = {
    Rag.GREEN: gettext_lazy("On target"),
    Rag.AMBER: gettext_lazy("Near target"),
    Rag.RED: gettext_lazy("Off target"),
    Rag.NONE: gettext_lazy("No target"),
}


def rag_status(
    value: Decimal | None, target: Decimal | None, tolerance: Decimal, polarity: str
) -> Rag:
    """Green when the target is met, amber within `tolerance` on the wrong side, else red.

    For an indicator with no better direction, distance either side of the target counts.
    """
    if value is None or target is None:
        return Rag.NONE
    if polarity == "higher":
        shortfall = target - value
    elif polarity == "lower":
        shortfall = value - target
    else:
        shortfall = abs(value - target)
        if shortfall == 0:
            return Rag.GREEN
    if shortfall <= 0:
        return Rag.GREEN
    if shortfall <= tolerance:
        return Rag.AMBER
    return Rag.RED


class Side(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    LEVEL = "level"


class Standing(StrEnum):
    """Where the council stands against a comparator, given the indicator's polarity."""

    BETTER = "better"
    WORSE = "worse"
    SAME = "same"
    NEITHER = "neither"  # no better direction: above or below says all there is


@dataclass(frozen=True)
class Gap:
    """The council's value less a comparator's, as printed (both rounded to the published
    decimals first, so the gap is the difference a reader works out from the table)."""

    amount: Decimal
    side: Side
    standing: Standing


def gap_to(
    value: Decimal | None, other: Decimal | None, polarity: str, decimals: int
) -> Gap | None:
    """63.28 against the Wales average of 96.00, higher better: 32.72 below, worse."""
    if value is None or other is None:
        return None
    difference = round_half_up(value, decimals) - round_half_up(other, decimals)
    if difference == 0:
        return Gap(Decimal(0), Side.LEVEL, Standing.SAME)
    side = Side.ABOVE if difference > 0 else Side.BELOW
    if polarity == "higher":
        standing = Standing.BETTER if difference > 0 else Standing.WORSE
    elif polarity == "lower":
        standing = Standing.BETTER if difference < 0 else Standing.WORSE
    else:
        standing = Standing.NEITHER
    return Gap(abs(difference), side, standing)


# Below this many cases a percentage moves a long way with one child (1 of 4 is 25 points),
# so the dashboards say what it rests on. The Welsh and DfE guidance both warn about small
# bases; 20 is where one case moves a percentage by five points.
SMALL_BASE = Decimal(20)


def small_base(denominator: Decimal | None, unit: str) -> Decimal | None:
    """The denominator, where a rate rests on so few cases that the page should say so."""
    if unit not in ("percent", "rate_per_10k") or denominator is None:
        return None
    return denominator if denominator < SMALL_BASE else None


@dataclass(frozen=True)
class Rank:
    position: int  # 1 is best; councils with equal values share a position
    of: int  # councils with a value in that period


def rank_among(
    value: Decimal | None, others: Iterable[Decimal | None], polarity: str, decimals: int
) -> Rank | None:
    """The council's place among councils with a value (its own included in `others`),
    best first given the polarity, ties sharing the better place (standard competition
    ranking: 1, 2, 2, 4). None without a better direction or without a value."""
    if value is None or polarity not in ("higher", "lower"):
        return None
    mine = round_half_up(value, decimals)
    present = [round_half_up(v, decimals) for v in others if v is not None]
    if polarity == "higher":
        ahead = sum(1 for v in present if v > mine)
    else:
        ahead = sum(1 for v in present if v < mine)
    return Rank(ahead + 1, len(present))


def ranks(values: Sequence[Decimal | None], polarity: str, decimals: int) -> list[Rank | None]:
    """rank_among for every value at once, in one sort rather than one pass per value."""
    if polarity not in ("higher", "lower"):
        return [None] * len(values)
    rounded = sorted(round_half_up(v, decimals) for v in values if v is not None)
    count = len(rounded)
    found: list[Rank | None] = []
    for value in values:
        if value is None:
            found.append(None)
            continue
        mine = round_half_up(value, decimals)
        if polarity == "higher":
            ahead = count - bisect.bisect_right(rounded, mine)
        else:
            ahead = bisect.bisect_left(rounded, mine)
        found.append(Rank(ahead + 1, count))
    return found
