"""`make bench`: every benchmark in one run, at national scale, with one table at the end.

    DJANGO_DEBUG=true .venv/bin/python bench/run.py
    DJANGO_DEBUG=true .venv/bin/python bench/run.py --quick     # fewer runs, for a try-out

1. Prepares a national-scale database twice, on SQLite (a temporary file) and on PostgreSQL
   (`bench_national` on the server of DATABASE_URL when that is PostgreSQL, else on
   127.0.0.1:5432 as user postgres; created, and dropped at the end): migrated, the demo data,
   the real DfE folder (../shared/data/dfe, DFE_DATA_DIR overrides), then bench/national.py's
   generated figures (175 councils x 62 indicators x 13 years with quarters).
2. Times the council overview and an indicator page on both (bench/dashboard.py --prepared).
3. Imports a 100,000-row CSV on both, against the floor of a bare bulk insert of the same rows
   (bench/csv_import.py).
4. Measures the peak memory of import_observations on the crafted files of issue 14 and a
   legitimate 20 MB file, above its idle size (bench/import_memory.py).
5. Exports the seed-000 paper as PDF, cold and warm, against bare WeasyPrint plus chart export,
   with the export's peak memory (bench/report.py).
6. Load-tests the overview through gunicorn on the PostgreSQL database at 16 concurrent
   clients (bench/load.py).

Each step runs as its own process (Django is set up once per process, for one database) and
hands back JSON. The table is printed at the end, with each target MET or MISSED and a line
describing the machine, and written to bench/results/latest.json and docs/performance.md
(between the markers there; the rest of that page, what bounds each figure, is written by
hand). A step that fails is reported as failed and the others still run; the exit status is
then 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results" / "latest.json"
PAGE = ROOT / "docs" / "performance.md"
START = "<!-- bench:start (written by bench/run.py; edit outside the markers) -->"
END = "<!-- bench:end -->"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/bench_national"


@dataclass
class Target:
    name: str
    wanted: str
    measured: str
    met: bool | None  # None: not measured (its step failed)

    @property
    def verdict(self) -> str:
        return {True: "MET", False: "MISSED", None: "NOT MEASURED"}[self.met]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and requests: a try-out, not figures"
    )
    parser.add_argument(
        "--postgres-url",
        help=f"PostgreSQL database to create and drop (default: {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("DFE_DATA_DIR") or ROOT.parent / "shared" / "data" / "dfe"),
        help="folder of DfE files (default: ../shared/data/dfe or $DFE_DATA_DIR)",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        parser.error(f"no DfE folder at {args.data}")
    return args


def main() -> None:
    from bench.environment import postgres_admin, provenance, throwaway_url

    args = parse_args()
    postgres_url = args.postgres_url or throwaway_url(None, "bench_national") or DEFAULT_POSTGRES
    started = time.perf_counter()
    results: dict[str, Any] = {
        **provenance(),
        "quick": args.quick,
        "load_average_at_start": os.getloadavg()[0],
    }
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as folder:
        work = Path(folder)
        sqlite_url = f"sqlite:///{work}/national.sqlite3"
        postgres_admin(postgres_url, "DROP DATABASE IF EXISTS {}", "CREATE DATABASE {}")
        try:
            databases = {"sqlite": sqlite_url, "postgresql": postgres_url}
            results["dataset"] = {}
            for name, url in databases.items():
                heading(f"national-scale dataset on {name}")
                results["dataset"][name] = step(failed, f"dataset {name}", prepare, url, args.data)
            results["dashboard"] = {}
            for name, url in databases.items():
                heading(f"council overview and indicator page on {name}")
                requests = ["--requests", "10", "--warmup", "2"] if args.quick else []
                results["dashboard"][name] = step(
                    failed,
                    f"dashboard {name}",
                    script,
                    "dashboard.py",
                    ["--prepared", *requests],
                    work / f"dashboard-{name}.json",
                    {"DATABASE_URL": url},
                )
            heading("CSV import of 100,000 rows on SQLite and PostgreSQL")
            results["csv_import"] = step(
                failed,
                "CSV import",
                script,
                "csv_import.py",
                ["--both", "--database-url", throwaway_sibling(postgres_url, "bench_csv")]
                + (["--runs", "1"] if args.quick else []),
                work / "csv-import.json",
                {},
            )
            heading("import memory: crafted files and a legitimate 20 MB file")
            results["import_memory"] = step(
                failed,
                "import memory",
                script,
                "import_memory.py",
                ["--runs", "1" if args.quick else "3"],
                work / "import-memory.json",
                {},
            )
            heading("seed-000 paper as PDF")
            results["pdf"] = step(
                failed,
                "PDF",
                script,
                "report.py",
                ["--cold-runs", "1", "--warm-runs", "2"] if args.quick else [],
                work / "report.json",
                {"DATABASE_URL": ""},  # its own throwaway SQLite database, demo data only
            )
            heading("load test: gunicorn and PostgreSQL, 16 concurrent clients")
            results["load"] = step(
                failed,
                "load test",
                script,
                "load.py",
                ["--prepared", *(["--seconds", "10"] if args.quick else [])],
                work / "load.json",
                {"DATABASE_URL": postgres_url},
            )
        finally:
            postgres_admin(postgres_url, "DROP DATABASE IF EXISTS {}")
    results["load_average_at_end"] = os.getloadavg()[0]
    results["seconds"] = round(time.perf_counter() - started)
    results["machine"] = machine_line(results)
    targets = assess(results)
    results["targets"] = [
        {"name": t.name, "target": t.wanted, "measured": t.measured, "verdict": t.verdict}
        for t in targets
    ]
    results["failed_steps"] = failed
    table = summary(results, targets)
    heading("summary")
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_page(table)
    print(f"\nresults: {RESULTS.relative_to(ROOT)} and {PAGE.relative_to(ROOT)}")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def step(failed: list[str], name: str, function, *arguments) -> dict[str, Any] | None:
    try:
        return function(*arguments)
    except (subprocess.CalledProcessError, OSError, ValueError) as error:
        print(f"!! {name} failed: {error}", flush=True)
        failed.append(name)
        return None


def environment(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "DJANGO_DEBUG": "true", **extra}


def prepare(url: str, data: Path) -> dict[str, Any]:
    """Migrate, load the demo and the DfE folder, generate the national-scale figures."""
    env = environment({"DATABASE_URL": url})
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "load_demo", "--dfe", str(data)],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "national.py"), "--json"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    generated = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"{generated['created']:,} observations generated ({generated['kept_real']:,} real "
        f"figures kept) in {generated['seconds']:.0f} s; {generated['observations']:,} stored",
        flush=True,
    )
    return generated


def script(name: str, arguments: list[str], out: Path, extra: dict[str, str]) -> dict[str, Any]:
    """Run bench/<name> with --out, its output shown as it goes; its JSON results."""
    subprocess.run(
        [PYTHON, str(ROOT / "bench" / name), *arguments, "--out", str(out)],
        env=environment(extra),
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.read_text())


def throwaway_sibling(url: str, name: str) -> str:
    """The same server as `url`, another database name."""
    return url.rsplit("/", 1)[0] + "/" + name


def machine_line(results: dict[str, Any]) -> str:
    from bench.environment import machine_facts

    dashboards = results.get("dashboard") or {}
    databases = [
        (part or {}).get("machine", {}).get("database") for part in dashboards.values() if part
    ]
    facts = machine_facts(" and ".join(d for d in databases if d) or "unknown databases")
    return (
        f"{facts['cpu']}, {facts['cores']} cores, {facts['ram']}, Python {facts['python']}, "
        f"{facts['database']}"
    )


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if data is None:
            return None
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def assess(results: dict[str, Any]) -> list[Target]:
    """Each target of issue 6 against what was measured."""
    targets: list[Target] = []
    for database, part in (results.get("dashboard") or {}).items():
        overviews = [p for p in _get(part, "pages") or [] if p["name"].startswith("overview")]
        if not overviews:
            targets.append(Target(f"overview on {database}", "≤ 60 ms, ≤ 12 queries", "", None))
            continue
        for page in overviews:
            most = int(str(page["queries"]).split("-")[-1])
            targets.append(
                Target(
                    f"{page['name']} ({page['cache']}) on {database}",
                    "median ≤ 60 ms, ≤ 12 queries",
                    f"{page['median_ms']:.1f} ms, {page['queries']} queries",
                    page["median_ms"] <= 60 and most <= 12,
                )
            )
    imports = results.get("csv_import")
    for database in ("sqlite", "postgresql"):
        rate = _get(imports, database, "rows_per_second")
        targets.append(
            Target(
                f"CSV import, 100,000 rows, {database}",
                "≥ 20,000 rows/s",
                f"{rate:,.0f} rows/s" if rate else "",
                None if rate is None else rate >= 20_000,
            )
        )
    memory_of_imports = results.get("import_memory")
    if memory_of_imports:
        parts = [*memory_of_imports["crafted"].values(), memory_of_imports["legitimate"]]
        worst = max(part["above_idle_mb"] for part in parts)
        slowest = max(part["seconds"] for part in memory_of_imports["crafted"].values())
        measured = f"{worst:.0f} MB above idle at most; crafted files refused in {slowest:.1f} s"
    else:
        measured = ""
    targets.append(
        Target(
            "import peak memory (crafted files, 20 MB file)",
            "≤ 200 MB above idle; refused ≤ 5 s",
            measured,
            memory_of_imports["met"] if memory_of_imports else None,
        )
    )
    pdf = results.get("pdf")
    warm = _get(pdf, "warm_charts_cached", "median_s")
    cold = _get(pdf, "cold", "median_s")
    memory = _get(pdf, "memory", "tree_rss_mb")
    targets += [
        Target(
            "PDF warm (seed 000)",
            "≤ 1.5 s",
            f"{warm:.2f} s" if warm else "",
            None if warm is None else warm <= 1.5,
        ),
        Target(
            "PDF cold (seed 000)",
            "≤ 5 s",
            f"{cold:.2f} s" if cold else "",
            None if cold is None else cold <= 5,
        ),
        Target(
            "PDF export peak memory",
            "≤ 300 MB",
            f"{memory:.0f} MB RSS" if memory else "",
            None if memory is None else memory <= 300,
        ),
    ]
    load = results.get("load")
    rps, p95, errors = (_get(load, key) for key in ("requests_per_second", "p95_ms", "errors"))
    targets.append(
        Target(
            "load test, overview, 16 clients",
            "≥ 150 req/s, p95 ≤ 150 ms, 0 errors",
            f"{rps:.0f} req/s, p95 {p95:.0f} ms, {errors} errors" if rps is not None else "",
            None if rps is None else rps >= 150 and p95 <= 150 and errors == 0,
        )
    )
    return targets


def summary(results: dict[str, Any], targets: list[Target]) -> str:
    """The table printed and written to docs/performance.md (Markdown, readable as text)."""
    lines = [
        f"Run {results['when']} at commit {results['commit']}"
        + (" with uncommitted changes" if results["uncommitted_changes"] else "")
        + (" (--quick: a try-out, not figures)" if results["quick"] else "")
        + f", {results['seconds']} s in all; load average {results['load_average_at_start']:.2f}"
        f" at start, {results['load_average_at_end']:.2f} at end.",
        "",
        f"Machine: {results['machine']}.",
        "",
    ]
    for database, generated in (results.get("dataset") or {}).items():
        if generated:
            lines.append(
                f"- Dataset on {database}: {generated['councils']} councils x "
                f"{generated['indicators']} indicators x {generated['periods']} periods; "
                f"{generated['created']:,} generated, {generated['kept_real']:,} real kept, "
                f"{generated['observations']:,} observations stored "
                f"(generated in {generated['seconds']:.0f} s)."
            )
    lines += ["", "| Measure | Database | Figure |", "|---|---|---|"]
    for database, part in (results.get("dashboard") or {}).items():
        for page in _get(part, "pages") or []:
            lines.append(
                f"| {page['name']}, {page['cache']} | {database} | median "
                f"{page['median_ms']:.1f} ms, p95 {page['p95_ms']:.1f} ms, {page['queries']} "
                f"queries ({page['requests']} requests) |"
            )
    imports = results.get("csv_import") or {}
    for database in ("sqlite", "postgresql"):
        part = imports.get(database)
        if part:
            lines.append(
                f"| CSV import, {part['rows']:,} rows | {database} | "
                f"{part['rows_per_second']:,.0f} rows/s ({part['seconds']:.2f} s, median of "
                f"{part['runs']}); floor {part['floor_name']} {part['floor_seconds']:.2f} s; "
                f"ratio {part['ratio']:.1f} |"
            )
    memory_of_imports = results.get("import_memory") or {}
    if memory_of_imports:
        idle = memory_of_imports["idle"]["peak_rss_mb"]
        for name, part in memory_of_imports["crafted"].items():
            lines.append(
                f"| import_observations, {name} ({part['file_mb']} MB file) | sqlite | refused "
                f"in {part['seconds']:.2f} s, peak {part['peak_rss_mb']:.0f} MB RSS "
                f"({part['above_idle_mb']:+.0f} MB on the idle {idle:.0f} MB) |"
            )
        part = memory_of_imports["legitimate"]
        lines.append(
            f"| import_observations, legitimate {part['file_mb']} MB file, {part['rows']:,} rows "
            f"| sqlite | imported in {part['seconds']:.2f} s, peak {part['peak_rss_mb']:.0f} MB RSS "
            f"({part['above_idle_mb']:+.0f} MB on the idle {idle:.0f} MB) |"
        )
    figures = results.get("pdf") or {}
    if figures:
        for key, label in (
            ("cold", "PDF cold (fresh build_report process)"),
            ("warm_charts_cached", "PDF warm, charts cached"),
            ("warm_charts_redrawn", "PDF warm, charts redrawn"),
            ("bare_weasyprint", "bare WeasyPrint"),
            ("bare_kaleido", "bare chart export (kaleido)"),
        ):
            runs = figures.get(key)
            if runs:
                lines.append(
                    f"| {label} | sqlite | median {runs['median_s']:.2f} s ({runs['runs']} runs) |"
                )
        if "ratio" in figures:
            lines.append(
                f"| PDF ratio to bare WeasyPrint + chart export | sqlite | {figures['ratio']:.2f} |"
            )
        memory = figures.get("memory")
        if memory:
            lines.append(
                f"| PDF export peak memory | sqlite | {memory['tree_rss_mb']:.0f} MB RSS "
                f"(PSS {memory['tree_pss_mb']:.0f} MB; the Python process alone "
                f"{memory['python_rss_mb']:.0f} MB) |"
            )
    load = results.get("load")
    if load:
        lines.append(
            f"| load test, overview, {load['clients']} clients, {load['seconds']} s | "
            f"postgresql | {load['requests_per_second']:.0f} req/s, p50 {load['p50_ms']:.0f} "
            f"ms, p95 {load['p95_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms, "
            f"{load['errors']} errors ({load['server']}) |"
        )
    lines += ["", "| Target | Wanted | Measured | Verdict |", "|---|---|---|---|"]
    lines += [f"| {t.name} | {t.wanted} | {t.measured} | {t.verdict} |" for t in targets]
    if results.get("failed_steps"):
        lines += ["", f"Failed steps: {', '.join(results['failed_steps'])}."]
    return "\n".join(lines)


def write_page(table: str) -> None:
    """Put the table between the markers of docs/performance.md, keeping the rest."""
    text = (
        PAGE.read_text(encoding="utf-8") if PAGE.exists() else f"# Performance\n\n{START}\n{END}\n"
    )
    if START not in text or END not in text:
        text = f"{text.rstrip()}\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    PAGE.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
