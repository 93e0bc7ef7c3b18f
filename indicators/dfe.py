"""DfE statistics in the Explore Education Statistics (EES) "tidy" layout, and DfE's
statistical-neighbour model, mapped to the app's places and figures.

Which column of which file is which indicator is reviewed data: the `[indicator.dfe]` tables
of `fixtures/indicators/england_dfe.toml` (see that file for the period rules). This module
reads the files, works out every authority, region, comparator, figure and neighbour group
they imply (`plan_import`, which only reads the database), and then writes them all in one
transaction (`apply_plan`). `run_import` does both; any problem and nothing is written.

Rules, and why:
- National rows are the comparator "England"; regional rows a Region and its comparator
  (Inner and Outer London too: DfE reports them as regions). Local-authority rows are
  authorities, matched by old LA code, then GSS code, then name or alias, and created when
  missing; a name the file spells differently is kept as an alias.
- An authority's GSS code is the one on its latest row. A stored code changes only when the
  files show the change (old code on earlier rows, new code on later ones), so importing an
  older file afterwards does not undo it. Barnsley, Sheffield, North Yorkshire, Somerset and
  Buckinghamshire kept their LA code when their GSS code changed.
- An authority is active when it has a figure (a number or c, u, low; not x or z) in the
  latest year of some file it appears in: Cumbria, Northamptonshire, Dorset County,
  Bournemouth and Poole have only x and z rows, or none, after their reorganisations.
- Two councils with one name (Dorset County Council, 835, and Dorset Council, 838): the one
  still reporting keeps the plain name, the other is told apart by its GSS code.
- Workforce rows for councils that share a children's services company (Kingston upon
  Thames / Richmond upon Thames; North / West Northamptonshire: old_la_code "314 / 318") are
  not either council's own figures: skipped, and reported.
- Withheld markers (c, x, z, u, low) are stored as withheld with no value, never as 0; any
  other text in a figure column is an error.
- One ImportLog per file (write_figures writes it), the neighbour model's file included.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from indicators import codes
from indicators.definitions import (
    DefinitionCounts,
    DefinitionError,
    IndicatorDefinition,
    load_definitions,
    read_definitions,
)
from indicators.models import (
    Authority,
    AuthorityAlias,
    Comparator,
    ComparatorKind,
    ImportLog,
    Indicator,
    Nation,
    NeighbourGroup,
    NeighbourMembership,
    Region,
    Statistic,
    Withheld,
)
from indicators.store import (
    FigureError,
    FigureRow,
    WriteResult,
    _os_user,
    check_figures,
    write_figures,
)

COMMAND = "import_dfe"
DEFAULT_DEFINITIONS = Path(settings.BASE_DIR) / "fixtures" / "indicators" / "england_dfe.toml"

MARKERS = frozenset(Withheld.values)  # c, x, z, u, low
# x (not available) and z (not applicable) are what EES files show for a council that did
# not exist, or no longer existed, in a year; c, u and low are real figures withheld.
ABSENT_MARKERS = frozenset({Withheld.NOT_AVAILABLE.value, Withheld.NOT_APPLICABLE.value})
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_OLD_LA_CODE = re.compile(r"^\d{3}$")
_SN_COLUMN = re.compile(r"^SN_(\d+)$")

NATIONAL = "National"
REGIONAL = "Regional"
LOCAL_AUTHORITY = "Local authority"

# EES files place London boroughs in the sub-regions Inner London (E13000001) and Outer
# London (E13000002); the English region the boroughs belong to is London.
LONDON_SUBREGION_PREFIX = "E13"
LONDON_CODE, LONDON_NAME = "E12000007", "London"

Progress = Callable[[str, int, int], None]


class PeriodRule(StrEnum):
    """How an EES `time_period` (always "Reporting year" in these files) becomes a period."""

    YEAR_ENDING_MARCH = "year_ending_march"
    AS_AT_30_SEPTEMBER = "as_at_30_september"
    MID_YEAR = "mid_year"


def period_code(rule: str, time_period: str) -> str:
    """The app's period code for a row: `2025` is "2024-25", "2025-09-30" or "2025-06-30".

    A six-digit `202425` (EES's financial-year form) is accepted for the year rule.
    Raises ValueError for anything else.
    """
    text = time_period.strip()
    if rule == PeriodRule.YEAR_ENDING_MARCH:
        if re.fullmatch(r"\d{6}", text):
            return codes.parse_period(f"{text[:4]}-{text[4:]}").code
        if re.fullmatch(r"\d{4}", text):
            return codes.financial_year_code(int(text) - 1)
    elif re.fullmatch(r"\d{4}", text):
        if rule == PeriodRule.AS_AT_30_SEPTEMBER:
            return f"{text}-09-30"
        if rule == PeriodRule.MID_YEAR:
            return f"{text}-06-30"
    raise ValueError(f"time_period '{time_period}' is not a year this file's rule ({rule}) reads")


def parse_cell(text: str) -> tuple[Decimal | None, str]:
    """A figure cell: (number, "") or (None, marker). Raises ValueError for other text.

    The Decimal keeps the places it was printed with ("71.60"), which is how a published
    value is checked against its numerator and denominator.
    """
    cell = text.strip()
    if cell.lower() in MARKERS:
        return None, cell.lower()
    if not cell:
        raise ValueError("is blank (EES files mark a missing figure with a symbol such as x)")
    if not _NUMBER.match(cell):
        raise ValueError(
            f"'{cell}' is neither a number nor a DfE marker ({', '.join(Withheld.values)})"
        )
    try:
        return Decimal(cell), ""
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"'{cell}' is not a number") from exc


@dataclass(frozen=True)
class DfeMeasure:
    """Where an indicator's figures are in an EES file: its `[indicator.dfe]` table."""

    indicator: str
    file: str
    value: str
    numerator: str | None = None
    denominator: str | None = None
    filter: tuple[tuple[str, str], ...] = ()
    period_rule: PeriodRule = PeriodRule.YEAR_ENDING_MARCH

    def reads(self, filename: str) -> bool:
        return filename.lower().startswith(self.file.lower())

    def applies_to(self, row: Mapping[str, str]) -> bool:
        return all((row.get(column) or "").strip() == wanted for column, wanted in self.filter)

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.value, self.numerator, self.denominator) if c]


def dfe_measures(definitions: Iterable[IndicatorDefinition]) -> list[DfeMeasure]:
    """The `dfe` sub-tables of these definitions; DefinitionError names every bad one."""
    measures: list[DfeMeasure] = []
    problems: list[str] = []
    for definition in definitions:
        table = definition.tables.get("dfe")
        if table is None:
            continue
        where = f"indicator '{definition.code}': [indicator.dfe]"
        if not isinstance(table, dict):
            problems.append(f"{where} must be a table")
            continue
        known = {"file", "value", "numerator", "denominator", "filter", "period_rule"}
        for key in sorted(set(table) - known):
            problems.append(
                f"{where}: unknown key '{key}' (known keys: {', '.join(sorted(known))})"
            )
        texts: dict[str, str | None] = {}
        for key in ("file", "value", "numerator", "denominator"):
            value = table.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                problems.append(f"{where}: '{key}' must be a column or file name")
                value = None
            texts[key] = value.strip() if value else None
        for key in ("file", "value"):
            if key not in table:
                problems.append(f"{where}: '{key}' is missing")
        rule = table.get("period_rule")
        if rule not in PeriodRule.__members__.values():
            problems.append(f"{where}: period_rule {rule!r} is not one of: {', '.join(PeriodRule)}")
        filters = table.get("filter", {})
        if not isinstance(filters, dict) or not all(isinstance(v, str) for v in filters.values()):
            problems.append(f"{where}: 'filter' must be a table of column = \"text\"")
            filters = {}
        if (texts["numerator"] is None) != (texts["denominator"] is None):
            problems.append(f"{where}: give both numerator and denominator columns, or neither")
        if texts["file"] and texts["value"] and rule in PeriodRule.__members__.values():
            measures.append(
                DfeMeasure(
                    indicator=definition.code,
                    file=texts["file"],
                    value=texts["value"],
                    numerator=texts["numerator"],
                    denominator=texts["denominator"],
                    filter=tuple(sorted(filters.items())),
                    period_rule=PeriodRule(rule),
                )
            )
    if problems:
        raise DefinitionError(problems)
    return measures


@dataclass(frozen=True, order=True)
class Problem:
    """An error that stops the import: `file:row N: message`."""

    file: str
    row: int
    message: str

    def __str__(self) -> str:
        if self.row:
            return f"{self.file}:row {self.row}: {self.message}"
        return f"{self.file}: {self.message}"


class DfeImportError(Exception):
    """The files cannot be imported; nothing was written. `problems` lists every error."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} errors; nothing was written")


# --- Reading ----------------------------------------------------------------------------------


Rows = list[tuple[int, dict[str, str]]]


def read_table(path: Path) -> tuple[list[str], Rows]:
    """A CSV's header and its rows, each with the row number a spreadsheet shows (the header
    is row 1). `utf-8-sig` because some EES files start with a byte-order mark."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        rows = [
            (number, dict(zip(header, cells)))
            for number, cells in enumerate(reader, start=2)
            if any(c.strip() for c in cells)
        ]
    return header, rows


def is_neighbour_model(header: Sequence[str]) -> bool:
    return "old_la_code" in header and any(_SN_COLUMN.match(h) for h in header)


def is_ees(header: Sequence[str]) -> bool:
    return "time_period" in header and "geographic_level" in header


def expand_paths(paths: Iterable[Path | str]) -> list[tuple[Path, bool]]:
    """Files to read, each with whether it was named (True) or found in a folder (False)."""
    found: dict[Path, bool] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.glob("*.csv")):
                found.setdefault(child.resolve(), False)
        else:
            found[path.resolve()] = True
    return list(found.items())


# --- The plan ---------------------------------------------------------------------------------


@dataclass
class Sighting:
    """What one local-authority row says about its council."""

    date: dt.date
    gss_code: str
    name: str
    region_code: str
    region_name: str


@dataclass
class LocalAuthorityFacts:
    old_la_code: str
    sightings: list[Sighting] = field(default_factory=list)
    live: bool = False
    names: set[str] = field(default_factory=set)

    @property
    def latest(self) -> Sighting:
        return max(self.sightings, key=lambda s: (s.date, s.gss_code, s.name))

    def gss_dates(self) -> dict[str, dt.date]:
        dates: dict[str, dt.date] = {}
        for s in self.sightings:
            if s.gss_code:
                dates[s.gss_code] = max(s.date, dates.get(s.gss_code, s.date))
        return dates


@dataclass
class RawFigure:
    row: int
    subject: tuple[str, str]  # ("national", name) | ("regional", code) | ("la", old code)
    indicator: str
    period_code: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    withheld: str


@dataclass
class FileReport:
    path: Path
    kind: str  # "figures", "neighbours" or "skipped"
    rows: int = 0
    notices: list[str] = field(default_factory=list)
    figures: list[FigureRow] = field(default_factory=list)
    result: WriteResult | None = None
    groups: Counter = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class GroupPlan:
    group: NeighbourGroup
    members: list[NeighbourMembership]
    state: str  # created, updated or unchanged
    comparators: list[Comparator] = field(default_factory=list)


@dataclass
class Plan:
    definitions_path: Path
    files: list[FileReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)  # new or changed
    comparators: list[Comparator] = field(default_factory=list)  # new or changed
    authorities: list[Authority] = field(default_factory=list)  # new or changed
    aliases: list[AuthorityAlias] = field(default_factory=list)
    groups: list[GroupPlan] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


@dataclass
class ImportReport:
    plan: Plan
    definitions: DefinitionCounts | None = None
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def files(self) -> list[FileReport]:
        return self.plan.files

    def total(self, name: str) -> int:
        return sum(getattr(f.result, name) for f in self.files if f.result)

    @property
    def warnings(self) -> list[tuple[str, int, str]]:
        return [
            (f.name, row, message)
            for f in self.files
            if f.result
            for row, message in f.result.warnings
        ]

    @property
    def figures(self) -> int:
        return sum(len(f.figures) for f in self.files)


class _Planner:
    """Builds a Plan: reads every file, resolves every place against the database, checks
    every figure. Reads the database but never writes to it."""

    def __init__(self, definitions_path: Path, progress: Progress | None):
        self.plan = Plan(definitions_path=definitions_path)
        self.progress = progress
        self.measures: list[DfeMeasure] = []
        self.raw: dict[Path, list[RawFigure]] = {}
        self.national_names: set[str] = set()
        self.regions_seen: dict[str, str] = {}  # code -> name, from regional rows
        self.facts: dict[str, LocalAuthorityFacts] = {}
        self.neighbour_files: list[tuple[FileReport, list[str], Rows]] = []
        self.neighbour_names: dict[str, set[str]] = defaultdict(set)  # old LA code -> names
        self.stored_authorities: list[Authority] = []
        # Resolved places.
        self.comparator_for: dict[tuple[str, str], Comparator] = {}
        self.region_by_code: dict[str, Region] = {}
        self.authority_by_code: dict[str, Authority] = {}

    def problem(self, file: str, row: int, message: str) -> None:
        self.plan.problems.append(Problem(file, row, message))

    # Definitions ------------------------------------------------------------------------

    def read_definitions(self) -> bool:
        path = self.plan.definitions_path
        try:
            definitions = read_definitions(path)
            self.measures = dfe_measures(definitions)
        except DefinitionError as exc:
            for message in exc.problems:
                self.problem(path.name, 0, message.removeprefix(f"{path.name}: "))
            return False
        self.plan.indicators = {d.code: d.build() for d in definitions}
        return True

    # Files ------------------------------------------------------------------------------

    def read_files(self, paths: Iterable[Path | str]) -> None:
        files = expand_paths(paths)
        if not files:
            self.problem("(arguments)", 0, "no files to import")
        for path, named in files:
            if not path.is_file():
                self.problem(str(path), 0, "no such file or folder")
                continue
            try:
                header, rows = read_table(path)
            except UnicodeDecodeError as exc:
                self.problem(path.name, 0, f"is not UTF-8 text: {exc}")
                continue
            except (OSError, csv.Error) as exc:
                self.problem(path.name, 0, f"cannot be read: {exc}")
                continue
            report = FileReport(path=path, kind="skipped", rows=len(rows))
            self.plan.files.append(report)
            if is_neighbour_model(header):
                report.kind = "neighbours"
                self.neighbour_files.append((report, header, rows))
            elif is_ees(header):
                self.read_ees(report, header, rows, named)
            elif named:
                self.problem(
                    path.name,
                    0,
                    "is neither an EES tidy file (time_period, geographic_level, ...) nor "
                    "a statistical-neighbour model (old_la_code, SN_1, ...)",
                )
            else:
                report.notices.append("skipped: not an EES file")

    def read_ees(
        self,
        report: FileReport,
        header: list[str],
        rows: Rows,
        named: bool,
    ) -> None:
        name = report.name
        measures = [m for m in self.measures if m.reads(name)]
        if not measures:
            prefixes = ", ".join(sorted({m.file for m in self.measures}))
            message = f"no indicator in {self.plan.definitions_path.name} reads this file"
            if named:
                self.problem(name, 0, f"{message} (it reads files named {prefixes}...)")
            else:
                report.notices.append(f"skipped: {message}")
            return
        report.kind = "figures"
        wanted = {"time_period", "geographic_level"}
        for m in measures:
            wanted.update(m.columns)
            wanted.update(column for column, _ in m.filter)
        missing = sorted(wanted - set(header))
        if missing:
            self.problem(name, 1, f"missing column(s): {', '.join(missing)}")
            return

        raw: list[RawFigure] = []
        periods: dict[tuple[str, str], tuple[str, dt.date]] = {}
        dates: dict[str, dt.date] = {}  # time_period -> its latest period end, for sightings
        sightings: list[tuple[str, str, Sighting, bool]] = []  # code, time_period, sighting, alive
        skipped_levels: Counter = Counter()
        joint: dict[str, int] = defaultdict(int)
        matched: Counter = Counter()
        for done, (number, row) in enumerate(rows, start=1):
            if self.progress and done % 500 == 0:
                self.progress(f"reading {name}", done, len(rows))
            level = (row.get("geographic_level") or "").strip()
            time_period = (row.get("time_period") or "").strip()
            if level == NATIONAL:
                country = (row.get("country_name") or "").strip() or "England"
                subject = ("national", country)
                self.national_names.add(country)
            elif level == REGIONAL:
                code = (row.get("region_code") or "").strip().upper()
                region_name = (row.get("region_name") or "").strip()
                if not code or not region_name:
                    self.problem(name, number, "a regional row needs region_code and region_name")
                    continue
                self.regions_seen.setdefault(code, region_name)
                subject = ("regional", code)
            elif level == LOCAL_AUTHORITY:
                code = (row.get("old_la_code") or "").strip()
                if "/" in code:
                    # CSWW publishes councils that share one children's services company
                    # (Kingston and Richmond; North and West Northamptonshire) as one row:
                    # the figures are not either council's own.
                    joint[f"{(row.get('la_name') or '').strip()} ({code})"] += 1
                    continue
                if not _OLD_LA_CODE.match(code):
                    self.problem(name, number, f"old_la_code '{code}' is not a three-digit LA code")
                    continue
                gss = (row.get("new_la_code") or "").strip().upper()
                la_name = (row.get("la_name") or "").strip()
                if len(gss) > 9:
                    self.problem(name, number, f"new_la_code '{gss}' is not a GSS code")
                    continue
                if not la_name:
                    self.problem(name, number, "la_name is blank")
                    continue
                subject = ("la", code)
            else:
                skipped_levels[level or "(blank)"] += 1
                continue

            alive = False
            for measure in measures:
                if not measure.applies_to(row):
                    continue
                matched[measure.indicator] += 1
                key = (measure.period_rule, time_period)
                if key not in periods:
                    try:
                        code_ = period_code(measure.period_rule, time_period)
                        end = codes.parse_period(code_).end
                    except ValueError as exc:
                        self.problem(name, number, str(exc))
                        break
                    periods[key] = (code_, end)
                    dates[time_period] = max(end, dates.get(time_period, end))
                period, _end = periods[key]
                cells: dict[str, tuple[Decimal | None, str]] = {}
                bad = False
                for column in measure.columns:
                    try:
                        cells[column] = parse_cell(row.get(column) or "")
                    except ValueError as exc:
                        if column == measure.value or (row.get(column) or "").strip():
                            self.problem(name, number, f"column {column}: {exc}")
                            bad = True
                        cells[column] = (None, "")
                if bad:
                    continue
                alive = alive or any(
                    number_ is not None or (marker and marker not in ABSENT_MARKERS)
                    for number_, marker in cells.values()
                )
                value, withheld = cells[measure.value]
                raw.append(
                    RawFigure(
                        row=number,
                        subject=subject,
                        indicator=measure.indicator,
                        period_code=period,
                        numerator=cells[measure.numerator][0] if measure.numerator else None,
                        denominator=(
                            cells[measure.denominator][0] if measure.denominator else None
                        ),
                        value=value,
                        withheld=withheld,
                    )
                )
            if subject[0] == "la" and time_period in dates:
                sighting = Sighting(
                    date=dates[time_period],
                    gss_code=gss,
                    name=la_name,
                    region_code=(row.get("region_code") or "").strip().upper(),
                    region_name=(row.get("region_name") or "").strip(),
                )
                sightings.append((subject[1], time_period, sighting, alive))

        latest = max((tp for _c, tp, _s, _a in sightings), default=None, key=_year_key)
        for code, time_period, sighting, alive in sightings:
            facts = self.facts.setdefault(code, LocalAuthorityFacts(code))
            facts.sightings.append(sighting)
            facts.names.add(sighting.name)
            if alive and time_period == latest:
                facts.live = True
        self.raw[report.path] = raw
        for level, count in sorted(skipped_levels.items()):
            report.notices.append(f"{count:,} rows at geographic level '{level}' skipped")
        for who, count in sorted(joint.items()):
            report.notices.append(
                f"{count:,} rows for {who} skipped: published jointly, so not either "
                "council's own figures"
            )
        for measure in measures:
            if not matched[measure.indicator] and measure.filter:
                wanted_rows = ", ".join(f"{c} = '{v}'" for c, v in measure.filter)
                report.notices.append(f"no rows for {measure.indicator}: none has {wanted_rows}")

    # Places -----------------------------------------------------------------------------

    def resolve_places(self) -> None:
        self.resolve_national()
        self.resolve_regions()
        self.resolve_authorities()

    def resolve_national(self) -> None:
        for country in sorted(self.national_names):
            slug = slugify(country)
            comparator = (
                Comparator.objects.filter(slug=slug).first()
                or Comparator.objects.filter(name_key=codes.normalise_name(country)).first()
            )
            if comparator is None:
                comparator = Comparator(
                    name=country,
                    slug=slug,
                    kind=ComparatorKind.NATIONAL,
                    nation=Nation.ENGLAND,
                    statistic=Statistic.PUBLISHED,
                    source="Department for Education",
                )
                self.plan.comparators.append(comparator)
                self.plan.counts["comparators created"] += 1
            self.comparator_for[("national", country)] = comparator

    def resolve_regions(self) -> None:
        stored = list(Region.objects.all())
        by_code = {r.gss_code.upper(): r for r in stored if r.gss_code}
        by_name = {codes.normalise_name(r.name): r for r in stored}
        wanted = dict(self.regions_seen)
        for facts in self.facts.values():
            code, name = self._region_of(facts.latest)
            if code:
                wanted.setdefault(code, name)

        for code, name in sorted(wanted.items()):
            region = by_code.get(code)
            if region is None:
                region = by_name.get(codes.normalise_name(name))
                if region is not None and region.gss_code and region.gss_code.upper() != code:
                    self.problem(
                        "(regions)",
                        0,
                        f"region '{name}' is stored with GSS code {region.gss_code}, but the "
                        f"files give {code}",
                    )
                    continue
            if region is None:
                region = Region(name=name, gss_code=code, nation=Nation.ENGLAND)
                self.plan.regions.append(region)
                self.plan.counts["regions created"] += 1
                by_name[codes.normalise_name(name)] = region
            elif not region.gss_code:
                region.gss_code = code
                self.plan.regions.append(region)
                self.plan.counts["regions updated"] += 1
            self.region_by_code[code] = region

        existing = {
            c.region_id: c for c in Comparator.objects.filter(region__in=stored) if c.region_id
        }
        for code in sorted(self.regions_seen):
            region = self.region_by_code.get(code)
            if region is None:
                continue
            comparator = existing.get(region.pk) if region.pk else None
            if comparator is None:
                comparator = Comparator.objects.filter(
                    name_key=codes.normalise_name(region.name)
                ).first()
                if comparator is not None and comparator.region_id not in (None, region.pk):
                    self.problem(
                        "(regions)",
                        0,
                        f"comparator '{comparator.name}' belongs to another region",
                    )
                    continue
                if comparator is None:
                    comparator = Comparator(
                        name=region.name,
                        kind=ComparatorKind.REGIONAL,
                        nation=Nation.ENGLAND,
                        statistic=Statistic.PUBLISHED,
                        source="Department for Education",
                    )
                    self.plan.counts["comparators created"] += 1
                else:
                    self.plan.counts["comparators updated"] += 1
                comparator.region = region
                self.plan.comparators.append(comparator)
            self.comparator_for[("regional", code)] = comparator

    @staticmethod
    def _region_of(sighting: Sighting) -> tuple[str, str]:
        if sighting.region_code.startswith(LONDON_SUBREGION_PREFIX):
            return LONDON_CODE, LONDON_NAME
        return sighting.region_code, sighting.region_name

    def resolve_authorities(self) -> None:
        stored = list(Authority.objects.prefetch_related("aliases"))
        by_old = {a.old_la_code: a for a in stored if a.old_la_code}
        by_gss = {a.gss_code.upper(): a for a in stored if a.gss_code}
        claimed: set[int] = set()
        new: list[tuple[str, LocalAuthorityFacts]] = []
        for code, facts in sorted(self.facts.items()):
            found = by_old.get(code)
            gss_dates = facts.gss_dates()
            if found is None:
                for gss in sorted(gss_dates, key=gss_dates.__getitem__, reverse=True):
                    candidate = by_gss.get(gss)
                    if candidate is None:
                        continue
                    if candidate.old_la_code and candidate.old_la_code != code:
                        self.problem(
                            "(authorities)",
                            0,
                            f"GSS code {gss} of '{facts.latest.name}' (old LA code {code}) "
                            f"belongs to '{candidate.name}', whose old LA code is "
                            f"{candidate.old_la_code}",
                        )
                        break
                    found = candidate
                    break
            if found is None:
                found = self._match_by_name(facts, gss_dates, claimed)
            if found is None:
                new.append((code, facts))
                continue
            claimed.add(found.pk)
            self._update_existing(found, facts, gss_dates, by_gss)
            self.authority_by_code[code] = found

        # Councils still reporting take the plain name; a retired council that shared it
        # (Dorset County Council, 835, before Dorset Council, 838) is told apart by its code.
        taken_names = {a.name_key for a in stored} | {
            alias.name_key for a in stored for alias in a.aliases.all()
        }
        taken_slugs = {a.slug for a in stored}
        new.sort(key=lambda item: (not item[1].live, item[0]))
        for code, facts in new:
            latest = facts.latest
            gss = latest.gss_code or None
            name = latest.name
            if (
                codes.normalise_name(name) in taken_names
                or codes.authority_slug(name) in taken_slugs
            ):
                name = f"{name} ({gss or code})"
            if gss and gss in by_gss:
                self.problem(
                    "(authorities)",
                    0,
                    f"GSS code {gss} of '{name}' (old LA code {code}) belongs to "
                    f"'{by_gss[gss].name}'",
                )
                continue
            region_code, _ = self._region_of(latest)
            authority = Authority(
                name=name,
                gss_code=gss,
                old_la_code=code,
                nation=Nation.ENGLAND,
                region=self.region_by_code.get(region_code),
                active=facts.live,
            )
            authority.name_key = codes.normalise_name(name)
            authority.slug = codes.authority_slug(name)
            taken_names.add(authority.name_key)
            taken_slugs.add(authority.slug)
            if gss:
                by_gss[gss] = authority
            self.plan.authorities.append(authority)
            self.plan.counts["authorities created"] += 1
            if not facts.live:
                self.plan.counts["authorities inactive"] += 1
            self.authority_by_code[code] = authority
        self.stored_authorities = stored

    def _match_by_name(
        self, facts: LocalAuthorityFacts, gss_dates: dict[str, dt.date], claimed: set[int]
    ) -> Authority | None:
        """A stored council with no codes that the file names (as Authority.objects.matching
        finds it), unless its codes say it is another council."""
        for name in sorted(facts.names):
            candidate = Authority.objects.matching(name)
            if candidate is None or candidate.pk in claimed:
                continue
            if candidate.old_la_code and candidate.old_la_code != facts.old_la_code:
                continue
            if candidate.gss_code and candidate.gss_code.upper() not in gss_dates:
                continue
            if candidate.nation != Nation.ENGLAND:
                continue
            return candidate
        return None

    def _update_existing(
        self,
        authority: Authority,
        facts: LocalAuthorityFacts,
        gss_dates: dict[str, dt.date],
        by_gss: dict[str, Authority],
    ) -> None:
        changed: list[str] = []
        if not authority.old_la_code:
            authority.old_la_code = facts.old_la_code
            changed.append("old LA code")
        latest_gss = facts.latest.gss_code
        stored_gss = (authority.gss_code or "").upper()
        if latest_gss and latest_gss != stored_gss:
            # Only move to the newer code when the files show the old one going out of use.
            if not stored_gss or (
                stored_gss in gss_dates and gss_dates[stored_gss] < gss_dates[latest_gss]
            ):
                holder = by_gss.get(latest_gss)
                if holder is not None and holder is not authority:
                    self.problem(
                        "(authorities)",
                        0,
                        f"GSS code {latest_gss} of '{authority.name}' belongs to '{holder.name}'",
                    )
                else:
                    authority.gss_code = latest_gss
                    by_gss[latest_gss] = authority
                    changed.append("GSS code")
        if authority.region_id is None:
            region_code, _ = self._region_of(facts.latest)
            region = self.region_by_code.get(region_code)
            if region is not None:
                authority.region = region
                changed.append("region")
        if authority.active != facts.live:
            authority.active = facts.live
            changed.append("active")
            if not facts.live:
                self.plan.counts["authorities inactive"] += 1
        if changed:
            self.plan.authorities.append(authority)
            self.plan.counts["authorities updated"] += 1
        else:
            self.plan.counts["authorities unchanged"] += 1

    def plan_aliases(self) -> None:
        """Each name a file gives a council that is not already its name or alias, unless
        another council goes by it."""
        owners: dict[str, Authority] = {}
        for authority in self.stored_authorities:
            owners[authority.name_key] = authority
            for alias in authority.aliases.all():
                owners[alias.name_key] = authority
        for authority in self.plan.authorities:
            owners.setdefault(authority.name_key, authority)
        known = {a.old_la_code: a for a in self.stored_authorities if a.old_la_code}
        known.update(self.authority_by_code)
        names: dict[str, set[str]] = defaultdict(set)
        for code, facts in self.facts.items():
            names[code] |= facts.names
        for code, extra in self.neighbour_names.items():
            names[code] |= extra
        for code in sorted(names):
            authority = known.get(code)
            if authority is None:
                continue
            for name in sorted(names[code]):
                key = codes.normalise_name(name)
                if not key or key in owners:
                    continue
                alias = AuthorityAlias(authority=authority, name=name)
                alias.name_key = key
                owners[key] = authority
                self.plan.aliases.append(alias)
        self.plan.counts["aliases created"] = len(self.plan.aliases)

    # Figures ----------------------------------------------------------------------------

    def build_figures(self) -> None:
        seen: dict[tuple, tuple[str, RawFigure]] = {}
        for report in self.plan.files:
            for raw in self.raw.get(report.path, []):
                subject = self._subject(raw)
                if subject is None:
                    continue
                indicator = self.plan.indicators[raw.indicator]
                key = (raw.subject, raw.indicator, raw.period_code)
                if key in seen:
                    first_file, first = seen[key]
                    same = (first.numerator, first.denominator, first.value, first.withheld) == (
                        raw.numerator,
                        raw.denominator,
                        raw.value,
                        raw.withheld,
                    )
                    if not same:
                        self.problem(
                            report.name,
                            raw.row,
                            f"{raw.indicator} {raw.period_code} for {subject} differs from "
                            f"{first_file} row {first.row}",
                        )
                    continue
                seen[key] = (report.name, raw)
                try:
                    value, warnings = check_figures(
                        indicator, raw.numerator, raw.denominator, raw.value, raw.withheld
                    )
                except FigureError as exc:
                    self.problem(report.name, raw.row, f"{raw.indicator}: {exc}")
                    continue
                report.figures.append(
                    FigureRow(
                        row=raw.row,
                        indicator=indicator,
                        period_code=raw.period_code,
                        authority=subject if isinstance(subject, Authority) else None,
                        comparator=subject if isinstance(subject, Comparator) else None,
                        numerator=raw.numerator,
                        denominator=raw.denominator,
                        value=value,
                        withheld=raw.withheld,
                        source=indicator.source,
                        warnings=warnings,
                    )
                )
            self.raw.pop(report.path, None)

    def _subject(self, raw: RawFigure) -> Authority | Comparator | None:
        kind, key = raw.subject
        if kind == "la":
            return self.authority_by_code.get(key)
        return self.comparator_for.get(raw.subject)

    # Statistical neighbours -------------------------------------------------------------

    def plan_neighbours(self) -> None:
        known = {a.old_la_code: a for a in self.stored_authorities if a.old_la_code}
        known.update(self.authority_by_code)
        for report, header, rows in self.neighbour_files:
            method, source = neighbour_method(report.name)
            ranks = sorted(int(m.group(1)) for h in header if (m := _SN_COLUMN.match(h)))
            wanted: dict[str, tuple[Authority, list[tuple[int, Authority, str]]]] = {}
            for number, row in rows:
                code = (row.get("old_la_code") or "").strip()
                authority = known.get(code)
                if authority is None:
                    self.problem(
                        report.name,
                        number,
                        f"old LA code '{code}' ({(row.get('la_name') or '').strip()}) is not "
                        "a known authority; import the DfE files that name it with this one",
                    )
                    continue
                la_name = (row.get("la_name") or "").strip()
                if la_name:
                    self.neighbour_names[code].add(la_name)
                members: list[tuple[int, Authority, str]] = []
                for rank in ranks:
                    neighbour_code = (row.get(f"SN_{rank}") or "").strip()
                    if not neighbour_code:
                        continue
                    neighbour = known.get(neighbour_code)
                    if neighbour is None:
                        self.problem(
                            report.name,
                            number,
                            f"SN_{rank}: old LA code '{neighbour_code}' is not a known authority",
                        )
                        continue
                    if neighbour is authority or any(n is neighbour for _r, n, _c in members):
                        self.problem(
                            report.name,
                            number,
                            f"SN_{rank}: {neighbour.name} is the council itself or listed twice",
                        )
                        continue
                    # The model's file pads "Close " with a space.
                    closeness = (row.get(f"SN_{rank}P") or "").strip()
                    members.append((rank, neighbour, closeness))
                if code in wanted:
                    self.problem(report.name, number, f"{authority.name} is listed twice")
                    continue
                wanted[code] = (authority, members)
            self._plan_groups(report, method, source, wanted)

    def _plan_groups(
        self,
        report: FileReport,
        method: str,
        source: str,
        wanted: dict[str, tuple[Authority, list[tuple[int, Authority, str]]]],
    ) -> None:
        groups = {g.authority_id: g for g in NeighbourGroup.objects.filter(method=method)}
        stored_members: dict[int, set[tuple[int, int, str]]] = defaultdict(set)
        for group_id, neighbour_id, rank, closeness in NeighbourMembership.objects.filter(
            group__method=method
        ).values_list("group_id", "neighbour_id", "rank", "closeness"):
            stored_members[group_id].add((rank, neighbour_id, closeness))
        stored = list(Comparator.objects.all())
        comparators = {(c.neighbour_group_id, c.statistic): c for c in stored}
        by_name = {c.name_key: c for c in stored}
        taken_slugs = {c.slug for c in stored}
        for authority, members in wanted.values():
            group = groups.get(authority.pk) if authority.pk else None
            memberships = [
                NeighbourMembership(rank=rank, neighbour=n, closeness=closeness)
                for rank, n, closeness in members
            ]
            if group is None:
                group = NeighbourGroup(authority=authority, method=method, source=source)
                state = "created"
            else:
                now = {(m.rank, m.neighbour.pk, m.closeness) for m in memberships}
                same = now == stored_members.get(group.pk, set()) and group.source == source
                group.source = source
                state = "unchanged" if same else "updated"
            plan = GroupPlan(group=group, members=memberships, state=state)
            for statistic in (Statistic.MEAN, Statistic.MEDIAN):
                if group.pk and (group.pk, statistic) in comparators:
                    continue
                name = f"{authority.name} statistical neighbours ({statistic})"
                comparator = by_name.get(codes.normalise_name(name))
                if comparator is not None:
                    # Made by hand (or by the demo data) before the model was imported.
                    if comparator.neighbour_group_id or comparator.statistic != statistic:
                        self.problem(
                            report.name,
                            0,
                            f"comparator '{comparator.name}' exists but is not {authority.name}'s "
                            f"{method} {statistic}",
                        )
                        continue
                    self.plan.counts["comparators updated"] += 1
                else:
                    slug = f"{authority.slug}-sn-{statistic}"
                    if slug in taken_slugs:
                        slug = f"{slug}-{slugify(method)}"
                    taken_slugs.add(slug)
                    comparator = Comparator(
                        name=name,
                        slug=slug,
                        kind=ComparatorKind.NEIGHBOURS,
                        nation=Nation.ENGLAND,
                        statistic=statistic,
                        source=source,
                    )
                    self.plan.counts["comparators created"] += 1
                plan.comparators.append(comparator)
            report.groups[state] += 1
            self.plan.groups.append(plan)


def neighbour_method(filename: str) -> tuple[str, str]:
    """The model's name and source from its file name (`sn_model_2025_wide.csv`)."""
    year = re.search(r"(\d{4})", filename)
    suffix = f" {year.group(1)}" if year else ""
    return (
        f"DfE statistical neighbours{suffix}",
        f"Department for Education statistical neighbour model{suffix}",
    )


def _year_key(time_period: str) -> int:
    digits = re.sub(r"\D", "", time_period)
    return int(digits[:4]) if digits else 0


def plan_import(
    paths: Iterable[Path | str],
    *,
    definitions: Path | str = DEFAULT_DEFINITIONS,
    progress: Progress | None = None,
) -> Plan:
    """Read every file and work out everything the import would write. Reads the database,
    writes nothing. `plan.problems` lists every error (none: the plan can be applied)."""
    planner = _Planner(Path(definitions), progress)
    if not planner.read_definitions():
        return planner.plan
    planner.read_files(paths)
    planner.resolve_places()
    planner.plan_neighbours()
    planner.plan_aliases()
    planner.build_figures()
    planner.plan.problems.sort(key=lambda p: (p.file, p.row))
    return planner.plan


def apply_plan(plan: Plan, *, user=None, progress: Progress | None = None) -> DefinitionCounts:
    """Write a plan without problems: indicators, places, figures, neighbour groups, in one
    transaction (the caller's, if it has one)."""
    if plan.problems:
        raise DfeImportError(plan.problems)
    with transaction.atomic():
        definitions = load_definitions(
            plan.definitions_path, change_reason=f"{COMMAND} {plan.definitions_path.name}"
        )
        for region in plan.regions:
            region.save()
        for authority in plan.authorities:
            authority.save()
        for alias in plan.aliases:
            alias.save()
        for comparator in plan.comparators:
            comparator.save()
        for report in plan.files:
            if report.kind != "figures":
                continue
            for row in report.figures:
                row.indicator = definitions.indicators[row.indicator.code]

            def tick(done: int, name: str = report.name, total: int = len(report.figures)):
                if progress:
                    progress(f"writing {name}", done, total)

            report.result = write_figures(
                report.figures,
                command=COMMAND,
                filename=str(report.path),
                user=user,
                progress=tick,
            )
        _write_neighbours(plan, user)
    return definitions


def _write_neighbours(plan: Plan, user) -> None:
    changed = [g for g in plan.groups if g.state != "unchanged"]
    for group_plan in changed:
        group_plan.group.save()
    NeighbourMembership.objects.filter(
        group__in=[g.group for g in changed if g.state == "updated"]
    ).delete()
    members: list[NeighbourMembership] = []
    for group_plan in changed:
        for membership in group_plan.members:
            membership.group = group_plan.group
            members.append(membership)
    NeighbourMembership.objects.bulk_create(members)
    for group_plan in plan.groups:
        for comparator in group_plan.comparators:
            comparator.neighbour_group = group_plan.group
            comparator.save()
    now = timezone.now()
    for report in plan.files:
        if report.kind != "neighbours":
            continue
        ImportLog.objects.create(
            command=COMMAND,
            filename=str(report.path)[:500],
            user=user if getattr(user, "pk", None) else None,
            run_by=getattr(user, "username", "") or _os_user(),
            started_at=now,
            finished_at=timezone.now(),
            rows=report.rows,
            created=report.groups["created"],
            updated=report.groups["updated"],
            unchanged=report.groups["unchanged"],
        )


def run_import(
    paths: Iterable[Path | str],
    *,
    definitions: Path | str = DEFAULT_DEFINITIONS,
    dry_run: bool = False,
    user=None,
    progress: Progress | None = None,
) -> ImportReport:
    """Plan, then write everything in one transaction; raises DfeImportError (nothing
    written) when any file has a problem. With `dry_run` everything is written and rolled
    back, so the counts are exactly what a real run would report."""
    started = time.perf_counter()
    plan = plan_import(paths, definitions=definitions, progress=progress)
    if plan.problems:
        raise DfeImportError(plan.problems)
    report = ImportReport(plan=plan, dry_run=dry_run)
    with transaction.atomic():
        report.definitions = apply_plan(plan, user=user, progress=progress)
        if dry_run:
            transaction.set_rollback(True)
    report.seconds = time.perf_counter() - started
    return report
