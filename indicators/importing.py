"""Observations from a CSV or XLSX file in the layout of CONTRACT.md ("Observations in files").

Two steps, so that a browser upload can show a preview before anything is written:

- `parse_observations(path)` reads and checks every row, resolves each to a `store.FigureRow`
  and returns the rows with every error as (row number, message). It writes nothing.
- `import_observations_file(path, ...)` parses, and only when no row has an error writes all the
  rows through `store.write_figures` in one transaction (first creating the indicators that
  --create-missing adds).

Row numbers are the spreadsheet's: the header is row 1, the first data row is row 2. Row 0
stands for the file as a whole (empty, unreadable, not CSV or XLSX, past a limit it declares).

The file is read as a stream of rows (`read_rows`), never whole, within MAX_COLUMNS, MAX_ROWS
and MAX_CELL_CHARS (and, for XLSX, MAX_SHEET_BYTES and MAX_SHARED_STRINGS_BYTES): a file past
one is refused at once, whole, naming the limit and the row and column.

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
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import InterfaceError, OperationalError, transaction
from django.utils.text import slugify

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

# What a file may hold, so that reading one takes bounded memory and time whatever it is
# (docs/importing.md, "Limits"). A file past one is refused whole, naming the limit and where.
MAX_COLUMNS = 50  # the layout has 10; cells past column AX (the 50th) are refused
MAX_ROWS = 500_000  # rows below the header, blank ones included: 4x all the demo's keys
MAX_CELL_CHARS = 1_000  # any cell, note and source included (source: 255 at most anyway)
MAX_SHEET_BYTES = 512 * 2**20  # an XLSX's first sheet, uncompressed
MAX_SHARED_STRINGS_BYTES = 16 * 2**20  # an XLSX's shared strings table, uncompressed

# (stage, rows done, rows in all); stage is "checking" or "writing". The file is read as a
# stream, so while checking, rows in all is None until the last row.
Progress = Callable[[str, int, int | None], None]
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

# (row number, cells as text) for each row that is not blank, in the file's order.
Rows = Iterator[tuple[int, list[str]]]

# CSV is read a line at a time, never more than this at once: the longest line a file within
# the limits can hold (every column's cell at its longest, in 4-byte characters, quoted).
_MAX_LINE_BYTES = MAX_COLUMNS * (MAX_CELL_CHARS * 4 + 3)
_CHUNK_BYTES = 64 * 1024
_SHEET_TYPE = "worksheet"


def read_rows(path: Path) -> Rows:
    """(row number, cells as text) for each non-blank row of a CSV or XLSX file, read as a
    stream within the limits above; raises FileError, possibly after some rows.

    A row's cells stop at its last non-blank cell. Blank rows are skipped without being kept,
    but count towards MAX_ROWS: the limit is on how far down the sheet goes.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileError(
            f"{path.name} is not a .csv or .xlsx file; save the sheet as CSV (UTF-8) or XLSX"
        )
    try:
        with path.open("rb") as handle:
            start = handle.read(len(_ZIP_MAGIC))
    except FileNotFoundError:
        raise FileError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise FileError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise FileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if start.startswith(_OLE_MAGIC):
        raise FileError(
            f"{path.name} is an old Excel .xls or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV"
        )
    if suffix == ".csv":
        if start.startswith(_UTF16_BOMS):
            raise FileError(
                f"{path.name} is UTF-16 text (Excel's 'Unicode text'); save it as 'CSV UTF-8'"
            )
        if start.startswith(_ZIP_MAGIC):
            raise FileError(f"{path.name} is an XLSX workbook, not CSV text; name it .xlsx")
        return _read_csv(path)
    if not start.startswith(_ZIP_MAGIC):
        raise FileError(f"{path.name} is not an XLSX workbook (if it is CSV text, name it .csv)")
    return _read_xlsx(path)


def column_letter(index: int) -> str:
    """A spreadsheet's name for the 1-based column `index` (1 -> A, 27 -> AA), for any index:
    openpyxl's get_column_letter raises past XFD, and a file can have more columns than that."""
    letters = ""
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _too_far_down(row: int) -> FileError:
    return FileError(
        f"the file goes on past row {MAX_ROWS + 1:,}: it may hold at most {MAX_ROWS:,} rows "
        "below the header (blank rows count); split it into smaller files",
        row=row,
    )


def _too_wide(row: int, column: int) -> FileError:
    return FileError(
        f"the file has more than {MAX_COLUMNS} columns (a value in column "
        f"{column_letter(column)}); the layout has {len(COLUMNS)} columns, "
        f"{column_letter(len(COLUMNS))} at most",
        row=row,
    )


def _too_long(row: int, column: int) -> FileError:
    return FileError(
        f"the cell in column {column_letter(column)} is longer than {MAX_CELL_CHARS:,} characters",
        row=row,
    )


def _checked_cells(number: int, cells: list[str]) -> list[str] | None:
    """The row's cells within the limits, without trailing blank cells; None when blank."""
    if number > MAX_ROWS + 1:
        raise _too_far_down(number)
    while cells and not cells[-1].strip():
        cells.pop()
    if not cells:
        return None
    if len(cells) > MAX_COLUMNS:
        raise _too_wide(
            number,
            MAX_COLUMNS + 1 + next(i for i, cell in enumerate(cells[MAX_COLUMNS:]) if cell.strip()),
        )
    longest = max(map(len, cells))
    if longest > MAX_CELL_CHARS:
        column = next(i for i, cell in enumerate(cells, start=1) if len(cell) > MAX_CELL_CHARS)
        raise _too_long(number, column)
    return cells


def _read_csv(path: Path) -> Rows:
    with path.open("rb") as handle:
        # strict: an unbalanced quote is an error, not a cell that swallows the rest of the
        # file. The lines come through _csv_lines, which bounds each and checks its bytes.
        reader = csv.reader(_csv_lines(handle), strict=True)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                checked = _checked_cells(number, cells)
                if checked is not None:
                    yield number, checked
        except csv.Error as exc:
            raise FileError(f"this line cannot be read as CSV: {exc}", row=number + 1) from None


def _csv_lines(handle) -> Iterator[str]:
    """The file's lines as text, one at a time and none longer than _MAX_LINE_BYTES."""
    encoding = "utf-8-sig"
    line = 0
    while True:
        raw = handle.readline(_MAX_LINE_BYTES + 1)
        if not raw:
            return
        line += 1
        if len(raw) > _MAX_LINE_BYTES:
            raise _overlong_line(raw, line)
        # Checked before decoding: NUL bytes are valid UTF-8 but never in a spreadsheet's CSV.
        if b"\x00" in raw:
            raise FileError(
                "the file holds binary data (a NUL byte), so it is not CSV text", row=line
            )
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            raise FileError(
                "the file is not UTF-8 text (an undecodable byte on this line); "
                "save it as 'CSV UTF-8' or as XLSX",
                row=line,
            ) from None
        encoding = "utf-8"


def _overlong_line(start: bytes, line: int) -> FileError:
    """The error for a line longer than any row within the limits, naming the limit its
    beginning breaks when it can: too many columns, or a cell too long."""
    try:
        _checked_cells(line, next(csv.reader([start.decode("utf-8", errors="replace")]), []))
    except FileError as exc:
        return exc
    except csv.Error:
        pass  # an open quote: the generic message below
    return FileError(
        f"this line is longer than a row within the limits ({MAX_COLUMNS} columns of "
        f"{MAX_CELL_CHARS:,} characters) can be",
        row=line,
    )


# XLSX: openpyxl reads the small parts of the workbook (its list of sheets, the 1904 date
# flag, the cell styles that say which numbers are dates or percentages), after their sizes
# are checked. The first sheet and the shared strings are read here instead, by expat fed
# 64 KB at a time: openpyxl's read-only sheet pads every row out to the widest column (one
# cell at XFD makes 16,384 cells a row), and its XML parser keeps a text node whole (one
# 200 MB inline string is one string). Expat hands text over in pieces, so a cell is refused
# as soon as it passes MAX_CELL_CHARS; a row as soon as it reaches past MAX_COLUMNS or
# MAX_ROWS; nothing but the current row and the shared strings is kept. zipfile stops a
# member at its declared uncompressed size (and fails its CRC if there was more), and the
# bytes are counted here as well.
_XLSX_PART_BYTES = 16 * 1024 * 1024  # each part openpyxl reads: styles, workbook, manifest
_MAX_TAG_BYTES = 1024 * 1024  # expat keeps a whole start tag; none is near this long
_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_TAGS = {
    f"{namespace} {local}": local
    for namespace in _MAIN_NAMESPACES
    for local in ("dimension", "sheetData", "row", "c", "v", "is", "t", "rPh", "si")
}


class _TooLongString:
    """A shared string past MAX_CELL_CHARS: refused only if a cell of the sheet uses it."""


_TOO_LONG = _TooLongString()


def _read_xlsx(path: Path) -> Rows:
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:
        raise FileError(f"the file cannot be opened as an XLSX workbook ({exc})") from None
    with archive:
        book = _xlsx_book(path, archive)
        strings = _shared_strings(archive, book.strings_path) if book.strings_path else []
        try:
            info = archive.getinfo(book.sheet_path)
        except KeyError:
            raise FileError("the workbook has no worksheet") from None
        if info.file_size > MAX_SHEET_BYTES:
            raise FileError(
                f"the first sheet is larger than {MAX_SHEET_BYTES // 2**20:,} MB uncompressed"
            )
        sheet = _SheetReader(book, strings)
        try:
            with archive.open(info) as member:
                yield from _stream_xml(member, sheet, MAX_SHEET_BYTES, "the first sheet")
        except FileError:
            raise
        except Exception as exc:
            raise FileError(f"the workbook's first sheet cannot be read ({exc})") from None


@dataclass
class _Book:
    sheet_path: str
    strings_path: str | None
    epoch: dt.datetime
    # By cell style (the `s` attribute): its number format, and whether it shows a date or
    # a duration (openpyxl's own reading of the styles).
    number_formats: list[str]
    date_styles: set[int]
    duration_styles: set[int]


def _xlsx_book(path: Path, archive) -> _Book:
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    for info in archive.infolist():
        name = info.filename
        big_part = name.startswith("xl/worksheets/") or name.endswith("sharedStrings.xml")
        if name.endswith((".xml", ".rels")) and not big_part and info.file_size > _XLSX_PART_BYTES:
            raise FileError(
                f"the workbook's part {name} is larger than "
                f"{_XLSX_PART_BYTES // 2**20} MB uncompressed"
            )
    # A damaged workbook makes openpyxl (zipfile, XML parsers) raise many exception types;
    # any of them means the same thing to the user.
    try:
        reader = ExcelReader(str(path), read_only=True, data_only=True)
        try:
            reader.read_manifest()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheets = [
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and _SHEET_TYPE in (rel.Type or "")
            ]
            strings = reader.package.find(SHARED_STRINGS)
            workbook = reader.wb
        finally:
            reader.archive.close()
    except Exception as exc:
        raise FileError(f"the file cannot be opened as an XLSX workbook ({exc})") from None
    if not sheets:
        raise FileError("the workbook has no worksheet")
    formats = [
        BUILTIN_FORMATS.get(style.numFmtId, "General")
        if style.numFmtId < BUILTIN_FORMATS_MAX_SIZE
        else workbook._number_formats[style.numFmtId - BUILTIN_FORMATS_MAX_SIZE]
        for style in workbook._cell_styles
    ]
    return _Book(
        sheet_path=sheets[0],
        strings_path=strings.PartName[1:] if strings is not None else None,
        epoch=workbook.epoch,
        number_formats=formats,
        date_styles=set(workbook._date_formats),
        duration_styles=set(workbook._timedelta_formats),
    )


def _stream_xml(member, handler, limit: int, what: str) -> Iterator:
    """Feed a zip member to `handler`'s expat parser a chunk at a time, yielding what the
    handler has finished after each chunk."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = _no_doctype  # no DTD, so no entity expansion
    read = 0
    while not handler.done:
        chunk = member.read(_CHUNK_BYTES)
        read += len(chunk)
        if read > limit:
            raise FileError(f"{what} is larger than {limit // 2**20:,} MB uncompressed")
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            raise FileError(f"{what} is not well-formed XML ({exc})") from None
        yield from handler.finished
        handler.finished.clear()
        if not chunk:
            break
        # Expat keeps what it has not made an event of yet: only ever a tag being read.
        if read - max(parser.CurrentByteIndex, 0) > _MAX_TAG_BYTES:
            raise FileError(
                f"{what} holds a tag longer than {_MAX_TAG_BYTES // 2**20} MB: "
                "it is not what a spreadsheet program writes"
            )


def _no_doctype(*_args) -> None:
    raise FileError("the workbook's XML declares a document type, which no XLSX file does")


class _SharedStrings:
    """Expat handlers collecting the shared strings table (xl/sharedStrings.xml)."""

    def __init__(self) -> None:
        self.done = False
        self.finished: list[str | _TooLongString] = []
        self.parts: list[str] | None = None  # inside a <t> of an <si>, not a phonetic run
        self.length = 0
        self.depth_rph = 0

    def start(self, name: str, _attrs) -> None:
        tag = _TAGS.get(name)
        if tag == "si":
            self.current: list[str] = []
            self.length = 0
        elif tag == "t" and not self.depth_rph:
            self.parts = self.current
        elif tag == "rPh":
            self.depth_rph += 1

    def end(self, name: str) -> None:
        tag = _TAGS.get(name)
        if tag == "t":
            self.parts = None
        elif tag == "rPh":
            self.depth_rph -= 1
        elif tag == "si":
            text = _TOO_LONG if self.length > MAX_CELL_CHARS else "".join(self.current)
            self.finished.append(text)

    def text(self, data: str) -> None:
        if self.parts is not None and self.length <= MAX_CELL_CHARS:
            self.length += len(data)
            self.parts.append(data)


def _shared_strings(archive, name: str) -> list[str | _TooLongString]:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return []
    if info.file_size > MAX_SHARED_STRINGS_BYTES:
        raise FileError(
            f"the workbook's shared strings are larger than "
            f"{MAX_SHARED_STRINGS_BYTES // 2**20} MB uncompressed"
        )
    handler = _SharedStrings()
    try:
        with archive.open(info) as member:
            return list(
                _stream_xml(member, handler, MAX_SHARED_STRINGS_BYTES, "the shared strings")
            )
    except FileError:
        raise
    except Exception as exc:
        raise FileError(f"the workbook's shared strings cannot be read ({exc})") from None


class _SheetReader:
    """Expat handlers turning a worksheet's XML into rows of text cells, as openpyxl's
    read-only reader with data_only would give them to `_xlsx_text`."""

    def __init__(self, book: _Book, strings: list[str | _TooLongString]) -> None:
        self.book = book
        self.strings = strings
        self.done = False
        self.finished: list[tuple[int, list[str]]] = []
        self.row = 0
        self.cells: list[str] = []
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.parts: list[str] = []
        self.capture = False
        self.length = 0
        self.in_phonetic = False
        self.columns: dict[str, int] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _TAGS.get(name)
        if tag == "c":
            ref = attrs.get("r")
            self.column = self._column(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = int(attrs.get("s", 0))
            self.parts = []
            self.length = 0
        elif tag == "v" or (tag == "t" and not self.in_phonetic):
            self.capture = True
        elif tag == "row":
            number = attrs.get("r")
            self.row = int(number) if number else self.row + 1
            if self.row > MAX_ROWS + 1:
                raise _too_far_down(self.row)
            self.cells = []
            self.column = 0
        elif tag == "rPh":
            self.in_phonetic = True
        elif tag == "dimension":
            self._check_dimension(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        tag = _TAGS.get(name)
        if tag == "c":
            self._cell()
        elif tag == "v" or tag == "t":
            self.capture = False
        elif tag == "row":
            cells = self.cells
            if cells and "".join(cells).strip():
                self.finished.append((self.row, cells))
        elif tag == "rPh":
            self.in_phonetic = False
        elif tag == "sheetData":
            self.done = True  # what follows (merged cells, print settings) is not read

    def text(self, data: str) -> None:
        if self.capture:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _too_long(self.row, self.column)
            self.parts.append(data)

    def _column(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        found = self.columns.get(letters)
        if found is None:
            if not (letters.isalpha() and letters.isascii()):
                raise FileError(f"a cell has a bad reference {_show(ref)}", row=self.row)
            found = _column_number(letters)
            if found <= MAX_COLUMNS:  # a bounded memo: columns past the limit are rare
                self.columns[letters] = found
        return found

    def _check_dimension(self, ref: str) -> None:
        """The sheet's size as its writer declares it (A1:J100), refused before any row is
        read when it is past the limits. It can be wrong, so the rows are checked too."""
        last = ref.rpartition(":")[2].replace("$", "")
        letters = last.rstrip("0123456789")
        digits = last[len(letters) :]
        if not (letters.isalpha() and letters.isascii() and digits.isdigit()):
            return  # no usable size: the rows themselves are checked
        if _column_number(letters) > MAX_COLUMNS:
            raise FileError(
                f"the sheet's declared size ({_show(ref)}) has more than {MAX_COLUMNS} columns; "
                f"the layout has {len(COLUMNS)} columns, {column_letter(len(COLUMNS))} at most"
            )
        if int(digits) > MAX_ROWS + 1:
            raise FileError(
                f"the sheet's declared size ({_show(ref)}) goes on past row {MAX_ROWS + 1:,}: "
                f"a file may hold at most {MAX_ROWS:,} rows below the header; "
                "split it into smaller files"
            )

    def _cell(self) -> None:
        text = _xlsx_cell_text("".join(self.parts), self.kind, self.style, self.book, self.strings)
        if text is _TOO_LONG:
            raise _too_long(self.row, self.column)
        if not text.strip():  # type: ignore[union-attr]
            return  # a blank cell, as in CSV: not kept, and not counted past MAX_COLUMNS
        if self.column > MAX_COLUMNS:
            raise _too_wide(self.row, self.column)
        cells = self.cells
        if len(cells) < self.column:
            cells.extend([""] * (self.column - len(cells)))
        cells[self.column - 1] = text  # type: ignore[assignment]


def _xlsx_cell_text(
    raw: str, kind: str, style: int, book: _Book, strings: list[str | _TooLongString]
) -> str | _TooLongString:
    """A cell's stored text turned into the value openpyxl gives (a number, a date, a
    boolean, a string), then into the text a person sees."""
    if not raw:
        return ""
    formats = book.number_formats
    number_format = formats[style] if 0 <= style < len(formats) else "General"
    value: object
    if kind == "n":
        value = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
        if style in book.date_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                value = from_excel(value, book.epoch, timedelta=style in book.duration_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
    elif kind == "s":
        return strings[int(raw)]
    elif kind == "b":
        value = bool(int(raw))
    elif kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        value = from_ISO8601(raw)
    else:  # inlineStr, str (a formula's text), e (an error such as #DIV/0!)
        return raw
    return _xlsx_text(value, number_format)


def _xlsx_text(value: object, number_format: str) -> str:
    """A cell's value as the text a person sees, so CSV and XLSX go through the same checks."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float | Decimal):
        return _xlsx_number(value, number_format or "")
    if isinstance(value, dt.date | dt.time):
        return _xlsx_date(value, number_format or "")
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
                f"unknown column {_show(cell)} (column {column_letter(position)}); "
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
    """(good rows, errors, data rows read). A FileError anywhere in the file is its only error."""
    lookups: _Lookups | None = None
    errors: list[tuple[int, str]] = []
    parsed: list[_Row] = []
    new: dict[str, _NewIndicator] = {}
    done = 0
    try:
        stream = read_rows(path)
        first = next(stream, None)
        if first is None:
            return (
                [],
                [(FILE_ROW, "the file is empty; expected a header row naming the columns")],
                0,
            )
        header_row, header_cells = first
        columns, header_errors = _read_header(header_cells)
        if header_errors:
            return [], [(header_row, message) for message in header_errors], 0
        lookups = _Lookups()
        for done, (number, cells) in enumerate(stream, start=1):
            row, row_errors = _parse_row(number, cells, columns, lookups, create_missing, new)
            if row_errors:
                errors.extend((number, message) for message in row_errors)
            if row is not None:
                parsed.append(row)
            if progress and done % PROGRESS_EVERY == 0:
                progress("checking", done, None)
    except FileError as exc:
        return [], [(exc.row, str(exc))], 0
    if not done:
        return [], [(FILE_ROW, "the file has a header but no rows of figures")], 0

    new_indicators, new_errors = _build_new_indicators(new)
    errors.extend(new_errors)
    rows = _check_figures(parsed, lookups.indicators, new_indicators, errors)
    if progress:
        progress("checking", done, done)
    errors.sort(key=lambda error: error[0])
    return rows, errors, done


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
                f"a value ({_show(text)}) in column {column_letter(position + 1)}, "
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
