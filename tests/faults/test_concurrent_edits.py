"""Twenty concurrent edits of one quarterly return lose no update (issue 7, faults).

Twenty officers, each in a thread of their own with a database connection of its own, open
the same return at the same version and save at once. Each adds one looked-after child to the
return's count: a read-modify-write, where a lost update would show. The return's optimistic
version lets one save win each version; the others are refused with what changed (409 in the
browser), start again from the stored figures and save again, until every edit has landed.
At the end the return stands at version 1 + 20, its count is 20 higher, its history holds one
save by each officer with each count in between exactly once, and the derived figures are
those of the last save.

On SQLite the test runs on a file, as the app does (tests/faults/concurrency.py says why).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from council_reports.accounts import provision_user
from indicators import workflow
from indicators.models import Observation, QuarterlyReturn
from tests.conftest import RCT_ALLOCATIONS as COUNTS
from tests.faults.concurrency import on_a_file, run_at_once

EDITORS = 20
QUARTER = "2015-16 Q1"

# Without BEGIN IMMEDIATE (settings: SQLite's "transaction_mode"), SQLite starts a saving
# transaction as a reader and fails at once with "database is locked" when it comes to write
# after another editor has committed: the busy timeout cannot help a reader whose snapshot is
# out of date. These tests then fail with those errors.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def officers(council_a):
    return [
        provision_user(f"officer.{n}", "officer", [council_a.name], "a long test password 42")[0]
        for n in range(EDITORS)
    ]


@pytest.fixture
def draft(users, council_a, officers):
    call_command("load_indicators", verbosity=0)
    ret = workflow.return_for(council_a, workflow.quarter_period(QUARTER), "allocations")
    return workflow.save_return(ret, COUNTS, user=users["officer_a"], expected_version=0)


@pytest.fixture
def database(draft, tmp_path):
    """The database every thread uses, with the draft in it (concurrency.on_a_file)."""
    with on_a_file(tmp_path):
        yield


def assert_every_edit_landed_once(draft, officers) -> None:
    stored = QuarterlyReturn.objects.get(pk=draft.pk)
    assert stored.version == 1 + EDITORS
    assert stored.figures == {**COUNTS, "lac_open": COUNTS["lac_open"] + EDITORS}
    saves = list(stored.history.filter(version__gt=1).order_by("version"))
    assert [s.version for s in saves] == list(range(2, 2 + EDITORS))
    # Each save started from the one before it: every count in between, once each.
    assert [s.figures["lac_open"] for s in saves] == [
        COUNTS["lac_open"] + n for n in range(1, 1 + EDITORS)
    ]
    assert sorted(s.updated_by_id for s in saves) == sorted(o.pk for o in officers)

    looked_after = Observation.objects.get(
        authority=draft.authority, indicator__code="SCC/013aii", period__code=QUARTER
    )
    assert (looked_after.numerator, looked_after.denominator) == (393, 621 + EDITORS)
    assert looked_after.value == Decimal("61.31")  # 393 of 641
    assert looked_after.history.count() == 1 + EDITORS
    assert looked_after.history.first().denominator == 621 + EDITORS


def test_twenty_concurrent_saves_through_the_workflow_lose_no_update(draft, officers, database):
    start = threading.Barrier(EDITORS)
    refused: Counter[int] = Counter()

    def edit(n: int) -> None:
        ret = QuarterlyReturn.objects.get(pk=draft.pk)
        start.wait(30)  # every editor has read version 1
        while True:
            counts = {**ret.figures, "lac_open": ret.figures["lac_open"] + 1}
            try:
                workflow.save_return(ret, counts, user=officers[n], expected_version=ret.version)
                return
            except workflow.StaleReturn as stale:
                assert stale.changes and stale.changes[0][0] == "lac_open"  # says what
                refused[n] += 1
                ret = QuarterlyReturn.objects.get(pk=draft.pk)

    run_at_once(EDITORS, edit)

    assert_every_edit_landed_once(draft, officers)
    # Only one editor could win version 1: the other 19 were refused at least once.
    assert refused.total() >= EDITORS - 1


INPUT = re.compile(r'<input\b[^>]*\bname="(\w+)"[^>]*\bvalue="(\d+)"')


def test_twenty_officers_saving_the_return_page_at_once_lose_no_update(draft, officers, database):
    url = reverse(
        "returns:return",
        kwargs={"council": draft.authority.slug, "kind": "allocations", "period": QUARTER},
    )
    clients = []
    for officer in officers:
        client = Client()
        client.force_login(officer)
        clients.append(client)
    start = threading.Barrier(EDITORS)
    conflicts: Counter[int] = Counter()

    def edit(n: int) -> None:
        client = clients[n]
        form = dict(INPUT.findall(client.get(url).content.decode()))
        assert form["version"] == "1"
        start.wait(30)
        while True:
            posted = {**form, "lac_open": str(int(form["lac_open"]) + 1)}
            response = client.post(url, posted)
            if response.status_code == 302:
                return
            page = response.content.decode()
            assert response.status_code == 409, (response.status_code, page[:3000])
            assert "saved this return (version" in page and "Your figures were not saved" in page
            conflicts[n] += 1
            # The officer enters the change again on the form, which shows the stored figures.
            form = dict(INPUT.findall(page))

    run_at_once(EDITORS, edit)

    assert_every_edit_landed_once(draft, officers)
    assert conflicts.total() >= EDITORS - 1
