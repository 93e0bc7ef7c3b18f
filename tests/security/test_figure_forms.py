"""Junk through the figure form and the quarterly return forms, as an officer of the
council would post it: no server error, every refusal named, nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from indicators.models import Observation
from tests.factories import ObservationFactory, PeriodFactory
from tests.security import junk
from tests.security.checks import examined
from tests.security.forms import accepted, client_for, refused_with_named_fields
from tests.security.settings import examples


@pytest.fixture
def officer(users):
    return client_for(users["officer_a"])


@pytest.fixture
def stored(council_a, lac_allocated):
    """A figure already stored, so that junk may also try to overwrite one."""
    return ObservationFactory(
        authority=council_a, indicator=lac_allocated, period=PeriodFactory(code="2013-14")
    )


FIGURE = {
    "indicator": st.just("scc013aii"),
    "period": st.one_of(
        st.sampled_from(["2014-15", "2013-14", "2014-15 Q2", "2014-07", "2015-03-31"]),
        junk.periods,
    ),
    "value": st.sampled_from(["", "63.29", "0"]),
    "numerator": st.sampled_from(["", "393", "0"]),
    "denominator": st.sampled_from(["", "621"]),
    "source": st.just("CareFirst report 12"),
    "note": st.just(""),
    "reason": st.sampled_from(["", "corrected count"]),
    "confirm": st.just("1"),
}


@examples(80)
@given(data=junk.form_post(FIGURE))
def test_figure_form(officer, council_a, stored, data):
    url = reverse("figures:new", kwargs={"council": council_a.slug})
    with examined("figure form") as case:
        response = officer.post(url, data)
        case.answered(response)
        if accepted(response):
            return
        case.nothing_written()
        if response.context and response.context.get("form") is not None:
            form = response.context["form"]
            if form.is_bound and not form.is_valid():
                refused_with_named_fields(response)


RETURN = {
    "cp_open": st.just("449"),
    "cp_social_worker": st.just("447"),
    "cp_other": st.just("2"),
    "lac_open": st.just("621"),
    "lac_social_worker": st.just("393"),
    "lac_other": st.just("227"),
    "cin_open": st.just("1588"),
    "cin_social_worker": st.just("1077"),
    "cin_other": st.just("365"),
    "version": st.sampled_from(["0", "1"]),
    "reason_cp_open": st.just("checked"),
}


@examples(50)
@given(data=junk.form_post(RETURN), step=st.sampled_from(["confirm", "return"]))
def test_quarterly_return(officer, council_a, data, step):
    url = reverse(
        f"returns:{step}",
        kwargs={"council": council_a.slug, "kind": "allocations", "period": "2015-16 Q1"},
    )
    with examined("quarterly return") as case:
        response = officer.post(url, data)
        case.answered(response)
        if accepted(response):
            return
        case.nothing_written()
        assert not Observation.objects.exists()


@examples(40)
@given(
    version=junk.posted(),
    reason=junk.posted(),
    step=st.sampled_from(["submit", "approve", "reopen"]),
)
def test_return_workflow_buttons(users, council_a, version, reason, step):
    """The workflow buttons with a junk version or reason: refused (or a no-op), never a
    crash."""
    client = client_for(users["approver"])
    url = reverse(
        f"returns:{step}",
        kwargs={"council": council_a.slug, "kind": "referrals", "period": "2015-16 Q1"},
    )
    with examined("return workflow") as case:
        response = client.post(url, {"version": version, "reason": reason})
        case.answered(response)
        if not accepted(response):
            case.nothing_written()
