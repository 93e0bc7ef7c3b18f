"""A large import through `import_observations_file` and `store.write_figures`: every new
observation stored as checked, with its creation in its history, on SQLite and PostgreSQL
alike (run this module through .ci/with-postgres for the second)."""

from __future__ import annotations

import csv
import gc
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from indicators import importing
from indicators.models import ImportLog, Observation
from tests import factories

HEADER = ["authority", "indicator", "period", "numerator", "denominator", "value", "comparator"]
QUARTERS = ("", " Q1", " Q2", " Q3", " Q4")
PERIODS = [f"{year}-{(year + 1) % 100:02d}{q}" for year in range(2019, 2023) for q in QUARTERS]


@pytest.fixture
def world(db):
    """Twenty councils, a comparator and three indicators: 21 x 3 x 20 = 1,260 keys, more
    than SQLite takes parameters in one statement."""
    councils = [factories.AuthorityFactory(name=f"Council {n:02d}") for n in range(20)]
    comparator = factories.ComparatorFactory(name="Wales average")
    indicators = [
        factories.IndicatorFactory(code="SCC/013aii", unit="percent", decimals=2),
        factories.IndicatorFactory(code="CP/plans", unit="count", decimals=0),
        factories.IndicatorFactory(code="LAC/rate", unit="rate_per_10k", decimals=1),
    ]
    return councils, comparator, indicators


def write_csv(folder: Path, rows: list[list[str]], name: str = "figures.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def every_key(world) -> list[list[str]]:
    """A row for every council, the comparator, every indicator and period: counts with a
    derived value, a value that disagrees with its counts (a warning), a withheld value."""
    councils, comparator, indicators = world
    subjects = [(c.name, "") for c in councils] + [(comparator.name, "yes")]
    rows = []
    for s, (name, kind) in enumerate(subjects):
        for indicator in indicators:
            for p, period in enumerate(PERIODS):
                n = s * 100 + p
                if indicator.unit == "count":
                    figures = ["", "", "c" if n % 7 == 0 else f"{n:,}"]
                elif n % 5 == 0:
                    figures = [str(n), str(n + 50), "99"]  # disagrees: kept with a warning
                else:
                    figures = [str(n), f"{n + 1000:,}", ""]
                rows.append([name, indicator.code, period, *figures, kind])
    return rows


STORED_FIELDS = [f.attname for f in Observation._meta.concrete_fields]


def test_each_new_observation_has_one_creation_record_holding_what_was_stored(world, tmp_path):
    importer = get_user_model().objects.create_user("importer")
    councils, _comparator, indicators = world
    # A figure of another council for the same indicator and period, stored beforehand.
    other = factories.AuthorityFactory(name="Elsewhere")
    earlier = factories.ObservationFactory(
        authority=other,
        indicator=indicators[0],
        period=factories.PeriodFactory(code="2021-22"),
        value=Decimal("50"),
    )
    rows = every_key(world)

    report = importing.import_observations_file(
        write_csv(tmp_path, rows), user=importer, filename="national.csv"
    )

    assert report.ok and report.result is not None
    assert report.result.created == len(rows) == 1260
    assert report.result.warnings
    created = Observation.objects.exclude(pk=earlier.pk)
    assert created.count() == len(rows)
    records = Observation.history.filter(history_type="+")  # type: ignore[attr-defined]
    assert records.count() == len(rows) + 1
    assert Observation.history.filter(id=earlier.pk).count() == 1  # type: ignore[attr-defined]
    stored = {o["id"]: o for o in created.values(*STORED_FIELDS)}
    for record in records.exclude(id=earlier.pk).values(
        *STORED_FIELDS, "history_user_id", "history_change_reason", "history_date"
    ):
        observation = stored.pop(record["id"])
        assert {k: record[k] for k in STORED_FIELDS} == observation
        assert record["history_user_id"] == importer.pk
        assert record["history_change_reason"] == "import_observations national.csv"
        assert record["history_date"] == observation["created_at"]
    assert not stored  # every new observation has its record
    log = ImportLog.objects.get()
    assert (log.rows, log.created, log.user) == (len(rows), len(rows), importer)


def test_the_stored_figures_are_the_files_row_by_row(world, tmp_path):
    councils, comparator, _indicators = world
    rows = every_key(world)

    importing.import_observations_file(write_csv(tmp_path, rows))

    by_key = {
        (o.authority_id, o.comparator_id, o.indicator.code, o.period.code): o
        for o in Observation.objects.select_related("indicator", "period")
    }
    subjects = {c.name: (c.pk, None) for c in councils} | {comparator.name: (None, comparator.pk)}
    for name, code, period, numerator, denominator, value, _kind in rows:
        observation = by_key[(*subjects[name], code, period)]
        if value == "c":
            assert (observation.value, observation.withheld) == (None, "c")
            continue
        if numerator:
            assert observation.numerator == Decimal(numerator)
            assert observation.denominator == Decimal(denominator.replace(",", ""))
        if value:
            assert observation.value == Decimal(value.replace(",", ""))
        assert bool(observation.warnings) == (value == "99")


def test_equal_numbers_written_differently_are_stored_alike(world, tmp_path):
    councils, _comparator, _indicators = world
    spellings = ["7", "7.0", "7.00", "007", " 7 ", "7.0000"]
    rows = [
        [council.name, "CP/plans", "2021-22", "", "", spelling, ""]
        for council, spelling in zip(councils, spellings, strict=False)
    ]

    report = importing.import_observations_file(write_csv(tmp_path, rows))

    assert report.ok
    assert [o.value for o in Observation.objects.order_by("authority__name")] == [7] * 6
    assert Observation.history.filter(value=7).count() == 6  # type: ignore[attr-defined]


def test_a_number_read_once_is_read_alike_wherever_it_appears(world, tmp_path):
    councils, _comparator, _indicators = world
    rows = [
        [councils[0].name, "SCC/013aii", "2021-22", "1,588", "2,000", "", ""],
        [councils[1].name, "SCC/013aii", "2021-22", "1,000", "1,588", "", ""],
        [councils[2].name, "CP/plans", "2021-22", "", "", "1,588", ""],
    ]

    importing.import_observations_file(write_csv(tmp_path, rows))

    first, second, third = (Observation.objects.get(authority=council) for council in councils[:3])
    assert (first.numerator, first.value) == (1588, Decimal("79.40"))
    assert (second.denominator, second.value) == (1588, Decimal("62.97"))
    assert third.value == 1588


def test_a_bad_number_repeated_is_named_on_every_row_and_in_its_column(world, tmp_path):
    councils, _comparator, _indicators = world
    rows = [
        [councils[0].name, "SCC/013aii", "2021-22", "12,34", "2000", "", ""],
        [councils[1].name, "SCC/013aii", "2021-22", "100", "12,34", "", ""],
        [councils[2].name, "CP/plans", "2021-22", "", "", "12,34", ""],
        [councils[3].name, "CP/plans", "2021-22", "", "", "-5", ""],
        [councils[4].name, "CP/plans", "2021-22", "", "", "-5", ""],
    ]

    report = importing.import_observations_file(write_csv(tmp_path, rows))

    assert [(row, message.split(" ")[0]) for row, message in report.errors] == [
        (2, "numerator"),
        (3, "denominator"),
        (4, "value"),
        (5, "value"),
        (6, "value"),
    ]
    assert "is negative" in report.errors[-1][1]
    assert Observation.objects.count() == 0


def test_a_row_with_an_apostrophe_or_an_extra_cell_is_still_read_cell_by_cell(world, tmp_path):
    councils, _comparator, _indicators = world
    rows = [
        [councils[0].name, "CP/plans", "2021-22", "", "", "'=12", ""],
        [councils[1].name, "CP/plans", "2021-22", "", "", "12", "", "stray"],
    ]

    report = importing.import_observations_file(write_csv(tmp_path, rows))

    assert report.errors == [
        (2, "value '=12' is not a number"),
        (3, "a value ('stray') in column H, which has no column name in the header"),
    ]


@pytest.mark.parametrize("bad", [False, True])
def test_the_cycle_collector_runs_again_after_an_import(world, tmp_path, bad):
    rows = [[world[0][0].name, "CP/plans", "2021-22", "", "", "abc" if bad else "3", ""]]

    report = importing.import_observations_file(write_csv(tmp_path, rows))

    assert report.ok is not bad
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(world, tmp_path):
    rows = [[world[0][0].name, "CP/plans", "2021-22", "", "", "3", ""]]
    gc.disable()
    try:
        importing.import_observations_file(write_csv(tmp_path, rows))
        importing.parse_observations(write_csv(tmp_path, rows))

        assert not gc.isenabled()
    finally:
        gc.enable()
