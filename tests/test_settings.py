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
