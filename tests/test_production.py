"""The production path, run for real: gunicorn serving the app with DEBUG off, WhiteNoise
serving collected static files compressed under content-hashed names, /healthz for load
balancers; and the cache shared through Redis when REDIS_URL is set."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="test-only-not-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        # The worker sweeps this folder: never the developer's own uploads.
        DJANGO_IMPORT_UPLOAD_DIR=str(tmp_path / "uploads"),
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our server
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def gunicorn(tmp_path):
    env = production_env(tmp_path)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "council_reports.wsgi", "--bind", f"127.0.0.1:{port}", "-w", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_serves_the_app_and_whitenoise_its_static_files_hashed_and_compressed(gunicorn):
    status, _headers, body = get(f"{gunicorn}/healthz")
    assert (status, body) == (200, b'{"status": "ok"}')

    status, _headers, page = get(f"{gunicorn}/accounts/login/")
    assert status == 200
    css = re.search(rb'href="(/static/council_reports/app\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links the stylesheet by its content-hashed name"

    status, headers, body = get(gunicorn + css.group(1).decode(), **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert (
        "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    )
    # plotly.js from the app itself, never a CDN.
    status, headers, _body = get(f"{gunicorn}/static/plotly/plotly.min.js")
    assert status == 200 and "javascript" in headers["Content-Type"]

    # Pages still need a signed-in user with DEBUG off: the sign-in page answers.
    status, _headers, page = get(f"{gunicorn}/reports/")
    assert status == 200 and b'name="username"' in page


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_url_the_cache_is_redis_shared_between_processes(tmp_path):
    import redis

    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    client.flushdb()
    env = production_env(tmp_path, REDIS_URL=url)
    cache = "from django.core.cache import caches; cache = caches['default']; "
    write = cache + "cache.set('probe', 'written'); "
    show = "print(type(cache).__name__, cache.get('probe'))"
    assert manage(env, "shell", "-v", "0", "-c", write + show).split() == [
        "RedisCache",
        "written",
    ]
    # A second process (another app server) reads what the first wrote.
    read = cache + show
    assert manage(env, "shell", "-v", "0", "-c", read).split() == ["RedisCache", "written"]
    assert client.keys("*probe") == [b":1:probe"]
    client.flushdb()

    without = manage(production_env(tmp_path), "shell", "-v", "0", "-c", read)
    assert without.split() == ["LocMemCache", "None"]


@pytest.mark.skipif(not redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_url_a_report_pack_is_queued_in_redis_and_built_by_the_rq_worker(tmp_path):
    import redis

    url = "redis://127.0.0.1:6379/13"
    client = redis.Redis.from_url(url)
    client.flushdb()
    env = production_env(tmp_path, REDIS_URL=url, DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo")
    start = (
        "from reports import packs; from reports.models import Report; "
        "from indicators.models import Authority; from council_reports.models import User; "
        "paper = Report.objects.get(slug='rct-childrens-services-performance-indicators-2015'); "
        "councils = Authority.objects.filter(name__in=['Rhondda Cynon Taf', 'Caerphilly']); "
        "pack = packs.start(paper, councils, fmt='html', user=User.objects.get(username='author')); "
        "print(pack.pk)"
    )
    pack = manage(env, "shell", "-v", "0", "-c", start).strip()
    try:
        assert client.llen("rq:queue:default") == 1  # queued in Redis, not the database
        manage(env, "worker", "--burst")
        check = (
            "from reports.models import ReportPack; import zipfile; "
            f"pack = ReportPack.objects.get(pk={pack}); "
            "print(pack.status, pack.processed, sorted(zipfile.ZipFile(pack.file.path).namelist()))"
        )
        status, done, files = manage(env, "shell", "-v", "0", "-c", check).split(" ", 2)
        assert (status, done) == ("done", "2")
        assert "rct-childrens-services-performance-indicators-2015-caerphilly.html" in files
        assert client.llen("rq:queue:default") == 0
    finally:
        client.flushdb()
