"""Signing in and staying signed in (issue 7, item 1): throttled sign-ins (django-axes),
sessions that end when idle or old, and the Content Security Policy every page is sent with."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from council_reports.middleware import SEEN_AT, SIGNED_IN_AT

from .conftest import PASSWORD

LOGIN = "/accounts/login/"
RETURNS = "/councils/rhondda-cynon-taf/returns/"


def sign_in(client, password, username="officer.a", address="203.0.113.7", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


# ---------------------------------------------------------------------------------------
# Sign-in throttling


def test_five_wrong_passwords_lock_the_account_from_that_address(client, users, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.SIGNIN_ADDRESS_ATTEMPTS == 30
    for attempt in range(4):
        wrong = sign_in(client, f"guess {attempt}")
        assert wrong.status_code == 200
        assert "Please enter a correct username and password" in wrong.text
    fifth = sign_in(client, "guess 4")
    assert fifth.status_code == 429
    assert "Too many attempts to sign in" in fifth.text
    assert "Try again in 15 minutes" in fifth.text

    # Locked: even the right password is refused, and nobody is signed in.
    right = sign_in(client, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(RETURNS).status_code == 302


def test_a_lock_holds_only_that_user_from_that_address(client, users):
    for attempt in range(5):
        sign_in(client, f"guess {attempt}")
    assert sign_in(client, PASSWORD).status_code == 429
    # The same user from another address, and another user from the same address.
    assert sign_in(client, PASSWORD, address="198.51.100.20").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, username="approver").status_code == 302


def test_signing_in_clears_earlier_failures(client, users):
    for attempt in range(4):
        sign_in(client, f"guess {attempt}")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        assert sign_in(client, f"again {attempt}").status_code == 200  # four more, not locked
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, users, settings):
    for attempt in range(5):
        sign_in(client, f"guess {attempt}")
    assert sign_in(client, PASSWORD).status_code == 429
    # Fifteen minutes on: the failures are older than the cool-off.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    assert sign_in(client, PASSWORD).status_code == 302


def _try_many_usernames(client, count, **headers):
    """One wrong password tried once each against `count` usernames (most of them unknown)."""
    return [
        sign_in(client, "Summer2026!", username=f"guess.{n}", **headers).status_code
        for n in range(count)
    ]


def test_thirty_wrong_passwords_from_one_address_lock_it_for_every_username(client, users):
    # One password sprayed across usernames: never five for any one of them.
    codes = _try_many_usernames(client, 29)
    assert codes == [200] * 29
    thirtieth = sign_in(client, "Summer2026!", username="guess.29")
    assert thirtieth.status_code == 429
    assert "Too many attempts to sign in" in thirtieth.text
    assert "Passwords were wrong 30 times from this computer" in thirtieth.text
    assert "Try again in 15 minutes" in thirtieth.text

    # Every username is refused from that address now, a real one with its right password too.
    for username in ("officer.a", "approver", "someone.new"):
        refused = sign_in(client, PASSWORD, username=username)
        assert refused.status_code == 429
        assert "Passwords were wrong 30 times from this computer" in refused.text
    assert "_auth_user_id" not in client.session

    # Another address is untouched.
    assert sign_in(client, PASSWORD, address="198.51.100.20").status_code == 302


def test_an_address_lock_ends_after_the_cool_off(client, users, settings):
    _try_many_usernames(client, 30)
    assert sign_in(client, PASSWORD).status_code == 429
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= settings.AXES_COOLOFF_TIME
        attempt.save()
    assert sign_in(client, PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_address_lock(client, users, settings):
    settings.PROXY_COUNT = 1  # one proxy in front: it appends the address it was reached from
    proxy = "10.0.0.2"
    # The client writes a different address of its own into X-Forwarded-For each time; the
    # proxy appends the real one, 203.0.113.7.
    codes = [
        sign_in(
            client,
            "Summer2026!",
            username=f"guess.{n}",
            address=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7",
        ).status_code
        for n in range(30)
    ]
    assert codes == [200] * 29 + [429]
    forged = sign_in(
        client, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.7"
    )
    assert forged.status_code == 429
    # Another client behind the same proxy signs in.
    other = sign_in(client, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 302


# ---------------------------------------------------------------------------------------
# Session expiry


@pytest.fixture
def signed_in(client, users):
    assert sign_in(client, PASSWORD).status_code == 302
    assert client.get(RETURNS).status_code == 200
    return client


def _age(client, **seconds_ago) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_signing_in_starts_the_sessions_clock(signed_in):
    session = signed_in.session
    assert abs(session[SIGNED_IN_AT] - time.time()) < 5
    assert abs(session[SEEN_AT] - time.time()) < 5
    assert signed_in.cookies["sessionid"]["max-age"] == ""  # gone when the browser closes


def test_an_hour_without_a_request_signs_the_user_out(signed_in, settings):
    assert settings.SESSION_IDLE_SECONDS == 3600
    _age(signed_in, seen_at=3600)
    page = signed_in.get(RETURNS, follow=True)
    assert page.redirect_chain[0] == (f"{LOGIN}?next={RETURNS}", 302)
    assert "You were signed out after 60 minutes without activity" in page.text
    assert "_auth_user_id" not in signed_in.session


def test_ten_hours_after_signing_in_the_user_is_signed_out_however_busy(signed_in, settings):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    _age(signed_in, signed_in_at=10 * 3600, seen_at=30)
    page = signed_in.get(RETURNS, follow=True)
    assert page.redirect_chain[0][0].startswith(LOGIN)
    assert "You were signed out 10 hours after signing in" in page.text


def test_a_busy_session_stays_and_is_written_at_most_once_a_minute(signed_in):
    _age(signed_in, signed_in_at=9 * 3600, seen_at=59 * 60)
    assert signed_in.get(RETURNS).status_code == 200
    seen = signed_in.session[SEEN_AT]
    assert abs(seen - time.time()) < 5  # refreshed: it was 59 minutes old
    _age(signed_in, seen_at=30)
    assert signed_in.get(RETURNS).status_code == 200
    assert time.time() - signed_in.session[SEEN_AT] >= 29  # not rewritten within the minute


def test_the_api_with_a_token_is_not_a_session(client, users):
    from council_reports.tokens import create_token

    _token, key = create_token(users["member"], name="script", days=30, read_only=True)
    answer = client.get(reverse("api:observations"), HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 200


# ---------------------------------------------------------------------------------------
# Content Security Policy


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_every_page_is_sent_a_policy_with_no_inline_script_or_eval(client, users):
    client.force_login(users["member"])
    for path in ("/", "/councils/rhondda-cynon-taf/", LOGIN):
        response = client.get(path)
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        styles = policy["style-src"]
        assert styles[0] == "'self'"
        assert all(value.startswith("'sha256-") for value in styles[1:])
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


def test_plotlys_styles_are_allowed_by_hash_of_the_bundle_served():
    from django.conf import settings

    from council_reports.csp import EMPTY_STYLE, plotly_style_hashes, source_hash

    assert source_hash("") == EMPTY_STYLE
    bundle = settings.PLOTLY_DIR / "plotly.min.js"
    hashes = plotly_style_hashes(bundle)
    assert hashes[0] == EMPTY_STYLE
    assert len(hashes) == 2  # and the map traces' stylesheet
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"][1:] == hashes


# ---------------------------------------------------------------------------------------
# Behind a proxy: whose address is counted


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "198.51.100.9", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, None, "10.0.0.2"),
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # what the client wrote is ignored
        (2, "6.6.6.6, 198.51.100.9, 10.0.0.9", "198.51.100.9"),
        (2, "198.51.100.9", "10.0.0.2"),  # fewer hops than proxies: only the connection
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_address_the_trusted_proxies_vouch_for(
    settings, rf, hops, forwarded, expected
):
    from council_reports.network import client_ip

    settings.PROXY_COUNT = hops
    headers = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(rf.get("/", **headers)) == expected


def test_behind_a_proxy_a_forged_header_does_not_escape_the_lock(client, users, settings):
    settings.PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def attempt(password, forged, real="203.0.113.7"):
        return client.post(
            LOGIN,
            {"username": "officer.a", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{forged}, {real}",
        )

    for n in range(5):
        attempt(f"guess {n}", forged=f"192.0.2.{n}")
    assert attempt(PASSWORD, forged="192.0.2.99").status_code == 429
    # Another real client behind the same proxy is not locked out.
    assert attempt(PASSWORD, forged="192.0.2.99", real="198.51.100.20").status_code == 302
