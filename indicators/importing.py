"""Observations from a CSV or XLSX file in the layout of CONTRACT.md ("Observations in files").

Two steps, so that a browser upload can show a preview before anything is written:

- `parse_observations(path)` reads and checks every row, resolves each to a `store.FigureRow`
  and returns the rows with every error as (row number, message). It writes nothing.
- `import_observations_file(path, ...)` parses, and only when no row has an error writes all the
  rows through `store.write_figures` in one transaction (first creating the indicators that
  --create-missing adds).

Row numbers are the spreadsheet's: the header is row 1, the first data row is row 2. Row 0
stands for the file as a whole (empty, unreadable, not CSV or XLSX).

Choices the contract leaves open, made here:
- A blank `note` or `source` cell leaves the stored text alone; files are often partial, and
  losing a citation to an empty cell is worse than not being able to clear one from a file.
- Completely blank lines are skipped (spreadsheets leave them at the end of a sheet).
- A `unit` given for a known indicator must be that indicator's unit: a count in a percent
  indicator's file is a mistake worth stopping for.
- A target row (`comparator` = `target`) takes a value only: targets have no counts.
- A cell beginning with an apostrophe before = + - @ is read without the apostrophe, undoing
  the formula-injection guard that `indicators.exporting` applies, so an export imports back
  unchanged.
- Numbers with more than 4 decimal places (a spreadsheet's 63.28502415458937) are rounded half
  up to the 4 the database keeps, so that importing the same file twice changes nothing.
- An indicator created by --create-missing: title = its code, polarity neither, flow when its
  unit is percent or rate per 10,000 (rates of things happening in a period) and stock
  otherwise, framework local, theme left blank for an administrator to choose, official only
  when the code starts with letters then digits (`SCC/013aii`, not `cp_cases_held_by_acm`),
  decimals the most decimal places among its values in the file (1 when it has none).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import InterfaceError, OperationalError, transaction
from django.utils.text import slugify
from openpyxl.utils import get_column_letter

from indicators import codes, derive, store
from indicators.models import (
    FIGURE,
    Authority,
    AuthorityAlias,
    Comparator,
    Framework,
    Indicator,
    Measure,
    Observation,
    Polarity,
    Unit,
    Withheld,
)

COMMAND = "import_observations"
COLUMNS = (
    "authority",
    "indicator",
    "period",
    "numerator",
    "denominator",
    "value",
    "unit",
    "comparator",
    "note",
    "source",
)
FILE_ROW = 0
HEADER_ROW = 1
WITHHELD_MARKERS = frozenset(Withheld.values)
UNITS = tuple(Unit.values)
MAX_DECIMAL_PLACES: int = FIGURE["decimal_places"]
MAX_INTEGER_DIGITS: int = FIGURE["max_digits"] - FIGURE["decimal_places"]
SOURCE_MAX_LENGTH = Observation._meta.get_field("source").max_length or 255
CODE_MAX_LENGTH = Indicator._meta.get_field("code").max_length or 60
# Characters that make a spreadsheet read a text cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_EVERY = 1000

# (stage, rows done, rows in all); stage is "checking" or "writing".
Progress = Callable[[str, int, int], None]
# More errors for rows that read well: who may import what is the caller's rule (the browser
# import limits officers to their councils), applied before anything is counted or written.
RowCheck = Callable[[list[store.FigureRow]], list[tuple[int, str]]]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and password-protected .xlsx
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_PLAIN_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_WHITESPACE = re.compile(r"\s+")
_OFFICIAL_CODE = re.compile(r"^[A-Za-z]+\s*/?\s*\d")
_DECIMALS_FORMAT = re.compile(r"^0\.(0+)(%?)$")


class FileError(Exception):
    """The file as a whole cannot be read; `row` is where reading stopped (0: the file)."""

    def __init__(self, message: str, row: int = FILE_ROW):
        super().__init__(message)
        self.row = row


class ImportInterrupted(Exception):
    """The database went away while the figures were being written (a lost connection, a
    restarted server, a backend ended by an administrator). The message says what a user can
    do; the import wrote in one transaction, so it can simply be run again."""


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    result: store.WriteResult | None = None
    rows_read: int = 0
    new_indicators: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Entry points ----------------------------------------------------------------------------


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the length of an import.

    Checking a file keeps a few objects per row until the import ends, and the collector
    walked them all again each time they had grown by a quarter: nearly half the time of
    checking 100,000 rows. Reference counting still frees what is dropped (the rows form no
    cycles); the collector is switched on again at the end, unless it was off already.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def import_observations_file(
    path: str | Path,
    *,
    user=None,
    dry_run: bool = False,
    create_missing: bool = False,
    default_status: str | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
    check_rows: RowCheck | None = None,
) -> ImportReport:
    """Check every row of the file and, when none has an error, write them all.

    `default_status` ("provisional" or "final") is given to every observation the file
    writes; None keeps a stored status and makes new observations final. With errors the
    report has them and `result` is None; nothing is written, not even a new indicator.
    `filename` names the file in the import log and history when `path` is a temporary copy
    (a browser upload); `check_rows` adds errors for rows that read well.
    """
    if default_status is not None and default_status not in Observation.Status.values:
        raise ValueError(f"default_status must be one of {Observation.Status.values}")
    path = Path(path)
    name = filename or str(path)
    rows, errors, rows_read = _parse(path, create_missing=create_missing, progress=progress)
    if check_rows is not None and rows:
        errors = sorted([*errors, *check_rows(rows)], key=lambda error: error[0])
    report = ImportReport(errors=errors, rows_read=rows_read, dry_run=dry_run)
    if errors:
        return report
    if default_status is not None:
        for row in rows:
            if not row.is_target:
                row.status = default_status
    new_indicators = _unsaved_indicators(rows)
    report.new_indicators = [indicator.code for indicator in new_indicators]
    written = _write_progress(progress, len(rows))
    if dry_run:
        # New indicators stay unsaved: write_figures counts their rows as created.
        report.result = store.write_figures(
            rows, command=COMMAND, filename=name, user=user, dry_run=True, progress=written
        )
        return report
    reason = f"{COMMAND} {name}"
    committing = False
    try:
        with transaction.atomic():
            for indicator in new_indicators:
                indicator._change_reason = reason  # type: ignore[attr-defined]
                indicator.save()
            report.result = store.write_figures(
                rows, command=COMMAND, filename=name, user=user, progress=written
            )
            committing = True
    except (OperationalError, InterfaceError) as exc:
        raise ImportInterrupted(_interrupted_message(exc, committing)) from exc
    return report


def _interrupted_message(exc: Exception, committing: bool) -> str:
    cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if committing:
        # The server may have stored the transaction before the connection went.
        return (
            f"The database connection was lost while the import was being committed ({cause}). "
            "It may or may not have been saved: if the import log does not list it, run the "
            "import again (figures already stored are left unchanged)."
        )
    return (
        f"The database connection was lost while the figures were being written ({cause}). "
        "Nothing was written: run the import again."
    )


@_collector_paused()
def parse_observations(
    path: str | Path, *, create_missing: bool = False
) -> tuple[list[store.FigureRow], list[tuple[int, str]]]:
    """Every row of the file checked and resolved, without writing anything.

    Returns the good rows and every error. With `create_missing`, rows of an indicator the
    app does not know carry an unsaved `Indicator` (its `pk` is None).
    """
    rows, errors, _read = _parse(Path(path), create_missing=create_missing, progress=None)
    return rows, errors


def _write_progress(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress("writing", done, total)


def _unsaved_indicators(rows: Iterable[store.FigureRow]) -> list[Indicator]:
    seen: dict[int, Indicator] = {}
    for row in rows:
        if row.indicator.pk is None:
            seen.setdefault(id(row.indicator), row.indicator)
    return list(seen.values())


# --- Reading the file into text cells --------------------------------------------------------

Table = list[tuple[int, list[str]]]


def read_table(path: Path) -> Table:
    """(row number, cells as text) for every row of a CSV or XLSX file; raises FileError."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileError(
            f"{path.name} is not a .csv or .xlsx file; save the sheet as CSV (UTF-8) or XLSX"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise FileError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise FileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if data.startswith(_OLE_MAGIC):
        raise FileError(
            f"{path.name} is an old Excel .xls or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV"
        )
    if suffix == ".csv":
        if data.startswith(_UTF16_BOMS):
            raise FileError(
                f"{path.name} is UTF-16 text (Excel's 'Unicode text'); save it as 'CSV UTF-8'"
            )
        if data.startswith(_ZIP_MAGIC):
            raise FileError(f"{path.name} is an XLSX workbook, not CSV text; name it .xlsx")
        return _read_csv(data)
    if not data.startswith(_ZIP_MAGIC):
        raise FileError(f"{path.name} is not an XLSX workbook (if it is CSV text, name it .csv)")
    return _read_xlsx(data)


def _read_csv(data: bytes) -> Table:
    # Checked before decoding: NUL bytes are valid UTF-8 but never in a spreadsheet's CSV.
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FileError("the file holds binary data (a NUL byte), so it is not CSV text", row=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileError(
            "the file is not UTF-8 text (an undecodable byte on this line); "
            "save it as 'CSV UTF-8' or as XLSX",
            row=line,
        ) from None
    # strict: an unbalanced quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: Table = []
    try:
        table.extend(enumerate(reader, start=1))  # the rows before a bad one stay, to count
    except csv.Error as exc:
        raise FileError(f"this line cannot be read as CSV: {exc}", row=len(table) + 1) from None
    return table


def _read_xlsx(data: bytes) -> Table:
    # openpyxl is imported here: only XLSX files pay for loading it.
    import openpyxl

    # A damaged workbook makes openpyxl (zipfile, XML parsers) raise many exception types;
    # any of them means the same thing to the user.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise FileError(f"the file cannot be opened as an XLSX workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise FileError("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size; reading every row is the safe choice.
        sheet.reset_dimensions()
        table: Table = []
        for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            table.append((number, [_xlsx_text(cell) for cell in cells]))
        return table
    except FileError:
        raise
    except Exception as exc:
        raise FileError(f"the workbook's first sheet cannot be read ({exc})") from None
    finally:
        workbook.close()


def _xlsx_text(cell) -> str:
    """A cell as the text a person sees, so CSV and XLSX go through the same checks."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float | Decimal):
        return _xlsx_number(value, getattr(cell, "number_format", "") or "")
    if isinstance(value, dt.date | dt.time):
        return _xlsx_date(value, getattr(cell, "number_format", "") or "")
    return str(value)


def _xlsx_date(value: dt.date | dt.time, number_format: str) -> str:
    """Excel turns a typed `2014-07` into 1 July 2014 shown as Jul-14: a date format without
    a day means the cell names a month, not an as-at date."""
    if isinstance(value, dt.time):
        return value.isoformat()
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        return value.isoformat(" ")
    shown = number_format.lower()
    if "y" in shown and "m" in shown and "d" not in shown:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _xlsx_number(value: float | int | Decimal, number_format: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    # repr gives the shortest text that is the float, so 75.83 reads as 75.83, not 75.8299...
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    shown = _DECIMALS_FORMAT.match(number_format)
    if "%" in number_format:
        amount *= 100  # a cell formatted 75.83% holds 0.7583
    text = _plain(amount)
    # A cell formatted 0.00 shows 94.40: keep the places a person sees (for new indicators'
    # decimals), unless that would hide digits.
    if shown and _places(text) <= len(shown.group(1)):
        text = format(amount, f".{len(shown.group(1))}f")
    return text


def _plain(amount: Decimal) -> str:
    """Fixed-point text without trailing zeros: 1588, 75.83, 0.00001."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _places(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


# --- The header ------------------------------------------------------------------------------


def _read_header(cells: list[str]) -> tuple[list[str | None], list[str]]:
    """Column name (or None for a blank header cell) by position, and the header's errors."""
    columns: list[str | None] = []
    errors: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = cell.strip().lower()
        if not name:
            columns.append(None)
            continue
        if name not in COLUMNS:
            errors.append(
                f"unknown column {_show(cell)} (column {get_column_letter(position)}); "
                f"the columns are: {', '.join(COLUMNS)}"
            )
        elif name in seen:
            errors.append(f"column {name} appears twice")
        seen.add(name)
        columns.append(name if name in COLUMNS else None)
    missing = [name for name in ("authority", "indicator", "period") if name not in seen]
    if missing:
        errors.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    if "value" not in seen and not {"numerator", "denominator"} <= seen:
        errors.append("missing column: value (or both numerator and denominator)")
    return columns, errors


# --- Parsing rows ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One data row read and checked field by field, before the figures are checked."""

    row: int
    subject: Authority | Comparator
    is_target: bool
    code: str  # the indicator's code as written
    key_code: str  # normalised
    period_code: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    value_places: int | None
    withheld: str
    unit: str
    note: str | None
    source: str | None


@dataclass
class _NewIndicator:
    code: str
    first_row: int
    unit: str = ""
    unit_row: int = 0
    places: int | None = None


class _Lookups:
    """Authorities, comparators and indicators by every name a file may use them by, loaded
    in a few queries so that checking a row costs no query.

    Authority names follow `Authority.objects.matching`: name, alias, slug, then GSS code.
    """

    def __init__(self) -> None:
        self.authority_by_key: dict[str, Authority] = {}
        self.authority_by_slug: dict[str, Authority] = {}
        self.authority_by_gss: dict[str, Authority] = {}
        for authority in Authority.objects.all():
            self.authority_by_key[authority.name_key] = authority
            self.authority_by_slug[authority.slug] = authority
            if authority.gss_code:
                self.authority_by_gss[authority.gss_code.upper()] = authority
        self.alias_by_key = {
            alias.name_key: alias.authority
            for alias in AuthorityAlias.objects.select_related("authority")
        }
        self.comparator_by_key: dict[str, Comparator] = {}
        self.comparator_by_slug: dict[str, Comparator] = {}
        for comparator in Comparator.objects.all():
            self.comparator_by_key[comparator.name_key] = comparator
            self.comparator_by_slug[comparator.slug] = comparator
        self.indicators = {i.normalised_code: i for i in Indicator.objects.all()}
        self.periods: dict[str, codes.PeriodSpec | codes.PeriodError] = {}
        self._authority_memo: dict[str, Authority | None] = {}
        self._comparator_memo: dict[str, Comparator | None] = {}
        self._key_codes: dict[str, str] = {}
        self._numbers: dict[str, tuple[Decimal, int]] = {}

    def authority(self, text: str) -> Authority | None:
        if text not in self._authority_memo:
            key = codes.normalise_name(text)
            self._authority_memo[text] = (
                (
                    self.authority_by_key.get(key)
                    or self.alias_by_key.get(key)
                    or self.authority_by_slug.get(key.replace(" ", "-"))
                    or self.authority_by_gss.get(text.strip().upper())
                )
                if key
                else None
            )
        return self._authority_memo[text]

    def comparator(self, text: str) -> Comparator | None:
        if text not in self._comparator_memo:
            key = codes.normalise_name(text)
            self._comparator_memo[text] = (
                (
                    self.comparator_by_key.get(key)
                    or self.comparator_by_slug.get(text.strip().lower())
                    or self.comparator_by_slug.get(slugify(text))
                )
                if key
                else None
            )
        return self._comparator_memo[text]

    def key_code(self, code: str) -> str:
        found = self._key_codes.get(code)
        if found is None:
            found = self._key_codes[code] = codes.normalise_indicator_code(code)
        return found

    def number(
        self, fields: dict[str, str], column: str, errors: list[str]
    ) -> tuple[Decimal | None, int | None]:
        """`_number`, remembered per text that reads well: files repeat small counts."""
        text = fields.get(column, "")
        found = self._numbers.get(text)
        if found is not None:
            return found
        if not text:
            return None, None
        found = _number(fields, column, errors)
        if found[0] is not None:
            self._numbers[text] = found  # type: ignore[assignment]
        return found

    def period(self, text: str) -> codes.PeriodSpec | codes.PeriodError:
        found = self.periods.get(text)
        if found is None:
            try:
                found = codes.parse_period(text)
            except codes.PeriodError as exc:
                found = exc
            self.periods[text] = found
        return found


def _parse(
    path: Path, *, create_missing: bool, progress: Progress | None
) -> tuple[list[store.FigureRow], list[tuple[int, str]], int]:
    """(good rows, errors, data rows read)."""
    try:
        table = read_table(path)
    except FileError as exc:
        return [], [(exc.row, str(exc))], 0
    table = [(number, cells) for number, cells in table if "".join(cells).strip()]
    if not table:
        return [], [(FILE_ROW, "the file is empty; expected a header row naming the columns")], 0
    header_row, header_cells = table[0]
    columns, header_errors = _read_header(header_cells)
    if header_errors:
        return [], [(header_row, message) for message in header_errors], 0
    data = table[1:]
    if not data:
        return [], [(FILE_ROW, "the file has a header but no rows of figures")], 0

    lookups = _Lookups()
    errors: list[tuple[int, str]] = []
    parsed: list[_Row] = []
    new: dict[str, _NewIndicator] = {}
    for done, (number, cells) in enumerate(data, start=1):
        row, row_errors = _parse_row(number, cells, columns, lookups, create_missing, new)
        if row_errors:
            errors.extend((number, message) for message in row_errors)
        if row is not None:
            parsed.append(row)
        if progress and done % PROGRESS_EVERY == 0:
            progress("checking", done, len(data))

    new_indicators, new_errors = _build_new_indicators(new)
    errors.extend(new_errors)
    rows = _check_figures(parsed, lookups.indicators, new_indicators, errors)
    if progress:
        progress("checking", len(data), len(data))
    errors.sort(key=lambda error: error[0])
    return rows, errors, len(data)


def _parse_row(
    number: int,
    cells: list[str],
    columns: list[str | None],
    lookups: _Lookups,
    create_missing: bool,
    new: dict[str, _NewIndicator],
) -> tuple[_Row | None, list[str]]:
    """One data row checked field by field; every problem in it is reported, not the first."""
    errors: list[str] = []
    fields = _fields(cells, columns, errors)
    kind = fields.get("comparator", "").lower()
    if kind not in ("", "yes", "target"):
        errors.append(
            f"comparator {_show(fields['comparator'])} must be blank (the authority's own "
            "figure), yes (the authority column names a comparator) or target"
        )
    subject = _subject(fields.get("authority", ""), kind, lookups, errors)
    code = fields.get("indicator", "")
    key_code = lookups.key_code(code)
    unit = _unit(fields, errors)
    _check_indicator(code, key_code, unit, lookups, create_missing, errors)
    period = _period(fields.get("period", ""), lookups, errors)
    numerator, _ = lookups.number(fields, "numerator", errors)
    denominator, _ = lookups.number(fields, "denominator", errors)
    withheld = fields.get("value", "").lower()
    if withheld in WITHHELD_MARKERS:
        value, value_places = None, None
    else:
        withheld = ""
        value, value_places = lookups.number(fields, "value", errors)
    if kind == "target":
        _check_target(numerator, denominator, value, withheld, errors)
    source = fields.get("source") or None
    if source and len(source) > SOURCE_MAX_LENGTH:
        errors.append(f"source is longer than {SOURCE_MAX_LENGTH} characters")

    # Noted even from rows with errors, so that a unit given there still counts.
    if create_missing and key_code and key_code not in lookups.indicators:
        _note_new_indicator(new, key_code, code, number, unit, value_places, errors)
    if errors or subject is None or period is None:
        return None, errors
    row = _Row(
        row=number,
        subject=subject,
        is_target=kind == "target",
        code=code,
        key_code=key_code,
        period_code=period.code,
        numerator=numerator,
        denominator=denominator,
        value=value,
        value_places=value_places,
        withheld=withheld,
        unit=unit,
        note=fields.get("note") or None,
        source=source,
    )
    return row, errors


def _fields(cells: list[str], columns: list[str | None], errors: list[str]) -> dict[str, str]:
    """The row's cells by column name, stripped and without the export's formula guard."""
    if len(cells) <= len(columns) and None not in columns and "'" not in "".join(cells):
        # The usual row, every cell under a named column and no apostrophe: read in one go.
        return dict(zip(columns, map(str.strip, cells)))  # type: ignore[arg-type]
    fields: dict[str, str] = {}
    for position, cell in enumerate(cells):
        text = cell.strip()
        if text[:1] == "'":  # rare; checked inline because this runs for every cell
            text = _unescape(text)
        name = columns[position] if position < len(columns) else None
        if name is not None:
            fields[name] = text
        elif text:
            errors.append(
                f"a value ({_show(text)}) in column {get_column_letter(position + 1)}, "
                "which has no column name in the header"
            )
    return fields


def _unit(fields: dict[str, str], errors: list[str]) -> str:
    unit = fields.get("unit", "").lower()
    if unit and unit not in UNITS:
        errors.append(f"unit {_show(fields['unit'])} is not one of {', '.join(UNITS)}")
        return ""
    return unit


def _check_indicator(
    code: str,
    key_code: str,
    unit: str,
    lookups: _Lookups,
    create_missing: bool,
    errors: list[str],
) -> None:
    if not key_code:
        errors.append("indicator is blank")
    elif key_code in lookups.indicators:
        known = lookups.indicators[key_code]
        if unit and unit != known.unit:
            errors.append(
                f"unit {unit} does not match indicator {known.code}, whose unit is {known.unit}"
            )
    elif not create_missing:
        errors.append(
            f"unknown indicator {_show(code)} (use --create-missing to add a new indicator)"
        )
    elif len(code) > CODE_MAX_LENGTH:
        errors.append(f"indicator code is longer than {CODE_MAX_LENGTH} characters")


def _period(text: str, lookups: _Lookups, errors: list[str]) -> codes.PeriodSpec | None:
    if not text:
        errors.append("period is blank")
        return None
    period = lookups.period(text)
    if isinstance(period, codes.PeriodError):
        errors.append(f"bad period: {period}")
        return None
    return period


def _check_target(
    numerator: Decimal | None,
    denominator: Decimal | None,
    value: Decimal | None,
    withheld: str,
    errors: list[str],
) -> None:
    """A Target stores a value only, so a target row must have one and nothing else."""
    if withheld:
        errors.append(f"a target cannot be withheld ({withheld}); give the target value")
    elif value is None:
        errors.append("a target needs a value")
    if numerator is not None or denominator is not None:
        errors.append("a target takes a value only; leave numerator and denominator blank")


def _subject(
    text: str, kind: str, lookups: _Lookups, errors: list[str]
) -> Authority | Comparator | None:
    """The authority or comparator the row is about, with a hint when the wrong one is named."""
    if not text:
        errors.append("authority is blank")
        return None
    if kind == "yes":
        comparator = lookups.comparator(text)
        if comparator is None:
            hint = "; it is an authority: leave comparator blank" if lookups.authority(text) else ""
            errors.append(f"unknown comparator {_show(text)}{hint}")
        return comparator
    authority = lookups.authority(text)
    if authority is None:
        hint = (
            "; it is a comparator: put yes in the comparator column"
            if lookups.comparator(text)
            else ""
        )
        errors.append(f"unknown authority {_show(text)}{hint}")
    return authority


def _note_new_indicator(
    new: dict[str, _NewIndicator],
    key_code: str,
    code: str,
    number: int,
    unit: str,
    value_places: int | None,
    errors: list[str],
) -> None:
    """Gather what --create-missing needs to know about an indicator from all its rows."""
    spec = new.setdefault(key_code, _NewIndicator(code=code, first_row=number))
    if unit:
        if not spec.unit:
            spec.unit, spec.unit_row = unit, number
        elif unit != spec.unit:
            errors.append(
                f"unit {unit} differs from row {spec.unit_row}, which gives new indicator "
                f"{spec.code} the unit {spec.unit}"
            )
    if value_places is not None:
        spec.places = max(spec.places or 0, value_places)


def _build_new_indicators(
    new: dict[str, _NewIndicator],
) -> tuple[dict[str, Indicator], list[tuple[int, str]]]:
    """Unsaved indicators for --create-missing; saved only inside the write transaction."""
    built: dict[str, Indicator] = {}
    errors: list[tuple[int, str]] = []
    for key_code, spec in new.items():
        if not spec.unit:
            errors.append(
                (
                    spec.first_row,
                    f"new indicator {_show(spec.code)} needs a unit in the unit column "
                    f"({', '.join(UNITS)})",
                )
            )
            continue
        rate_like = spec.unit in (Unit.PERCENT, Unit.RATE_PER_10K)
        indicator = Indicator(
            code=spec.code,
            title=spec.code,
            unit=spec.unit,
            decimals=spec.places if spec.places is not None else 1,
            polarity=Polarity.NEITHER,
            measure=Measure.FLOW if rate_like else Measure.STOCK,
            framework=Framework.LOCAL,
            theme="",
            official=bool(_OFFICIAL_CODE.match(spec.code)),
        )
        # save() sets these too; the import's duplicate checks need them before it runs.
        indicator.normalised_code = key_code
        built[key_code] = indicator
    return built, errors


def _check_figures(
    parsed: list[_Row],
    known: dict[str, Indicator],
    new: dict[str, Indicator],
    errors: list[tuple[int, str]],
) -> list[store.FigureRow]:
    """FigureRows for the rows whose figures pass `store.check_figures`, one per key."""
    rows: list[store.FigureRow] = []
    first_by_key: dict[tuple, tuple[int, tuple]] = {}
    for row in parsed:
        indicator = known.get(row.key_code) or new.get(row.key_code)
        if indicator is None:  # a new indicator without a unit: already reported
            continue
        try:
            value, warnings = store.check_figures(
                indicator, row.numerator, row.denominator, row.value, row.withheld
            )
        except store.FigureError as exc:
            errors.append((row.row, str(exc)))
            continue
        if value is not None and value.adjusted() >= MAX_INTEGER_DIGITS:
            # Only a derived value can get here (a given one was checked as read): a huge
            # numerator over a tiny denominator, which the database's column cannot hold.
            errors.append(
                (
                    row.row,
                    f"the value derived from numerator / denominator is too large "
                    f"({MAX_INTEGER_DIGITS} digits at most); check both, or give a value",
                )
            )
            continue
        subject = row.subject
        authority, comparator = (
            (None, subject) if isinstance(subject, Comparator) else (subject, None)
        )
        subject_kind = "authority" if comparator is None else "comparator"
        key = (subject_kind, subject.pk, row.is_target, row.key_code, row.period_code)
        content = (row.numerator, row.denominator, value, row.withheld, row.note, row.source)
        earlier = first_by_key.get(key)
        if earlier is not None:
            earlier_row, earlier_content = earlier
            if earlier_content != content:
                what = "figures" if earlier_content[:4] != content[:4] else "note or source"
                errors.append(
                    (
                        row.row,
                        f"repeats row {earlier_row} (same {_key_words(row)}) "
                        f"with a different {what}",
                    )
                )
            continue  # an identical repeat: the first is kept
        first_by_key[key] = (row.row, content)
        rows.append(
            store.FigureRow(
                row=row.row,
                indicator=indicator,
                period_code=row.period_code,
                authority=authority,
                comparator=comparator,
                is_target=row.is_target,
                numerator=row.numerator,
                denominator=row.denominator,
                value=value,
                withheld=row.withheld,
                note=row.note,
                source=row.source,
                warnings=warnings,
            )
        )
    return rows


def _key_words(row: _Row) -> str:
    if row.is_target:
        return "target, authority, indicator and period"
    if isinstance(row.subject, Comparator):
        return "comparator, indicator and period"
    return "authority, indicator and period"


# --- Cells -----------------------------------------------------------------------------------


def _number(
    fields: dict[str, str], column: str, errors: list[str]
) -> tuple[Decimal | None, int | None]:
    """A figure and the decimal places it was written with; (None, None) when blank.

    Accepts what spreadsheets print: thousands separators (1,588), spaces, a trailing %
    and a leading £. Anything else, or a negative, is an error naming the column.
    """
    raw = fields.get(column, "")
    if not raw:
        return None, None
    # Most cells are plain numbers already; only the others need cleaning up.
    text = raw if _PLAIN_NUMBER.match(raw) else _cleaned_number(raw, column, errors)
    if not text:
        return None, None
    whole, _point, fraction = text.partition(".")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        errors.append(f"{column} {_show(raw)} is too large ({MAX_INTEGER_DIGITS} digits at most)")
        return None, None
    amount = Decimal(text)
    places = len(fraction)
    if places > MAX_DECIMAL_PLACES:
        # The database keeps 4 places; rounding here makes a second import find no change.
        amount = derive.round_half_up(amount, MAX_DECIMAL_PLACES)
        places = MAX_DECIMAL_PLACES
    return amount, places


def _cleaned_number(raw: str, column: str, errors: list[str]) -> str:
    """A spreadsheet's number as plain digits (`1,588` -> `1588`, `63.28%` -> `63.28`), or ""
    when the cell is blank or, with an error added, not a number."""
    text = _WHITESPACE.sub("", raw)
    if not text:
        return ""
    text = text.removesuffix("%").removeprefix("£")
    negative = text[:1] in ("-", "\u2212")
    if negative:
        text = text[1:]
    if "," in text:
        if not _THOUSANDS.match(text):
            errors.append(
                f"{column} {_show(raw)} is not a number: a comma may only separate "
                "thousands (1,588); decimals take a point (75.83)"
            )
            return ""
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.match(text):
        if raw.strip().lower() in WITHHELD_MARKERS:
            errors.append(
                f"{column} {_show(raw)} is a withheld marker; only value can be withheld "
                f"(leave {column} blank)"
            )
        else:
            errors.append(f"{column} {_show(raw)} is not a number")
        return ""
    if negative and Decimal(text) != 0:
        errors.append(f"{column} {_show(raw)} is negative; figures cannot be below zero")
        return ""
    return text


def needs_formula_guard(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula, or it already carries the
    guard (apostrophes before such text), so that guarding and unguarding are exact inverses."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def _unescape(text: str) -> str:
    if text.startswith("'") and needs_formula_guard(text[1:]):
        return text[1:]
    return text


def _show(text: str, limit: int = 40) -> str:
    """User text quoted for a message: control characters escaped, long text cut short."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in shown)
    return f"'{shown}'"
