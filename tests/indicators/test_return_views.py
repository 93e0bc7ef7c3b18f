"""The officer's pages for quarterly returns: entering, confirming, saving, the workflow
buttons, history, restore, and who may do what, through the Django test client."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indicators import returns, workflow
from indicators.models import Observation, QuarterlyReturn
from tests.conftest import RCT_ALLOCATIONS as ALLOCATIONS

from ..conftest import PASSWORD

QUARTER = "2015-16 Q1"
REFERRALS = {
    "referrals": 300,
    "referrals_social_worker": 150,
    "referrals_other": 100,
    "assessments": 200,
    "seen": 180,
    "seen_alone": 90,
}


@pytest.fixture
def definitions(db):
    call_command("load_indicators", verbosity=0)


def url(name: str, kind: str = "allocations", period: str = QUARTER, council="rhondda-cynon-taf"):
    return reverse(f"returns:{name}", kwargs={"council": council, "kind": kind, "period": period})


def signed_in(client, user):
    client.force_login(user)
    return client


def post(counts: dict, version: int = 0, **extra) -> dict:
    return {**{k: str(v) for k, v in counts.items()}, "version": str(version), **extra}


def saved(council, counts=ALLOCATIONS, user=None, period=QUARTER, kind="allocations"):
    ret = workflow.return_for(council, workflow.quarter_period(period), kind)
    return workflow.save_return(ret, counts, user=user, expected_version=ret.version)


def test_a_period_in_a_url_is_the_quarter_code():
    assert url("return") == "/councils/rhondda-cynon-taf/returns/allocations/2015-16-q1/"


def test_entering_393_of_621_looked_after_cases_shows_and_stores_63_29(
    client, users, council_a, definitions
):
    signed_in(client, users["officer_a"])
    form = client.get(url("return"))
    assert form.status_code == 200
    assert 'id="id_lac_social_worker"' in form.text and 'inputmode="numeric"' in form.text

    confirm = client.post(url("confirm"), post(ALLOCATIONS))
    assert confirm.status_code == 200
    assert "SCC/013aii" in confirm.text and "63.29" in confirm.text
    assert QuarterlyReturn.objects.count() == 0  # nothing is written before "Save return"

    saved_page = client.post(url("return"), post(ALLOCATIONS), follow=True)
    assert saved_page.redirect_chain[-1] == (url("return"), 302)
    assert "saved as a draft" in saved_page.text
    obs = Observation.objects.get(
        authority=council_a, indicator__code="SCC/013aii", period__code=QUARTER
    )
    assert (obs.value, obs.status) == (D("63.29"), "provisional")
    assert "Provisional" in saved_page.text


def test_the_form_shows_last_quarter_and_last_year_and_prefills_stock_lines(
    client, users, council_a, definitions
):
    saved(council_a, user=users["officer_a"], period="2014-15 Q4")
    saved(council_a, {**ALLOCATIONS, "cp_open": 500}, users["officer_a"], period="2014-15 Q1")
    page = signed_in(client, users["officer_a"]).get(url("return"))
    assert "Last quarter (2014/15 Q4)" in page.text
    assert "Same quarter last year (2014/15 Q1)" in page.text
    field = re.search(r'<input[^>]*name="cp_open"[^>]*>', page.text).group(0)
    assert 'value="449"' in field  # prefilled from last quarter, not last year


def test_errors_name_the_field_and_save_nothing(client, users, council_a, definitions):
    before = (QuarterlyReturn.objects.count(), Observation.objects.count())
    bad = post({**ALLOCATIONS, "lac_open": "-3", "cp_other": "2.5"})
    del bad["cin_open"]
    for endpoint in ("confirm", "return"):
        page = signed_in(client, users["officer_a"]).post(url(endpoint), bad)
        assert page.status_code == 200
        assert 'href="#id_lac_open"' in page.text and 'href="#id_cp_other"' in page.text
        assert 'href="#id_cin_open"' in page.text
        assert 'id="id_lac_open-error"' in page.text
        assert "must be 0 or more" in page.text
    assert (QuarterlyReturn.objects.count(), Observation.objects.count()) == before


def test_a_post_without_its_version_is_refused(client, users, council_a, definitions):
    data = post(ALLOCATIONS)
    del data["version"]
    for endpoint in ("confirm", "return", "submit"):
        page = signed_in(client, users["officer_a"]).post(url(endpoint), data)
        assert page.status_code in (400, 404) and QuarterlyReturn.objects.count() == 0


def test_a_rule_breaking_sum_is_reported_on_its_field(client, users, council_a, definitions):
    page = signed_in(client, users["officer_a"]).post(
        url("confirm"), post({**ALLOCATIONS, "lac_social_worker": 500})
    )
    assert page.status_code == 200
    assert 'href="#id_lac_social_worker"' in page.text
    assert "cannot add up to more" in page.text


def test_a_jump_warning_needs_a_reason(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"], period="2014-15 Q4")
    jumped = post({**ALLOCATIONS, "lac_open": 1000})
    signed_in(client, users["officer_a"])
    confirm = client.post(url("confirm"), jumped)
    assert 'name="reason_lac_open"' in confirm.text and "changed from 621" in confirm.text

    refused = client.post(url("return"), jumped)
    assert refused.status_code == 200
    assert 'href="#id_reason_lac_open"' in refused.text
    assert not QuarterlyReturn.objects.filter(period__code=QUARTER).exists()

    client.post(url("return"), {**jumped, "reason_lac_open": "Sibling group of 30 came in"})
    ret = QuarterlyReturn.objects.get(period__code=QUARTER)
    assert ret.reasons == {"lac_open": "Sibling group of 30 came in"}


def test_referrals_confirmation_shows_the_year_to_date_by_the_flow_rule(
    client, users, council_a, definitions
):
    saved(
        council_a,
        {**REFERRALS, "referrals": 10, "referrals_social_worker": 9, "referrals_other": 0},
        users["officer_a"],
        period="2015-16 Q1",
        kind="referrals",
    )
    page = signed_in(client, users["officer_a"]).post(
        url("confirm", "referrals", "2015-16 Q2"), post(REFERRALS)
    )
    assert page.status_code == 200
    assert "SCC/007a" in page.text
    assert "Year 2015-16 to date (Q1, Q2" in page.text
    # 159 of 310 is 51%; the mean of the quarters' 90% and 50% would be 70%.
    assert re.search(r">159</td>\s*<td[^>]*>310</td>\s*<td[^>]*>51%", page.text)
    assert "70%" not in page.text


def test_another_councils_officer_gets_403_on_get_and_post(client, users, council_a, definitions):
    signed_in(client, users["officer_b"])
    assert client.get(reverse("returns:list", args=["rhondda-cynon-taf"])).status_code == 403
    assert client.get(url("return")).status_code == 403
    assert client.post(url("confirm"), post(ALLOCATIONS)).status_code == 403
    assert client.post(url("return"), post(ALLOCATIONS)).status_code == 403
    assert QuarterlyReturn.objects.count() == 0


def test_members_get_403_on_return_pages(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"])
    signed_in(client, users["member"])
    for name in ("return", "history"):
        assert client.get(url(name)).status_code == 403
    assert client.get(reverse("returns:list", args=["rhondda-cynon-taf"])).status_code == 403
    assert client.post(url("confirm"), post(ALLOCATIONS, version=1)).status_code == 403
    assert client.post(url("submit"), {"version": "1"}).status_code == 403
    obs = Observation.objects.filter(authority=council_a).first()
    assert client.get(reverse("returns:observation_history", args=[obs.pk])).status_code == 403


@pytest.mark.parametrize(
    ("role", "step"),
    [
        ("author", "submit"),
        ("author", "approve"),
        ("officer_a", "approve"),
        ("officer_a", "reopen"),
    ],
)
def test_a_role_that_may_not_take_a_step_is_refused_even_without_a_version(
    client, users, council_a, definitions, role, step
):
    ret = saved(council_a, user=users["officer_a"])
    signed_in(client, users[role])
    assert client.post(url(step), {}).status_code == 403
    ret.refresh_from_db()
    assert (ret.status, ret.version) == ("draft", 1)


def test_authors_and_admins_may_view(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"])
    for role in ("author", "admin", "approver"):
        signed_in(client, users[role])
        assert client.get(url("return")).status_code == 200
        assert client.get(url("history")).status_code == 200
    signed_in(client, users["author"])
    assert client.post(url("confirm"), post(ALLOCATIONS)).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client, council_a):
    page = client.get(url("return"))
    assert page.status_code == 302 and page.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "/councils/nowhere/returns/",
        "/councils/rhondda-cynon-taf/returns/workforce/2015-16-q1/",
        "/councils/rhondda-cynon-taf/returns/allocations/2015-17-q1/",
        "/councils/rhondda-cynon-taf/returns/allocations/2099-00-q1/",
        "/councils/rhondda-cynon-taf/returns/allocations/2015-16/",
        "/councils/rhondda-cynon-taf/returns/allocations/2015-16-q1/history/",
        "/observations/999999/history/",
    ],
)
def test_unknown_council_kind_or_period_is_404(client, users, council_a, path):
    assert signed_in(client, users["admin"]).get(path).status_code == 404


def test_submit_approve_and_the_approved_return_is_read_only(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"])
    officer = signed_in(client, users["officer_a"])
    page = officer.get(url("return"))
    assert "Submit for approval" in page.text and "Approve" not in page.text
    officer.post(url("submit"), {"version": "1"})
    assert QuarterlyReturn.objects.get().status == "submitted"
    assert officer.post(url("approve"), {"version": "2"}).status_code == 403

    approver = signed_in(client, users["approver"])
    assert ">Approve<" in approver.get(url("return")).text
    approved = approver.post(url("approve"), {"version": "2"}, follow=True)
    assert "approved and locked" in approved.text
    assert QuarterlyReturn.objects.get().status == "approved"
    obs = Observation.objects.get(indicator__code="SCC/013aii", period__code=QUARTER)
    assert obs.status == "final"

    page = signed_in(client, users["officer_a"]).get(url("return"))
    assert 'name="lac_open"' not in page.text  # read-only
    assert "Approved" in page.text and "63.29" in page.text
    refused = client.post(url("return"), post(ALLOCATIONS, version=3))
    assert refused.status_code == 200 and "approved and locked" in refused.text


def test_reopening_requires_a_reason(client, users, council_a, definitions):
    ret = saved(council_a, user=users["officer_a"])
    workflow.submit_return(ret, user=users["officer_a"], expected_version=1)
    workflow.approve_return(ret, user=users["approver"], expected_version=2)
    approver = signed_in(client, users["approver"])
    refused = approver.post(url("reopen"), {"version": "3", "reason": "  "})
    assert refused.status_code == 400 and 'href="#id_reason"' in refused.text
    assert QuarterlyReturn.objects.get().status == "approved"
    assert (
        signed_in(client, users["officer_a"])
        .post(url("reopen"), {"version": "3", "reason": "typo"})
        .status_code
        == 403
    )
    signed_in(client, users["approver"]).post(
        url("reopen"), {"version": "3", "reason": "LAC count corrected"}
    )
    ret.refresh_from_db()
    assert ret.status == "draft" and ret.change_reason == "LAC count corrected"


def test_the_second_of_two_concurrent_edits_is_refused_naming_the_changed_line(
    client, users, council_a, definitions
):
    saved(council_a, user=users["officer_a"])
    # Both open version 1; the approver saves first.
    signed_in(client, users["approver"]).post(
        url("return"), post({**ALLOCATIONS, "lac_social_worker": 394}, version=1)
    )
    refused = signed_in(client, users["officer_a"]).post(
        url("return"), post({**ALLOCATIONS, "cp_open": 450}, version=1)
    )
    assert refused.status_code == 409
    assert "approver saved this return (version 2)" in refused.text
    assert "What changed while you were editing" in refused.text
    assert "of which allocated to a social worker" in refused.text and "394" in refused.text
    assert 'name="version" value="2"' in refused.text  # the form now starts from version 2
    stored = QuarterlyReturn.objects.get()
    assert stored.figures["lac_social_worker"] == 394 and stored.figures["cp_open"] == 449


def test_the_history_page_lists_each_change(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"])
    signed_in(client, users["officer_a"]).post(
        url("return"), post({**ALLOCATIONS, "lac_social_worker": 394}, version=1)
    )
    page = client.get(url("history"))
    assert page.status_code == 200
    assert "of which allocated to a social worker: 393 → 394" in page.text
    assert "officer.a" in page.text and "saved as draft" in page.text


def test_an_admin_restores_an_observation_and_an_officer_cannot(
    client, users, council_a, definitions
):
    ret = saved(council_a, user=users["officer_a"])
    workflow.save_return(
        ret, {**ALLOCATIONS, "lac_social_worker": 394}, user=users["officer_a"], expected_version=1
    )
    obs = Observation.objects.get(indicator__code="SCC/013aii", period__code=QUARTER)
    first = obs.history.order_by("history_date").first()
    history = reverse("returns:observation_history", args=[obs.pk])
    restore = reverse("returns:observation_restore", args=[obs.pk, first.history_id])

    officer_view = signed_in(client, users["officer_a"]).get(history)
    assert officer_view.status_code == 200 and "63.29 → 63.45" in officer_view.text
    assert "Restore this value" not in officer_view.text
    assert client.post(restore).status_code == 403
    obs.refresh_from_db()
    assert obs.value == D("63.45")

    admin_view = signed_in(client, users["admin"]).get(history)
    assert "Restore this value" in admin_view.text
    done = client.post(restore, follow=True)
    assert done.status_code == 200 and "restored the version of" in done.text
    obs.refresh_from_db()
    assert obs.value == D("63.29")
    assert signed_in(client, users["officer_b"]).get(history).status_code == 403


def test_the_list_shows_returns_and_starts_one(client, users, council_a, definitions):
    saved(council_a, user=users["officer_a"])
    signed_in(client, users["officer_a"])
    listing = client.get(reverse("returns:list", args=["rhondda-cynon-taf"]))
    assert listing.status_code == 200 and "2015/16 Q1" in listing.text and "Draft" in listing.text
    start = client.get(
        reverse("returns:list", args=["rhondda-cynon-taf"]),
        {"kind": "referrals", "quarter": "2015-16 Q2"},
    )
    assert start.status_code == 302 and start.url == url("return", "referrals", "2015-16 Q2")
    home = client.get("/")
    assert reverse("returns:list", args=["rhondda-cynon-taf"]) in home.text


# ---------------------------------------------------------------------------------------
# Bad input: hundreds of generated invalid submissions, never a 500, never a write.

JUNK = st.one_of(
    st.text(max_size=12).filter(lambda t: t.strip() and not t.strip().isdigit()),
    st.integers(max_value=-1).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.integers(min_value=10_000_001, max_value=10**40).map(str),
    st.just(""),
    st.just("1e400"),
    st.just("½"),
)


@st.composite
def invalid_submission(draw):
    kind = draw(st.sampled_from(sorted(returns.SPECS)))
    spec = returns.SPECS[kind]
    counts = {line.name: draw(st.integers(0, 50)) for line in spec.lines}
    data: dict[str, str | None] = {name: str(n) for name, n in counts.items()}
    how = draw(st.sampled_from(["junk", "missing", "sum"]))
    if how == "sum":
        rule = draw(st.sampled_from(spec.rules))
        data[rule.parts[0]] = str(counts[rule.whole] + draw(st.integers(1, 1000)))
    else:
        broken = draw(st.lists(st.sampled_from(spec.line_names), min_size=1, unique=True))
        for name in broken:
            data[name] = draw(JUNK) if how == "junk" else None
    endpoint = draw(st.sampled_from(["confirm", "return"]))
    posted = {k: v for k, v in data.items() if v is not None}
    assume(returns.validate(spec, posted)[1])  # "5.000" or "1,2" are valid counts
    return kind, endpoint, posted


@settings(
    max_examples=320,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(submission=invalid_submission())
def test_invalid_submissions_never_fail_or_write(client, users, council_a, definitions, submission):
    kind, endpoint, data = submission
    client.force_login(users["officer_a"])
    before = (QuarterlyReturn.objects.count(), Observation.objects.count())
    response = client.post(url(endpoint, kind), {**data, "version": "0"})
    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert (QuarterlyReturn.objects.count(), Observation.objects.count()) == before
    assert re.search(r'href="#id_\w+"', response.text), data


def test_signing_in_with_the_shared_password_reaches_the_returns(client, users, council_a):
    signed_in = client.post(reverse("login"), {"username": "officer.a", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(reverse("returns:list", args=["rhondda-cynon-taf"])).status_code == 200
