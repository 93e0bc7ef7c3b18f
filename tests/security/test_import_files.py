"""Bad files through the import: the import_observations command's code path and command,
and the browser's upload, preview and confirm. Every file is refused with its errors by row
(row 0: the file as a whole), or accepted whole; a refused file writes nothing."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from indicators import importing, uploads
from tests.factories import ObservationFactory, PeriodFactory
from tests.security import files
from tests.security.checks import examined
from tests.security.forms import client_for
from tests.security.settings import examples


@pytest.fixture
def world(council_a, council_b, lac_allocated, wales_average):
    ObservationFactory(
        authority=council_a, indicator=lac_allocated, period=PeriodFactory(code="2013-14")
    )


def _written(name: str, data: bytes, folder: Path) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _check_report(report) -> None:
    for row, message in report.errors:
        assert isinstance(row, int) and row >= 0
        assert message.strip(), "an error without words"


@examples(150)
@given(named=files.bad_file(), create_missing=st.booleans())
@example(named=("f.csv", "authority,indicator\r\n".encode("utf-16")), create_missing=False)
@example(named=("f.csv", b"\xef\xbb\xbfauthority,indicator,period,value\r\n"), create_missing=False)
@example(
    named=(
        "f.csv",
        "authority,indicator,period,value\r\nCaerffili,SCC/013aii,2014-15,5\xe9\r\n".encode(
            "latin-1"
        ),
    ),
    create_missing=False,
)
def test_import_observations_file(world, named, create_missing):
    name, data = named
    with tempfile.TemporaryDirectory() as folder, examined("import file") as case:
        path = _written(name, data, Path(folder))
        report = importing.import_observations_file(path, create_missing=create_missing)
        _check_report(report)
        if not report.ok:
            case.nothing_written()


def test_utf16_and_latin1_are_named_for_what_they_are(world, tmp_path):
    utf16 = _written("f.csv", "authority,indicator,period,value\r\n".encode("utf-16"), tmp_path)
    latin = _written(
        "g.csv", "authority,indicator,period,value\r\nCaerffili é\r\n".encode("latin-1"), tmp_path
    )
    with examined("import file") as case:
        report = importing.import_observations_file(utf16)
        assert report.errors == [
            (0, "f.csv is UTF-16 text (Excel's 'Unicode text'); save it as 'CSV UTF-8'")
        ]
        report = importing.import_observations_file(latin)
        assert report.errors[0][0] == 2 and "not UTF-8" in report.errors[0][1]
        case.nothing_written()


@examples(40)
@given(named=files.bad_file(), dry_run=st.booleans())
def test_import_observations_command(world, named, dry_run):
    """The command: exit status 1 with `row N: message` lines, or success; never a
    traceback."""
    name, data = named
    with tempfile.TemporaryDirectory() as folder, examined("import_observations command") as case:
        path = _written(name, data, Path(folder))
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_observations", str(path), dry_run=dry_run, stdout=out, stderr=err)
        except CommandError as refused:
            assert refused.returncode == 1
            assert "nothing was written" in str(refused)
            # split("\n"), not splitlines(): a message may quote a control character from
            # the file (\x1e, \x1c...) that splitlines() would take for a line break.
            lines = err.getvalue().rstrip("\n").split("\n")
            assert lines and all(line.startswith("row ") for line in lines)
            case.nothing_written()


def test_formulas_in_cells_are_refused_by_row_and_column(world, tmp_path):
    rows = [
        ["Rhondda Cynon Taf", "SCC/013aii", "2014-15", "", "", "=1+2"],
        ["Rhondda Cynon Taf", "SCC/013aii", "2013-14", "", "", "+cmd|' /C calc'!A0"],
        ["Rhondda Cynon Taf", "SCC/013aii", "2012-13", "", "", "-1"],
        ["Rhondda Cynon Taf", "SCC/013aii", "2011-12", "", "", "@SUM(A1)"],
    ]
    header = ["authority", "indicator", "period", "numerator", "denominator", "value"]
    path = _written("f.csv", files.csv_bytes(header, rows, "utf-8"), tmp_path)
    with examined("import file") as case:
        report = importing.import_observations_file(path)
        rows_named = {row for row, _message in report.errors}
        assert rows_named == {2, 3, 4, 5}
        assert all("value" in message for _row, message in report.errors)
        case.nothing_written()


@examples(50)
@given(named=files.bad_file())
def test_upload_preview_and_confirm(users, world, named):
    client = client_for(users["officer_a"])
    name, data = named
    with examined("import upload") as case:
        upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
        response = client.post(reverse("imports:upload"), {"file": upload})
        case.answered(response)
        if response.status_code != 302:
            case.nothing_written()
            assert response.context["form"].errors["file"]
            return
        preview = client.get(response["Location"])
        case.answered(preview)
        token = response["Location"].rstrip("/").split("/")[-1]
        confirm = client.post(reverse("imports:confirm", kwargs={"token": token}))
        case.answered(confirm)
        if preview.context["report"].errors:
            # A refused file is removed at its preview: nothing of it is left to confirm.
            assert confirm.status_code == 404
            case.nothing_written()
            assert not list(uploads.upload_dir().glob(f"{token}.*"))
        else:
            assert confirm.status_code == 302


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(users, world, suffix):
    client = client_for(users["officer_a"])
    data = b"authority,indicator,period,value\r\n" + b"x" * uploads.MAX_UPLOAD_BYTES
    with examined("import upload") as case:
        response = client.post(
            reverse("imports:upload"), {"file": SimpleUploadedFile("big" + suffix, data)}
        )
        case.answered(response)
        assert response.status_code == 200
        assert "must be smaller than 20.0" in response.context["form"].errors["file"][0]
        case.nothing_written()


@examples(30)
@given(named=files.oversized_file())
def test_a_file_past_a_limit_is_refused_whole_naming_the_limit(world, named):
    """Wider than 50 columns, a cell over 1,000 characters, past row 500,001 (blank rows
    count), or a workbook whose declared size hides its width: one error, nothing written."""
    name, data, limit = named
    with tempfile.TemporaryDirectory() as folder, examined("import file") as case:
        report = importing.import_observations_file(_written(name, data, Path(folder)))
        [(row, message)] = report.errors
        assert files.LIMIT_WORDS[limit] in message
        # Row 0: an XLSX refused from its declared size, before any row is read.
        assert row in {"columns": {0, 1, 2}, "cell": {2}, "rows": {500_002}}[limit]
        case.nothing_written()
