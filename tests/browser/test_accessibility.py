"""axe-core, run by Playwright in Chromium, finds no violations on the members' pages."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

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


DFE_DIR = Path(
    os.environ.get("DFE_DATA_DIR") or Path(settings.BASE_DIR).parent / "shared" / "data" / "dfe"
)
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"


@pytest.mark.skipif(not (DFE_DIR / C1).exists(), reason=f"the DfE files are not in {DFE_DIR}")
def test_an_english_councils_pages_with_every_comparator_and_its_ranking_have_no_violations(
    live_server, page, sign_in, axe_violations
):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    call_command(
        "import_dfe",
        str(DFE_DIR / C1),
        str(DFE_DIR / "sn_model_2025_wide.csv"),
        stdout=io.StringIO(),
    )
    provision_user("councillor", "member", [], PASSWORD)
    sign_in("councillor")
    everything = "?comparators=england,region,sn-mean,sn-median"
    found = {}
    for path in ("/councils/halton/", "/councils/halton/indicators/cin_rereferral_percent/"):
        page.goto(f"{live_server.url}{path}{everything}")
        page.wait_for_load_state("networkidle")
        if page.locator("#councils-table-details").count():
            # Open the table of every council so that axe checks it too.
            page.locator("#councils-table-details summary").click()
            expect(page.locator("#councils-table")).to_be_visible()
            expect(page.locator("#councils-chart .main-svg").first).to_be_attached()
        found[path] = axe_violations()
    assert found == {path: [] for path in found}
    assert len(found) == 2
