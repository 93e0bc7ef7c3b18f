"""axe-core, run by Playwright in Chromium, finds no violations on the members' pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from council_reports.accounts import provision_user
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/councils/rhondda-cynon-taf/",
    "/councils/rhondda-cynon-taf/indicators/scc013aii/?comparators=wales-average,target",
]


def test_members_pages_have_no_axe_violations(live_server, page, sign_in, axe_violations):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("councillor", "member", [], PASSWORD)
    sign_in("councillor")
    found = {}
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        found[path] = axe_violations()
    assert found == {path: [] for path in PAGES}
