"""Benchmark: how fast `import_dfe` loads the DfE folder into an empty database.

    DJANGO_DEBUG=true .venv/bin/python bench/import.py
    DJANGO_DEBUG=true .venv/bin/python bench/import.py --runs 5
    DJANGO_DEBUG=true .venv/bin/python bench/import.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_import

Uses a throwaway database: a temporary SQLite file by default, or the PostgreSQL database
named in --database-url, which it creates (dropping any old one) and drops at the end; with
DATABASE_URL set to a PostgreSQL URL and no --database-url, a database `bench_import` on
that server (the configured database itself is never touched). The schema is migrated once;
before each run the database is flushed, so every run starts empty. Prints each run, the
median observations written per second (rows/s: figures written, divided by the whole
import's time, reading and checking included) and a line describing the machine. The DfE
files are read from ../shared/data/dfe (DFE_DATA_DIR or --data overrides); they are never
copied.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A standalone script in bench/: the project root is what manage.py would put on the path.
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="imports to time (default 3)")
    parser.add_argument(
        "--database-url",
        help="postgres://... to benchmark PostgreSQL (the database is created and dropped)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("DFE_DATA_DIR") or ROOT.parent / "shared" / "data" / "dfe"),
        help="folder of DfE files (default: ../shared/data/dfe or $DFE_DATA_DIR)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not args.data.is_dir():
        parser.error(f"no DfE folder at {args.data}")
    return args


def main() -> None:
    from bench.environment import throwaway_database, throwaway_url

    args = parse_args()
    postgres_url = throwaway_url(args.database_url, "bench_import")
    with throwaway_database(postgres_url, prefix="bench-import-"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    from bench.environment import database_version, machine

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from indicators import dfe

    # DJANGO_DEBUG only lets the settings load without a secret key; the import runs in
    # production without the debug cursor's query log, so it is timed without it too.
    settings.DEBUG = False
    try:
        call_command("migrate", verbosity=0)
        database = database_version(connection)
        rates: list[float] = []
        for number in range(1, args.runs + 1):
            call_command("flush", interactive=False, verbosity=0)
            report = dfe.run_import([args.data])
            written = report.total("created") + report.total("updated")
            rate = written / report.seconds
            rates.append(rate)
            print(
                f"run {number}: {written:,} observations written in {report.seconds:.2f} s "
                f"({rate:,.0f} rows/s)",
                flush=True,
            )
        print(f"median: {statistics.median(rates):,.0f} rows/s over {len(rates)} runs")
        print(machine(database))
    finally:
        connection.close()


if __name__ == "__main__":
    main()
