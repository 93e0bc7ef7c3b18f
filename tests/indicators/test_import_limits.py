"""Files crafted to exhaust memory are refused at once, by the import_observations command and
by the browser's upload, preview and confirm: the message names the limit and where, it comes
within 5 seconds, the import's peak memory (tracemalloc) stays under 200 MB, and nothing is
written. A legitimate 20 MB file still imports. Every file is made here, in tmp_path."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import openpyxl.reader.excel  # noqa: F401 (loaded before any memory is measured)
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from indicators import importing, uploads
from indicators.models import ImportLog, Observation
from tests import factories
from tests.indicators.test_import_views import counts

MB = 2**20
SECONDS = 5
PEAK_BYTES = 200 * MB
HEADER_CELLS = ["authority", "indicator", "period", "value", "note"]

SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture
def world(users, council_a, lac_allocated):
    return users


# --- Crafted files ---------------------------------------------------------------------------


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _header_row() -> bytes:
    cells = b"".join(_inline(f"{chr(65 + i)}1", name) for i, name in enumerate(HEADER_CELLS))
    return b'<row r="1">' + cells + b"</row>"


def write_xlsx(
    path: Path,
    sheet: Iterable[bytes],
    dimension: str | None,
    shared_strings: Iterable[bytes] | None = None,
) -> Path:
    """A minimal workbook whose first sheet's XML (after <dimension>) is `sheet`, written
    through zipfile a chunk at a time so that a 200 MB part never sits in memory."""
    overrides = (
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    )
    if shared_strings is not None:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + overrides + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
            f'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
            '<sheet name="figures" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_START)
            if dimension:
                part.write(f'<dimension ref="{dimension}"/>'.encode())
            part.write(b"<sheetData>")
            for chunk in sheet:
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
        if shared_strings is not None:
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main">'
                )
                for chunk in shared_strings:
                    part.write(chunk)
                part.write(b"</sst>")
    return path


def _one_cell_at_xfd_rows() -> Iterable[bytes]:
    yield _header_row()
    for row in range(2, 20_002):
        yield f'<row r="{row}"><c r="XFD{row}"><v>1</v></c></row>'.encode()


def wide_xlsx(folder: Path) -> Path:
    """(a) 20,000 rows each with one cell at column XFD, the sheet's size said truly."""
    return write_xlsx(folder / "wide.xlsx", _one_cell_at_xfd_rows(), "A1:XFD20001")


def lying_xlsx(folder: Path) -> Path:
    """(c) The same rows, the sheet's size said to be A1:J10."""
    return write_xlsx(folder / "lying.xlsx", _one_cell_at_xfd_rows(), "A1:J10")


def _long_text(characters: int) -> Iterable[bytes]:
    piece = b"x" * MB
    for _ in range(characters // MB):
        yield piece


def huge_inline_xlsx(folder: Path) -> Path:
    """(b) One inline-string cell of 200 MB, in the note column of row 2."""
    row = [
        b'<row r="2">',
        _inline("A2", "Rhondda Cynon Taf"),
        _inline("B2", "SCC/013aii"),
        _inline("C2", "2014-15"),
        b'<c r="D2"><v>60</v></c><c r="E2" t="inlineStr"><is><t>',
        *_long_text(200 * MB),
        b"</t></is></c></row>",
    ]
    return write_xlsx(folder / "inline.xlsx", [_header_row(), *row], "A1:E2")


def shared_string_xlsx(folder: Path, characters: int) -> Path:
    """(f) A shared string of `characters` characters, used by the note cell of row 2."""
    row = (
        b'<row r="2">'
        + _inline("A2", "Rhondda Cynon Taf")
        + _inline("B2", "SCC/013aii")
        + _inline("C2", "2014-15")
        + b'<c r="D2"><v>60</v></c><c r="E2" t="s"><v>0</v></c></row>'
    )
    strings = [b'<si><t xml:space="preserve">', *_long_text(characters), b"</t></si>"]
    return write_xlsx(folder / "shared.xlsx", [_header_row(), row], "A1:E2", strings)


def huge_tag_xlsx(folder: Path) -> Path:
    """A start tag of 200 MB: an attribute value expat would keep whole."""
    row = [b'<row r="2"><c r="A2" t="', *_long_text(200 * MB), b'"><v>1</v></c></row>']
    return write_xlsx(folder / "tag.xlsx", [_header_row(), *row], "A1:E2")


def blank_lines_csv(folder: Path) -> Path:
    """(d) A header, then 18 MB of blank lines."""
    path = folder / "blank.csv"
    with path.open("wb") as out:
        out.write(b"authority,indicator,period,value\r\n")
        for _ in range(9):
            out.write(b"\r\n" * MB)
    return path


def wide_csv(folder: Path) -> Path:
    """(e) A header of 20,000 columns."""
    path = folder / "wide.csv"
    names = [*HEADER_CELLS, *(f"extra{n}" for n in range(20_000 - len(HEADER_CELLS)))]
    path.write_text(",".join(names) + "\r\nRhondda Cynon Taf,SCC/013aii,2014-15,60\r\n")
    return path


def long_cell_csv(folder: Path) -> Path:
    """A note of 1,001 characters."""
    path = folder / "long.csv"
    path.write_text(
        ",".join(HEADER_CELLS)
        + "\r\nRhondda Cynon Taf,SCC/013aii,2014-15,60,"
        + "n" * 1001
        + "\r\n"
    )
    return path


CRAFTED: dict[str, tuple[Callable[[Path], Path], tuple[int, str]]] = {
    "one cell at XFD in 20,000 rows": (
        wide_xlsx,
        (0, "the sheet's declared size ('A1:XFD20001') has more than 50 columns"),
    ),
    "a sheet whose size lies": (
        lying_xlsx,
        (2, "the file has more than 50 columns (a value in column XFD)"),
    ),
    "an inline string of 200 MB": (
        huge_inline_xlsx,
        (2, "the cell in column E is longer than 1,000 characters"),
    ),
    "a shared string of 12 MB": (
        lambda folder: shared_string_xlsx(folder, 12 * MB),
        (2, "the cell in column E is longer than 1,000 characters"),
    ),
    "shared strings of 200 MB": (
        lambda folder: shared_string_xlsx(folder, 200 * MB),
        (0, "the workbook's shared strings are larger than 16 MB uncompressed"),
    ),
    "a tag of 200 MB": (
        huge_tag_xlsx,
        (0, "the first sheet holds a tag longer than 1 MB"),
    ),
    "18 MB of blank lines": (
        blank_lines_csv,
        (500_002, "the file goes on past row 500,001: it may hold at most 500,000 rows"),
    ),
    "a header of 20,000 columns": (
        wide_csv,
        (1, "the file has more than 50 columns (a value in column AY)"),
    ),
    "a note of 1,001 characters": (
        long_cell_csv,
        (2, "the cell in column E is longer than 1,000 characters"),
    ),
}


def upload_dir_files() -> list[str]:
    folder = uploads.upload_dir()
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def peak_of(action: Callable[[], object]) -> tuple[object, int]:
    """What `action` returned and its peak of traced memory in bytes."""
    tracemalloc.start()
    try:
        result = action()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def measured(action: Callable[[], object]) -> tuple[object, float, int]:
    """What `action` returned, the seconds it took, and its peak of traced memory in bytes
    when run again under tracemalloc (which slows it: the time is of the first run)."""
    started = time.monotonic()
    action()
    seconds = time.monotonic() - started
    result, peak = peak_of(action)
    return result, seconds, peak


def _report(name: str, how: str, seconds: float, peak: int) -> None:
    print(f"{name} ({how}): refused in {seconds:.2f} s, peak {peak / MB:.1f} MB")


@pytest.mark.parametrize("name", CRAFTED)
def test_the_command_refuses_a_crafted_file_at_once_in_bounded_memory(world, tmp_path, name):
    make, (row, words) = CRAFTED[name]
    path = make(tmp_path)
    before = counts()

    def run() -> tuple[CommandError, str]:
        err = io.StringIO()
        with pytest.raises(CommandError) as refused:
            call_command("import_observations", str(path), stdout=io.StringIO(), stderr=err)
        return refused.value, err.getvalue()

    (refused, err), seconds, peak = measured(run)

    _report(name, "command", seconds, peak)
    assert "1 error in" in str(refused) and "nothing was written" in str(refused)
    assert err.startswith(f"row {row}: {words}")
    assert seconds < SECONDS
    assert peak < PEAK_BYTES
    assert counts() == before


@pytest.mark.parametrize("name", CRAFTED)
def test_the_browser_import_refuses_a_crafted_file_at_once_in_bounded_memory(world, tmp_path, name):
    make, (row, words) = CRAFTED[name]
    path = make(tmp_path)
    client = Client()
    client.force_login(world["officer_a"])
    before = counts()

    def run():
        with path.open("rb") as data:
            upload = SimpleUploadedFile(path.name, data.read())
        sent = client.post(reverse("imports:upload"), {"file": upload})
        assert sent.status_code == 302, sent.content.decode()[:1000]
        preview = client.get(sent["Location"])
        token = sent["Location"].rstrip("/").split("/")[-1]
        confirm = client.post(reverse("imports:confirm", kwargs={"token": token}))
        return preview, confirm, upload_dir_files()

    (preview, confirm, left), seconds, peak = measured(run)

    # The upload holds the file itself in memory (20 MB at most); the reading stays small.
    _report(name, "browser", seconds, peak)
    assert preview.status_code == 200
    [(error_row, message)] = preview.context["report"].errors
    assert error_row == row and message.startswith(words)
    # The refused file is removed at its preview: nothing is left behind to confirm.
    assert left == [] and confirm.status_code == 404
    assert words in preview.content.decode().replace("&#x27;", "'")
    assert "Confirm import" not in preview.content.decode()
    assert seconds < SECONDS
    assert peak < PEAK_BYTES
    assert counts() == before


def test_an_honest_wide_dimension_is_refused_before_any_row_is_read(world, tmp_path):
    """Refused from the <dimension> element alone: a sheet with no rows at all."""
    path = write_xlsx(tmp_path / "f.xlsx", [], "A1:AY3")
    report = importing.import_observations_file(path)
    assert report.errors == [
        (
            0,
            "the sheet's declared size ('A1:AY3') has more than 50 columns; "
            "the layout has 10 columns, J at most",
        )
    ]


def test_columns_past_the_limit_that_are_blank_are_ignored(world, tmp_path):
    """A CSV saved by a spreadsheet carries empty cells out to the widest row."""
    path = tmp_path / "f.csv"
    path.write_text("authority,indicator,period,value" + "," * 80 + "\r\n")
    path.write_text(
        path.read_text() + "Rhondda Cynon Taf,SCC/013aii,2014-15,60" + "," * 80 + "\r\n"
    )
    report = importing.import_observations_file(path)
    assert report.ok and report.result.created == 1


# --- A legitimate 20 MB file -----------------------------------------------------------------

COUNCILS = [
    "Blaenau Gwent",
    "Bridgend",
    "Caerphilly",
    "Cardiff",
    "Carmarthenshire",
    "Ceredigion",
    "Conwy",
    "Denbighshire",
    "Flintshire",
    "Gwynedd",
    "Isle of Anglesey",
    "Merthyr Tydfil",
    "Monmouthshire",
    "Neath Port Talbot",
    "Newport",
    "Pembrokeshire",
    "Powys",
    "Rhondda Cynon Taf",
    "Swansea",
    "Torfaen",
    "Vale of Glamorgan",
    "Wrexham",
]
SOURCE = "Welsh Government, Local Authority Social Services Performance Measures (StatsWales)"


def legitimate_csv(path: Path, indicators: list[str]) -> int:
    """Rows of every council x indicator x month from 1900 on, each with its numbers and its
    source, until the file reaches 20 MB. Returns the number of rows."""
    months = [f"{year}-{month:02d}" for year in range(1900, 2100) for month in range(1, 13)]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("authority,indicator,period,numerator,denominator,value,unit,note,source\r\n")
        for month in months:
            for code in indicators:
                for number, council in enumerate(COUNCILS):
                    out.write(
                        f"{council},{code},{month},{number + 100},{number + 400},,,"
                        f'Figures as published,"{SOURCE}"\r\n'
                    )
                    rows += 1
            if out.tell() >= 20 * 10**6:
                return rows
    return rows


def test_a_legitimate_20_mb_file_is_previewed_and_imported_in_bounded_memory(council_a, tmp_path):
    for number, name in enumerate(COUNCILS):
        if name != council_a.name:
            factories.AuthorityFactory(name=name, gss_code=f"W09{number:06d}")
    codes = [f"SCC/{n:03d}" for n in range(1, 7)]
    for code in codes:
        factories.IndicatorFactory(code=code, unit="percent", decimals=1)
    path = tmp_path / "figures.csv"
    rows = legitimate_csv(path, codes)
    assert path.stat().st_size >= 20 * 10**6 and rows > 100_000

    # The browser's preview is this dry run, and its confirmation the import.
    preview, preview_peak = peak_of(lambda: importing.import_observations_file(path, dry_run=True))
    report, import_peak = peak_of(lambda: importing.import_observations_file(path))

    print(
        f"20 MB file, {rows:,} rows: peak {preview_peak / MB:.0f} MB previewing, "
        f"{import_peak / MB:.0f} MB importing"
    )
    assert preview.errors == [] and preview.result.created == rows
    assert preview_peak < PEAK_BYTES and import_peak < PEAK_BYTES
    assert report.errors == []
    assert report.result.created == rows == Observation.objects.count()
    assert ImportLog.objects.count() == 1
