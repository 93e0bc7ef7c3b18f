"""The audit dashboard in a real browser: a member opens Rhondda Cynon Taf's, both charts are
drawn (the grades as patterned bars, the ACM share as lines), and axe-core finds nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from council_reports.accounts import provision_user
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/councils/rhondda-cynon-taf/audits/dashboard/"


def test_member_sees_the_audit_dashboards_charts_with_no_axe_violations(
    live_server, page, sign_in, axe_violations, tmp_path
):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("councillor", "member", [], PASSWORD)
    sign_in("councillor")
    page.goto(f"{live_server.url}{PAGE}")
    page.wait_for_load_state("networkidle")

    expect(page.locator("#grades.js-plotly-plot .main-svg").first).to_be_attached()
    expect(page.locator("#grades .barlayer .point path")).to_have_count(1)  # 5 not graded
    expect(page.locator("#grades .barlayer text")).to_have_text(["5"])
    expect(page.locator("#acm.js-plotly-plot .main-svg").first).to_be_attached()
    expect(page.locator("#acm .scatterlayer .trace path.js-line")).to_have_count(2)
    expect(page.get_by_text("within target")).to_be_visible()
    page.screenshot(path=str(Path(tmp_path) / "audit-dashboard.png"), full_page=True)

    assert axe_violations() == []
