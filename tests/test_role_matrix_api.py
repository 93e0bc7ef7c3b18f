"""The read API, for every role, signed in by session, by token and by read-only token (issue
7, item 2; issue 14: tokens with an expiry and a scope).

Every endpoint of the `api` namespace is read from the resolver (format-suffix patterns
included, with `.json`), and asked plainly, with `?format=json` and with `?format=api` (the
browsable API). Each (url, role, method) is its own test:
`api:observations?format=json-officer_b-token-GET`. Unsafe methods are refused and change
nothing; a read-only token is refused them before the method is even considered. Then
query-parameter tampering: an officer of council B, or a member, asking the API
or an indicator page's download for council A's figures gets A's final figures only, however
the question is put; and silly pagination never makes a server error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from council_reports.tokens import create_token
from indicators.api import ObservationPagination
from indicators.models import Indicator, Observation, Period

from .test_role_matrix import (
    ROLES,
    _fingerprint,
    world,  # noqa: F401 (the fixture this module's builds on)
)

# (auth, role): signed out; each signed-in role by session, by token and by read-only token;
# a token no one holds.
AUTHS = [("none", "anonymous")] + [
    (auth, role)
    for auth in ("session", "token", "read_only_token")
    for role in ROLES
    if role != "anonymous"
]
BAD_TOKEN = "0" * 64

# DRF answers a script without credentials, or with a token no one holds, 401 in JSON with a
# `WWW-Authenticate: Token` challenge (token authentication comes first); everyone signed in
# reads.
GET = 200
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
REFUSED_UNSAFE = 405  # the API is read-only: known users are told the method is not allowed
READ_ONLY_UNSAFE = 403  # a read-only token may not even ask
FORMATS = ("", "?format=json", "?format=api")

PROVISIONAL_A = "63.29"  # SCC/013aii, Rhondda Cynon Taf, 2015-16 Q1: the world's return
FINAL_A = Decimal("58.71")  # SCC/013aii, Rhondda Cynon Taf, 2014-15: published
PROVISIONAL_B = Decimal("44.44")  # SCC/013aii, Caerphilly, 2014-15: not yet approved


# ---------------------------------------------------------------------------------------
# The API's URLs, from the resolver


def _api_patterns() -> Iterator[tuple[str, str, bool]]:
    """(name, route, has a format suffix) for every pattern under the `api` namespace."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, str, bool]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                suffixed = "format" in p.pattern.converters
                yield f"api:{p.name}", prefix + str(p.pattern), suffixed

    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver) and p.namespace == "api":
            yield from walk(p.url_patterns, str(p.pattern))


API_PATTERNS = list(_api_patterns())


def _endpoints() -> list[tuple[str, str]]:
    """(label, path) for every endpoint and way of asking for its format."""
    found = []
    for name, _route, suffixed in API_PATTERNS:
        if suffixed:
            path = reverse(name, kwargs={"format": "json"})
            found.append((f"{name}.json", path))
        else:
            path = reverse(name)
            found += [(name + query, path + query) for query in FORMATS]
    return found


def test_the_api_is_walked():
    names = {name for name, _route, _suffixed in API_PATTERNS}
    assert "api:observations" in names
    unnamed = [route for name, route, _suffixed in API_PATTERNS if name == "api:None"]
    assert not unnamed, f"API patterns without a name cannot be walked: {unnamed}"


# ---------------------------------------------------------------------------------------
# The data: the matrix's world, a token for every user, and published figures of council A


@pytest.fixture(scope="module")
def api_world(world, django_db_blocker):  # noqa: F811
    """Rolled back with the world (this runs inside its transaction)."""
    with django_db_blocker.unblock():
        tokens = {
            (role, read_only): create_token(user, name="matrix", days=30, read_only=read_only)[1]
            for role, user in world["users"].items()
            for read_only in (False, True)
        }
        indicator = Indicator.objects.get(code="SCC/013aii")
        year = Period.objects.for_code("2014-15")
        for council, value, status in (
            (world["a"], FINAL_A, Observation.Status.FINAL),
            (world["b"], PROVISIONAL_B, Observation.Status.PROVISIONAL),
        ):
            Observation.objects.create(
                authority=council, indicator=indicator, period=year, value=value, status=status
            )
        yield {**world, "tokens": tokens}


def _client(api_world, auth: str, role: str) -> Client:
    if auth == "session":
        client = Client()
        client.force_login(api_world["users"][role])
        return client
    if auth in ("token", "read_only_token"):
        read_only = auth == "read_only_token"
        key = BAD_TOKEN if role == "bad_token" else api_world["tokens"][role, read_only]
        return Client(HTTP_AUTHORIZATION=f"Token {key}")
    return Client()


def _expected(auth: str, role: str, method: str) -> int:
    if role == "bad_token" or auth == "none":
        return 401
    if method == "GET":
        return GET
    return READ_ONLY_UNSAFE if auth == "read_only_token" else REFUSED_UNSAFE


def _cases() -> list:
    return [
        pytest.param(
            path,
            auth,
            role,
            method,
            _expected(auth, role, method),
            id=f"{label}-{role}-{auth}-{method}",
        )
        for label, path in _endpoints()
        for auth, role in [*AUTHS, ("token", "bad_token")]
        for method in ("GET", *UNSAFE)
    ]


@pytest.mark.parametrize(("path", "auth", "role", "method", "expected"), _cases())
def test_api(api_world, db, path, auth, role, method, expected):
    client = _client(api_world, auth, role)
    before = _fingerprint(api_world)
    body = {"authority": "Rhondda Cynon Taf", "indicator": "SCC/013aii", "value": 1}
    ask = getattr(client, method.lower())
    response = ask(path) if method == "GET" else ask(path, body, content_type="application/json")
    assert response.status_code == expected, f"{method} {path}: {response.status_code}"
    if method != "GET":
        assert _fingerprint(api_world) == before, f"{role} changed data with {method} {path}"
    if expected == 200 and "format=api" not in path:
        assert response["Content-Type"].startswith("application/json")


# ---------------------------------------------------------------------------------------
# Asking for another council's figures: final ones only, however the question is put

A_NAMES = ("Rhondda Cynon Taf", "  rhondda cynon taf ", "W06000016", "w06000016")
EXTRA = (
    {},
    {"status": "provisional"},
    {"include_provisional": "true"},
    {"provisional": "1"},
    {"staff": "1"},
    {"role": "admin"},
    {"period": "2015-16 Q1"},
    {"indicator": "scc/013AII"},
)


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("role", ["officer_b", "member"])
@pytest.mark.parametrize("name", A_NAMES)
def test_another_councils_provisional_figures_never_reach_the_api(api_world, db, auth, role, name):
    client = _client(api_world, auth, role)
    for extra in EXTRA:
        query = {"authority": name, **extra}
        results = _results(client.get(reverse("api:observations"), query))
        assert {r["status"] for r in results} <= {"final"}, query
        assert all(r["authority"] == "Rhondda Cynon Taf" for r in results), query
        if "period" not in extra:
            assert float(FINAL_A) in [r["value"] for r in results], query
    # Nor does leaving the council out list them.
    everything = _results(client.get(reverse("api:observations"), {"limit": 1000}))
    own = {"officer_b": "Caerphilly"}.get(role)
    assert all(r["status"] == "final" or r["authority"] == own for r in everything)


@pytest.mark.parametrize("auth", ["session", "token"])
def test_a_councils_own_officer_sees_its_provisional_figures(api_world, db, auth):
    """The control for the test above: the same questions do find A's provisional figure,
    for A's officer, and not B's."""
    client = _client(api_world, auth, "officer_a")
    results = _results(client.get(reverse("api:observations"), {"authority": "W06000016"}))
    assert "provisional" in {r["status"] for r in results}
    b = _results(client.get(reverse("api:observations"), {"authority": "Caerphilly"}))
    assert float(PROVISIONAL_B) not in [r["value"] for r in b]


def _download_text(response) -> str:
    assert response.status_code == 200, response.status_code
    if response["Content-Type"].startswith("text/csv"):
        return response.content.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


DOWNLOAD_QUERIES = (
    {},
    {"period": "quarter"},
    {"period": "quarter", "provisional": "1", "staff": "true", "status": "provisional"},
    {"comparators": "wales-average,target"},
)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("role", ["officer_b", "member", "officer_a"])
def test_another_councils_provisional_figures_never_reach_a_download(api_world, db, fmt, role):
    client = Client()
    client.force_login(api_world["users"][role])
    page = reverse(
        "indicators:indicator", kwargs={"council": api_world["a"].slug, "indicator": "scc013aii"}
    )
    texts = [
        _download_text(client.get(page, {**query, "format": fmt})) for query in DOWNLOAD_QUERIES
    ]
    if role == "officer_a":  # the control: A's own officer gets the provisional quarter
        assert any(PROVISIONAL_A in text for text in texts)
    else:
        assert not any(PROVISIONAL_A in text for text in texts)
    assert any(str(FINAL_A) in text for text in texts)


@pytest.mark.parametrize("role", ["officer_b", "member"])
def test_another_councils_overview_asked_for_a_download_shows_no_provisional_figures(
    api_world, db, role
):
    client = Client()
    client.force_login(api_world["users"][role])
    overview = reverse("councils:overview", kwargs={"council": api_world["a"].slug})
    for fmt in ("csv", "xlsx"):
        response = client.get(overview, {"format": fmt, "provisional": "1"})
        assert response.status_code == 200
        assert PROVISIONAL_A not in response.content.decode(errors="replace")


# ---------------------------------------------------------------------------------------
# Pagination: silly values are answered, never a server error

SILLY = (
    "-1",
    "0",
    "abc",
    "",
    " ",
    "1.5",
    "1e9",
    "0x10",
    "²",
    "٣",
    "9223372036854775808",
    "9" * 40,
    "-" + "9" * 40,
    "null",
    "\x00",
)


@pytest.mark.parametrize("param", ["limit", "offset"])
@pytest.mark.parametrize("value", SILLY, ids=repr)
def test_silly_pagination_is_never_a_server_error(api_world, db, param, value):
    client = _client(api_world, "token", "officer_a")
    response = client.get(reverse("api:observations"), {param: value, "authority": "W06000016"})
    assert response.status_code in (200, 400), f"{param}={value!r}: {response.status_code}"
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


def test_a_limit_beyond_the_ceiling_gets_the_ceiling_and_a_next_page(api_world, db, monkeypatch):
    monkeypatch.setattr(ObservationPagination, "max_limit", 2)
    client = _client(api_world, "token", "admin")
    page = client.get(reverse("api:observations"), {"limit": "9" * 40}).json()
    assert page["count"] == Observation.objects.count() > 2
    assert len(page["results"]) == 2 and "limit=2" in page["next"]


def test_a_huge_limit_and_offset_together(api_world, db):
    client = _client(api_world, "token", "member")
    for limit, offset in (("9" * 40, "0"), ("1", "9" * 40), ("9" * 40, "9" * 40)):
        response = client.get(reverse("api:observations"), {"limit": limit, "offset": offset})
        assert response.status_code in (200, 400), (limit, offset, response.status_code)
