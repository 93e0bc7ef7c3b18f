"""Benchmark: how long the seed-000 committee paper takes to export as PDF, cold and warm,
against the floor of a bare WeasyPrint render of the same HTML plus a bare kaleido export of
the same charts; and how much memory the export takes.

    DJANGO_DEBUG=true .venv/bin/python bench/report.py
    DJANGO_DEBUG=true .venv/bin/python bench/report.py --cold-runs 3 --warm-runs 9
    DJANGO_DEBUG=true .venv/bin/python bench/report.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_report

Uses a throwaway database as bench/dashboard.py does (a temporary SQLite file by default; a
PostgreSQL database `bench_report`, or the one --database-url names, created and dropped),
migrated and loaded with the demo data (`load_demo`; seed 000 is Rhondda Cynon Taf, Welsh, so
no DfE data is needed). The paper is fixtures/reports/seed000.json (--spec overrides).

What is timed (each figure is the median of several runs):

- cold: `manage.py build_report SPEC --format pdf --out ...` run as a fresh process, timed
  from outside, start to exit: Python and Django starting, the paper built from the
  database, kaleido's Chromium started, every chart drawn into an empty chart cache (Django's
  default cache is in the process's memory), WeasyPrint, the file written, Chromium closed.
  It runs with DJANGO_DEBUG off, as in production. The first build inside this benchmark's
  own process (Django already set up) is printed too, for comparison.
- warm: in one process, after a first build, the paper built again from the spec (figures
  read from the database again) and rendered as PDF with reports.building: `paper_from_spec`
  then `pdf_bytes`. "charts cached": the chart SVGs the first build drew are still in the
  cache, as when the same paper is exported again; this is the figure for the 1.5 s target.
  "charts redrawn": the paper's `chart-svg:` entries are deleted before each run, so every
  chart goes through the running Chromium again.
- bare: the floor for the same work. The exact HTML that `pdf_bytes` hands to WeasyPrint
  (caught once, SVG charts inlined as data: URLs) rendered by `weasyprint.HTML(string=html)
  .write_pdf()` with no options (no PDF/UA tagging, no URL fetcher); plus the same figures at
  the same sizes exported by a kaleido.Kaleido of its own (already started and warmed up with
  one export of each chart, MathJax off as ours, no cache), one `calc_fig` after another.
- ratio: warm, charts redrawn / (bare WeasyPrint + bare kaleido); both sides draw every chart
  and lay out the same HTML; ours also builds the paper from the database and the HTML. The
  target is at most 1.3.

Beside each median wall time is the median CPU time of the processes doing the work: for
cold, the build_report process and every process under it (its Chromium's); in this process,
this process and the Chromium under it. Other work on the machine stretches the wall time much
more than the CPU time. The warm and bare runs take turns, one of each kind per round, so
that other work weighs on all of them alike; the load average at start and end is printed.

Memory: one more cold `build_report` run, not timed, while this process samples every 20 ms
the process tree under it from /proc: the build_report process, choreographer's small pipe
wrapper and every Chromium process under it (browser, zygotes, GPU, network, storage,
renderers). Chromium's two crash-report handlers detach from the tree (a few MB each) and are
not counted. It reports the highest sum of RSS seen (the target: at most 300 MB; a page shared
between Chromium's processes is counted once per process, so this overstates), the highest sum
of PSS (shared pages divided among the processes sharing them: the fairer total), and the
build_report process's own peak RSS (VmHWM, exact). Sampling can miss a peak shorter than
20 ms.

Prints a table, the targets as MET or MISSED, and a line describing the machine; writes the
same as JSON to bench/results/report.json (--out overrides).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
# A standalone script in bench/: the project root is what manage.py would put on the path.
sys.path.insert(0, str(ROOT))

COLD_TARGET_S = 5.0
WARM_TARGET_S = 1.5
RATIO_TARGET = 1.3
MEMORY_TARGET_MB = 300.0
SAMPLE_EVERY_S = 0.02


@dataclass
class Timed:
    wall: float = 0.0
    cpu: float = 0.0  # CPU seconds of the processes doing the work, Chromium's included


@dataclass
class Runs:
    """Seconds per run; the median wall time is the figure."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, timed: Timed) -> None:
        self.seconds.append(timed.wall)
        self.cpu.append(timed.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def summary(self) -> dict[str, Any]:
        return {
            "runs": len(self.seconds),
            "median_s": round(self.median, 3),
            "min_s": round(min(self.seconds), 3),
            "max_s": round(max(self.seconds), 3),
            "each_s": [round(s, 3) for s in self.seconds],
            "cpu_median_s": round(statistics.median(self.cpu), 3),
        }


@dataclass
class Export:
    """One in-process export, split where the time goes."""

    total: float
    cpu: float
    paper: float  # paper_from_spec: the figures read from the database
    charts: float  # figure_to_svg calls: cache look-ups, or Chromium drawing
    weasyprint: float  # reports.pdf.html_to_pdf

    @property
    def html(self) -> float:
        """The rest: plotly figures, tables and the template rendered."""
        return self.total - self.paper - self.charts - self.weasyprint


@dataclass
class Memory:
    tree_rss_mb: float
    tree_pss_mb: float
    python_rss_mb: float
    processes: dict[str, int]  # how many of each command name took part
    samples: int


@dataclass
class Call:
    args: tuple
    kwargs: dict
    seconds: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--spec",
        type=Path,
        default=ROOT / "fixtures" / "reports" / "seed000.json",
        help="the paper's JSON spec (default: %(default)s)",
    )
    parser.add_argument(
        "--cold-runs", type=int, default=5, help="fresh build_report processes (default 5)"
    )
    parser.add_argument(
        "--warm-runs", type=int, default=7, help="in-process exports per kind (default 7)"
    )
    parser.add_argument(
        "--database-url",
        help="postgres://... to benchmark PostgreSQL (the database is created and dropped)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / "report.json",
        help="where the results go as JSON (default: %(default)s)",
    )
    args = parser.parse_args()
    if args.cold_runs < 1 or args.warm_runs < 1:
        parser.error("--cold-runs and --warm-runs must be at least 1")
    if not args.spec.is_file():
        parser.error(f"no spec at {args.spec}")
    args.spec = args.spec.resolve()
    return args


def main() -> None:
    from bench.environment import throwaway_database, throwaway_url

    args = parse_args()
    postgres_url = throwaway_url(args.database_url, "bench_report")
    with throwaway_database(postgres_url, prefix="bench-report-"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_reports.settings")
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    from bench.environment import database_version, machine, machine_facts

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # DJANGO_DEBUG only lets the settings load without a secret key; papers are exported as
    # production exports them, without the debug cursor's query log.
    settings.DEBUG = False
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if not cache_backend.endswith("LocMemCache"):
        # A shared cache would hand the "cold" processes the charts an earlier run drew.
        raise SystemExit(
            f"the chart cache is {cache_backend}, shared between processes: cold runs "
            "would not start with an empty cache"
        )
    data = json.loads(args.spec.read_text(encoding="utf-8"))
    # Other work on the machine shows in the figures; the load average says how much there was.
    load_at_start = load_average()
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
        database = database_version(connection)
        # Committed, so the fresh processes see the data (SQLite in WAL mode or PostgreSQL).
        connection.close()
        print(f"set up: migrated and demo data loaded in {time.perf_counter() - started:.1f} s")
        print(definitions())
        print(f"paper: {args.spec}")

        with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
            out = Path(folder) / "paper.pdf"
            # Cold runs first, while this process holds no Chromium of its own.
            cold = Runs()
            for _ in range(args.cold_runs):
                cold.add(build_report_process(args.spec, out))
            pages = page_count(out.read_bytes())
            line(f"cold: build_report in a fresh process ({pages} pages)", cold)
            memory = measure_memory(args.spec, out)

        first, html, drawn = first_export(data)
        print(
            f"{'cold, in this process: first build (Django already up)':<58} "
            f"{first.total:6.2f} s   CPU {first.cpu:5.2f} s   {breakdown(first)}"
        )
        # One run of each kind per round, so a change in the machine's load (other work on it)
        # falls on every kind alike rather than on whichever ran last.
        cached, redrawn = [], []
        bare_weasyprint, bare_kaleido = Runs(), Runs()
        with BareKaleido(drawn) as kaleido:
            for _ in range(args.warm_runs):
                cached.append(warm_export(data))
                redrawn.append(warm_export(data, forget=drawn))
                bare_pdf, timed = bare_weasyprint_run(html)
                bare_weasyprint.add(timed)
                bare_kaleido.add(kaleido.export_all())
        warm_cached = Runs([e.total for e in cached], [e.cpu for e in cached])
        warm_redrawn = Runs([e.total for e in redrawn], [e.cpu for e in redrawn])
        line("warm, charts cached: the same paper exported again", warm_cached, cached)
        line(f"warm, charts redrawn ({len(drawn)} charts through Chromium)", warm_redrawn, redrawn)
        line(f"bare: WeasyPrint, no options ({page_count(bare_pdf)} pages)", bare_weasyprint)
        line(f"bare: kaleido, the same {len(drawn)} charts, no cache", bare_kaleido)

        floor = bare_weasyprint.median + bare_kaleido.median
        ratio = warm_redrawn.median / floor
        print(
            f"ratio: warm, charts redrawn / (bare WeasyPrint + bare kaleido) = "
            f"{warm_redrawn.median:.2f} / ({bare_weasyprint.median:.2f} + "
            f"{bare_kaleido.median:.2f}) = {ratio:.2f}; by median CPU time "
            f"{cpu_ratio(warm_redrawn, bare_weasyprint, bare_kaleido):.2f}"
        )
        print(
            f"memory: cold build_report, peak over {memory.samples} samples every "
            f"{SAMPLE_EVERY_S * 1000:.0f} ms of its process tree ("
            + ", ".join(f"{n} {name}" for name, n in sorted(memory.processes.items()))
            + f"): RSS summed {memory.tree_rss_mb:.0f} MB, PSS summed "
            f"{memory.tree_pss_mb:.0f} MB; the build_report process alone "
            f"{memory.python_rss_mb:.0f} MB (VmHWM)"
        )

        targets = {
            "cold_s": (COLD_TARGET_S, cold.median, "cold ≤ {:.1f} s"),
            "warm_charts_cached_s": (WARM_TARGET_S, warm_cached.median, "warm ≤ {:.1f} s"),
            "ratio": (RATIO_TARGET, ratio, "ratio ≤ {:.1f}"),
            "memory_rss_mb": (MEMORY_TARGET_MB, memory.tree_rss_mb, "memory (RSS) ≤ {:.0f} MB"),
        }
        print(
            "targets: "
            + "; ".join(
                f"{label.format(target)} {'MET' if value <= target else 'MISSED'} ({value:.2f})"
                for target, value, label in targets.values()
            )
        )
        print(f"load average (1 min) at start and end: {load_at_start:.2f}, {load_average():.2f}")
        print(machine(database))
        write_results(
            args,
            {
                "paper": {"spec": str(args.spec), "pages": pages, "charts": len(drawn)},
                "cold": cold.summary(),
                "cold_first_build_in_process": asdict(first),
                "warm_charts_cached": {**warm_cached.summary(), "stages": stages(cached)},
                "warm_charts_redrawn": {**warm_redrawn.summary(), "stages": stages(redrawn)},
                "bare_weasyprint": bare_weasyprint.summary(),
                "bare_kaleido": bare_kaleido.summary(),
                "ratio": round(ratio, 3),
                "ratio_by_cpu": round(cpu_ratio(warm_redrawn, bare_weasyprint, bare_kaleido), 3),
                "memory": asdict(memory),
                "load_average_1min": {"start": load_at_start, "end": load_average()},
                "targets": {
                    name: {"target": target, "value": round(value, 3), "met": value <= target}
                    for name, (target, value, _label) in targets.items()
                },
            },
            machine_facts(database),
        )
    finally:
        connection.close()


def definitions() -> str:
    """What the figures mean: this module's docstring from "What is timed" to the memory
    paragraph, so the printed output and the docstring cannot disagree."""
    paragraphs = __doc__.split("\n\n")
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("What is timed"))
    end = next(i for i, p in enumerate(paragraphs) if p.startswith("Prints a table"))
    return "\n\n".join(paragraphs[start:end]) + "\n"


def cpu_ratio(ours: Runs, *floor: Runs) -> float:
    """The ratio by CPU time, which other work on the machine disturbs less than wall time."""
    return statistics.median(ours.cpu) / sum(statistics.median(runs.cpu) for runs in floor)


def load_average() -> float:
    return os.getloadavg()[0]


def line(label: str, runs: Runs, exports: list[Export] | None = None) -> None:
    spread = f"(min {min(runs.seconds):.2f}, max {max(runs.seconds):.2f}, {len(runs.seconds)} runs)"
    cpu = statistics.median(runs.cpu)
    text = f"{label:<58} {runs.median:6.2f} s   CPU {cpu:5.2f} s   {spread}"
    if exports:
        text += "\n" + " " * 69 + breakdown_of_medians(exports)
    print(text, flush=True)


def breakdown(export: Export) -> str:
    return (
        f"paper {export.paper:.2f}, charts {export.charts:.2f}, HTML {export.html:.2f}, "
        f"WeasyPrint {export.weasyprint:.2f}"
    )


def stages(exports: list[Export]) -> dict[str, float]:
    return {
        name: round(statistics.median(getattr(e, name) for e in exports), 3)
        for name in ("paper", "charts", "html", "weasyprint")
    }


def breakdown_of_medians(exports: list[Export]) -> str:
    medians = stages(exports)
    return "medians: " + ", ".join(f"{name} {s:.2f}" for name, s in medians.items())


def build_report_process(spec: Path, out: Path) -> Timed:
    """A cold run; its CPU time is that of every process under it that it waited for (its
    Chromium's included), from this process's usage of its ended children."""
    before = children_cpu_seconds()
    started = time.perf_counter()
    process = start_build_report(spec, out)
    finish(process, out)
    return Timed(time.perf_counter() - started, children_cpu_seconds() - before)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds() -> float:
    """CPU seconds so far of this process and every process under it (the Chromium kaleido
    drives), with their ended children's."""
    ticks = 0
    for pid in process_tree(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        # utime, stime, cutime, cstime: fields 14 to 17 of stat(5), after pid and comm.
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def measured() -> Iterator[Timed]:
    timed = Timed()
    cpu = tree_cpu_seconds()
    started = time.perf_counter()
    yield timed
    timed.wall = time.perf_counter() - started
    timed.cpu = tree_cpu_seconds() - cpu


def start_build_report(spec: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, str(ROOT / "manage.py"), "build_report", str(spec)]
    return subprocess.Popen(
        [*command, "--format", "pdf", "--out", str(out)],
        cwd=ROOT,
        env=production_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def production_env() -> dict[str, str]:
    """This process's environment (DATABASE_URL points at the throwaway database) with
    debugging off, as a server runs; a throwaway secret key lets the settings load."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-report-throwaway-key",  # noqa: S105 (no secret: a benchmark)
    }


def finish(process: subprocess.Popen, out: Path) -> None:
    """Wait for build_report; stop with its output if it failed or wrote no PDF."""
    _stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{stderr}\nbuild_report exited with status {process.returncode}")
    if not out.read_bytes().startswith(b"%PDF-"):
        raise SystemExit(f"build_report wrote {out}, but it is not a PDF")


def measure_memory(spec: Path, out: Path) -> Memory:
    """A cold build_report while a thread samples its process tree's memory."""
    process = start_build_report(spec, out)
    peak = {"rss": 0, "pss": 0, "python": 0, "samples": 0}
    seen: dict[int, str] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = process_tree(process.pid)
            rss = pss = 0
            for pid in tree:
                rollup = proc_fields(pid, "smaps_rollup")
                if not rollup:  # it ended meanwhile
                    continue
                rss += rollup.get("Rss", 0)
                pss += rollup.get("Pss", 0)
                # The name it has now: a child is named after its parent until it execs.
                seen[pid] = command_name(pid) or seen.get(pid, "?")
            peak["rss"] = max(peak["rss"], rss)
            peak["pss"] = max(peak["pss"], pss)
            # VmHWM only grows, and is exact; read it as long as the process is there.
            peak["python"] = max(peak["python"], proc_fields(process.pid, "status").get("VmHWM", 0))
            peak["samples"] += 1
            done.wait(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, name="memory-sampler", daemon=True)
    sampler.start()
    try:
        finish(process, out)
    finally:
        done.set()
        sampler.join()
    return Memory(
        tree_rss_mb=round(peak["rss"] / 1024, 1),
        tree_pss_mb=round(peak["pss"] / 1024, 1),
        python_rss_mb=round(peak["python"] / 1024, 1),
        processes=dict(Counter(seen.values())),
        samples=peak["samples"],
    )


def process_tree(root: int) -> list[int]:
    """The process and all its descendants, from each process's parent in /proc/PID/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        # The command name in parentheses may hold spaces; the parent's pid follows the state.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:  # it ended meanwhile
        return ""


def proc_fields(pid: int, name: str) -> dict[str, int]:
    """The kB fields of /proc/PID/status or /proc/PID/smaps_rollup; empty once it ended."""
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return {}
    fields = {}
    for row in text.splitlines():
        key, _, rest = row.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[key] = int(parts[0])
    return fields


@contextmanager
def watching(target: str) -> Iterator[list[Call]]:
    """Patch the function named `target` with one that calls it and records each call's
    arguments and seconds: how the benchmark sees inside reports.building.pdf_bytes without
    changing it."""
    module_name, name = target.rsplit(".", 1)
    real = getattr(__import__(module_name, fromlist=[name]), name)
    calls: list[Call] = []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = real(*args, **kwargs)
        calls.append(Call(args, kwargs, time.perf_counter() - started))
        return result

    with mock.patch(target, recorded):
        yield calls


def export(data: dict) -> tuple[Export, list[Call], list[Call]]:
    """One export as the app makes it, reports.building's paper_from_spec then pdf_bytes."""
    from reports import building

    with (
        watching("reports.chart_export.figure_to_svg") as charts,
        watching("reports.pdf.html_to_pdf") as weasyprint,
        measured() as total,
    ):
        started = time.perf_counter()
        paper = building.paper_from_spec(data)
        built = time.perf_counter()
        pdf = building.pdf_bytes(paper)
    if not pdf.startswith(b"%PDF-") or len(weasyprint) != 1 or not charts:
        raise SystemExit(
            "pdf_bytes no longer calls reports.chart_export.figure_to_svg and "
            "reports.pdf.html_to_pdf as this benchmark expects: update bench/report.py"
        )
    timing = Export(
        total=total.wall,
        cpu=total.cpu,
        paper=built - started,
        charts=sum(c.seconds for c in charts),
        weasyprint=weasyprint[0].seconds,
    )
    return timing, charts, weasyprint


def first_export(data: dict) -> tuple[Export, str, list[tuple[Any, int, int]]]:
    """The first export in this process (Chromium starts, every chart is drawn); with the
    HTML WeasyPrint was given and each chart's figure and size, for the bare runs."""
    from reports.chart_export import figure_to_svg

    timing, charts, weasyprint = export(data)
    signature = inspect.signature(figure_to_svg)
    drawn = []
    for call in charts:
        bound = signature.bind(*call.args, **call.kwargs)
        bound.apply_defaults()
        drawn.append(
            (bound.arguments["figure"], bound.arguments["width"], bound.arguments["height"])
        )
    return timing, weasyprint[0].args[0], drawn


def warm_export(data: dict, forget: list[tuple[Any, int, int]] | None = None) -> Export:
    """Another export; with `forget`, those charts' SVGs are first taken out of the cache."""
    if forget:
        from django.core.cache import cache

        from reports.chart_export import cache_key

        keys = [cache_key(figure, width=width, height=height) for figure, width, height in forget]
        cache.delete_many(keys)
        if any(cache.get(key) is not None for key in keys):
            raise SystemExit("the chart SVGs are still cached after deleting them")
    return export(data)[0]


def bare_weasyprint_run(html: str) -> tuple[bytes, Timed]:
    from weasyprint import HTML

    with measured() as timed:
        pdf = HTML(string=html).write_pdf()
    return pdf, timed


class BareKaleido:
    """A kaleido.Kaleido of its own, on an event loop of its own, exporting the paper's
    figures at their sizes one after another. Opening it exports each once, untimed, as the
    warm process's Chromium has drawn them before."""

    def __init__(self, drawn: list[tuple[Any, int, int]]) -> None:
        self.drawn = drawn
        self.loop = asyncio.new_event_loop()
        self.browser: Any = None

    def __enter__(self) -> BareKaleido:
        import kaleido

        from reports.chart_export import EXPORT_TIMEOUT, browser_path

        self.browser = kaleido.Kaleido(mathjax=False, timeout=EXPORT_TIMEOUT, path=browser_path())
        self.loop.run_until_complete(self.browser.open())
        try:
            self.export_all()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.loop.run_until_complete(self.browser.close())
        finally:
            self.loop.close()

    def export_all(self) -> Timed:
        async def export_all() -> None:
            for figure, width, height in self.drawn:
                await self.browser.calc_fig(
                    dict(figure), opts={"format": "svg", "width": width, "height": height}
                )

        with measured() as timed:
            self.loop.run_until_complete(export_all())
        return timed


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def write_results(args: argparse.Namespace, figures: dict[str, Any], facts) -> None:
    from bench.environment import provenance

    results = {
        **provenance(),
        "machine": facts,
        **figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
