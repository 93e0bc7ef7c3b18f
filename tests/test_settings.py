"""Configuration comes from the environment, and a bad value fails loudly."""

import subprocess
import sys

import pytest


def settings_in_a_fresh_process(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='council_reports.settings';"
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_sqlite_is_the_default_database():
    done = settings_in_a_fresh_process({"DJANGO_DEBUG": "true"})
    assert done.stdout.strip() == "django.db.backends.sqlite3", done.stderr


def test_database_url_selects_postgresql():
    done = settings_in_a_fresh_process(
        {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}
    )
    assert done.stdout.strip() == "django.db.backends.postgresql", done.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be true or false"),
        ({"DJANGO_DEBUG": "true", "DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
    ],
)
def test_a_bad_setting_fails_loudly(env, message):
    done = settings_in_a_fresh_process(env)
    assert done.returncode != 0
    assert message in done.stderr


def test_without_redis_each_process_keeps_every_councils_overview_in_memory(settings):
    """Two cached pieces per council (its tables, and the council with its comparators) for
    all 175 English and Welsh councils, with room to spare, rather than a cache that culls
    a third of itself whenever it fills."""
    from django.core.cache.backends.locmem import LocMemCache

    config = settings.CACHES["default"]
    if config["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache":
        pytest.skip("REDIS_URL is set: the cache is Redis")
    cache = LocMemCache("capacity", {"OPTIONS": config.get("OPTIONS", {})})
    pieces = 2 * 175 + 100
    for number in range(pieces):
        cache.set(f"piece:{number}", number)
    assert [cache.get(f"piece:{number}") for number in range(pieces)] == list(range(pieces))
    cache.clear()


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x7Kq2" * 10,
            "DJANGO_ALLOWED_HOSTS": "reports.example.gov.uk",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_over_https_pass_the_deployment_checks():
    done = check_deploy({"DJANGO_HTTPS": "true"})
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_without_https_the_deployment_checks_name_what_is_missing():
    done = check_deploy({})
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr


def test_over_https_pages_redirect_to_https_but_the_health_check_answers_plain_http(db):
    from django.test import Client, override_settings

    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$"]):
        client = Client()  # the security middleware reads its settings when it is made
        page = client.get("/accounts/login/")
        assert page.status_code == 301
        assert page["Location"] == "https://testserver/accounts/login/"
        assert client.get("/healthz").status_code == 200


def test_a_bad_hsts_value_fails_loudly():
    done = settings_in_a_fresh_process({"DJANGO_DEBUG": "true", "DJANGO_HSTS_SECONDS": "a year"})
    assert done.returncode != 0
    assert "DJANGO_HSTS_SECONDS must be a whole number, 0 or more, not 'a year'" in done.stderr
