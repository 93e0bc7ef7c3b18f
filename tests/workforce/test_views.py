"""The workforce pages: list and snapshot form, who may use them, and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.models import Role, Team, WorkforceSnapshot


@pytest.fixture
def social_worker(db) -> Role:
    return Role.objects.create(name="Social Worker", short_name="SW")


@pytest.fixture
def team_a(council_a) -> Team:
    return Team.objects.create(authority=council_a, name="Assessment and Care Planning")


@pytest.fixture
def team_b(council_b) -> Team:
    return Team.objects.create(authority=council_b, name="MASH")


def valid_data(role_: Role, team_: Team | None = None, **changes) -> dict:
    data = {
        "team": team_.pk if team_ else "",
        "role": role_.pk,
        "as_at_day": "31",
        "as_at_month": "3",
        "as_at_year": "2015",
        "establishment_fte": "32",
        "filled_fte": "24",
        "headcount": "25",
        "vacancies_fte": "8",
        "agency_fte": "3.5",
        "absent_fte": "",
        "average_caseload": "23",
        "recommended_caseload": "22",
        "source": "Workforce report",
        "note": "",
    }
    data.update(changes)
    return data


def new_url(council) -> str:
    return reverse("workforce:new", kwargs={"council": council.slug})


def test_officer_adds_a_snapshot_with_history(client, users, council_a, social_worker, team_a):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), valid_data(social_worker, team_a))
    assert response.status_code == 302
    snapshot = WorkforceSnapshot.objects.get()
    assert snapshot.authority == council_a
    assert snapshot.team == team_a
    assert snapshot.as_at == dt.date(2015, 3, 31)
    assert snapshot.agency_fte == Decimal("3.5")
    assert snapshot.absent_fte is None  # blank is "not reported", never 0
    record = snapshot.history.get()
    assert record.history_user == users["officer_a"]
    assert record.history_change_reason


def test_officer_edits_a_snapshot_and_history_keeps_both(client, users, council_a, social_worker):
    client.force_login(users["officer_a"])
    client.post(new_url(council_a), valid_data(social_worker))
    snapshot = WorkforceSnapshot.objects.get()
    url = reverse("workforce:edit", kwargs={"council": council_a.slug, "pk": snapshot.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, valid_data(social_worker, filled_fte="26", vacancies_fte="6"))
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.filled_fte == Decimal(26)
    assert [h.filled_fte for h in snapshot.history.order_by("history_date")] == [24, 26]


def test_list_shows_snapshots_in_a_captioned_table(client, users, council_a, social_worker):
    WorkforceSnapshot.objects.create(
        authority=council_a,
        role=social_worker,
        as_at=dt.date(2015, 3, 31),
        establishment_fte=Decimal(32),
        filled_fte=Decimal(24),
    )
    client.force_login(users["approver"])
    response = client.get(reverse("workforce:list", kwargs={"council": council_a.slug}))
    assert response.status_code == 200
    assert "<caption>" in response.text
    assert "31/03/2015" in response.text
    assert "25.0%" in response.text  # vacancy rate 8 of 32


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"establishment_fte": "-1"}, "establishment_fte", "must be 0 or more"),
        ({"filled_fte": "lots"}, "filled_fte", "must be a number"),
        ({"headcount": "2.5"}, "headcount", "whole number"),
        ({"vacancies_fte": "40"}, "vacancies_fte", "cannot be more than the establishment"),
        ({"as_at_day": "31", "as_at_month": "2"}, "as_at_day", "must be a real date"),
        ({"as_at_year": "2999"}, "as_at_day", "today or in the past"),
        ({"as_at_month": ""}, "as_at_day", "must include a month"),
        ({"role": ""}, "role", "Select role"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    client, users, council_a, social_worker, changes, field, message
):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), valid_data(social_worker, **changes))
    assert response.status_code == 200
    assert f'href="#id_{field}"' in response.text
    assert message in response.text
    assert not WorkforceSnapshot.objects.exists()


def test_a_duplicate_snapshot_is_an_error_on_the_date(client, users, council_a, social_worker):
    client.force_login(users["officer_a"])
    client.post(new_url(council_a), valid_data(social_worker))
    response = client.post(new_url(council_a), valid_data(social_worker, filled_fte="20"))
    assert response.status_code == 200
    assert 'href="#id_as_at_day"' in response.text
    assert "already a snapshot" in response.text
    assert WorkforceSnapshot.objects.count() == 1


def test_another_councils_team_cannot_be_chosen(client, users, council_a, social_worker, team_b):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), valid_data(social_worker, team_b))
    assert response.status_code == 200
    assert 'href="#id_team"' in response.text
    assert not WorkforceSnapshot.objects.exists()


@pytest.mark.parametrize("who", ["officer_b", "member"])
def test_who_may_not_see_or_change_council_a_workforce(
    client, users, council_a, social_worker, who
):
    client.force_login(users[who])
    assert (
        client.get(reverse("workforce:list", kwargs={"council": council_a.slug})).status_code == 403
    )
    assert client.get(new_url(council_a)).status_code == 403
    assert client.post(new_url(council_a), valid_data(social_worker)).status_code == 403
    assert not WorkforceSnapshot.objects.exists()


def test_author_may_read_the_list_but_not_edit(client, users, council_a, social_worker):
    snapshot = WorkforceSnapshot.objects.create(
        authority=council_a, role=social_worker, as_at=dt.date(2015, 3, 31)
    )
    client.force_login(users["author"])
    list_page = client.get(reverse("workforce:list", kwargs={"council": council_a.slug}))
    assert list_page.status_code == 200
    assert "Add a snapshot" not in list_page.text
    edit = reverse("workforce:edit", kwargs={"council": council_a.slug, "pk": snapshot.pk})
    assert client.get(edit).status_code == 403
    assert client.post(edit, valid_data(social_worker, filled_fte="1")).status_code == 403
    assert client.post(new_url(council_a), valid_data(social_worker)).status_code == 403


def test_admin_may_edit_any_council(client, users, council_b, social_worker):
    client.force_login(users["admin"])
    assert client.post(new_url(council_b), valid_data(social_worker)).status_code == 302


def test_unknown_council_is_404(client, users):
    client.force_login(users["admin"])
    assert client.get("/councils/nowhere/workforce/").status_code == 404


def test_a_snapshot_of_another_council_is_404_under_mine(
    client, users, council_a, council_b, social_worker
):
    theirs = WorkforceSnapshot.objects.create(
        authority=council_b, role=social_worker, as_at=dt.date(2015, 3, 31), filled_fte=5
    )
    client.force_login(users["officer_a"])
    url = reverse("workforce:edit", kwargs={"council": council_a.slug, "pk": theirs.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, valid_data(social_worker, filled_fte="9")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.filled_fte == 5


def test_signed_out_visitor_is_sent_to_sign_in(client, council_a):
    response = client.get(reverse("workforce:list", kwargs={"council": council_a.slug}))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Generated bad input ----------------------------------------------------------------

FIGURE_FIELDS = [
    "establishment_fte",
    "filled_fte",
    "vacancies_fte",
    "agency_fte",
    "absent_fte",
    "average_caseload",
    "recommended_caseload",
]
not_a_number = st.text(min_size=1, max_size=12).filter(
    lambda t: t.strip() and not t.strip().replace(".", "", 1).lstrip("-+").isdigit()
)
negative = st.decimals(max_value=Decimal("-0.01"), min_value=-(10**6), places=2).map(str)
bad_figure = st.one_of(not_a_number, negative)
bad_date = st.one_of(
    # A day that no month has, or a month that no year has.
    st.fixed_dictionaries({"as_at_day": st.integers(32, 99).map(str), "as_at_month": st.just("3")}),
    st.fixed_dictionaries({"as_at_month": st.integers(13, 99).map(str), "as_at_day": st.just("1")}),
    st.fixed_dictionaries({"as_at_year": st.integers(2100, 9999).map(str)}),
    st.fixed_dictionaries({"as_at_day": st.sampled_from(["", "x", "1.5", "-3"])}),
)


@st.composite
def invalid_snapshot(draw) -> dict:
    kind = draw(st.sampled_from(["figure", "date", "vacancies", "headcount"]))
    if kind == "figure":
        return {draw(st.sampled_from(FIGURE_FIELDS)): draw(bad_figure)}
    if kind == "date":
        return draw(bad_date)
    if kind == "headcount":
        return {"headcount": draw(st.one_of(not_a_number, st.just("-1"), st.just("2.5")))}
    establishment = draw(st.integers(0, 500))
    extra = draw(st.integers(1, 100))
    return {"establishment_fte": str(establishment), "vacancies_fte": str(establishment + extra)}


@settings(
    max_examples=90, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=invalid_snapshot())
def test_generated_bad_snapshots_are_refused_by_field(
    client, users, council_a, social_worker, changes
):
    client.force_login(users["officer_a"])
    response = client.post(new_url(council_a), valid_data(social_worker, **changes))
    assert response.status_code == 200
    assert 'href="#id_' in response.text
    assert not WorkforceSnapshot.objects.exists()
