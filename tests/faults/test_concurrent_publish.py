"""An edit made while a paper is being published never lands in the published paper
(issue 14, item 5).

The author opens a draft's publish page and confirms; at the same moment an administrator
adds a section, each in a thread with its own database connection, through the builder's
POSTs. Before the fix both succeeded: the paper was published with the new section in its
rows but not in its frozen copy, and "Draft a new version" carried the unreviewed section
forward. Now, in each of twenty trials (a new paper each), one of two things happens, and
never a 500:

- publishing goes first: the paper is published as the author reviewed it and the section
  is refused (409, "A published paper cannot be changed");
- the section goes first: publishing is refused as stale (409, "The paper changed after
  you opened this page"), so nothing the author did not review is published.

Either way the frozen copy holds exactly the sections in the paper's rows.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from reports import editing
from reports.models import Report, ReportTemplate
from tests.faults.concurrency import on_a_file, run_at_once

TRIALS = 20
SEEN = re.compile(r'name="seen" value="([^"]+)"')

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database(users, wales_average, tmp_path):
    """The database every thread uses, with the users and the comparator a new paper
    shows (the Wales average) in it (concurrency.on_a_file)."""
    with on_a_file(tmp_path):
        yield


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(council, author, n: int) -> Report:
    report = editing.start_report(
        ReportTemplate.BLANK,
        authority=council,
        user=author,
        title=f"Looked after children {n}",
        committee="Corporate Parenting Board",
    )
    editing.add_section(report, "Purpose")
    return report


def publish_while_adding(author: Client, admin: Client, report: Report) -> dict[str, tuple]:
    """The author confirms publishing as the administrator adds a section:
    {"publish": (status, page), "add": (status, page)}."""
    kwargs = {"slug": report.slug, "version": report.version}
    publish_url = reverse("reports:publish", kwargs=kwargs)
    add_url = reverse("reports:add_section", kwargs=kwargs)
    start = threading.Barrier(2)
    answers: dict[str, tuple[int, str]] = {}

    def act(n: int) -> None:
        if n == 0:
            seen = SEEN.search(author.get(publish_url).content.decode()).group(1)
            start.wait(30)
            response = author.post(publish_url, {"seen": seen})
            answers["publish"] = (response.status_code, response.content.decode())
        else:
            start.wait(30)
            response = admin.post(add_url, {"heading": "Added while publishing"})
            answers["add"] = (response.status_code, response.content.decode())

    run_at_once(2, act)
    return answers


def test_an_edit_racing_publishing_is_refused_or_stops_it_never_published_unreviewed(
    council_a, users, database
):
    author, admin = client_of(users["author"]), client_of(users["admin"])
    outcomes: Counter[str] = Counter()

    for n in range(TRIALS):
        report = draft(council_a, users["author"], n)
        answers = publish_while_adding(author, admin, report)
        report.refresh_from_db()
        rows = list(report.sections.values_list("heading", flat=True))
        published, added = answers["publish"], answers["add"]

        if report.is_published:
            outcomes["published first; the section refused"] += 1
            assert published[0] == 302 and added[0] == 409, (published[0], added[0])
            assert "A published paper cannot be changed: draft a new version." in added[1]
            assert rows == ["Purpose"]
            assert [s["heading"] for s in report.frozen["sections"]] == ["Purpose"]
            # The next version starts from what was published, nothing else.
            following = editing.draft_next_version(report, users["author"])
            assert list(following.sections.values_list("heading", flat=True)) == ["Purpose"]
        else:
            outcomes["the section first; publishing refused as stale"] += 1
            assert published[0] == 409 and added[0] == 302, (published[0], added[0])
            assert "The paper changed after you opened this page" in published[1]
            assert rows == ["Purpose", "Added while publishing"]
            assert report.frozen is None

    print(dict(outcomes))
    assert outcomes.total() == TRIALS
