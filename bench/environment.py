"""What every benchmark needs around its timings: a throwaway database to run against, and a
description of the machine and database the figures came from (a figure without its machine
means little)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


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


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql")


def throwaway_url(explicit: str | None, name: str) -> str | None:
    """The PostgreSQL database to create and drop: the one --database-url names, or, when
    DATABASE_URL is a PostgreSQL URL, a database called `name` on that server (never the
    configured database itself, which holds someone's data). None: use SQLite."""
    if explicit:
        return explicit
    configured = os.environ.get("DATABASE_URL", "")
    if not is_postgres(configured):
        return None
    import dj_database_url

    config = dj_database_url.parse(configured)
    credentials = quote(config["USER"], safe="") + (
        f":{quote(config['PASSWORD'], safe='')}" if config["PASSWORD"] else ""
    )
    return f"postgres://{credentials}@{config['HOST']}:{config['PORT'] or 5432}/{name}"


@contextmanager
def throwaway_database(postgres_url: str | None, prefix: str) -> Iterator[None]:
    """Point DATABASE_URL at an empty database for the length of the block: the PostgreSQL
    database named (created, dropping any old one, and dropped at the end), else a SQLite file
    in a temporary folder. Call before django.setup(); close Django's connection inside."""
    if postgres_url:
        postgres_admin(postgres_url, "DROP DATABASE IF EXISTS {}", "CREATE DATABASE {}")
        os.environ["DATABASE_URL"] = postgres_url
        try:
            yield
        finally:
            postgres_admin(postgres_url, "DROP DATABASE IF EXISTS {}")
    else:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
            yield


def database_version(connection) -> str:
    """`PostgreSQL 16.4` or `SQLite 3.40.1`, for Django's connection."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        return f"PostgreSQL {major}.{minor}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def machine_facts(database: str) -> dict[str, str | int | None]:
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
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": ram,
        "python": platform.python_version(),
        "database": database,
    }


def machine(database: str) -> str:
    facts = machine_facts(database)
    return (
        f"machine: {facts['cpu']}, {facts['cores']} cores, {facts['ram']}, "
        f"Python {facts['python']}, {facts['database']}"
    )


def provenance() -> dict[str, str | bool]:
    """When the figures were taken and from which commit; uncommitted changes are measured
    too, so say so beside the commit."""
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def git(*arguments: str) -> str:
    try:
        done = subprocess.run(
            ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()
