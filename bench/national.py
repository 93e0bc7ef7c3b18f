"""A national-scale dataset for the benchmarks: every active Welsh and English council (175)
with every indicator (about 60) for 13 financial years, each year and its four quarters, on
top of the real figures already loaded (the demo and the DfE folder). About 750,000
observations in all.

Real figures are never replaced: a council's indicator and period that already has a figure
keeps it, and only the gaps are filled. Generated figures are deterministic (seeded by the
indicator's code and the council's slug), plausible for their unit (a percentage from a
numerator and a denominator, a rate per 10,000 children from a count and a population, a
count or an amount as a value) and move as a random walk from period to period, so direction
of travel, gaps and ranks have something to show. National and regional averages are the mean
of their councils' generated figures. Everything is written through the app's one write path
(indicators.store.write_figures), history included, one indicator at a time.

    DJANGO_DEBUG=true .venv/bin/python bench/national.py           # into DATABASE_URL's database
    DJANGO_DEBUG=true .venv/bin/python bench/national.py --json    # the counts as JSON
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_YEAR = 2012  # 2012-13 ...
YEARS = 13  # ... to 2024-25
SOURCE = "Generated for the national-scale benchmark (bench/national.py)"
COMMAND = "bench_national"


@dataclass
class Generated:
    councils: int
    indicators: int
    periods: int
    created: int
    kept_real: int
    observations: int
    seconds: float


def period_codes() -> list[str]:
    """Each financial year followed by its quarters: 2012-13, 2012-13 Q1 ... 2024-25 Q4."""
    from indicators.codes import financial_year_code

    found = []
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        code = financial_year_code(year)
        found += [code, *(f"{code} Q{quarter}" for quarter in range(1, 5))]
    return found


def generate(progress: Callable[[str], None] = print) -> Generated:
    """Fill the gaps of the configured database up to national scale; returns the counts."""
    from indicators import store
    from indicators.models import (
        Authority,
        Comparator,
        ComparatorKind,
        Indicator,
        Observation,
        Period,
        Statistic,
    )

    started = time.perf_counter()
    councils = list(Authority.objects.filter(active=True).select_related("region"))
    indicators = list(Indicator.objects.order_by("code"))
    codes = period_codes()
    store.resolve_periods(codes)
    stored_comparators = {
        (c.kind, c.nation, c.region_id): c
        for c in Comparator.objects.filter(
            kind__in=[ComparatorKind.NATIONAL, ComparatorKind.REGIONAL],
            statistic=Statistic.PUBLISHED,
        )
    }
    period_ids = dict(Period.objects.filter(code__in=codes).values_list("pk", "code"))
    created = kept = 0
    for number, indicator in enumerate(indicators, start=1):
        real = set(
            Observation.objects.filter(indicator=indicator, period_id__in=period_ids).values_list(
                "authority_id", "comparator_id", "period_id"
            )
        )
        real_keys = {
            (authority_id or ("c", comparator_id), period_ids[period_id])
            for authority_id, comparator_id, period_id in real
        }
        rows, members = _council_rows(indicator, councils, codes, real_keys)
        rows += _average_rows(indicator, members, stored_comparators, codes, real_keys, len(rows))
        result = store.write_figures(
            rows, command=COMMAND, filename="national-scale benchmark data", change_reason=SOURCE
        )
        created += result.created
        kept += len(real_keys)
        progress(
            f"  {number}/{len(indicators)} {indicator.code}: {result.created:,} generated "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return Generated(
        councils=len(councils),
        indicators=len(indicators),
        periods=len(codes),
        created=created,
        kept_real=kept,
        observations=Observation.objects.count(),
        seconds=time.perf_counter() - started,
    )


def _council_rows(indicator, councils, codes, real_keys):
    """FigureRows for each council's missing periods, and each generated value by (nation,
    region, period) for the averages."""
    from indicators import store
    from indicators.models import Observation, Unit

    rows = []
    members: dict[tuple, list[Decimal]] = defaultdict(list)
    quantum = Decimal(1).scaleb(-indicator.decimals)
    for council in councils:
        walk = _Walk(f"{indicator.code}:{council.slug}", indicator.unit)
        for code in codes:
            counts = walk.step(quarter=" Q" in code)
            if (council.pk, code) in real_keys:
                continue
            numerator, denominator, value = counts
            if indicator.unit in (Unit.PERCENT, Unit.RATE_PER_10K):
                value, _warnings = store.check_figures(indicator, numerator, denominator, None)
            else:
                numerator = denominator = None
                value = value.quantize(quantum, ROUND_HALF_UP)
            rows.append(
                store.FigureRow(
                    row=len(rows) + 1,
                    indicator=indicator,
                    period_code=code,
                    authority=council,
                    numerator=numerator,
                    denominator=denominator,
                    value=value,
                    status=Observation.Status.FINAL,
                    source=SOURCE,
                )
            )
            members[("national", council.nation, None, code)].append(value)
            if council.region_id:
                members[("regional", "", council.region_id, code)].append(value)
    return rows, members


def _average_rows(indicator, members, comparators, codes, real_keys, first_row):
    """National and regional averages: the mean of their councils' generated figures."""
    from indicators import store
    from indicators.models import Observation

    quantum = Decimal(1).scaleb(-indicator.decimals)
    rows = []
    for (kind, nation, region_id, code), values in members.items():
        comparator = comparators.get((kind, nation, region_id))
        if comparator is None or (("c", comparator.pk), code) in real_keys:
            continue
        rows.append(
            store.FigureRow(
                row=first_row + len(rows) + 1,
                indicator=indicator,
                period_code=code,
                comparator=comparator,
                value=Decimal(statistics.fmean(values)).quantize(quantum, ROUND_HALF_UP),
                status=Observation.Status.FINAL,
                source=SOURCE,
            )
        )
    return rows


class _Walk:
    """A council's series for one indicator: a level that drifts a little each period."""

    def __init__(self, seed: str, unit: str):
        from indicators.models import Unit

        self.random = random.Random(seed)
        self.unit = unit
        if unit == Unit.PERCENT:
            self.level = self.random.uniform(0.1, 0.9)
            self.base = self.random.randint(60, 1500)
        elif unit == Unit.RATE_PER_10K:
            self.level = self.random.uniform(20, 600) / 10_000
            self.base = self.random.randint(20_000, 300_000)  # children in the area
        else:
            self.level = self.random.uniform(5, 900)
            self.base = 0

    def step(self, *, quarter: bool) -> tuple[Decimal, Decimal, Decimal]:
        from indicators.models import Unit

        if self.unit == Unit.PERCENT:
            self.level = min(0.99, max(0.01, self.level + self.random.gauss(0, 0.02)))
            cases = max(
                1, round(self.base * (0.25 if quarter else 1) * self.random.uniform(0.9, 1.1))
            )
            return Decimal(round(cases * self.level)), Decimal(cases), Decimal(0)
        if self.unit == Unit.RATE_PER_10K:
            self.level = max(0.0001, self.level * self.random.uniform(0.95, 1.05))
            return Decimal(round(self.base * self.level)), Decimal(self.base), Decimal(0)
        self.level = max(0.0, self.level * self.random.uniform(0.93, 1.07))
        return Decimal(0), Decimal(0), Decimal(repr(round(self.level, 4)))


def main() -> None:
    import json
    import os
    from dataclasses import asdict

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
    django.setup()
    as_json = "--json" in sys.argv[1:]
    generated = generate(progress=(lambda _line: None) if as_json else print)
    if as_json:  # for bench/run.py: the counts as one line of JSON
        print(json.dumps(asdict(generated)))
        return
    print(
        f"{generated.created:,} observations generated ({generated.kept_real:,} real kept) for "
        f"{generated.councils} councils x {generated.indicators} indicators x "
        f"{generated.periods} periods in {generated.seconds:.0f} s; "
        f"{generated.observations:,} observations stored"
    )


if __name__ == "__main__":
    main()
