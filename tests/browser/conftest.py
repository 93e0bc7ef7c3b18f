"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

No browser is ever downloaded (`playwright install` is never run): the tests use
/usr/bin/chromium (CHROMIUM_PATH overrides) and fail with the command that installs it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Django's live_server runs in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Install Debian's: "
            "apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH)",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def sign_in(live_server, page):
    """Sign a user in through the real login form."""
    from tests.conftest import PASSWORD

    def _sign_in(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    return _sign_in


@pytest.fixture
def axe_violations(page):
    """Run axe-core (bundled in the axe-playwright-python package, injected from disk: no
    CDN) on the page as it stands and return its violations as readable lines, so a failing
    assertion names each rule, its impact and the elements it found."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _violations() -> list[str]:
        results = axe.run(page)
        return [
            f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"])
            for v in results.response["violations"]
        ]

    return _violations
