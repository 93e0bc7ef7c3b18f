"""Benchmark: the council overview under load, served as in production: gunicorn with DEBUG
off, PostgreSQL, 16 clients at once, every active council's overview in turn.

    DJANGO_DEBUG=true .venv/bin/python bench/load.py
    DJANGO_DEBUG=true .venv/bin/python bench/load.py --runs 5 --seconds 60
    DJANGO_DEBUG=true .venv/bin/python bench/load.py --compare
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/national DJANGO_DEBUG=true \\
        .venv/bin/python bench/load.py --prepared --profile /tmp/overview.svg

Needs wrk (`apt-get install -y --no-install-recommends wrk`): it is written in C and takes
little of the machine's cores away from the server it measures. --profile needs py-spy
(`.venv/bin/pip install py-spy`).

By default it builds a throwaway PostgreSQL database (the one --database-url names, else
`bench_load` on DATABASE_URL's server, else on 127.0.0.1:5432), created, dropping any old one,
and dropped at the end: migrated, the demo data and the DfE folder loaded (../shared/data/dfe;
DFE_DATA_DIR or --data overrides) and filled up to national scale by bench/national.py (all
175 active councils, 62 indicators, 13 years with quarters). --prepared names a database
already prepared that way instead (DATABASE_URL, or --database-url); it is used as it is and
never dropped, as `make bench` (bench/run.py) runs it. Other scripts may call `measure()`.

measure() starts gunicorn on a free port of 127.0.0.1 against that database, with DEBUG off,
a generated secret key, and REDIS_URL set to a spare Redis database (14, emptied before and
after) so every worker shares one cache, as `make serve` does with REDIS_URL; --no-redis
leaves each worker its own memory. It signs a member in by writing a session into the same
database (Django's test client's force_login, run in a child process with the server's
settings), waits for /healthz, then lets wrk drive `clients` connections at
/councils/<slug>/ for every active council in turn: first a warm-up that is not counted (the
tables of each council's overview are drawn once, then cached until figures change; see
indicators/caching.py), then `runs` timed runs of `seconds` each. Any answer but 200 is an
error, as are socket errors and timeouts (10 s). Static files are not collected (wrk reads
pages only; without a manifest the page names them by their plain names). gunicorn is stopped
however the run ends.

The default server is 3 sync workers (the cores + 1) sharing Redis, chosen by measuring on a
2-core machine (AMD EPYC, PostgreSQL 15, national scale; `--compare`: 16 clients, median of 3
runs of 30 s, the machine otherwise idle; local memory measured later the same day with a
longer warm-up):

    2 sync, Redis           377 req/s   p95 54 ms   3.9-4.7 ms CPU a request in gunicorn
    3 sync, Redis           437 req/s   p95 45 ms   3.9-4.1
    5 sync, Redis           340 req/s   p95 59 ms   5.0-5.5   (`make serve`'s 2 x cores + 1)
    8 sync, Redis           293 req/s   p95 74 ms   5.9
    2 gthread x 4, Redis    428 req/s   p95 73 ms   3.8-4.3
    3 sync, local memory    466 req/s   p95 44 ms   3.4-3.9
    5 sync, local memory    378 req/s   p95 54 ms   4.5-4.6

The same set-up varies by about 15% from one session to the next on this virtual machine (3
sync workers with Redis: 326-437 req/s), so compare set-ups within one --compare. A cached
overview is Python's work on the CPU (PostgreSQL takes 0.3 ms a request), so workers beyond
the cores add only switching. gthread keeps the rate but its kept-alive connections stay with
whichever worker accepted them, so its p95 depends on how they fell. Local memory is faster
once warm (no round trip to Redis), but every worker draws each council's tables itself,
after every change of figures; Redis is what more than one app server needs and what `make
serve` uses with REDIS_URL, and its warm-up draws each council once, so runs are steadier.
Without Redis, give a longer --warmup (each worker must draw every council). Other work on
the machine shows as "other" in each run's line: figures taken beside a test suite are not
this server's.

Prints each run, the median requests per second, p50, p95 and p99, the errors, the target
(at least 150 requests per second with p95 at most 150 ms and no errors) as MET or MISSED and
a line describing the machine; writes the same as JSON to bench/results/load.json (--out
overrides).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A standalone script in bench/: the project root is what manage.py would put on the path.
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
LUA = Path(__file__).resolve().parent / "load.lua"
WRK_INSTALL = "apt-get install -y --no-install-recommends wrk"

TARGET_RPS = 150.0
TARGET_P95_MS = 150.0
CLIENTS = 16
DEFAULT_WORKERS = 3
DEFAULT_WORKER_CLASS = "sync"
DEFAULT_THREADS = 1
# Redis database 14 is the benchmark's own (the tests use 13 and 15): emptied before and after.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
WARMUP_SECONDS = 10
RUNS = 3
WRK_THREADS = 2
TIMEOUT_SECONDS = 10
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/bench_load"

# Server set-ups --compare measures: (workers, worker class, threads, Redis).
COMPARED = [
    (2, "sync", 1, True),
    (3, "sync", 1, True),
    (5, "sync", 1, True),
    (8, "sync", 1, True),
    (2, "gthread", 4, True),
    (3, "sync", 1, False),
    (5, "sync", 1, False),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="postgres://... for the throwaway database (created, filled and dropped), or "
        "with --prepared the database to use",
    )
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="use --database-url or DATABASE_URL as it is, already at national scale; create "
        "and drop nothing",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("DFE_DATA_DIR") or ROOT.parent / "shared" / "data" / "dfe"),
        help="folder of DfE files (default: ../shared/data/dfe or $DFE_DATA_DIR)",
    )
    parser.add_argument("--clients", type=int, default=CLIENTS, help="connections (default 16)")
    parser.add_argument("--seconds", type=int, default=30, help="length of a run (default 30)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs (default {RUNS})")
    parser.add_argument(
        "--warmup", type=int, default=WARMUP_SECONDS, help="untimed seconds first (default 10)"
    )
    parser.add_argument("--workers", type=int, help=f"gunicorn workers (default {DEFAULT_WORKERS})")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default=DEFAULT_WORKER_CLASS)
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="threads per gthread worker"
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="the cache (emptied before and after)"
    )
    parser.add_argument(
        "--no-redis", action="store_true", help="each worker caches in its own memory"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="measure each server set-up in COMPARED rather than one",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy profile of the server in the first run: a flame graph (.svg) or "
        "collapsed stacks (.txt)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / "load.json",
        help="where the results go as JSON (default: %(default)s)",
    )
    args = parser.parse_args()
    if min(args.clients, args.seconds, args.runs) < 1 or args.warmup < 0:
        parser.error("--clients, --seconds and --runs must be at least 1, --warmup at least 0")
    if not args.prepared and not args.data.is_dir():
        parser.error(f"no DfE folder at {args.data}")
    return args


def main() -> None:
    from bench.environment import is_postgres, throwaway_database, throwaway_url

    args = parse_args()
    wrk_binary()  # before minutes of preparing a database
    # Stopped with `kill` as with Ctrl-C: the server is stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    if args.prepared:
        url = args.database_url or os.environ.get("DATABASE_URL", "")
        if not is_postgres(url):
            raise SystemExit("--prepared needs a postgres:// URL in --database-url or DATABASE_URL")
        report(args, url)
        return
    postgres_url = throwaway_url(args.database_url, "bench_load") or LOCAL_POSTGRES
    if not is_postgres(postgres_url):
        raise SystemExit("the load test runs against PostgreSQL: give a postgres:// URL")
    with throwaway_database(postgres_url, prefix="bench-load-"):
        prepare(args.data)
        report(args, postgres_url)


def prepare(data: Path) -> None:
    """Migrate the configured database, load the demo and DfE data, fill to national scale."""
    import io

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import national

    started = time.perf_counter()
    try:
        call_command("migrate", verbosity=0)
        call_command("load_demo", "--dfe", str(data), verbosity=0, stdout=io.StringIO())
        generated = national.generate(progress=lambda _line: None)
    finally:
        connection.close()
    print(
        f"set up: migrated, demo and DfE data loaded, {generated.observations:,} observations "
        f"at national scale in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def report(args: argparse.Namespace, database_url: str) -> None:
    from bench.environment import machine

    setups = (
        COMPARED
        if args.compare
        else [(args.workers, args.worker_class, args.threads, not args.no_redis)]
    )
    results = []
    for workers, worker_class, threads, redis in setups:
        result = measure(
            database_url,
            clients=args.clients,
            seconds=args.seconds,
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            redis_url=args.redis_url if redis else None,
            runs=args.runs,
            warmup=args.warmup,
            profile=args.profile if len(setups) == 1 else None,
            progress=print,
        )
        results.append(result)
    print()
    print(table(results))
    print(machine(results[0]["machine"]["database"]))
    write_results(args.out, results)


@dataclass
class Server:
    base: str
    pid: int


def measure(
    database_url: str,
    *,
    clients: int = CLIENTS,
    seconds: int = 30,
    workers: int | None = None,
    worker_class: str = DEFAULT_WORKER_CLASS,
    threads: int = DEFAULT_THREADS,
    redis_url: str | None = DEFAULT_REDIS_URL,
    runs: int = RUNS,
    warmup: int = WARMUP_SECONDS,
    profile: Path | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> dict:
    """Load-test the overview pages of the prepared PostgreSQL database at `database_url`.

    Returns plain figures (JSON-able): the median of `runs` runs of `seconds` each for
    requests per second and latency percentiles (ms), the errors of all runs summed, the CPU
    time a request took in gunicorn and PostgreSQL and the share of the cores other work took,
    each run, the server set-up, the target and whether it was met, and the machine. With the
    default `redis_url` and no Redis answering, the cache is each worker's own memory, and the
    result says so (`redis: false`). `progress` is given a line for the warm-up and each run.
    """
    import dj_database_url

    from bench.environment import machine_facts

    wrk = wrk_binary()
    workers = workers or DEFAULT_WORKERS
    note = None
    if redis_url and not redis_answers(redis_url):
        if redis_url != DEFAULT_REDIS_URL:
            raise SystemExit(f"no Redis answers at {redis_url}")
        note = f"no Redis at {redis_url}: each worker cached in its own memory"
        progress(note)
        redis_url = None
    label = setup_label(workers, worker_class, threads, bool(redis_url))
    database = dj_database_url.parse(database_url)["NAME"]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        env = server_env(database_url, Path(folder), redis_url)
        if redis_url:
            flush_redis(redis_url)
        signed_in = sign_in(env)
        paths_file = Path(folder) / "paths.txt"
        paths_file.write_text("".join(f"{path}\n" for path in signed_in["paths"]))
        try:
            with gunicorn(env, workers, worker_class, threads, Path(folder)) as server:

                def load(seconds: int) -> dict:
                    return run_wrk(
                        wrk, server.base, paths_file, signed_in["cookie"], clients, seconds
                    )

                started = time.perf_counter()
                draw_each(server.base, signed_in["cookie"], signed_in["paths"], clients)
                if warmup:
                    load(warmup)
                progress(
                    f"{label}: warmed up in {time.perf_counter() - started:.0f} s "
                    f"(each overview once, then {warmup} s of load)"
                )
                done = []
                for number in range(1, runs + 1):
                    before = cpu_snapshot(server.pid, database)
                    with py_spy(server.pid, profile if number == 1 else None, seconds):
                        figures = load(seconds)
                    after = cpu_snapshot(server.pid, database)
                    figures["cpu"] = cpu_used(before, after, figures["requests"])
                    done.append(figures)
                    progress(
                        f"{label}: run {number}: {figures['requests_per_second']:.1f} req/s, "
                        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                        f"p99 {figures['p99_ms']:.1f} ms, {figures['errors']} errors; "
                        + cpu_line(figures["cpu"])
                    )
        finally:
            if redis_url:
                flush_redis(redis_url)

    def median(key: str, within: str | None = None) -> float:
        found = (run[within][key] if within else run[key] for run in done)
        return round(statistics.median(found), 2 if within else 1)

    errors = sum(run["errors"] for run in done)
    rps, p95 = median("requests_per_second"), median("p95_ms")
    return {
        "server": label,
        "clients": clients,
        "seconds": seconds,
        "runs": runs,
        "warmup_seconds": warmup,
        "councils": len(signed_in["paths"]),
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads if worker_class == "gthread" else 1,
        "redis": bool(redis_url),
        "note": note,
        "requests_per_second": rps,
        "p50_ms": median("p50_ms"),
        "p95_ms": p95,
        "p99_ms": median("p99_ms"),
        "errors": errors,
        # What the cores did (medians of the runs): the server's own CPU time a request,
        # and the share other work on the machine took, which makes figures not the server's.
        "cpu": {
            "gunicorn_ms_per_request": median("gunicorn_ms_per_request", "cpu"),
            "postgres_ms_per_request": median("postgres_ms_per_request", "cpu"),
            "busy_percent": median("busy_percent", "cpu"),
            "other_percent": round(
                statistics.median(run["cpu"]["percent_of_cores"]["other"] for run in done), 1
            ),
        },
        "each_run": done,
        "target": {
            "requests_per_second": TARGET_RPS,
            "p95_ms": TARGET_P95_MS,
            "errors": 0,
            "met": rps >= TARGET_RPS and p95 <= TARGET_P95_MS and errors == 0,
        },
        "profile": str(profile) if profile else None,
        "machine": machine_facts(signed_in["database"]),
    }


def setup_label(workers: int, worker_class: str, threads: int, redis: bool) -> str:
    kind = f"gthread x{threads}" if worker_class == "gthread" else worker_class
    return f"{workers} {kind} workers, {'Redis' if redis else 'local memory'}"


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(f"bench/load.py needs wrk, which is not installed: {WRK_INSTALL}")
    return found


def server_env(database_url: str, folder: Path, redis_url: str | None) -> dict[str, str]:
    """The environment of a production server (and of the child that signs the member in:
    the session's hash is signed with the same secret key)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    static = folder / "static"
    static.mkdir()
    env.update(
        DJANGO_SETTINGS_MODULE="council_reports.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        # Empty: never a stale manifest from an old `make serve` in the project's folder.
        DJANGO_STATIC_ROOT=str(static),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def sign_in(env: dict[str, str]) -> dict:
    """A member's session cookie, the overview paths of every active council and the
    database's version, from a child process with the server's settings."""
    done = subprocess.run(
        [sys.executable, "-c", "from bench.load import signed_in; signed_in()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"could not sign the member in:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def signed_in() -> None:
    """Run by sign_in() in the child: prints the cookie, paths and database as JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench.environment import database_version
    from council_reports.accounts import provision_user
    from indicators.models import Authority

    user, _created = provision_user("bench.member", "member")
    client = Client()
    client.force_login(user)
    slugs = Authority.objects.filter(active=True).order_by("slug").values_list("slug", flat=True)
    if not slugs:
        raise SystemExit("no active councils: is the database prepared?")
    print(
        json.dumps(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}="
                f"{client.cookies[settings.SESSION_COOKIE_NAME].value}",
                "paths": [reverse("councils:overview", args=[slug]) for slug in slugs],
                "database": database_version(connection),
            }
        )
    )
    connection.close()


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], workers: int, worker_class: str, threads: int, folder: Path
) -> Iterator[Server]:
    """gunicorn serving the app until the block ends, however it ends."""
    port = free_port()
    log = folder / "gunicorn.log"
    command = [
        str(BIN / "gunicorn"),
        "council_reports.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    with log.open("w") as output:
        # Its own session: a Ctrl-C at the terminal reaches this script, which stops the
        # server in `finally`, rather than gunicorn half-way through a run.
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server, log)
        yield Server(base=base, pid=server.pid)
    finally:
        stop(server)


def wait_until_healthy(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz in 60 s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    # The master stops its workers on SIGTERM; should it hang, the whole group is killed.
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_wrk(wrk: str, base: str, paths: Path, cookie: str, clients: int, seconds: int) -> dict:
    """`clients` connections asking for `paths` in turn for `seconds`: wrk's figures."""
    threads = min(WRK_THREADS, clients)
    done = subprocess.run(
        [
            wrk,
            f"--threads={threads}",
            f"--connections={clients}",
            f"--duration={seconds}s",
            f"--timeout={TIMEOUT_SECONDS}s",
            f"--script={LUA}",
            base,
            "--",
            cookie,
            str(paths),
            str(threads),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("wrk-result ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    raw = json.loads(lines[-1].removeprefix("wrk-result "))
    errors = {
        "non_200": raw["non_200"],
        "connect": raw["connect"],
        "read": raw["read"],
        "write": raw["write"],
        "timeout": raw["timeout"],
    }
    return {
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def draw_each(base: str, cookie: str, paths: list[str], clients: int) -> None:
    """Ask for every overview once, `clients` at a time, so that their tables are drawn and
    cached before the timed runs (in Redis for every worker; without Redis, in the memory of
    whichever worker answered, and the warm-up's load fills the others')."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path: str) -> None:
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
            response.read()
            if response.status != 200 or response.url != base + path:
                raise SystemExit(f"{path} answered {response.status} at {response.url}")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(get, paths))


def cpu_line(cpu: dict) -> str:
    shares = ", ".join(
        f"{party} {percent:.0f}%" for party, percent in cpu["percent_of_cores"].items()
    )
    others = ", ".join(f"{name} {percent:.0f}%" for name, percent in cpu["busiest_others"].items())
    return (
        f"cores {cpu['busy_percent']:.0f}% busy ({shares}"
        + (f": {others}" if others else "")
        + (f"; {cpu['steal_percent']:.0f}% stolen" if cpu["steal_percent"] >= 1 else "")
        + "); "
        f"{cpu['gunicorn_ms_per_request']:.1f} ms CPU a request in gunicorn, "
        f"{cpu['postgres_ms_per_request']:.1f} in PostgreSQL"
    )


@dataclass
class CpuSnapshot:
    processes: dict[int, tuple[str, float]]  # pid: (party, CPU seconds so far)
    children: float  # this script's children: wrk, and py-spy when profiling
    busy: float  # the machine's cores, all processes
    steal: float  # taken by the hypervisor for other machines
    wall: float


def cpu_snapshot(server_pid: int, database: str) -> CpuSnapshot:
    """CPU seconds used so far by the machine and by each party to the test: gunicorn (its
    session), PostgreSQL's backends for this database, Redis, the load generator and every
    other process, read from /proc. What the cores were busy with says what bounds the rate,
    and whether something else on the machine took its share during the run."""
    import resource

    tick = os.sysconf("SC_CLK_TCK")
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):  # the process has ended
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state, ppid, pgrp, session ... utime (the 12th), stime (13th).
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[3]) == server_pid:
            party = "gunicorn"
        elif name.startswith("postgres") and f" {database} " in command:
            party = "postgres"  # a backend's title: "postgres: user database host(port) state"
        elif name.startswith("redis-server"):
            party = "redis"
        else:
            party = f"other: {name}"
        processes[int(stat.parent.name)] = (party, seconds)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in cpu[:8]]  # user nice system idle iowait irq softirq steal
    return CpuSnapshot(
        processes=processes,
        children=children.ru_utime + children.ru_stime,
        busy=(sum(ticks) - ticks[3] - ticks[4] - ticks[7]) / tick,
        steal=ticks[7] / tick,
        wall=time.monotonic(),
    )


def cpu_used(before: CpuSnapshot, after: CpuSnapshot, requests: int) -> dict:
    """Each party's share of the machine's cores during a run (a process that ended during
    the run is not counted), the busiest other processes, and gunicorn's and PostgreSQL's CPU
    milliseconds per request."""
    capacity = (after.wall - before.wall) * (os.cpu_count() or 1)
    used: dict[str, float] = {"load generator": after.children - before.children}
    for pid, (party, seconds) in after.processes.items():
        _party, earlier = before.processes.get(pid, (party, 0.0))
        used[party] = used.get(party, 0.0) + seconds - earlier
    parties = ("gunicorn", "postgres", "redis", "load generator")
    # Other processes: the cores' busy time less the parties' (a process that started and
    # ended during the run is seen only there); the busiest of those seen are named.
    other = max(0.0, after.busy - before.busy - sum(used.get(party, 0.0) for party in parties))
    others = sorted(
        ((party, seconds) for party, seconds in used.items() if party not in parties),
        key=lambda item: -item[1],
    )

    def percent(seconds: float) -> float:
        return round(100 * seconds / capacity, 1)

    requests = max(requests, 1)
    return {
        "busy_percent": percent(after.busy - before.busy),
        "steal_percent": percent(after.steal - before.steal),
        "percent_of_cores": {
            **{party: percent(used.get(party, 0.0)) for party in parties},
            "other": percent(other),
        },
        "busiest_others": {
            party.removeprefix("other: "): percent(seconds)
            for party, seconds in others[:3]
            if percent(seconds) >= 1
        },
        "gunicorn_ms_per_request": round(1000 * used.get("gunicorn", 0.0) / requests, 2),
        "postgres_ms_per_request": round(1000 * used.get("postgres", 0.0) / requests, 2),
    }


@contextlib.contextmanager
def py_spy(pid: int, svg: Path | None, seconds: int) -> Iterator[None]:
    """py-spy sampling every gunicorn worker while the block runs (when an SVG is asked for)."""
    if svg is None:
        yield
        return
    binary = shutil.which("py-spy", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if not binary:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    svg.parent.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(seconds),
            "--output",
            str(svg),
            "--format",
            # Collapsed stacks (one line each, with its count) for a .txt, else an SVG.
            "raw" if svg.suffix == ".txt" else "flamegraph",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield
    finally:
        try:
            recorder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            recorder.terminate()
            recorder.wait()


def table(results: list[dict]) -> str:
    rows = [
        f"{'server':<30} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'CPU ms/req':>10} {'other':>6}  target"
    ]
    for result in results:
        rows.append(
            f"{result['server']:<30} {result['requests_per_second']:>7.1f} "
            f"{result['p50_ms']:>7.1f} {result['p95_ms']:>7.1f} {result['p99_ms']:>7.1f} "
            f"{result['errors']:>6} {result['cpu']['gunicorn_ms_per_request']:>10.2f} "
            f"{result['cpu']['other_percent']:>5.0f}%  "
            f"{'MET' if result['target']['met'] else 'MISSED'}"
        )
    first = results[0]
    rows.append(
        f"{first['clients']} clients, median of {first['runs']} runs of {first['seconds']} s "
        f"after {first['warmup_seconds']} s warm-up, overviews of {first['councils']} councils; "
        f"target: >= {TARGET_RPS:.0f} req/s, p95 <= {TARGET_P95_MS:.0f} ms, 0 errors; CPU "
        "ms/req: gunicorn's CPU time a request; other: the cores' time other work on the "
        "machine took"
    )
    return "\n".join(rows)


def write_results(out: Path, results: list[dict]) -> None:
    """One server's figures at the top level (as bench/run.py reads them), or with
    --compare each server's under "compared"."""
    from bench.environment import provenance

    document = {
        **provenance(),
        **(results[0] if len(results) == 1 else {"compared": results}),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
