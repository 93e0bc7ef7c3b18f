"""Benchmark: how fast a 100,000-row CSV of figures imports, on SQLite and on PostgreSQL, against
the floor of a bare bulk insert of the same rows.

    DJANGO_DEBUG=true .venv/bin/python bench/csv_import.py
    DJANGO_DEBUG=true .venv/bin/python bench/csv_import.py --both
    DJANGO_DEBUG=true .venv/bin/python bench/csv_import.py --runs 5 --rows 50000 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_csv

Another script calls `measure(database_url, rows, runs)`, which returns the figures as a dict.

Each database is measured in a fresh Python process, so that Django is set up against it
alone and the peak memory is the import's. The database is a throwaway one, as in
bench/import.py: a temporary SQLite file by default, or the PostgreSQL database named in
--database-url, which is created (dropping any old one) and dropped at the end; with
DATABASE_URL set to a PostgreSQL URL and no --database-url, a database `bench_csv` on that
server. `--both` measures SQLite, then PostgreSQL (--database-url, else `bench_csv` on the
server DATABASE_URL names, else on 127.0.0.1:5432 as postgres).

The database is migrated and given the demo data (`load_demo`: 25 councils, 3 comparators, 62
indicators). The file is generated into a temporary folder in the layout of docs/importing.md:
every council and comparator × every indicator × financial years from 2012-13 and their
quarters (13 years give 112,840 keys), of which `rows` keys are drawn with a fixed seed. Every
row is valid and every key unique; the figures are pseudo-random but the same on every run
and machine: counts with a derived value (percentages, rates per 10,000, ratios), counts
with the published value beside them, values alone, thousands separators, withheld markers.

What is timed, each `runs` times, on a database holding the reference data and the file's
periods but no observation, history or import log (emptied before each run):

- import: `indicators.importing.import_observations_file(path)`, the code behind the
  `import_observations` command and the browser's import: reading the file, checking every
  row, then writing every observation, its "+" history record and the import log in one
  transaction. rows/s is the file's rows divided by this whole time.
- floor: the same rows as the database stores them (ids of council, indicator and period
  resolved, values derived) inserted into the observations table alone, in one transaction:
  COPY (psycopg2's copy_expert) on PostgreSQL, one executemany of an INSERT on SQLite. Putting
  the values in the driver's form (COPY's text; text for SQLite's decimals and datetimes) is
  timed, as the import's own conversion is.
- ratio: the import's median time over the floor's.

Memory: the process's peak RSS during each import (VmHWM, reset before it through
/proc/self/clear_refs; blank where that is not allowed), beside the RSS before it.

Prints a table, the target (at least 20,000 rows/s on each database) as MET or MISSED, and a
line describing the machine; --out also writes the figures as JSON, by vendor (`sqlite`,
`postgresql`), as bench/run.py reads them.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A standalone script in bench/: the project root is what manage.py would put on the path.
sys.path.insert(0, str(ROOT))

TARGET_ROWS_PER_SECOND = 20_000
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_csv"
FIRST_YEAR = 2012
SEED = 6


def measure(database_url: str | None, rows: int = 100_000, runs: int = 3) -> dict[str, Any]:
    """Import `rows` generated rows `runs` times into a throwaway database and time the floor.

    `database_url` is a postgres:// URL (the database is created and dropped), or None for a
    temporary SQLite file. Runs in a child process; its progress lines go to standard output.
    Returns plain figures: seconds, rows per second, the floor, their ratio, memory, machine.
    """
    with tempfile.TemporaryDirectory(prefix="bench-csv-result-") as folder:
        out = Path(folder) / "figures.json"
        command = [sys.executable, __file__, "--child", str(out)]
        command += ["--rows", str(rows), "--runs", str(runs)]
        env = dict(os.environ)
        if database_url:
            command += ["--database-url", database_url]
        else:
            env.pop("DATABASE_URL", None)  # SQLite, whatever the caller's settings use
        subprocess.run(command, env=env, check=True)
        return json.loads(out.read_text())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="imports to time (default 3)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (100,000)")
    parser.add_argument(
        "--database-url",
        help="postgres://... to benchmark PostgreSQL (the database is created and dropped)",
    )
    parser.add_argument(
        "--both", action="store_true", help="measure SQLite, then PostgreSQL (see above)"
    )
    parser.add_argument(
        "--out", type=Path, help="also write the figures here as JSON, by vendor (sqlite, ...)"
    )
    # Internal: measure() runs one database in a child process that writes its figures here.
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not 1 <= args.rows <= 1_000_000:
        parser.error("--rows must be between 1 and 1,000,000")
    return args


def main() -> None:
    from bench.environment import throwaway_url

    args = parse_args()
    if args.child:
        child(args)
        return
    if args.both:
        targets = [None, throwaway_url(args.database_url, "bench_csv") or DEFAULT_POSTGRES_URL]
    else:
        targets = [throwaway_url(args.database_url, "bench_csv")]
    results = [measure(url, args.rows, args.runs) for url in targets]
    print_table(results)
    if args.out:
        by_vendor = {figures["vendor"]: figures for figures in results}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(by_vendor, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {args.out}")


def print_table(results: list[dict[str, Any]]) -> None:
    from bench.environment import machine

    print()
    print(
        f"{'database':<18}{'rows':>9}{'runs':>6}{'rows/s':>10}{'import s':>10}"
        f"{'floor s':>9}{'ratio':>7}{'peak RSS':>10}   target ≥ {TARGET_ROWS_PER_SECOND:,}/s"
    )
    for figures in results:
        peak = figures["peak_rss_mb"]
        print(
            f"{figures['database']:<18}{figures['rows']:>9,}{figures['runs']:>6}"
            f"{figures['rows_per_second']:>10,.0f}{figures['seconds']:>10.2f}"
            f"{figures['floor_seconds']:>9.2f}{figures['ratio']:>7.1f}"
            f"{f'{peak:.0f} MB' if peak else '-':>10}   {'MET' if figures['met'] else 'MISSED'}"
        )
    for figures in results:
        print(machine(figures["database"]))


# --- In the child process: one database -----------------------------------------------------


def child(args: argparse.Namespace) -> None:
    from bench.environment import throwaway_database

    with throwaway_database(args.database_url, prefix="bench-csv-"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
        figures = run(args.rows, args.runs)
    args.child.write_text(json.dumps(figures))


def run(rows: int, runs: int) -> dict[str, Any]:
    import django

    from bench.environment import database_version, machine_facts, provenance

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from indicators.importing import import_observations_file
    from indicators.models import Observation

    # DJANGO_DEBUG only lets the settings load without a secret key; the import runs in
    # production without the debug cursor's query log, so it is timed without it too.
    settings.DEBUG = False
    try:
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
        database = database_version(connection)
        with tempfile.TemporaryDirectory(prefix="bench-csv-file-") as folder:
            path = Path(folder) / "figures.csv"
            keys = write_file(path, rows)
            print(f"{database}: {rows:,} rows in {path.name}", flush=True)
            floor_rows = stored_rows(keys)

            seconds: list[float] = []
            peaks: list[float | None] = []
            baseline = rss_mb()
            for number in range(1, runs + 1):
                empty_observations()
                reset_peak()
                started = time.perf_counter()
                report = import_observations_file(path, filename="bench.csv")
                elapsed = time.perf_counter() - started
                peaks.append(peak_rss_mb())
                if not report.ok or report.result is None or report.result.created != rows:
                    raise SystemExit(
                        f"the import did not create {rows:,} rows: {report.errors[:5]}"
                    )
                history = Observation.history.filter(history_type="+").count()  # type: ignore[attr-defined]
                if history != rows:
                    raise SystemExit(f"{history:,} history records for {rows:,} rows")
                seconds.append(elapsed)
                print(
                    f"  import run {number}: {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s)",
                    flush=True,
                )

            floor: list[float] = []
            for number in range(1, runs + 1):
                empty_observations()
                elapsed = bare_insert(floor_rows)
                if Observation.objects.count() != rows:
                    raise SystemExit("the bare insert did not store every row")
                floor.append(elapsed)
                print(f"  floor run {number}: {elapsed:.2f} s", flush=True)
            empty_observations()
    finally:
        connection.close()

    median = statistics.median(seconds)
    floor_median = statistics.median(floor)
    known_peaks = [p for p in peaks if p is not None]
    return {
        "database": database,
        "vendor": connection.vendor,
        "rows": rows,
        "runs": runs,
        "rows_per_second": round(rows / median),
        "seconds": round(median, 3),
        "seconds_each": [round(s, 3) for s in seconds],
        "floor_name": "COPY" if connection.vendor == "postgresql" else "executemany",
        "floor_seconds": round(floor_median, 3),
        "floor_seconds_each": [round(s, 3) for s in floor],
        "floor_rows_per_second": round(rows / floor_median),
        "ratio": round(median / floor_median, 2),
        "rss_before_mb": baseline,
        "peak_rss_mb": max(known_peaks) if known_peaks else None,
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "met": rows / median >= TARGET_ROWS_PER_SECOND,
        **provenance(),
        "machine": machine_facts(database),
    }


# --- The file --------------------------------------------------------------------------------

Key = tuple[Any, Any, bool, str]  # (authority or comparator, indicator, is comparator, period)


def write_file(path: Path, rows: int) -> list[tuple[Key, dict[str, str]]]:
    """Write `rows` valid rows with unique keys; return each row's key and cells, in order."""
    from indicators.models import Authority, Comparator, Indicator, Period

    subjects = [(a, False) for a in Authority.objects.order_by("name")]
    subjects += [(c, True) for c in Comparator.objects.order_by("name")]
    indicators = list(Indicator.objects.order_by("code"))
    per_year = len(subjects) * len(indicators) * 5
    years = range(FIRST_YEAR, FIRST_YEAR + -(-rows // per_year))
    periods = [
        f"{y}-{(y + 1) % 100:02d}{q}" for y in years for q in ("", " Q1", " Q2", " Q3", " Q4")
    ]
    for code in periods:
        Period.objects.for_code(code)  # the file's periods exist before anything is timed
    combinations = len(subjects) * len(indicators) * len(periods)
    random_ = random.Random(SEED)
    chosen = sorted(random_.sample(range(combinations), rows))
    written: list[tuple[Key, dict[str, str]]] = []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "authority",
                "indicator",
                "period",
                "numerator",
                "denominator",
                "value",
                "comparator",
                "source",
            ]
        )
        for index in chosen:
            rest, period_index = divmod(index, len(periods))
            subject_index, indicator_index = divmod(rest, len(indicators))
            subject, is_comparator = subjects[subject_index]
            indicator = indicators[indicator_index]
            cells = figures_for(indicator, random_)
            cells["source"] = "Benchmark figures"
            writer.writerow(
                [
                    subject.name,
                    indicator.code,
                    periods[period_index],
                    cells["numerator"],
                    cells["denominator"],
                    cells["value"],
                    "yes" if is_comparator else "",
                    cells["source"],
                ]
            )
            written.append(((subject, indicator, is_comparator, periods[period_index]), cells))
    return written


def figures_for(indicator, random_: random.Random) -> dict[str, str]:
    """One row's numerator, denominator and value cells, as people write them."""
    draw = random_.random()
    if draw < 0.02:
        return {"numerator": "", "denominator": "", "value": random_.choice("cxzu")}
    if indicator.unit in ("percent", "rate_per_10k", "ratio"):
        denominator = random_.randint(20, 60_000)
        numerator = random_.randint(0, denominator if indicator.unit == "percent" else 600)
        if draw < 0.7:  # counts only: the value is derived
            return {"numerator": f"{numerator}", "denominator": f"{denominator:,}", "value": ""}
        from indicators import derive

        value = derive.value_from_counts(
            Decimal(numerator), Decimal(denominator), indicator.unit, indicator.decimals
        )
        if draw < 0.9:  # the published value beside its counts
            return {
                "numerator": f"{numerator}",
                "denominator": f"{denominator}",
                "value": f"{value}",
            }
        return {"numerator": "", "denominator": "", "value": f"{value}"}
    amount = random_.randint(0, 250_000) / 10**indicator.decimals
    text = f"{amount:,.{indicator.decimals}f}" if draw < 0.5 else f"{amount:.{indicator.decimals}f}"
    return {"numerator": "", "denominator": "", "value": text}


# --- The floor -------------------------------------------------------------------------------


def stored_rows(written: list[tuple[Key, dict[str, str]]]) -> list[tuple]:
    """The rows as the observations table stores them, in its column order (FLOOR_COLUMNS),
    each value as the database driver takes it: what a bare insert starts from."""
    from django.utils import timezone

    from indicators import derive
    from indicators.models import Period

    period_ids = dict(Period.objects.values_list("code", "pk"))
    now = timezone.now()
    stored: list[tuple] = []
    for (subject, indicator, is_comparator, period), cells in written:
        numerator = number(cells["numerator"])
        denominator = number(cells["denominator"])
        withheld = cells["value"] if cells["value"] in ("c", "x", "z", "u") else ""
        value = None if withheld else number(cells["value"])
        if value is None and not withheld:
            value = derive.value_from_counts(
                numerator, denominator, indicator.unit, indicator.decimals
            )
        stored.append(
            (
                None if is_comparator else subject.pk,
                subject.pk if is_comparator else None,
                indicator.pk,
                period_ids[period],
                numerator,
                denominator,
                value,
                withheld,
                "final",
                cells["source"],
                "",
                "[]",
                None,
                now,
                now,
            )
        )
    return stored


FLOOR_COLUMNS = (
    "authority_id",
    "comparator_id",
    "indicator_id",
    "period_id",
    "numerator",
    "denominator",
    "value",
    "withheld",
    "status",
    "source",
    "note",
    "warnings",
    "updated_by_id",
    "created_at",
    "updated_at",
)


def number(text: str) -> Decimal | None:
    return Decimal(text.replace(",", "")) if text else None


def bare_insert(rows: list[tuple]) -> float:
    """Seconds to insert the rows into the observations table in one transaction."""
    from django.db import connection, transaction

    from indicators.models import Observation

    table = connection.ops.quote_name(Observation._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in FLOOR_COLUMNS)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            buffer.writelines("\t".join(copy_text(v) for v in row) + "\n" for row in rows)
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(FLOOR_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - our table  # nosec B608
                [tuple(sqlite_value(v) for v in row) for row in rows],
            )
    return time.perf_counter() - started


def copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def sqlite_value(value: Any) -> Any:
    # Django stores SQLite decimals and datetimes as text; the driver takes str as it is.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ")
    return value


def empty_observations() -> None:
    """No observation, history record or import log: each run creates every row afresh."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from indicators.models import ImportLog, Observation

    tables = [
        Observation.history.model._meta.db_table,  # type: ignore[attr-defined]
        Observation._meta.db_table,
        ImportLog._meta.db_table,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), tables):
            cursor.execute(statement)


# --- Memory ----------------------------------------------------------------------------------


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from now


def _status_mb(name: str) -> float | None:
    try:
        found = re.search(rf"^{name}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return round(int(found.group(1)) / 1024, 1) if found else None


def rss_mb() -> float | None:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float | None:
    return _status_mb("VmHWM")


if __name__ == "__main__":
    main()
