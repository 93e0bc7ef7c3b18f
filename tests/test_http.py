"""The HTTP contract: sign-in, the health check and the read API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.urls import reverse

from indicators.models import Observation, Period
from tests.conftest import PASSWORD


@pytest.fixture
def figures(council_a, council_b, wales_average, lac_allocated):
    period = Period.objects.for_code("2014-15")
    final = Observation.objects.create(
        authority=council_a,
        indicator=lac_allocated,
        period=period,
        numerator=Decimal(393),
        denominator=Decimal(621),
        value=Decimal("63.28"),
    )
    Observation.objects.create(
        comparator=wales_average,
        indicator=lac_allocated,
        period=period,
        value=Decimal("96"),
    )
    provisional = Observation.objects.create(
        authority=council_b,
        indicator=lac_allocated,
        period=period,
        value=Decimal("80.5"),
        status=Observation.Status.PROVISIONAL,
    )
    return final, provisional


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    response = client.get("/healthz")
    monkeypatch.undo()  # give the database back before the test's transaction is rolled back
    assert response.status_code == 503
    assert response.json()["status"] != "ok"


@pytest.mark.parametrize("path", ["/", "/admin/"])
def test_pages_need_a_signed_in_user(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or "login" in response["Location"]


def test_sign_in_then_the_start_page_lists_the_officers_council(client, users, council_a):
    response = client.post(
        reverse("login"), {"username": "officer.a", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert council_a.name in response.text
    assert "Caerphilly" not in response.text


def test_a_wrong_password_is_refused_with_an_error_summary(client, users):
    response = client.post(reverse("login"), {"username": "officer.a", "password": "nope"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("member", 302), ("officer_a", 302)])
def test_only_administrators_reach_the_admin(client, users, who, status):
    client.force_login(users[who])
    assert client.get("/admin/").status_code == status


def test_api_refuses_anonymous_callers(client, figures):
    response = client.get("/api/v1/observations/")
    assert response.status_code in (401, 403)


def test_api_answers_the_contract_fields_for_a_signed_in_member(client, users, figures):
    client.force_login(users["member"])
    response = client.get(
        "/api/v1/observations/",
        {"authority": "rhondda cynon taf", "indicator": "scc/013AII", "period": "2014-15"},
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {
        k: row[k]
        for k in [
            "authority",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "value",
            "unit",
            "comparator",
            "status",
            "warnings",
        ]
    } == {
        "authority": "Rhondda Cynon Taf",
        "indicator": "SCC/013aii",
        "period": "2014-15",
        "numerator": 393,
        "denominator": 621,
        "value": 63.28,
        "unit": "percent",
        "comparator": "",
        "status": "final",
        "warnings": [],
    }


def test_api_gives_comparator_rows_by_name(client, users, figures):
    client.force_login(users["member"])
    rows = client.get("/api/v1/observations/", {"authority": "Wales average"}).json()["results"]
    assert [(r["authority"], r["comparator"], r["value"]) for r in rows] == [
        ("Wales average", "yes", 96.0)
    ]


def test_api_with_a_token(client, users, figures):
    from council_reports.tokens import create_token

    _token, key = create_token(users["member"], name="script", days=30, read_only=True)
    response = client.get(
        "/api/v1/observations/",
        {"indicator": "SCC013aii"},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2  # the final figure and the Wales average


def test_provisional_figures_are_seen_only_by_their_councils_staff(client, users, figures):
    def councils_seen(who):
        client.force_login(users[who])
        rows = client.get("/api/v1/observations/").json()["results"]
        return sorted(r["authority"] for r in rows)

    assert councils_seen("member") == ["Rhondda Cynon Taf", "Wales average"]
    assert councils_seen("officer_a") == ["Rhondda Cynon Taf", "Wales average"]
    assert councils_seen("officer_b") == ["Caerphilly", "Rhondda Cynon Taf", "Wales average"]
    assert councils_seen("admin") == ["Caerphilly", "Rhondda Cynon Taf", "Wales average"]
    assert councils_seen("author") == ["Caerphilly", "Rhondda Cynon Taf", "Wales average"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"authority": "Atlantis"}, "authority"),
        ({"indicator": "SCC/999"}, "indicator"),
        ({"period": "2014-16"}, "period"),
    ],
)
def test_api_names_a_bad_query_parameter(client, users, figures, params, field):
    client.force_login(users["member"])
    response = client.get("/api/v1/observations/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_withheld_value_is_the_marker_never_zero(client, users, council_a, lac_allocated):
    Observation.objects.create(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2015-16"),
        withheld="c",
    )
    client.force_login(users["member"])
    [row] = client.get("/api/v1/observations/").json()["results"]
    assert row["value"] == "c"
    assert row["withheld_reason"] == "Suppressed to protect confidentiality"


def test_an_administrator_locks_a_year_in_the_admin(client, users, council_a):
    from indicators.models import YearLock

    client.force_login(users["admin"])
    response = client.post(
        "/admin/indicators/yearlock/add/",
        {"authority": council_a.pk, "financial_year": 2015, "reason": "Published"},
    )
    assert response.status_code == 302
    lock = YearLock.objects.get()
    assert (lock.financial_year, lock.locked_by) == (2015, users["admin"])


@pytest.mark.parametrize("who", ["member", "officer_a"])
def test_the_start_page_needs_the_same_queries_for_3_councils_as_for_30(
    client, users, wales, council_b, who
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from indicators.models import Authority

    client.force_login(users[who])
    if who == "officer_a":
        users[who].authorities.add(council_b)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    for n in range(30):
        council = Authority.objects.create(name=f"Council {n}", nation="wales", region=wales)
        if who == "officer_a":
            users[who].authorities.add(council)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/").status_code == 200
    assert len(many) == len(few)
