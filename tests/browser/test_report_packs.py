"""A report pack's page in a real browser: it shows the pack waiting, its script polls the
status while the real task worker builds the pack, then shows "Ready to download" and the
link, which downloads the zip; axe-core finds nothing on the page."""

from __future__ import annotations

import signal
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from council_reports.accounts import provision_user
from indicators.models import Observation, Period
from reports import packs
from reports.models import Block, BlockType, Report, Section
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _figures(indicator, values, **series):
    for code, value in values.items():
        Observation.objects.create(
            indicator=indicator,
            period=Period.objects.for_code(code),
            value=Decimal(value),
            status=Observation.Status.FINAL,
            **series,
        )


def test_pack_page_follows_the_worker_and_offers_the_zip(
    live_server,
    page,
    sign_in,
    axe_violations,
    settings,
    tmp_path,
    council_a,
    council_b,
    wales_average,
    lac_allocated,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    _figures(lac_allocated, {"2014-15": "63.28"}, authority=council_a)
    _figures(lac_allocated, {"2014-15": "84.37"}, authority=council_b)
    _figures(lac_allocated, {"2014-15": "96.00"}, comparator=wales_average)
    report = Report.objects.create(
        slug="lac",
        title="Looked after children",
        committee="Corporate Parenting Board",
        authority=council_a,
        comparators=["wales-average"],
    )
    section = Section.objects.create(report=report, position=1, heading="Allocations")
    Block.objects.create(
        section=section,
        position=1,
        kind=BlockType.INDICATOR_TABLE,
        settings={"indicators": ["SCC/013aii"], "periods": ["2014-15"]},
    )
    author = provision_user("author", "author", [], PASSWORD)[0]
    pack = packs.start(report, [council_a, council_b], fmt="html", user=author)

    # The page's polls wait here while the worker runs in this thread, so the live server
    # never reads the in-memory database while the worker writes it.
    page.route("**/status/", lambda route: route.continue_())
    sign_in("author")
    page.goto(f"{live_server.url}/report-packs/{pack.pk}/")
    expect(page.locator("[data-pack-status]")).to_have_text("Waiting to start")
    expect(page.get_by_role("link", name="Download the pack (zip)")).to_be_hidden()

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

    expect(page.locator("[data-pack-status]")).to_have_text("Ready to download", timeout=15000)
    expect(page.get_by_role("status")).to_have_text(
        "The pack is ready: 2 of 2 councils. Download it below."
    )
    expect(page.locator("#pack-progress-bar")).to_have_attribute("value", "2")
    expect(page.locator("[data-pack-councils] li")).to_have_text(
        ["Caerphilly: lac-caerphilly.html", "Rhondda Cynon Taf: lac-rhondda-cynon-taf.html"]
    )
    expect(page.get_by_role("link", name="Refresh this page")).to_be_hidden()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the pack (zip)").click()
    assert download.value.suggested_filename == "lac-v1-2-councils.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert sorted(archive.namelist()) == [
            "lac-caerphilly.html",
            "lac-rhondda-cynon-taf.html",
            "manifest.csv",
        ]
    assert axe_violations() == []
