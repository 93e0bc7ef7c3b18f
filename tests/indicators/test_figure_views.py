"""Entering any one figure: choose indicator and period, give a value or counts, confirm,
and the figure is written through the one write path with history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.models import ImportLog, Indicator, Observation, Period, YearLock


@pytest.fixture
def indicators(db):
    call_command("load_indicators", verbosity=0)


def new_url(council) -> str:
    return reverse("figures:new", kwargs={"council": council.slug})


def figure_data(**changes) -> dict:
    data = {
        "indicator": "scc013aii",
        "period": "2015-16 Q1",
        "value": "",
        "numerator": "393",
        "denominator": "621",
        "source": "CareFirst",
        "note": "",
        "reason": "",
    }
    data.update(changes)
    return data


def test_the_form_lists_indicators_grouped_by_framework_and_theme(
    client, users, council_a, indicators
):
    client.force_login(users["officer_a"])
    page = client.get(new_url(council_a))
    assert page.status_code == 200
    assert '<optgroup label="Welsh Government NSIs and PAMs – Allocations">' in page.text
    assert 'for="id_period"' in page.text


def test_confirmation_shows_the_derived_value_and_writes_nothing(
    client, users, council_a, indicators
):
    client.force_login(users["officer_a"])
    page = client.post(new_url(council_a), figure_data())
    assert page.status_code == 200
    assert "<strong>63.29</strong>" in page.text  # 393/621 = 63.285 rounded half up
    assert 'name="confirm"' in page.text
    assert not Observation.objects.exists()


def test_confirming_writes_a_provisional_observation_with_history(
    client, users, council_a, indicators
):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), figure_data(confirm="yes"))
    assert response.status_code == 302
    obs = Observation.objects.get()
    assert (obs.authority, obs.period.code) == (council_a, "2015-16 Q1")
    assert obs.indicator.code == "SCC/013aii"
    assert obs.value == Decimal("63.29")
    assert (obs.numerator, obs.denominator) == (393, 621)
    assert obs.status == Observation.Status.PROVISIONAL
    assert obs.updated_by == users["officer_a"]
    record = obs.history.get()
    assert record.history_user == users["officer_a"]
    assert record.history_change_reason == "entered in the figure form"
    assert ImportLog.objects.get().command == "figure_form"


def test_an_approver_stores_a_final_figure(client, users, council_a, indicators):
    client.force_login(users["approver"])
    client.post(new_url(council_a), figure_data(confirm="yes"))
    assert Observation.objects.get().status == Observation.Status.FINAL


def test_a_stored_figure_is_shown_and_updated_with_a_reason(client, users, council_a, indicators):
    client.force_login(users["officer_a"])
    client.post(new_url(council_a), figure_data(confirm="yes"))
    refused = client.post(new_url(council_a), figure_data(numerator="400"))
    assert 'href="#id_reason"' in refused.text
    page = client.post(new_url(council_a), figure_data(numerator="400", reason="Late recording"))
    assert "already stored" in page.text and "63.29" in page.text
    client.post(
        new_url(council_a), figure_data(numerator="400", reason="Late recording", confirm="yes")
    )
    obs = Observation.objects.get()
    assert obs.value == Decimal("64.41")
    history = list(obs.history.order_by("history_date"))
    assert [h.value for h in history] == [Decimal("63.29"), Decimal("64.41")]
    assert history[-1].history_change_reason == "Late recording"


def test_a_value_alone_is_stored_as_given(client, users, council_a, indicators):
    client.force_login(users["officer_a"])
    client.post(
        new_url(council_a),
        figure_data(numerator="", denominator="", value="87.5", period="2014-15", confirm="yes"),
    )
    obs = Observation.objects.get()
    assert obs.value == Decimal("87.5") and obs.numerator is None


def test_change_returns_to_the_filled_form(client, users, council_a, indicators):
    client.force_login(users["officer_a"])
    page = client.post(new_url(council_a), figure_data(change="yes"))
    assert 'value="393"' in page.text
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"numerator": "700"}, "numerator", "above denominator"),
        ({"numerator": "-1"}, "numerator", "0 or more"),
        ({"denominator": ""}, "denominator", "Enter the denominator"),
        ({"numerator": "", "denominator": ""}, "value", "give a value, or numerator"),
        ({"numerator": "0", "denominator": "0"}, "denominator", "Denominator is 0"),
        ({"value": "abc"}, "value", "must be a number"),
        ({"period": "2015-17"}, "period", "second year must follow the first"),
        ({"period": "next year"}, "period", "is not a period"),
        ({"period": "2999-00 Q1"}, "period", "has not started yet"),
        ({"indicator": "no-such-code"}, "indicator", "from the list"),
        ({"indicator": ""}, "indicator", "Select indicator"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    client, users, council_a, indicators, changes, field, message
):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), figure_data(confirm="yes", **changes))
    assert response.status_code == 200
    assert f'href="#id_{field}"' in response.text
    assert message in response.text
    assert not Observation.objects.exists()


def test_a_locked_year_refuses_the_figure(client, users, council_a, indicators):
    YearLock.objects.create(authority=council_a, financial_year=2015, reason="Audited")
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), figure_data(confirm="yes"))
    assert response.status_code == 200
    assert 'href="#id_period"' in response.text
    assert "is locked" in response.text
    assert not Observation.objects.exists()


def test_a_future_month_is_refused(client, users, council_a, indicators):
    next_year = dt.date.today().year + 1
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), figure_data(period=f"{next_year}-07", confirm="yes"))
    assert 'href="#id_period"' in response.text
    assert not Observation.objects.exists()


@pytest.mark.parametrize("who", ["officer_b", "member", "author"])
def test_who_may_not_enter_council_a_figures(client, users, council_a, indicators, who):
    client.force_login(users[who])
    assert client.get(new_url(council_a)).status_code == 403
    assert client.post(new_url(council_a), figure_data(confirm="yes")).status_code == 403
    assert not Observation.objects.exists()


def test_officer_b_enters_for_their_own_council(client, users, council_b, indicators):
    client.force_login(users["officer_b"])
    assert client.post(new_url(council_b), figure_data(confirm="yes")).status_code == 302
    assert Observation.objects.get().authority == council_b


def test_unknown_council_is_404(client, users):
    client.force_login(users["admin"])
    assert client.get("/councils/nowhere/figures/new/").status_code == 404


# --- Generated bad input ----------------------------------------------------------------

negative = st.decimals(min_value=-(10**6), max_value=Decimal("-0.0001"), places=4).map(str)
not_a_number = st.text(min_size=1, max_size=10).filter(
    lambda t: t.strip() and not t.strip().replace(".", "", 1).lstrip("-+").isdigit()
)


@st.composite
def invalid_figure(draw) -> dict:
    kind = draw(st.sampled_from(["above", "negative", "text", "one_count", "period", "future"]))
    if kind == "above":
        denominator = draw(st.integers(0, 10_000))
        numerator = denominator + draw(st.integers(1, 10_000))
        return {"numerator": str(numerator), "denominator": str(denominator)}
    if kind == "negative":
        return {draw(st.sampled_from(["numerator", "denominator", "value"])): draw(negative)}
    if kind == "text":
        return {draw(st.sampled_from(["numerator", "denominator", "value"])): draw(not_a_number)}
    if kind == "one_count":
        return {draw(st.sampled_from(["numerator", "denominator"])): ""}
    if kind == "future":
        year = draw(st.integers(dt.date.today().year + 1, 2900))
        return {"period": f"{year}-{(year + 1) % 100:02d} Q{draw(st.integers(1, 4))}"}
    return {"period": draw(st.text(max_size=15).filter(lambda t: not _is_period(t)))}


def _is_period(text: str) -> bool:
    from indicators.codes import PeriodError, parse_period

    try:
        parse_period(text)
    except PeriodError:
        return False
    return True


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=invalid_figure())
def test_generated_bad_figures_are_refused_by_field(client, users, council_a, indicators, changes):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), figure_data(confirm="yes", **changes))
    assert response.status_code == 200
    assert 'href="#id_' in response.text
    assert not Observation.objects.exists()
    assert not Period.objects.exists()
    assert Indicator.objects.exists()
