"""Formula neutralising in every CSV and XLSX the app writes (OWASP "CSV injection"): the
indicator page's downloads, the export_observations command (CSV, XLSX and standard output),
a report pack's manifest, and the writers themselves. Text that begins with = + - @, a tab
or a carriage return is guarded (an apostrophe in CSV; a string cell with Excel's quote
prefix in XLSX); no XLSX cell is a formula; figures stay numbers, negative ones included."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from indicators import exporting
from indicators.models import Comparator, Nation
from reports.models import Report
from reports.packs import manifest
from tests.factories import ObservationFactory, PeriodFactory
from tests.security import junk
from tests.security.checks import examined
from tests.security.forms import client_for
from tests.security.settings import examples

# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): written out
# here, not imported from the code under test, so a guard that forgets one of them fails.
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(original: str) -> str:
    """What a CSV cell holding this text must read: an apostrophe before text a spreadsheet
    would run, and before text already so guarded (apostrophes before such text), so the
    importer's removal of one apostrophe gives back exactly the original."""
    return "'" + original if original.lstrip("'").startswith(DANGEROUS_STARTS) else original


# Text a user can put into an exported cell: an observation's source and note (figure form,
# import) and, for administrators, a comparator's name.
cell_text = st.one_of(
    st.sampled_from(junk.FORMULAS),
    st.builds(lambda start, rest: start + rest, st.sampled_from(DANGEROUS_STARTS), junk.text),
    junk.text,
    # NUL never reaches a stored text: every form and file refuses it.
).filter(lambda text: len(text) < 255 and "\x00" not in text)


def check_csv(text: str, numeric: set[str], originals: set[str] = frozenset()) -> None:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    for row in rows[1:]:
        for name, cell in zip(header, row):
            if name in numeric and cell:
                assert not cell.startswith("'"), (name, cell)
                Decimal(cell)  # a number, not text
                continue
            assert not cell.startswith(DANGEROUS_STARTS), (name, cell)
    cells = {cell for row in rows[1:] for cell in row}
    for original in originals:
        # Each text is written once, exactly as guarded(); reading it back removes the one
        # apostrophe the guard added and nothing else.
        written = guarded(original)
        assert written in cells, (original, written)
        if written != original:
            assert written[1:] == original


def check_xlsx(data: bytes | Path, numeric: set[str]) -> None:
    sheet = load_workbook(data if isinstance(data, Path) else io.BytesIO(data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for name, cell in zip(header, row):
            assert cell.data_type != "f", (name, cell.value)
            if name in numeric and cell.value is not None:
                assert cell.data_type == "n", (name, cell.value)
            elif isinstance(cell.value, str) and cell.value.startswith(DANGEROUS_STARTS):
                assert cell.data_type == "s" and cell.quotePrefix, (name, cell.value)


DOWNLOAD_NUMBERS = {"value", "numerator", "denominator"}


@pytest.fixture
def wales_comparator(council_a):
    return Comparator.objects.get_or_create(
        name="Wales average", defaults={"kind": "national", "nation": Nation.WALES}
    )[0]


@examples(30)
@given(source=cell_text, note=cell_text, fmt=st.sampled_from(["csv", "xlsx"]))
def test_indicator_page_downloads(
    users, council_a, wales_comparator, lac_allocated, source, note, fmt
):
    client = client_for(users["officer_a"])
    with examined("indicator page download") as case:
        for code, subject in (
            ("2013-14", {"authority": council_a}),
            ("2014-15", {"authority": None, "comparator": wales_comparator}),
        ):
            ObservationFactory(
                indicator=lac_allocated,
                period=PeriodFactory(code=code),
                source=source,
                note=note,
                **subject,
            )
        url = reverse(
            "indicators:indicator", kwargs={"council": council_a.slug, "indicator": "scc013aii"}
        )
        response = client.get(url, {"format": fmt, "comparators": "wales-average"})
        case.answered(response)
        assert response.status_code == 200
        if fmt == "csv":
            check_csv(response.content.decode("utf-8"), DOWNLOAD_NUMBERS, {source})
        else:
            check_xlsx(response.content, DOWNLOAD_NUMBERS)


EXPORT_NUMBERS = {"numerator", "denominator", "value"}


@examples(30)
@given(
    source=cell_text,
    note=cell_text,
    name=st.sampled_from(["=Wales average", "+North", "-South", "@Region", "\tTab", "\rCR"]),
    out=st.sampled_from(["figures.csv", "figures.xlsx", "-"]),
)
def test_export_observations_command(
    council_a, lac_allocated, source, note, name, out, tmp_path_factory
):
    with examined("export_observations command"):
        comparator = Comparator.objects.create(name=name, kind="national", nation=Nation.WALES)
        ObservationFactory(authority=council_a, indicator=lac_allocated, source=source, note=note)
        ObservationFactory(
            authority=None, comparator=comparator, indicator=lac_allocated, source=source, note=note
        )
        stdout = io.StringIO()
        if out == "-":
            call_command("export_observations", out="-", stdout=stdout, stderr=io.StringIO())
            check_csv(stdout.getvalue(), EXPORT_NUMBERS, {source, note, name})
            return
        path = tmp_path_factory.mktemp("export") / out
        call_command("export_observations", out=str(path), stdout=stdout)
        if out.endswith(".csv"):
            # Bytes decoded as they are: read_text would turn a carriage return into a newline.
            check_csv(path.read_bytes().decode("utf-8"), EXPORT_NUMBERS, {source, note, name})
        else:
            check_xlsx(path, EXPORT_NUMBERS)


@examples(40)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                cell_text,
                st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(
                    lambda d: exporting.Figure(d, 2)
                ),
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_writers_guard_text_and_keep_figures_numbers(db, rows):
    """Negative figures (a change, a variance) are numbers in both formats, never guarded
    text; only text is guarded."""
    with examined("CSV and XLSX writers"):
        header = ["a", "b", "c"]
        text = io.StringIO()
        exporting.write_csv(rows, text, header=header)
        parsed = list(csv.reader(io.StringIO(text.getvalue())))[1:]
        data = io.BytesIO()
        exporting.write_xlsx(rows, data, header=header)
        sheet = load_workbook(io.BytesIO(data.getvalue())).worksheets[0]
        for row, written, cells in zip(rows, parsed, sheet.iter_rows(min_row=2)):
            for value, shown, cell in zip(row, written, cells):
                assert cell.data_type != "f"
                if isinstance(value, exporting.Figure):
                    assert shown == str(value) and cell.data_type == "n"
                    assert Decimal(str(cell.value)) == value.amount
                else:
                    assert shown == guarded(value)
                    assert not shown.startswith(DANGEROUS_STARTS)
                    if isinstance(cell.value, str) and cell.value.startswith(DANGEROUS_STARTS):
                        assert cell.quotePrefix


# Each dangerous start, and the look-alikes that are safe, with the CSV cell each must give.
GUARDED_EXAMPLES = [
    ("=1+2", "'=1+2"),
    ("+44 1443 425000", "'+44 1443 425000"),
    ("-2", "'-2"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("'=1+2", "''=1+2"),  # already guarded text keeps its own apostrophe
    ("'plain", "'plain"),
    (" =1+2", " =1+2"),
    ("Welsh Government", "Welsh Government"),
    ("a=b", "a=b"),
]


@pytest.mark.parametrize(("text", "cell"), GUARDED_EXAMPLES)
def test_each_dangerous_start_is_guarded_in_csv_and_xlsx(text, cell):
    written = io.StringIO()
    exporting.write_csv([[text]], written, header=["note"])
    assert list(csv.reader(io.StringIO(written.getvalue()))) == [["note"], [cell]]
    data = io.BytesIO()
    exporting.write_xlsx([[text]], data, header=["note"])
    xlsx_cell = load_workbook(io.BytesIO(data.getvalue())).worksheets[0]["A2"]
    assert xlsx_cell.data_type == "s"
    # In XLSX the text is kept as it is (but that XML reads a carriage return back as a
    # newline) and Excel's quote prefix does the guarding.
    assert xlsx_cell.value == text.replace("\r", "\n")
    assert xlsx_cell.quotePrefix == (cell != text)


@examples(30)
@given(council=cell_text, note=cell_text, comparator=cell_text)
def test_report_pack_manifest(users, council_a, council, note, comparator):
    report = Report(slug="=paper", version=1, authority=council_a, title="t", committee="c")
    with examined("report pack manifest"):
        outcome = {
            "council": council,
            "gss_code": "W06000016",
            "file": "+file.pdf",
            "figures": "-as published",
            "comparators": [comparator],
            "error": note,
            "missing": [],
        }
        # The note is joined with the pack's other notes into one cell: only its start is
        # checked (no cell begins with a dangerous character), not its whole text.
        check_csv(manifest(report, [outcome]), set(), {council})
