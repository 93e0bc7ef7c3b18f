"""API tokens (issue 14): made by their owner at /account/tokens/ with an expiry and
optionally limited to reading; the key is shown once and stored only as its SHA-512 digest;
an expired or revoked token is refused (401), a read-only one may only read (403 otherwise);
each use is recorded; nobody sees or revokes another user's tokens. DRF authtoken keys made
before are converted by the migration and keep working until their new expiry."""

from __future__ import annotations

import hashlib
import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from council_reports.models import ApiToken

TOKENS = "/account/tokens/"
API = "/api/v1/observations/"


def make_token(client, name="Nightly export", days="90", read_only=True):
    body = {"name": name, "days": days}
    if read_only:
        body["read_only"] = "on"
    response = client.post(TOKENS, body)
    assert response.status_code == 200
    match = re.search(r'<code id="new-token"[^>]*>([0-9a-f]+)</code>', response.text)
    assert match, "the new key is shown on the page"
    return match.group(1), response


def api(client, key, method="get"):
    ask = getattr(client, method)
    return ask(API, HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def member(client, users):
    client.force_login(users["member"])
    return client


def test_the_key_is_shown_once_and_stored_only_as_its_digest(member, users):
    key, made = make_token(member)
    assert len(key) == 64
    assert "Copy it now: it is shown only this once" in made.text

    token = ApiToken.objects.get()
    assert token.user == users["member"]
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    stored = [str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields]
    assert key not in stored

    again = member.get(TOKENS)
    assert key not in again.text
    assert "Nightly export" in again.text


def test_the_list_shows_name_scope_dates_and_last_use(member):
    before = timezone.now()
    key, _made = make_token(member, name="Dashboard feed", days="30", read_only=True)
    make_token(member, name="Loader", days="365", read_only=False)
    token = ApiToken.objects.get(name="Dashboard feed")
    assert token.read_only is True
    assert timedelta(days=30) <= token.expiry - before <= timedelta(days=30, minutes=1)
    assert ApiToken.objects.get(name="Loader").read_only is False

    page = member.get(TOKENS).text
    assert "read only" in page and "read and write" in page
    assert "never" in page  # neither used yet
    assert token.expiry.strftime("%-d %b %Y") in page

    assert api(member.__class__(), key).status_code == 200
    assert "never" in member.get(TOKENS).text  # the loader is still unused
    token.refresh_from_db()
    assert token.last_used is not None
    assert abs(token.last_used - timezone.now()) < timedelta(seconds=30)


def test_each_use_is_recorded_to_the_minute(member):
    key, _made = make_token(member)
    token = ApiToken.objects.get()
    assert token.last_used is None
    script = member.__class__()
    assert api(script, key).status_code == 200
    token.refresh_from_db()
    first = token.last_used
    assert abs(first - timezone.now()) < timedelta(seconds=30)
    # Used again within the minute: not written again (one write a minute at most).
    half_a_minute_ago = first - timedelta(seconds=30)
    ApiToken.objects.update(last_used=half_a_minute_ago)
    assert api(script, key).status_code == 200
    token.refresh_from_db()
    assert token.last_used == half_a_minute_ago
    # Two minutes on: the time moves on.
    ApiToken.objects.update(last_used=first - timedelta(minutes=2))
    assert api(script, key).status_code == 200
    token.refresh_from_db()
    assert token.last_used >= first


def test_an_expired_token_is_refused(member):
    key, _made = make_token(member)
    fresh = member.__class__()
    assert api(fresh, key).status_code == 200
    assert "(expired)" not in member.get(TOKENS).text
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert "(expired)" in member.get(TOKENS).text
    refused = api(fresh, key)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"


def test_a_read_only_token_may_only_read(member):
    key, _made = make_token(member, read_only=True)
    script = member.__class__()
    assert api(script, key).status_code == 200
    assert api(script, key, "head").status_code == 200
    assert api(script, key, "options").status_code == 200
    for method in ("post", "put", "patch", "delete"):
        refused = api(script, key, method)
        assert refused.status_code == 403, method
        assert refused.json() == {"detail": "This token may only read (GET, HEAD or OPTIONS)."}


def test_a_read_and_write_token_is_not_refused_by_the_scope(member):
    key, _made = make_token(member, read_only=False)
    script = member.__class__()
    assert api(script, key).status_code == 200
    # The API has no writes: the method itself is not allowed, not the token.
    assert api(script, key, "post").status_code == 405


def test_the_owner_revokes_a_token(member):
    key, _made = make_token(member, name="Old script")
    token = ApiToken.objects.get()
    script = member.__class__()
    assert api(script, key).status_code == 200

    revoked = member.post(f"{TOKENS}{token.uid}/revoke/", follow=True)
    assert revoked.status_code == 200
    assert "The token was revoked" in revoked.text
    assert "Old script" not in revoked.text
    assert not ApiToken.objects.exists()
    assert api(script, key).status_code == 401


def test_nobody_sees_or_revokes_another_users_token(client, users):
    client.force_login(users["member"])
    key, _made = make_token(client, name="Member's own script")
    token = ApiToken.objects.get()

    client.force_login(users["admin"])  # not even an administrator
    page = client.get(TOKENS)
    assert "Member's own script" not in page.text
    assert "You have no tokens." in page.text
    assert client.post(f"{TOKENS}{token.uid}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert api(client.__class__(), key).status_code == 200


def test_revoking_needs_a_post(member):
    make_token(member)
    token = ApiToken.objects.get()
    assert member.get(f"{TOKENS}{token.uid}/revoke/").status_code == 405
    assert ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "days": "90"}, "This field is required."),
        ({"name": "x" * 101, "days": "90"}, "at most 100 characters (it has 101)"),
        ({"name": "Forever", "days": "36500"}, "Select a valid choice. 36500 is not one"),
        ({"name": "Never", "days": "0"}, "Select a valid choice. 0 is not one"),
    ],
)
def test_a_bad_request_for_a_token_makes_nothing(member, body, message):
    page = member.post(TOKENS, body)
    assert page.status_code == 200
    assert message in page.text
    assert 'id="new-token"' not in page.text
    assert not ApiToken.objects.exists()


def test_keys_made_before_keep_working_until_their_new_expiry(users, client):
    """The migration to knox turns each DRF authtoken key into a digest with a 90-day expiry
    and removes the table of plain keys."""
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's format: 40 hex characters
    made = timezone.now() - timedelta(days=400)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "user_id bigint NOT NULL, created timestamp with time zone NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "user_id bigint NOT NULL, created datetime NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
            [old_key, users["member"].pk, made],
        )
    migration = importlib.import_module("council_reports.migrations.0004_api_token")
    editor = SimpleNamespace(
        connection=connection,
        quote_name=connection.ops.quote_name,
        execute=lambda sql: connection.cursor().execute(sql),
    )
    migration.convert_authtoken_keys(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get()
    assert token.user == users["member"]
    assert token.digest == hashlib.sha512(old_key.encode()).hexdigest()
    assert token.created == made
    assert timedelta(days=89) < token.expiry - timezone.now() <= timedelta(days=90)
    assert token.read_only is False
    assert api(client, old_key).status_code == 200
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert api(client, old_key).status_code == 401
