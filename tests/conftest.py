"""Shared fixtures: a small world of councils, and a named user for every role, so every view
gets its "who may not" test as cheaply as its "who may"."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from council_reports.accounts import provision_user
from indicators.models import Authority, Comparator, Indicator, Nation, Region

# Property tests draw new cases on every local run, to keep finding bugs; CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) draws the same cases every time, so a run that lands
# is one anybody can repeat, and a case found locally is added with @example.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PASSWORD = "correct horse battery staple 42"

# Rhondda Cynon Taf's case allocations for 2015-16 Q1, as seed 000 prints them (SCC/013aii:
# 393 of 621 looked after children allocated to a social worker): the counts tests enter when
# they need a real return.
RCT_ALLOCATIONS = {
    "cp_open": 449,
    "cp_social_worker": 447,
    "cp_other": 2,
    "lac_open": 621,
    "lac_social_worker": 393,
    "lac_other": 227,
    "cin_open": 1588,
    "cin_social_worker": 1077,
    "cin_other": 365,
}


@pytest.fixture
def wales(db) -> Region:
    return Region.objects.create(name="South East Wales", nation=Nation.WALES)


@pytest.fixture
def council_a(wales) -> Authority:
    return Authority.objects.create(
        name="Rhondda Cynon Taf", gss_code="W06000016", nation=Nation.WALES, region=wales
    )


@pytest.fixture
def council_b(wales) -> Authority:
    return Authority.objects.create(
        name="Caerphilly", gss_code="W06000018", nation=Nation.WALES, region=wales
    )


@pytest.fixture
def wales_average(db) -> Comparator:
    return Comparator.objects.create(name="Wales average", kind="national", nation=Nation.WALES)


@pytest.fixture
def lac_allocated(db) -> Indicator:
    return Indicator.objects.create(
        code="SCC/013aii",
        title="Open cases of looked after children with an allocated social worker",
        unit="percent",
        decimals=2,
        polarity="higher",
        measure="stock",
        framework="wales",
        theme="allocations",
    )


@pytest.fixture
def users(council_a, council_b) -> dict:
    """One user per role: officers of council A and B, an approver of A, a member, an author
    (of A: authors read only their councils' audit findings) and an administrator. All share
    PASSWORD."""
    specs = {
        "officer_a": ("officer", [council_a.name]),
        "officer_b": ("officer", [council_b.name]),
        "approver": ("approver", [council_a.name]),
        "member": ("member", []),
        "author": ("author", [council_a.name]),
        "admin": ("admin", []),
    }
    return {
        key: provision_user(key.replace("_", "."), role, names, PASSWORD)[0]
        for key, (role, names) in specs.items()
    }


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    """Uploads go to the test's own folder: the worker's sweep, run by tests, must never
    remove the files of the developer's running app."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: tests roll their figures back without committing,
    so the figures version never changes between them and a page cached by one test would
    otherwise be served to the next."""
    cache.clear()
