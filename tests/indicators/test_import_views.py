"""Importing a file in the browser: upload, preview (a dry run), confirm; nothing is written
before confirmation, and officers import only their own councils' figures."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from indicators import importing, uploads
from indicators.models import (
    ImportLog,
    Indicator,
    Observation,
    PendingImport,
    Period,
    Target,
    YearLock,
)
from tests import factories

HEADER = ["authority", "indicator", "period", "numerator", "denominator", "value", "comparator"]
ROW_A = ["Rhondda Cynon Taf", "SCC/013aii", "2014-15", "393", "621", "", ""]


@pytest.fixture
def world(users, council_a, council_b, wales_average, lac_allocated):
    factories.IndicatorFactory(code="SCC/011a", unit="percent", decimals=1)
    return users


def csv_file(rows, header=HEADER, name="figures.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"), content_type="text/csv")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, file, **extra):
    return client.post(reverse("imports:upload"), {"file": file, **extra})


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/imports/([A-Za-z0-9_-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def counts() -> tuple[int, ...]:
    return (
        Observation.objects.count(),
        Observation.history.count(),
        Target.objects.count(),
        ImportLog.objects.count(),
        Indicator.objects.count(),
    )


def count_cell(response, name: str) -> str:
    match = re.search(rf'id="count-{name}">([^<]*)<', response.content.decode())
    assert match, f"no {name} count on the page"
    return match.group(1)


@pytest.fixture
def stored(world, council_a, lac_allocated):
    """Two stored figures of council A: one the file changes, one it repeats. An officer's
    import makes figures provisional, so the repeated one is provisional already."""
    factories.ObservationFactory(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2013-14"),
        numerator=Decimal(300),
        denominator=Decimal(600),
        value=Decimal("50.00"),
        source="",
    )
    factories.ObservationFactory(
        authority=council_a,
        indicator=lac_allocated,
        period=Period.objects.for_code("2012-13"),
        numerator=Decimal(1),
        denominator=Decimal(2),
        value=Decimal("50.00"),
        source="",
        status=Observation.Status.PROVISIONAL,
    )


THREE_ROWS = [
    ROW_A,  # new
    ["Rhondda Cynon Taf", "SCC/013aii", "2013-14", "310", "600", "", ""],  # changed
    ["W06000016", "SCC/013aii", "2012-13", "1", "2", "", ""],  # the same
]


def test_preview_shows_counts_and_writes_nothing(stored, world):
    client = signed_in(world["officer_a"])
    before = counts()
    token = token_of(upload(client, csv_file(THREE_ROWS)))
    response = client.get(reverse("imports:preview", kwargs={"token": token}))
    assert response.status_code == 200
    assert (count_cell(response, "created"), count_cell(response, "updated")) == ("1", "1")
    assert count_cell(response, "unchanged") == "1"
    assert "Confirm import" in response.content.decode()
    assert "figures.csv" in response.content.decode()
    assert counts() == before
    assert Observation.objects.get(period__code="2013-14").numerator == 300


def test_confirm_writes_provisional_figures_and_logs_the_signed_in_user(stored, world):
    officer = world["officer_a"]
    client = signed_in(officer)
    token = token_of(upload(client, csv_file(THREE_ROWS, name="rct 2014-15.csv")))
    response = client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert response.status_code == 302
    log = ImportLog.objects.get()
    assert response["Location"] == reverse("imports:result", kwargs={"pk": log.pk})
    assert (log.user, log.filename, log.command) == (officer, "rct 2014-15.csv", importing.COMMAND)
    assert (log.created, log.updated, log.unchanged) == (1, 1, 1)
    new = Observation.objects.get(period__code="2014-15")
    assert (new.value, new.status, new.updated_by) == (Decimal("63.29"), "provisional", officer)
    changed = Observation.objects.get(period__code="2013-14")
    assert changed.numerator == 310
    assert changed.history.first().history_user == officer
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert count_cell(page, "created") == "1"
    # The upload is gone: its token cannot be confirmed twice.
    assert not list(uploads.upload_dir().iterdir())
    again = client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert again.status_code == 404
    assert ImportLog.objects.count() == 1
    listing = client.get(reverse("imports:upload"))
    assert "rct 2014-15.csv" in listing.content.decode()


def test_an_administrators_import_is_final(world):
    client = signed_in(world["admin"])
    token = token_of(upload(client, csv_file([ROW_A])))
    client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert Observation.objects.get().status == Observation.Status.FINAL


def test_an_officer_repeating_a_final_figure_makes_it_provisional_again(stored, world):
    client = signed_in(world["officer_a"])
    final = [["Rhondda Cynon Taf", "SCC/013aii", "2013-14", "300", "600", "", ""]]
    token = token_of(upload(client, csv_file(final)))
    response = client.get(reverse("imports:preview", kwargs={"token": token}))
    assert count_cell(response, "updated") == "1"
    client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert Observation.objects.get(period__code="2013-14").status == "provisional"


def test_a_file_with_one_bad_row_shows_the_row_and_cannot_be_confirmed(world):
    client = signed_in(world["officer_a"])
    rows = [
        ROW_A,
        ["Rhondda Cynon Taf", "SCC/011a", "2014-15", "700", "600", "", ""],  # row 3
    ]
    before = counts()
    token = token_of(upload(client, csv_file(rows)))
    response = client.get(reverse("imports:preview", kwargs={"token": token}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "row 3" in page
    assert "numerator 700 is above denominator 600" in page
    assert "Nothing will be written" in page
    assert "Confirm import" not in page
    assert reverse("imports:confirm", kwargs={"token": token}) not in page
    # A file with errors can never be confirmed, so it is not kept waiting for a day.
    assert "The file was not kept. Correct it and upload it again." in page
    assert PendingImport.objects.count() == 0 and not list(uploads.upload_dir().iterdir())
    forced = client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert forced.status_code == 404
    assert counts() == before


def test_a_file_refused_only_when_confirmed_is_removed_too(world):
    """The checks run again on confirmation: a year locked since the preview refuses the file
    then, and the file goes at once."""
    client = signed_in(world["officer_a"])
    before = counts()
    token = token_of(upload(client, csv_file([ROW_A])))
    assert (
        "Confirm import"
        in client.get(reverse("imports:preview", kwargs={"token": token})).content.decode()
    )
    YearLock.objects.create(authority=world["officer_a"].authorities.get(), financial_year=2014)
    confirmed = client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert confirmed.status_code == 200
    assert "2014-15 is locked for Rhondda Cynon Taf" in confirmed.content.decode()
    assert PendingImport.objects.count() == 0 and not list(uploads.upload_dir().iterdir())
    assert counts() == before


def test_an_officer_cannot_import_another_councils_rows(world):
    client = signed_in(world["officer_b"])
    before = counts()
    token = token_of(upload(client, csv_file([ROW_A])))
    response = client.get(reverse("imports:preview", kwargs={"token": token}))
    page = response.content.decode()
    assert "row 2" in page
    assert "you cannot import figures for Rhondda Cynon Taf" in page
    assert "Confirm import" not in page
    client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert counts() == before


def test_an_officer_cannot_preview_or_confirm_another_users_upload(world):
    token = token_of(upload(signed_in(world["officer_a"]), csv_file([ROW_A])))
    other = signed_in(world["officer_b"])
    before = counts()
    assert other.get(reverse("imports:preview", kwargs={"token": token})).status_code == 404
    assert other.post(reverse("imports:confirm", kwargs={"token": token})).status_code == 404
    assert counts() == before


def test_an_officer_cannot_see_another_users_import_result(world):
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A])))
    done = client.post(reverse("imports:confirm", kwargs={"token": token}))
    assert signed_in(world["officer_b"]).get(done["Location"]).status_code == 404
    assert signed_in(world["admin"]).get(done["Location"]).status_code == 200


def test_comparator_rows_and_new_indicators_are_for_administrators_only(world):
    rows = [["Wales average", "SCC/013aii", "2014-15", "", "", "96", "yes"]]
    client = signed_in(world["approver"])
    token = token_of(upload(client, csv_file(rows)))
    page = client.get(reverse("imports:preview", kwargs={"token": token})).content.decode()
    assert "you cannot import figures for the comparator Wales average" in page
    # The create-missing choice is not offered to an officer, and posting it anyway is ignored.
    assert "create_missing" not in client.get(reverse("imports:upload")).content.decode()
    new = [["Rhondda Cynon Taf", "LOCAL/1", "2014-15", "", "", "5", ""]]
    header = [*HEADER, "unit"]
    token = token_of(upload(client, csv_file([[*new[0], "count"]], header), create_missing="on"))
    page = client.get(reverse("imports:preview", kwargs={"token": token})).content.decode()
    assert "unknown indicator" in page

    admin = signed_in(world["admin"])
    assert "create_missing" in admin.get(reverse("imports:upload")).content.decode()
    token = token_of(upload(admin, csv_file([[*new[0], "count"]], header), create_missing="on"))
    page = admin.get(reverse("imports:preview", kwargs={"token": token})).content.decode()
    assert "LOCAL/1" in page and "Confirm import" in page
    token = token_of(upload(admin, csv_file(rows)))
    admin.post(reverse("imports:confirm", kwargs={"token": token}))
    assert Observation.objects.filter(comparator__name="Wales average").count() == 1


def test_a_locked_year_refuses_imported_figures(world, council_a):
    YearLock.objects.create(authority=council_a, financial_year=2014)
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A])))
    page = client.get(reverse("imports:preview", kwargs={"token": token})).content.decode()
    assert "2014-15 is locked for Rhondda Cynon Taf" in page


@pytest.mark.parametrize("role", ["member", "author"])
def test_members_and_authors_may_not_import(world, role):
    token = token_of(upload(signed_in(world["officer_a"]), csv_file([ROW_A])))
    client = signed_in(world[role])
    assert client.get(reverse("imports:upload")).status_code == 403
    assert upload(client, csv_file([ROW_A])).status_code == 403
    assert client.get(reverse("imports:preview", kwargs={"token": token})).status_code == 403
    assert client.post(reverse("imports:confirm", kwargs={"token": token})).status_code == 403
    assert Observation.objects.count() == 0


def test_import_pages_need_a_signed_in_user(client, world):
    response = client.get(reverse("imports:upload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_confirm_only_by_post(world):
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A])))
    assert client.get(reverse("imports:confirm", kwargs={"token": token})).status_code == 405
    assert Observation.objects.count() == 0


def assert_file_field_error(response, text: str) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_file"' in page, "the error summary links to the file field"
    assert 'id="id_file-error"' in page
    assert text in page


def test_an_oversized_file_is_refused_naming_the_file_field(world):
    client = signed_in(world["officer_a"])
    big = SimpleUploadedFile("big.csv", b"a" * (uploads.MAX_UPLOAD_BYTES + 1))
    assert_file_field_error(upload(client, big), "The file must be smaller than 20.0")
    assert not uploads.upload_dir().exists() or not list(uploads.upload_dir().iterdir())


@pytest.mark.parametrize("name", ["figures.xls", "figures.txt", "figures", "figures.csv.exe"])
def test_a_file_of_another_type_is_refused_naming_the_file_field(world, name):
    client = signed_in(world["officer_a"])
    response = upload(client, SimpleUploadedFile(name, b"authority,indicator\n"))
    assert_file_field_error(response, "must be a .csv or .xlsx file")


def test_no_file_or_an_empty_file_is_refused_naming_the_file_field(world):
    client = signed_in(world["officer_a"])
    assert_file_field_error(client.post(reverse("imports:upload"), {}), "required")
    assert_file_field_error(upload(client, SimpleUploadedFile("e.csv", b"")), "empty")


def test_an_xlsx_workbook_is_previewed_like_csv(world):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([*ROW_A[:3], 393, 621])
    data = io.BytesIO()
    workbook.save(data)
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, SimpleUploadedFile("figures.xlsx", data.getvalue())))
    response = client.get(reverse("imports:preview", kwargs={"token": token}))
    assert count_cell(response, "created") == "1"


def test_a_derived_value_too_large_to_store_is_a_row_error(world, tmp_path):
    factories.IndicatorFactory(code="SCC/001", unit="rate_per_10k", decimals=1)
    path = tmp_path / "huge.csv"
    path.write_text(
        "authority,indicator,period,numerator,denominator\n"
        "Rhondda Cynon Taf,SCC/001,2014-15,99999999999999,0.0001\n"
    )
    report = importing.import_observations_file(path)
    assert report.errors and report.errors[0][0] == 2
    assert "too large" in report.errors[0][1]
    assert Observation.objects.count() == 0


def test_safe_name_keeps_the_files_own_name_only():
    assert uploads.safe_name("C:\\Users\\x\\rct.csv") == "rct.csv"
    assert uploads.safe_name("../../etc/passwd.csv") == "passwd.csv"
    long = uploads.safe_name("a" * 300 + ".xlsx")
    assert len(long) == uploads.NAME_LIMIT and long.endswith(".xlsx")


# --- Bad input: generated malformed files through upload, preview and confirm -----------------

AUTHORITIES = ["Rhondda Cynon Taf", " rhondda cynon taf ", "W06000016", "Caerphilly", "Nowhere"]
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "Wales average",
            *AUTHORITIES,
            "SCC/013aii",
            "scc013AII",
            "SCC/011a",
            "SCC/999",
            "2014-15",
            "2014-15 Q1",
            "2014-07",
            "2014-07-31",
            "2014-16",
            "2014-15 Q5",
            "393",
            "621",
            "1,588",
            "63.28%",
            "-4",
            "1e5",
            "99999999999999999",
            "0",
            "c",
            "low",
            "yes",
            "target",
            "percent",
            "furlongs",
            "=SUM(A1:A2)",
            "'=1",
            "\t",
        ]
    ),
    st.integers(min_value=-10, max_value=10**15).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(max_size=12),
)
GOOD_HEADERS = st.permutations([*HEADER, "unit", "note", "source"])
BAD_HEADERS = st.lists(
    st.sampled_from([*importing.COLUMNS, "Authority ", "value2", "", "períod", "LA"]),
    max_size=12,
)
BOMS = [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]


def _table(header, rows) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


@st.composite
def csv_files(draw) -> tuple[str, bytes]:
    header = draw(st.one_of(GOOD_HEADERS, BAD_HEADERS))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=6))
    text = _table(header, rows)
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    data = draw(st.sampled_from(BOMS)) + text.encode(encoding, errors="replace")
    return draw(st.sampled_from(["bad.csv", "BAD.CSV", "bad.xlsx"])), data


@st.composite
def xlsx_files(draw) -> tuple[str, bytes]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(draw(st.one_of(GOOD_HEADERS, BAD_HEADERS)))
    safe = st.sampled_from(["", *AUTHORITIES, "SCC/013aii", "2014-15", "x", "-1", "2014-15 Q2"])
    numbers = st.one_of(st.integers(-5, 10**15), st.floats(allow_nan=False, allow_infinity=False))
    for row in draw(st.lists(st.lists(st.one_of(safe, numbers), max_size=9), max_size=5)):
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return draw(st.sampled_from(["bad.xlsx", "bad.csv"])), data.getvalue()


@st.composite
def nearly_good_files(draw) -> tuple[str, bytes]:
    """Files that often pass, so that confirmation is exercised too."""
    counts = st.integers(0, 700)
    row = st.tuples(
        st.sampled_from(["Rhondda Cynon Taf", "W06000016", "Caerphilly"]),
        st.sampled_from(["SCC/013aii", "SCC/011a"]),
        st.sampled_from(["2014-15", "2014-15 Q1", "2015-16 Q2", "2015-07-31"]),
        counts.map(str),
        counts.map(str),
        st.sampled_from(["", "", "63.29", "c", "-1"]),
        st.sampled_from(["", "", "", "target", "yes"]),
    )
    rows = draw(st.lists(row, min_size=1, max_size=4))
    return "nearly.csv", _table(HEADER, rows).encode("utf-8-sig")


GARBAGE = st.tuples(
    st.sampled_from(["junk.csv", "junk.xlsx", "junk.xls", "junk.txt", "junk"]),
    st.one_of(
        st.binary(min_size=1, max_size=300),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=300).map(lambda b: b"\xd0\xcf\x11\xe0" + b),
    ),
)
MALFORMED_FILES = st.one_of(GARBAGE, csv_files(), xlsx_files(), nearly_good_files())
ROW_NAMES = re.compile(r'<th scope="row">\s*(row \d+|the whole file)\s*</th>')


@settings(
    max_examples=320,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=MALFORMED_FILES, as_admin=st.booleans())
def test_generated_malformed_files_never_fail_the_server_or_write_part_of_a_file(
    world, file, as_admin
):
    name, data = file
    user = world["admin" if as_admin else "officer_a"]
    # The test client re-raises a view's exception, so a server error fails the test.
    client = signed_in(user)
    before = counts()
    response = upload(client, SimpleUploadedFile(name, data))
    if response.status_code == 200:  # refused at the upload: it names the file field
        event("refused at upload")
        assert_file_field_error(response, "")
        assert counts() == before
        return
    token = token_of(response)
    preview = client.get(reverse("imports:preview", kwargs={"token": token}))
    assert preview.status_code == 200
    page = preview.content.decode()
    assert counts() == before, "the preview wrote something"
    confirm = client.post(reverse("imports:confirm", kwargs={"token": token}))
    if 'id="import-errors"' in page:
        event("errors shown in the preview")
        assert "Confirm import" not in page
        error_table = page.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r'<th scope="row">', error_table)
        assert rows and len(ROW_NAMES.findall(error_table)) == len(rows)
        assert confirm.status_code == 404  # the refused file was removed at the preview
        assert not list(uploads.upload_dir().iterdir())
        assert counts() == before, "a file with errors wrote something"
    else:
        event("previewed and imported")
        assert "Confirm import" in page
        assert confirm.status_code == 302
        log = ImportLog.objects.order_by("-pk").first()
        assert log.user == user
        assert Observation.objects.count() + Target.objects.count() - before[0] - before[2] == (
            log.created
        )
