"""The database connection lost in the middle of an import (issue 7, faults).

On PostgreSQL a second connection ends the importing backend with pg_terminate_backend while
it is writing: a real termination of the real backend. To catch it at a known point, that
connection first locks a table the import writes (EXCLUSIVE: reads go on, writes wait), so
the import stops inside its COPY or INSERT; the backend is found waiting there in
pg_stat_activity and terminated. The import then fails with a plain message, nothing of it is
stored (figures, history, import log), and running it again imports every figure with its
history.
"""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from indicators.models import ImportLog, Indicator, Observation, Period

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="ends a PostgreSQL backend with pg_terminate_backend; SQLite has no server",
    ),
    pytest.mark.django_db(transaction=True),
]

COUNCILS = ("Rhondda Cynon Taf", "Caerphilly")
FIRST_YEAR, YEARS = 1990, 40  # 40 financial years and their quarters: 200 periods
OBSERVATIONS = Observation._meta.db_table
HISTORY = Observation.history.model._meta.db_table  # type: ignore[attr-defined]
Key = tuple[str, str, str]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"


def _periods() -> list[str]:
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(FIRST_YEAR, FIRST_YEAR + YEARS)]
    return [*years, *(f"{y} Q{q}" for y in years for q in (1, 2, 3, 4))]


def _write_csv(path: Path, figures: dict[Key, Decimal]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["authority", "indicator", "period", "value", "source"])
        for (council, code, period), value in figures.items():
            writer.writerow([council, code, period, value, "Fault test"])
    return path


@pytest.fixture
def figures(users) -> dict[Key, Decimal]:
    """Every indicator for two councils over 200 periods: 24,800 figures, as a council's
    whole history re-imported would be."""
    call_command("load_indicators", verbosity=0)
    codes = Indicator.objects.order_by("code").values_list("code", flat=True)
    keys = [(c, code, p) for c in COUNCILS for code in codes for p in _periods()]
    return {key: Decimal(n % 97) for n, key in enumerate(keys)}


@pytest.fixture
def stored_before(figures, tmp_path) -> dict[Key, Decimal]:
    """Some of the figures already stored, with other values: the import updates these
    (and keeps their old values in history) and creates the rest."""
    earlier = {key: value + 1 for n, (key, value) in enumerate(figures.items()) if n % 25 == 0}
    call_command("import_observations", str(_write_csv(tmp_path / "earlier.csv", earlier)))
    return earlier


def stored() -> dict[Key, Decimal]:
    rows = Observation.objects.values_list(
        "authority__name", "indicator__code", "period__code", "value"
    )
    return {(a, i, p): v for a, i, p, v in rows}


def history() -> list[tuple[int, str, Decimal]]:
    """(observation id, type, value) of every history record, oldest first."""
    records = Observation.history.order_by("id", "history_date", "history_id")
    return list(records.values_list("id", "history_type", "value"))


def state() -> tuple:
    return (stored(), history(), ImportLog.objects.count(), Period.objects.count())


def assert_imported(figures: dict[Key, Decimal], stored_before: dict[Key, Decimal]) -> None:
    """Every figure of the file is stored; each has its history: "+" with the file's value,
    or "+" with the earlier value then "~" with the file's."""
    assert stored() == figures
    by_observation: dict[int, list[tuple[str, Decimal]]] = {}
    for pk, kind, value in history():
        by_observation.setdefault(pk, []).append((kind, value))
    ids = Observation.objects.values_list(
        "authority__name", "indicator__code", "period__code", "id"
    )
    id_of = {(a, i, p): pk for a, i, p, pk in ids}
    assert len(by_observation) == len(figures)
    for key, value in figures.items():
        expected = [("+", value)]
        if key in stored_before:
            expected = [("+", stored_before[key]), ("~", value)]
        assert by_observation[id_of[key]] == expected, key


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _second_connection():
    settings = connection.settings_dict
    second = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    return second


@contextmanager
def terminated_while_writing(table: str, pid: int) -> Iterator[dict]:
    """Backend `pid` ended while it writes `table`.

    A thread of its own locks the table (writes wait, reads go on), waits until the backend
    is stuck on that lock in a statement naming the table, and terminates it. The lock is
    let go at the latest after a minute, so a test whose import never writes the table
    fails instead of hanging."""
    seen: dict = {}
    locked = threading.Event()
    done = threading.Event()

    def terminate() -> None:
        locker, watcher = _second_connection(), _second_connection()
        watcher.autocommit = True
        try:
            with locker.cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
            locked.set()
            deadline = time.monotonic() + 60
            with watcher.cursor() as cursor:
                while not done.is_set() and time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT query FROM pg_stat_activity "
                        "WHERE pid = %s AND wait_event_type = 'Lock'",
                        [pid],
                    )
                    row = cursor.fetchone()
                    if row and f'"{table}"' in row[0]:
                        seen["query"] = row[0]
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                        seen["terminated"] = cursor.fetchone()[0]
                        return
                    time.sleep(0.005)
        finally:
            locked.set()
            locker.rollback()
            locker.close()
            watcher.close()

    thread = threading.Thread(target=terminate, name="terminate-backend")
    thread.start()
    locked.wait(30)
    try:
        yield seen
    finally:
        done.set()
        thread.join(90)
    assert seen.get("terminated") is True, "the import never waited to write " + table


@pytest.mark.parametrize(
    ("table", "statement"),
    [(OBSERVATIONS, "COPY"), (HISTORY, "INSERT")],
    ids=["while-copying-observations", "while-writing-history"],
)
def test_import_command_ended_mid_write_writes_nothing_and_a_retry_imports_everything(
    figures, stored_before, tmp_path, table, statement
):
    path = _write_csv(tmp_path / "figures.csv", figures)
    before = state()

    with (
        terminated_while_writing(table, _backend_pid()) as seen,
        pytest.raises(CommandError) as failed,
    ):
        call_command("import_observations", str(path), verbosity=0)

    assert seen["query"].startswith(statement)
    assert failed.value.returncode == 1
    assert str(failed.value).startswith(
        "The database connection was lost while the figures were being written "
        "(server closed the connection unexpectedly). Nothing was written: run the import again."
    )
    assert state() == before  # figures, history, import logs, even the new periods

    call_command("import_observations", str(path), verbosity=0)

    assert_imported(figures, stored_before)
    log = ImportLog.objects.order_by("-started_at").first()
    assert (log.rows, log.created, log.updated, log.unchanged) == (
        len(figures),
        len(figures) - len(stored_before),
        len(stored_before),
        0,
    )


def test_import_confirmed_in_the_browser_ended_mid_write_says_so_and_confirms_again(
    figures, stored_before, users, tmp_path
):
    client = Client()
    client.force_login(users["admin"])
    path = _write_csv(tmp_path / "figures.csv", figures)
    upload = SimpleUploadedFile("figures.csv", path.read_bytes(), content_type="text/csv")
    uploaded = client.post(reverse("imports:upload"), {"file": upload})
    token = re.fullmatch(r"/imports/([A-Za-z0-9_-]+)/", uploaded["Location"]).group(1)
    assert client.get(reverse("imports:preview", args=[token])).status_code == 200
    confirm = reverse("imports:confirm", args=[token])
    before = state()

    with terminated_while_writing(HISTORY, _backend_pid()):
        interrupted = client.post(confirm)

    assert interrupted.status_code == 503
    text = interrupted.content.decode()
    assert "The import did not finish" in text
    assert "Nothing was written: run the import again." in text
    assert "Traceback" not in text and "OperationalError" not in text
    assert f'action="{confirm}"' in text  # the same file, confirmed again with one button
    assert state() == before

    done = client.post(confirm)

    assert done.status_code == 302, done.content.decode()[:2000]
    assert client.get(done["Location"]).status_code == 200
    assert_imported(figures, stored_before)
    assert ImportLog.objects.count() == before[2] + 1
