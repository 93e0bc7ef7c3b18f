"""Issue 3's walk through a real browser: an officer enters a quarter's allocations, an
approver approves, a member reads the figures, another council's officer is refused."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from indicators.models import Observation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTS = {
    "cp_open": "449",
    "cp_social_worker": "447",
    "cp_other": "2",
    "lac_open": "621",
    "lac_social_worker": "393",
    "lac_other": "227",
    "cin_open": "1588",
    "cin_social_worker": "1077",
    "cin_other": "365",
}
RETURN = "/councils/rhondda-cynon-taf/returns/allocations/2015-16-q1/"


@pytest.fixture
def definitions(db):
    call_command("load_indicators", verbosity=0)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_officer_enters_approver_approves_member_reads_other_council_refused(
    live_server, page, sign_in, users, definitions
):
    page = sign_in("officer.a")
    page.goto(live_server.url + RETURN)
    for line, count in COUNTS.items():
        page.locator(f"#id_{line}").fill(count)
    page.get_by_role("button", name="Continue").click()

    # The confirmation page shows what the counts imply before anything is saved.
    expect(page.get_by_text("63.29").first).to_be_visible()
    expect(page.get_by_text("SCC/013aii").first).to_be_visible()
    assert not Observation.objects.filter(period__code="2015-16 Q1").exists()
    page.get_by_role("button", name="Save return").click()
    page.get_by_role("button", name="Submit for approval").click()
    saved = Observation.objects.get(indicator__code="SCC/013aii", period__code="2015-16 Q1")
    assert (str(saved.value), saved.status) == ("63.2900", "provisional")
    sign_out(page)

    page = sign_in("approver")
    page.goto(live_server.url + RETURN)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved").first).to_be_visible()
    saved.refresh_from_db()
    assert saved.status == "final"
    sign_out(page)

    page = sign_in("member")
    page.goto(live_server.url + "/councils/rhondda-cynon-taf/")
    row = page.get_by_role("row", name="SCC/013aii Looked after")
    expect(row).to_contain_text("63.29%")
    expect(row).to_contain_text("2015/16 Q1")
    expect(row).to_contain_text("Final")
    sign_out(page)

    page = sign_in("officer.b")
    response = page.goto(live_server.url + RETURN)
    assert response.status == 403
