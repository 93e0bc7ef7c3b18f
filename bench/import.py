"""Benchmark: how fast `import_dfe` loads the DfE folder into an empty database.

    DJANGO_DEBUG=true .venv/bin/python bench/import.py
    DJANGO_DEBUG=true .venv/bin/python bench/import.py --runs 5
    DJANGO_DEBUG=true .venv/bin/python bench/import.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_import

Uses a throwaway database: a temporary SQLite file by default, or the PostgreSQL database
named in --database-url, which it creates (dropping any old one) and drops at the end. The
schema is migrated once; before each run the database is flushed, so every run starts empty.
Prints each run, the median observations written per second (rows/s: figures written,
divided by the whole import's time, reading and checking included) and a line describing
the machine. The DfE files are read from ../shared/data/dfe (DFE_DATA_DIR or --data
overrides); they are never copied.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
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


def postgres_admin(url: str, *statements: str) -> None:
    """Run DROP/CREATE DATABASE statements ({} is the URL's database) from the server's
    maintenance database."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
    )
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(sql.SQL(statement).format(sql.Identifier(config["NAME"])))
    finally:
        connection.close()


def machine(database: str) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown RAM"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, {ram}, Python {platform.python_version()}, "
        f"{database}"
    )


def main() -> None:
    args = parse_args()
    workdir = None
    if args.database_url:
        postgres_admin(args.database_url, "DROP DATABASE IF EXISTS {}", "CREATE DATABASE {}")
        os.environ["DATABASE_URL"] = args.database_url
    else:
        workdir = tempfile.TemporaryDirectory(prefix="bench-import-")
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")

    import django

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
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            major, minor = divmod(connection.pg_version, 10000)
            database = f"PostgreSQL {major}.{minor}"
        else:
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
        rates: list[float] = []
        for run in range(1, args.runs + 1):
            call_command("flush", interactive=False, verbosity=0)
            report = dfe.run_import([args.data])
            written = report.total("created") + report.total("updated")
            rate = written / report.seconds
            rates.append(rate)
            print(
                f"run {run}: {written:,} observations written in {report.seconds:.2f} s "
                f"({rate:,.0f} rows/s)",
                flush=True,
            )
        print(f"median: {statistics.median(rates):,.0f} rows/s over {len(rates)} runs")
        print(machine(database))
    finally:
        connection.close()
        if args.database_url:
            postgres_admin(args.database_url, "DROP DATABASE IF EXISTS {}")
        if workdir is not None:
            workdir.cleanup()


if __name__ == "__main__":
    main()
