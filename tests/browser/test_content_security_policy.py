"""Under the Content Security Policy, Chromium draws every page and chart with nothing blocked
(issue 7, item 1): no inline script, no eval, plotly's styles allowed by their hashes only."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from council_reports.accounts import provision_user
from reports.models import Report
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every frame records what the policy blocked; read back from each frame after each page.
RECORD_VIOLATIONS = """
window.__blocked = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__blocked.push(event.effectiveDirective + " " + event.blockedURI + " "
                        + event.sourceFile + ":" + event.lineNumber);
});
"""

PAGES = {
    # path: how many plotly charts it draws (in the page or its preview frame)
    "/": 0,
    "/councils/rhondda-cynon-taf/": 0,
    "/councils/rhondda-cynon-taf/indicators/scc013aii/?comparators=wales-average,target": 1,
    "/councils/rhondda-cynon-taf/workforce/dashboard/": 3,
    "/councils/rhondda-cynon-taf/audits/dashboard/": 2,
    "/councils/rhondda-cynon-taf/returns/": 0,
    "/reports/": 0,
    "/imports/": 0,
    "/admin/": 0,
}


def test_pages_charts_and_the_paper_preview_work_with_nothing_blocked(live_server, page, sign_in):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    provision_user("csp.admin", "admin", [], PASSWORD)
    paper = Report.objects.filter(status=Report.Status.PUBLISHED).first()
    builder = f"/reports/{paper.slug}/v{paper.version}/"
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in("csp.admin")

    drawn, blocked = {}, {}
    for path, charts in {**PAGES, builder: 5}.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        page.wait_for_load_state("networkidle")
        if charts:
            page.wait_for_function(
                "n => [window, ...Array.from(window.frames)].reduce((all, w) =>"
                " all + w.document.querySelectorAll('.js-plotly-plot .main-svg').length, 0)"
                " >= n",
                arg=charts,
            )
        drawn[path] = sum(frame.locator(".js-plotly-plot").count() for frame in page.frames)
        blocked[path] = [
            line for frame in page.frames for line in frame.evaluate("window.__blocked || []")
        ]
        if charts:
            # plotly's own rules went in (its <style> allowed by hash): hover labels, modebar.
            rules = page.frames[-1].evaluate(
                "document.getElementById('plotly.js-style-global').sheet.cssRules.length"
            )
            assert rules > 0, path

    assert blocked == {path: [] for path in blocked}
    assert drawn == {**PAGES, builder: 5}
    assert errors == []
