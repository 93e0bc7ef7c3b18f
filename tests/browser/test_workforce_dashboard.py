"""The workforce dashboard in a real browser: a member opens Rhondda Cynon Taf's, its charts
are drawn with the app's own plotly.js, and axe-core finds no accessibility violations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from council_reports.accounts import provision_user
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/councils/rhondda-cynon-taf/workforce/dashboard/"


def test_member_sees_the_workforce_charts_with_no_axe_violations(
    live_server, page, sign_in, axe_violations, tmp_path
):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("councillor", "member", [], PASSWORD)
    sign_in("councillor")
    page.goto(f"{live_server.url}{PAGE}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Workforce dashboard")
    expect(page.locator("#chart-vacancy-rate.js-plotly-plot .main-svg").first).to_be_attached()
    expect(page.locator("#chart-staff-ratio.js-plotly-plot .main-svg").first).to_be_attached()
    # Seed 000: 25.0% of 32 ACM posts vacant; 2.9 qualified staff per unqualified one.
    expect(page.locator("#chart-vacancy-rate .scatterlayer .trace .point")).to_have_count(1)
    expect(page.locator("#chart-vacancy-rate-table tbody td")).to_have_text(["25.0"])
    expect(page.locator("#chart-staff-ratio .gtitle")).to_contain_text("Rhondda Cynon Taf")
    expect(page.get_by_text("2.9:1", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(Path(tmp_path) / "workforce.png"), full_page=True)

    assert axe_violations() == []
