"""Generators of bad import files: random bytes, damaged workbooks, wrong encodings, wrong
headers, ragged rows, formulas and junk in cells. Files are made in memory, never kept."""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile

from hypothesis import strategies as st

from indicators.importing import COLUMNS
from tests.security import junk

GOOD_ROW = {
    "authority": "Rhondda Cynon Taf",
    "indicator": "SCC/013aii",
    "period": "2014-15",
    "numerator": "393",
    "denominator": "621",
    "value": "63.29",
    "unit": "percent",
    "comparator": "",
    "note": "",
    "source": "Local return",
}
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """A workbook whose text cells are written as the junk says: "=1+2" becomes a formula,
    as a spreadsheet would store it."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    for line in [header, *rows]:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in line])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


cells = st.one_of(junk.text, junk.numbers, junk.periods)
header = st.one_of(
    st.just(list(COLUMNS)),
    st.permutations(list(COLUMNS)),
    st.lists(st.sampled_from([*COLUMNS, "Authority ", "VALUE", "extra", "", "=1+2"]), max_size=12),
    st.lists(junk.text, max_size=5),
)


@st.composite
def table(draw) -> tuple[list[str], list[list]]:
    """A header and rows: good rows with some cells replaced by junk, ragged or not."""
    columns = draw(header)
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row = [GOOD_ROW.get(name.strip().lower(), "") for name in columns]
        for i in range(len(row)):
            if draw(st.integers(0, 3)) == 0:
                row[i] = draw(cells)
        if draw(st.integers(0, 4)) == 0:  # ragged: cells cut off or added
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(cells, max_size=2))
        rows.append(row)
    return columns, rows


@functools.cache
def good_xlsx() -> bytes:
    """One good workbook, made once: each save stamps the time, and hypothesis needs the
    same bytes every time it draws."""
    return xlsx_bytes(list(COLUMNS), [list(GOOD_ROW.values())])


@st.composite
def damaged_xlsx(draw) -> bytes:
    data = good_xlsx()
    how = draw(st.sampled_from(["truncate", "flip", "prefix"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip":
        spot = draw(st.integers(0, len(data) - 1))
        return data[:spot] + bytes([data[spot] ^ 0xFF]) + data[spot + 1 :]
    return b"PK\x03\x04" + draw(st.binary(max_size=200))


@st.composite
def bad_file(draw) -> tuple[str, bytes]:
    """(file name, contents)."""
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "bytes", "damaged"]))
    if kind == "bytes":
        return draw(st.sampled_from(["f.csv", "f.xlsx"])), draw(st.binary(max_size=2000))
    if kind == "damaged":
        return draw(st.sampled_from(["f.xlsx", "f.csv"])), draw(damaged_xlsx())
    columns, rows = draw(table())
    if kind == "xlsx":
        return "f.xlsx", xlsx_bytes(columns, rows)
    return "f.csv", csv_bytes(columns, rows, draw(st.sampled_from(ENCODINGS)))


# --- Files past the import's limits, at small scale: refused whole, naming the limit ---------

LIMIT_WORDS = {
    "columns": "more than 50 columns",
    "cell": "longer than 1,000 characters",
    "rows": "past row 500,001",
}


def with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's declared size (<dimension ref>) replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), part)
            target.writestr(info.filename, part)
    return out.getvalue()


@st.composite
def oversized_file(draw) -> tuple[str, bytes, str]:
    """(file name, contents, the limit it breaks): a header or row wider than 50 columns, a
    cell longer than 1,000 characters, a sheet going on past row 500,001 in blank lines, or
    a workbook whose declared size lies (A1:J10) about such rows."""
    limit = draw(st.sampled_from(["columns", "cell", "rows"]))
    header = list(COLUMNS)
    row = list(GOOD_ROW.values())
    if limit == "columns":
        extra = draw(st.integers(41, 120))
        where = draw(st.sampled_from(["header", "row"]))
        filler = [draw(st.sampled_from(["x", "extra", "=1+2", "£5", "c"])) for _ in range(extra)]
        if where == "header":
            header += filler
        else:
            row += filler
    elif limit == "cell":
        column = draw(st.integers(0, len(row) - 1))
        row[column] = draw(st.sampled_from(["n", "é", "€", "😀"])) * draw(st.integers(1001, 3000))
    if limit == "rows":
        blank = draw(st.sampled_from(["\r\n", "\n", ",,,\r\n"]))
        text = ",".join(header) + "\r\n" + ",".join(row) + "\r\n" + blank * 500_000
        return "f.csv", (text + ",".join(row) + "\r\n").encode(), limit
    if draw(st.booleans()):
        return "f.csv", csv_bytes(header, [row], "utf-8"), limit
    data = xlsx_bytes(header, [row])
    if draw(st.booleans()):
        data = with_dimension(data, "A1:J10")
    return "f.xlsx", data, limit
