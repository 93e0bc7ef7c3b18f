"""Benchmark: the peak memory and time of `import_observations` on the crafted files of issue 14
(each must be refused within 5 s) and on a legitimate 20 MB file, above the command's idle size.

    DJANGO_DEBUG=true .venv/bin/python bench/import_memory.py [--runs 3] [--out FILE.json]

Each import runs as its own `manage.py import_observations` process, and its peak resident
memory (the kernel's high-water mark, ru_maxrss of the finished child: what a worker would
reach, C allocations of the XML parser and the database driver included) is compared with the
same command's on a one-row file refused at once ("idle": Django, the app and its libraries
loaded). The database is a throwaway SQLite file, migrated and given the demo data; the
legitimate file (22 councils x 6 indicators x months, about 137,000 rows, as in
tests/indicators/test_import_limits.py) is imported for real into it, and is removed
between runs. The crafted files are those of the same test module, made in a temporary folder.
The target: every peak at most 200 MB above idle, every crafted file refused within 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_ABOVE_IDLE_MB = 200
REFUSED_WITHIN_S = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each file (median kept)")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    return parser.parse_args()


def run_import(path: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of one import_observations process.

    It runs under a small parent of its own, so that RUSAGE_CHILDREN holds this child alone."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "print(json.dumps([time.perf_counter() - started,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode]))\n"
    )
    command = [sys.executable, str(ROOT / "manage.py"), "import_observations", str(path)]
    done = subprocess.run(
        [sys.executable, "-c", code, *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kilobytes, status = json.loads(done.stdout)
    return seconds, kilobytes / 1024, status


def median_of(runs: int, path: Path, env: dict[str, str], reset=None) -> dict:
    measured = []
    for _ in range(runs):
        if reset:
            reset()
        measured.append(run_import(path, env))
    return {
        "seconds": round(statistics.median(m[0] for m in measured), 2),
        "peak_rss_mb": round(statistics.median(m[1] for m in measured), 1),
        "exit_status": measured[-1][2],
        "runs": runs,
    }


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-memory-") as folder:
        work = Path(folder)
        env = {
            **os.environ,
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        subprocess.run(
            [*manage, "load_demo"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        os.environ.update(env)
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
        django.setup()
        from indicators.models import Indicator, Observation
        from tests.indicators.test_import_limits import CRAFTED, legitimate_csv

        idle = work / "idle.csv"
        idle.write_text("authority,indicator,period,value\r\nNowhere,X,2015-16,1\r\n")
        results: dict = {"idle": median_of(args.runs, idle, env), "crafted": {}}
        idle_mb = results["idle"]["peak_rss_mb"]
        print(f"idle: {idle_mb:.0f} MB", flush=True)
        for name, (make, _expected) in CRAFTED.items():
            made = work / f"crafted-{len(results['crafted'])}"
            made.mkdir()
            path = make(made)
            part = median_of(args.runs, path, env)
            part["file_mb"] = round(path.stat().st_size / 2**20, 1)
            part["above_idle_mb"] = round(part["peak_rss_mb"] - idle_mb, 1)
            results["crafted"][name] = part
            path.unlink()
            print(f"{name}: {part}", flush=True)

        codes = list(Indicator.objects.filter(unit="percent").values_list("code", flat=True)[:6])
        legitimate = work / "legitimate.csv"
        rows = legitimate_csv(legitimate, codes)

        # Each run imports into the database as the demo left it: what a run adds goes.
        last = Observation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        last_history = (
            Observation.history.order_by("-history_id").values_list("history_id", flat=True).first()
            or 0
        )

        def reset() -> None:
            Observation.history.filter(history_id__gt=last_history).delete()
            Observation.objects.filter(pk__gt=last).delete()

        part = median_of(args.runs, legitimate, env, reset=reset)
        part.update(
            rows=rows,
            file_mb=round(legitimate.stat().st_size / 2**20, 1),
            above_idle_mb=round(part["peak_rss_mb"] - idle_mb, 1),
        )
        results["legitimate"] = part
        print(f"legitimate 20 MB file: {part}", flush=True)

    crafted = results["crafted"].values()
    results["met"] = (
        all(p["exit_status"] == 1 and p["seconds"] <= REFUSED_WITHIN_S for p in crafted)
        and results["legitimate"]["exit_status"] == 0
        and all(p["above_idle_mb"] <= LIMIT_ABOVE_IDLE_MB for p in [*crafted, part])
    )
    results["max_rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print("MET" if results["met"] else "MISSED")


if __name__ == "__main__":
    main()
