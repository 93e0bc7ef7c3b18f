"""Officers saving a new quarterly return at the same moment: one save lands, the others are
told what was stored meanwhile (issue 14, item 6).

Three officers of one council open the page of a return nobody has saved (version 0) and
save it at once, each in a thread with its own database connection, through the return
page's POST. Before the fix the second INSERT broke the one-return-per-council-quarter-kind
constraint and answered 500. Now, in each of twenty trials (a new quarter each), exactly one
officer's save lands (302), the others get the 409 page for a save from an out-of-date
copy, naming the figures the winner stored, and the return's history holds that one save.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from council_reports.accounts import provision_user
from indicators.models import Observation, QuarterlyReturn
from tests.conftest import RCT_ALLOCATIONS as COUNTS
from tests.faults.concurrency import on_a_file, run_at_once

OFFICERS = 3
# Twenty quarters nobody has saved: 2010-11 Q1 to 2014-15 Q4.
QUARTERS = [f"{year}-{str(year + 1)[2:]} Q{q}" for year in range(2010, 2015) for q in (1, 2, 3, 4)]

pytestmark = pytest.mark.django_db(transaction=True)

VERSION = re.compile(r'<input\b[^>]*\bname="version"[^>]*\bvalue="(\d+)"')


@pytest.fixture
def officers(council_a):
    call_command("load_indicators", verbosity=0)
    return [
        provision_user(f"officer.{n}", "officer", [council_a.name], "a long test password 42")[0]
        for n in range(OFFICERS)
    ]


@pytest.fixture
def database(officers, tmp_path):
    """The database every thread uses, with the officers in it (concurrency.on_a_file)."""
    with on_a_file(tmp_path):
        yield


def save_at_once(clients: list[Client], url: str) -> dict[int, tuple[int, str]]:
    """Each officer opens the new return's page, then all save at once: {officer: (status,
    page)}. Each enters their own count of looked-after children: 621, 622 and 623."""
    start = threading.Barrier(len(clients))
    answers: dict[int, tuple[int, str]] = {}

    def save(n: int) -> None:
        page = clients[n].get(url).content.decode()
        assert VERSION.findall(page) == ["0"], page[:2000]  # a new return, at version 0
        posted = {**COUNTS, "lac_open": COUNTS["lac_open"] + n, "version": "0"}
        start.wait(30)
        response = clients[n].post(url, posted)
        answers[n] = (response.status_code, response.content.decode())

    run_at_once(len(clients), save)
    return answers


def test_officers_saving_a_new_return_at_once_get_one_save_and_409s_naming_it(
    council_a, officers, database
):
    assert len(QUARTERS) == 20 and QUARTERS[0] == "2010-11 Q1" and QUARTERS[-1] == "2014-15 Q4"
    clients = []
    for officer in officers:
        client = Client()
        client.force_login(officer)
        clients.append(client)

    for quarter in QUARTERS:
        url = reverse(
            "returns:return",
            kwargs={"council": council_a.slug, "kind": "allocations", "period": quarter},
        )
        answers = save_at_once(clients, url)

        statuses = sorted(status for status, _page in answers.values())
        assert statuses == [302, 409, 409], (quarter, statuses)
        (winner,) = [n for n, (status, _page) in answers.items() if status == 302]
        stored = QuarterlyReturn.objects.get(authority=council_a, period__code=quarter)
        assert stored.version == 1
        assert stored.updated_by == officers[winner]
        assert stored.figures["lac_open"] == 621 + winner
        assert [(h.version, h.updated_by_id) for h in stored.history.all()] == [
            (1, officers[winner].pk)
        ]
        for n, (_status, page) in answers.items():
            if n == winner:
                continue
            assert "saved this return (version 1)" in page and "Your figures were not saved" in page
            # What changed: every count the winner stored, against none in the officer's copy.
            assert "What changed while you were editing" in page
            assert f'<td class="numeric">{621 + winner}</td>' in page
            assert '<td class="numeric">1588</td>' in page  # open children in need cases

        # The derived figure was written once, from the winner's counts (393 of 621 + winner).
        looked_after = Observation.objects.get(
            authority=council_a, indicator__code="SCC/013aii", period__code=quarter
        )
        assert looked_after.denominator == 621 + winner
        assert looked_after.history.count() == 1

    assert QuarterlyReturn.objects.filter(authority=council_a).count() == 20
