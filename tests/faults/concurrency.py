"""Real concurrency for the fault tests: each caller in a thread with a database connection
of its own, all started at once, on the database the app uses.

On SQLite the test database is in memory, one shared cache whose table locks fail at once
("database table is locked") instead of waiting for the busy timeout, so no settings could
make concurrent writers wait on it: `on_a_file` copies it (with the fixtures' rows) to a
file opened with the app's own options (WAL, busy timeout, BEGIN IMMEDIATE), as in
production. On PostgreSQL the test database is already shared by every connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections


@contextmanager
def on_a_file(folder: Path) -> Iterator[None]:
    """Every connection opened inside reads and writes the same database: on SQLite, the
    in-memory test database copied to a file in `folder` (rows made before are kept)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    path = folder / "db.sqlite3"
    copy = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    in_memory = connections.settings["default"]
    in_memory_connection = connections["default"]
    connections.settings["default"] = {**in_memory, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = in_memory_connection
        connections.settings["default"] = in_memory


def run_at_once(count: int, work: Callable[[int], None]) -> None:
    """work(n) for n in range(count), each in a thread with its own connection; an exception
    in any thread fails the test. `work` waits on a barrier of its own where the callers
    must line up (after reading, before writing)."""
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not [t for t in threads if t.is_alive()], "a thread never finished"
    assert not failures, failures
