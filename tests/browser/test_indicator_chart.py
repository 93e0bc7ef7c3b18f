"""The indicator page in a real browser: the chart is drawn, by the plotly.js the app serves
itself (no request leaves the app's origin), and the comparator chooser changes it."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from playwright.sync_api import expect

from council_reports.accounts import provision_user
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/councils/rhondda-cynon-taf/indicators/scc013aii/"


def test_member_sees_the_chart_drawn_by_the_apps_own_plotly(live_server, page, sign_in, tmp_path):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("councillor", "member", [], PASSWORD)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    sign_in("councillor")
    page.goto(f"{live_server.url}{PAGE}?comparators=wales-average")

    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_attached()
    traces = page.locator(".js-plotly-plot .scatterlayer .trace path.js-line")
    expect(traces).to_have_count(2)  # the council and the Wales average
    expect(traces.first).to_be_visible()
    expect(page.locator(".js-plotly-plot .gtitle")).to_contain_text("Rhondda Cynon Taf")
    page.screenshot(path=str(Path(tmp_path) / "indicator.png"), full_page=True)

    origin = urlsplit(live_server.url).netloc
    # (Under a content-hashed name once collectstatic has run.)
    assert any(url.endswith(static("plotly/plotly.min.js")) for url in requested)
    foreign = [url for url in requested if urlsplit(url).netloc not in (origin, "")]
    assert foreign == [], foreign

    # Untick the Wales average: the chart and the table show the council alone, and the
    # address bar carries the choice so that a copied link shows the same view.
    page.get_by_label("Wales average").uncheck()
    page.get_by_role("button", name="Show").click()
    expect(traces).to_have_count(1)
    expect(page.locator("#trend-table thead th")).to_have_count(2)
    assert "comparators=" in page.url
