"""What every bad-input case asserts: no server error, and nothing written when the input
is refused.

`fingerprint()` counts the rows of every table of the project's apps (history tables
included) in one query; a refused case must leave every count as it was. Each case runs
inside a savepoint that is rolled back afterwards, so a case that was accepted (junk that
happens to be valid) does not change the world the next one starts from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from tests.security.tally import TALLY, case

APPS = ("council_reports", "indicators", "workforce", "audits", "reports")
# Records of reading, not writing: a refused audit form shows the stored free text again,
# and every showing of it is recorded on purpose (issue 7, item 7).
NOT_WRITES = {"audits_audittextaccess"}


def _tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for label in APPS
            for model in apps.get_app_config(label).get_models()
            if model._meta.managed and not model._meta.proxy
        }
        - NOT_WRITES
    )


def fingerprint() -> dict[str, int]:
    """Row counts of every table of the project's apps, history included."""
    tables = _tables()
    quote = connection.ops.quote_name
    # Table names come from the models' metadata, quoted; there are no values.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    return dict(zip(tables, counts))


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {t: (before[t], after[t]) for t in before if before[t] != after[t]}


@dataclass
class Case:
    area: str
    before: dict[str, int]

    def answered(self, response) -> None:
        """No server error: any status below 500."""
        if response.status_code >= 500:
            TALLY.server_errors += 1
            body = getattr(response, "content", b"")[:1500]
            raise AssertionError(f"{self.area}: server error {response.status_code}: {body!r}")

    def nothing_written(self) -> None:
        difference = changed(self.before, fingerprint())
        if difference:
            TALLY.partial_writes += 1
            raise AssertionError(f"{self.area}: refused input wrote rows: {difference}")


@contextmanager
def examined(area: str) -> Iterator[Case]:
    """One generated case: counted, fingerprinted before, rolled back after."""
    case(area)
    with transaction.atomic():
        checked = Case(area, fingerprint())
        try:
            yield checked
        finally:
            transaction.set_rollback(True)
