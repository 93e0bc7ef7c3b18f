"""Benchmark: how fast the members' pages answer at national scale: every English council's
DfE figures, and with --national the generated national-scale dataset (bench/national.py:
175 councils x 62 indicators x 13 years with quarters, about 730,000 observations).

    DJANGO_DEBUG=true .venv/bin/python bench/dashboard.py --national
    DJANGO_DEBUG=true .venv/bin/python bench/dashboard.py --requests 100
    DJANGO_DEBUG=true .venv/bin/python bench/dashboard.py --national \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_dashboard
    DATABASE_URL=... DJANGO_DEBUG=true .venv/bin/python bench/dashboard.py --prepared

Uses a throwaway database: a temporary SQLite file by default, or the PostgreSQL database
named in --database-url, which it creates (dropping any old one) and drops at the end; with
DATABASE_URL set to a PostgreSQL URL and no --database-url, a database `bench_dashboard` on
that server (the configured database itself is never touched). It migrates, loads the demo
data and the whole DfE folder (../shared/data/dfe; DFE_DATA_DIR or --data overrides), and
signs a member in with Django's test client. With --prepared it uses DATABASE_URL as it is,
already loaded (as `bench/run.py` prepares it once for several benchmarks), and drops nothing.

Each page is timed twice over. "Drawn": the cache is emptied before each request, so the
page is drawn from the figures, as on the first view after figures change. "Cached": as a
member browsing sees it, the tables from the cache (indicators.caching), the rest of the page
drawn. Each kind is requested a few times to warm up (those requests count the queries, with
CaptureQueriesContext), then timed without the query log, which would slow it: the time is
the server's, the whole of Django's handler (middleware, view, template) as the test client
calls it, with no network in between. Every answer must be 200. Prints the median and 95th
percentile per page, the queries per request, the target (a council overview's median within
60 ms with at most 12 queries, drawn and cached alike) as MET or MISSED, and a line
describing the machine; writes the same as JSON to bench/results/dashboard.json (--out
overrides).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A standalone script in bench/: the project root is what manage.py would put on the path.
sys.path.insert(0, str(ROOT))

OVERVIEW_TARGET_MS = 60.0
OVERVIEW_TARGET_QUERIES = 12
DFE_INDICATOR = "cin_rereferral_percent"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    overview: bool = False


@dataclass
class Timing:
    name: str
    path: str
    cache: str  # "drawn" (emptied before each request) or "cached"
    requests: int
    median_ms: float
    p95_ms: float
    queries: int | str  # "min-max" when the warm-up requests disagree

    @property
    def most_queries(self) -> int:
        return int(str(self.queries).split("-")[-1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=30, help="timed requests per page (default 30)"
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="untimed requests per page first (default 5)"
    )
    parser.add_argument(
        "--database-url",
        help="postgres://... to benchmark PostgreSQL (the database is created and dropped)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("DFE_DATA_DIR") or ROOT.parent / "shared" / "data" / "dfe"),
        help="folder of DfE files (default: ../shared/data/dfe or $DFE_DATA_DIR)",
    )
    parser.add_argument(
        "--national",
        action="store_true",
        help="add the national-scale dataset (bench/national.py) after the DfE data",
    )
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="use DATABASE_URL as it is, already migrated and loaded; create and drop nothing",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / "dashboard.json",
        help="where the results go as JSON (default: %(default)s)",
    )
    args = parser.parse_args()
    if args.requests < 1 or args.warmup < 1:
        parser.error("--requests and --warmup must be at least 1")
    if not args.data.is_dir():
        parser.error(f"no DfE folder at {args.data}")
    return args


def main() -> None:
    from bench.environment import throwaway_database, throwaway_url

    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
    if args.prepared:
        run(args)
        return
    postgres_url = throwaway_url(args.database_url, "bench_dashboard")
    with throwaway_database(postgres_url, prefix="bench-dashboard-"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    from bench.environment import database_version, machine, machine_facts

    django.setup()
    from django.conf import settings
    from django.db import connection

    # DJANGO_DEBUG only lets the settings load without a secret key; pages are timed as
    # production serves them, without the debug cursor's query log or debug templates.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    try:
        if not args.prepared:
            prepare(args.data, national=args.national)
        database = database_version(connection)
        client = member_client()
        to_time = pages()
        print(f"{observation_count():,} observations stored")
        timings = [
            time_page(client, page, args.warmup, args.requests, drawn=drawn)
            for page in to_time
            for drawn in (True, False)
        ]
        for timing in timings:
            print(
                f"{timing.name:<36} {timing.cache:<6} median {timing.median_ms:6.1f} ms   "
                f"p95 {timing.p95_ms:6.1f} ms   {timing.queries} queries   "
                f"({timing.requests} requests)",
                flush=True,
            )
        overview_names = {page.name for page in to_time if page.overview}
        overviews = [t for t in timings if t.name in overview_names]
        met = all(
            t.median_ms <= OVERVIEW_TARGET_MS and t.most_queries <= OVERVIEW_TARGET_QUERIES
            for t in overviews
        )
        print(
            f"target: overview median ≤ {OVERVIEW_TARGET_MS:.0f} ms with ≤ "
            f"{OVERVIEW_TARGET_QUERIES} queries: {'MET' if met else 'MISSED'} ("
            + ", ".join(
                f"{t.name} {t.cache} {t.median_ms:.1f} ms, {t.queries} queries" for t in overviews
            )
            + ")"
        )
        print(machine(database))
        write_results(args, timings, met, machine_facts(database))
    finally:
        connection.close()


def prepare(data: Path, *, national: bool) -> None:
    """Migrate and load the demo, the DfE folder and, when asked, the national-scale data."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    call_command("import_dfe", str(data), stdout=io.StringIO())
    print(f"set up: migrated, demo and DfE data loaded in {time.perf_counter() - started:.1f} s")
    if national:
        from bench.national import generate

        generated = generate(progress=lambda _line: None)
        print(
            f"national scale: {generated.created:,} observations generated in "
            f"{generated.seconds:.0f} s"
        )


def observation_count() -> int:
    from indicators.models import Observation

    return Observation.objects.count()


def pages() -> list[Page]:
    from indicators.models import Indicator

    dfe_slug = Indicator.objects.get(code=DFE_INDICATOR).slug
    return [
        Page("overview rhondda-cynon-taf", "/councils/rhondda-cynon-taf/", overview=True),
        Page("overview halton", "/councils/halton/", overview=True),
        Page(
            "indicator scc013aii",
            "/councils/rhondda-cynon-taf/indicators/scc013aii/?comparators=wales-average,target",
        ),
        Page(
            f"indicator {dfe_slug}",
            f"/councils/halton/indicators/{dfe_slug}/?comparators=england,sn-median",
        ),
    ]


def member_client():
    from django.test import Client

    from council_reports.accounts import provision_user

    user, _created = provision_user("bench.member", "member")
    client = Client()
    client.force_login(user)
    return client


def time_page(client, page: Page, warmup: int, requests: int, *, drawn: bool) -> Timing:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def forget() -> None:
        if drawn:
            cache.clear()

    counts = []
    for _ in range(warmup):
        forget()
        with CaptureQueriesContext(connection) as queries:
            check(client.get(page.path), page)
        counts.append(len(queries))
    seconds = []
    for _ in range(requests):
        forget()
        started = time.perf_counter()
        response = client.get(page.path)
        seconds.append(time.perf_counter() - started)
        check(response, page)
    # The first request may fill caches (a session row, translations); later ones are typical.
    settled = counts[1:] or counts
    ms = sorted(s * 1000 for s in seconds)
    return Timing(
        name=page.name,
        path=page.path,
        cache="drawn" if drawn else "cached",
        requests=requests,
        median_ms=round(statistics.median(ms), 2),
        p95_ms=round(ms[math.ceil(0.95 * len(ms)) - 1], 2),  # nearest rank
        queries=settled[0] if min(settled) == max(settled) else f"{min(settled)}-{max(settled)}",
    )


def check(response, page: Page) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{page.path} answered {response.status_code}, not 200")


def write_results(args: argparse.Namespace, timings: list[Timing], met: bool, facts) -> None:
    from bench.environment import provenance

    results = {
        **provenance(),
        "machine": facts,
        "warmup": args.warmup,
        "requests": args.requests,
        "observations": observation_count(),
        "pages": [asdict(timing) for timing in timings],
        "target": {
            "overview_median_ms": OVERVIEW_TARGET_MS,
            "overview_queries": OVERVIEW_TARGET_QUERIES,
            "met": met,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
