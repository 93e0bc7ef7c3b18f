"""import_observations: every row checked before anything is written (CONTRACT.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import importing
from indicators.models import (
    Authority,
    ImportLog,
    Indicator,
    Observation,
    Target,
)
from tests import factories

HEADER = ["authority", "indicator", "period", "numerator", "denominator", "value", "comparator"]


@pytest.fixture
def council(db):
    """Rhondda Cynon Taf, the Wales average and two of the Welsh allocation indicators."""
    rct = factories.AuthorityFactory(name="Rhondda Cynon Taf", gss_code="W06000016")
    factories.AuthorityAliasFactory(authority=rct, name="RCT")
    factories.AuthorityFactory(name="Cardiff", gss_code="W06000015")
    factories.ComparatorFactory(name="Wales average")
    factories.IndicatorFactory(code="SCC/013aii", unit="percent", decimals=2)
    factories.IndicatorFactory(code="SCC/011a", unit="percent", decimals=1)
    factories.IndicatorFactory(code="CP/plans", unit="count", decimals=0)
    return rct


def write_csv(folder: Path, rows: list[list[str]], header=HEADER, name="figures.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_observations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failed_import(path: Path, *args: str) -> str:
    """Run an import that must fail with exit status 1; returns what it printed on stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_observations", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return err.getvalue()


def nothing_written() -> bool:
    return (
        Observation.objects.count() == 0
        and Target.objects.count() == 0
        and ImportLog.objects.count() == 0
    )


def rct(indicator="SCC/013aii", period="2014-15", numerator="393", denominator="621", value=""):
    return ["Rhondda Cynon Taf", indicator, period, numerator, denominator, value, ""]


# --- All or nothing --------------------------------------------------------------------------


def test_import_writes_nothing_when_one_row_is_bad(council, tmp_path):
    path = write_csv(
        tmp_path,
        [rct(period="2013-14"), ["Atlantis", "SCC/013aii", "2014-15", "1", "2", "", ""], rct()],
    )

    stderr = failed_import(path)

    assert "row 3: unknown authority 'Atlantis'" in stderr
    assert "row 2" not in stderr and "row 4" not in stderr
    assert nothing_written()


def test_import_reports_every_bad_row_not_just_the_first(council, tmp_path):
    path = write_csv(
        tmp_path,
        [rct(numerator="lots"), rct(period="2014/16"), rct(indicator="SCC/999")],
    )

    stderr = failed_import(path)

    assert stderr.splitlines()[:3] == [
        "row 2: numerator 'lots' is not a number",
        "row 3: bad period: '2014/16' is not a financial year: the second year must follow "
        "the first (e.g. 2014-15)",
        "row 4: unknown indicator 'SCC/999' (use --create-missing to add a new indicator)",
    ]
    assert nothing_written()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["Atlantis", "SCC/013aii", "2014-15", "1", "2", "", ""], "unknown authority 'Atlantis'"),
        (["", "SCC/013aii", "2014-15", "1", "2", "", ""], "authority is blank"),
        (
            ["Wales average", "SCC/013aii", "2014-15", "", "", "75", ""],
            "unknown authority 'Wales average'; it is a comparator: put yes in the comparator",
        ),
        (
            ["Cardiff", "SCC/013aii", "2014-15", "", "", "75", "yes"],
            "unknown comparator 'Cardiff'; it is an authority: leave comparator blank",
        ),
        (
            ["Cardiff", "SCC/013aii", "2014-15", "", "", "75", "maybe"],
            "comparator 'maybe' must be blank",
        ),
        (rct(indicator="SCC/999"), "unknown indicator 'SCC/999' (use --create-missing"),
        (rct(indicator=""), "indicator is blank"),
        (rct(period="2014/16"), "bad period: '2014/16' is not a financial year"),
        (rct(period="2015-02-30"), "bad period: '2015-02-30' is not a real date"),
        (rct(period=""), "period is blank"),
        (rct(numerator="about 400"), "numerator 'about 400' is not a number"),
        (rct(denominator="6,21"), "denominator '6,21' is not a number: a comma may only"),
        (rct(numerator="c"), "numerator 'c' is a withheld marker; only value can be withheld"),
        (rct(value="-5", numerator="", denominator=""), "value '-5' is negative"),
        (rct(denominator="-621"), "denominator '-621' is negative"),
        (
            rct(numerator="700", denominator="621"),
            "numerator 700 is above denominator 621: a percentage cannot exceed 100",
        ),
        (rct(numerator="393", denominator=""), "denominator is missing"),
        (rct(numerator="", denominator=""), "no value: give a value, or numerator and"),
        (rct(numerator="0", denominator="0"), "denominator is 0, so no value can be derived"),
        (rct(value="1e3", numerator="", denominator=""), "value '1e3' is not a number"),
        (rct(value="NaN", numerator="", denominator=""), "value 'NaN' is not a number"),
        (
            rct(value="9" * 15, numerator="", denominator=""),
            f"value '{'9' * 15}' is too large (14 digits at most)",
        ),
    ],
)
def test_each_kind_of_bad_row_is_an_error_naming_the_row(council, tmp_path, row, message):
    path = write_csv(tmp_path, [rct(period="2013-14"), row])

    stderr = failed_import(path)

    assert f"row 3: {message}" in stderr
    assert nothing_written()


def test_a_key_repeated_with_different_figures_names_the_earlier_row(council, tmp_path):
    path = write_csv(tmp_path, [rct(), rct(period="2013-14"), rct(numerator="394")])

    stderr = failed_import(path)

    assert (
        "row 4: repeats row 2 (same authority, indicator and period) with a different figures"
        in stderr
    )
    assert nothing_written()


def test_identical_repeated_rows_are_kept_once_silently(council, tmp_path):
    # The same figure spelled three ways is one row: codes and names match loosely.
    path = write_csv(
        tmp_path,
        [
            rct(),
            ["RHONDDA CYNON TAF ", "scc/013AII", "2014-15", "393", "621", "63.29", ""],
            rct(),
        ],
    )

    stdout, stderr = run_import(path)

    assert "created 1, updated 0, unchanged 0, warnings 0" in stdout
    assert stderr == ""
    assert Observation.objects.count() == 1


def test_unknown_column_is_an_error_on_the_header_row(council, tmp_path):
    path = write_csv(tmp_path, [rct() + ["x"]], header=[*HEADER, "colour"])

    stderr = failed_import(path)

    assert "row 1: unknown column 'colour' (column H)" in stderr
    assert nothing_written()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["authority", "indicator", "value"], "row 1: missing column: period"),
        (
            ["authority", "indicator", "period", "numerator"],
            "row 1: missing column: value (or both numerator and denominator)",
        ),
        (["authority", "indicator", "period", "value", "Value"], "row 1: column value appears"),
    ],
)
def test_missing_or_repeated_columns_are_errors(council, tmp_path, header, message):
    path = write_csv(tmp_path, [["x"] * len(header)], header=header)

    assert message in failed_import(path)
    assert nothing_written()


def test_a_value_under_no_column_name_is_an_error(council, tmp_path):
    path = write_csv(tmp_path, [[*rct(), "stray"]])

    assert "row 2: a value ('stray') in column H, which has no column name" in failed_import(path)


# --- Files that are not what they say --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\xef\xbb\xbf\r\n , \r\n", "the file is empty"),
        ("header.csv", b"authority,indicator,period,value\r\n", "a header but no rows"),
        ("garbage.csv", bytes(range(256)) * 4, "row 1: the file holds binary data"),
        (
            "latin1.csv",
            b"authority,indicator,period,value\nYnys M\xf4n,SCC/013aii,2014-15,1\n",
            "row 2: the file is not UTF-8 text",
        ),
        ("figures.txt", b"authority,indicator,period,value\n", "not a .csv or .xlsx file"),
        ("book.csv", b"PK\x03\x04rest-of-a-zip", "is an XLSX workbook, not CSV text"),
        ("text.xlsx", b"authority,indicator,period,value\n", "is not an XLSX workbook"),
        ("broken.xlsx", b"PK\x03\x04not really a zip", "cannot be opened as an XLSX workbook"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old Excel .xls"),
        ("quote.csv", b'authority,indicator,period,value\n"RCT,x,2014-15,1\n', "cannot be read"),
    ],
)
def test_unreadable_files_are_a_clear_error_and_write_nothing(
    council, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)

    assert message in failed_import(path)
    assert nothing_written()


def test_a_missing_file_is_a_clear_error(council, tmp_path):
    assert "does not exist" in failed_import(tmp_path / "nowhere.csv")


# --- Reading ---------------------------------------------------------------------------------


def test_csv_with_byte_order_mark_and_any_header_order(council, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeff Value ,PERIOD,Indicator,Authority\r\n63.29,2014-15,SCC/013aii,Rhondda Cynon Taf\r\n".encode()
    )

    stdout, _ = run_import(path)

    assert "created 1," in stdout
    assert Observation.objects.get().value == Decimal("63.29")


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(council, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "authority,indicator,period,value\n"
        "Rhondda Cynon Taf,SCC/013aii,2014-15,60\n"
        ",,,\n"
        "Rhondda Cynon Taf,SCC/013aii,2014/16,60\n"
    )

    assert "row 4: bad period" in failed_import(path)


def test_xlsx_first_sheet_with_numbers_percent_cells_and_dates(council, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Authority", "Indicator", "Period", "Numerator", "Denominator", "Value"])
    sheet.append(["Rhondda Cynon Taf", "SCC/013aii", "2014-15", 1588, 1600, None])
    sheet.append(["W06000016", "SCC/011a", "2013-14", None, None, 0.7583])
    sheet["F3"].number_format = "0.00%"  # shows 75.83%
    sheet.append(["RCT", "CP/plans", "2014-15", None, None, 509.0])
    sheet.append(["RCT", "CP/plans", openpyxl.utils.datetime.from_ISO8601("2015-03-31"), 0, 0, 2])
    sheet.append(["RCT", "CP/plans", dt.datetime(2014, 7, 1), None, None, 3])
    sheet["C6"].number_format = "mmm-yy"  # what Excel makes of a typed 2014-07
    workbook.create_sheet("notes").append(["anything", "on", "other", "sheets"])
    path = tmp_path / "figures.xlsx"
    workbook.save(path)

    stdout, _ = run_import(path)

    assert "created 5, updated 0, unchanged 0, warnings 0" in stdout
    values = {
        (o.indicator.code, o.period.code): o.value
        for o in Observation.objects.select_related("indicator", "period")
    }
    assert values == {
        ("SCC/013aii", "2014-15"): Decimal("99.25"),
        ("SCC/011a", "2013-14"): Decimal("75.83"),
        ("CP/plans", "2014-15"): Decimal(509),
        ("CP/plans", "2015-03-31"): Decimal(2),
        ("CP/plans", "2014-07"): Decimal(3),
    }


def test_xlsx_errors_use_the_sheets_row_numbers(council, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["authority", "indicator", "period", "value"])
    sheet.append(["Rhondda Cynon Taf", "SCC/013aii", "2014-15", 60])
    sheet.append([])
    sheet.append(["Rhondda Cynon Taf", "SCC/013aii", "2013-14", "#DIV/0!"])
    path = tmp_path / "figures.xlsx"
    workbook.save(path)

    assert "row 4: value '#DIV/0!' is not a number" in failed_import(path)
    assert nothing_written()


@pytest.mark.parametrize("code", ["SCC/013aii", "SCC013aii", "scc/013AII", " SCC / 013aii "])
def test_indicator_codes_match_ignoring_case_spaces_and_slash(council, tmp_path, code):
    path = write_csv(tmp_path, [rct(indicator=code)])

    run_import(path)

    assert Observation.objects.get().indicator.code == "SCC/013aii"


@pytest.mark.parametrize("name", ["Rhondda Cynon Taf", "  rhondda cynon TAF", "W06000016", "RCT"])
def test_authority_by_name_gss_code_or_alias(council, tmp_path, name):
    path = write_csv(tmp_path, [[name, "SCC/013aii", "2014-15", "393", "621", "", ""]])

    run_import(path)

    assert Observation.objects.get().authority == council


@pytest.mark.parametrize(
    "text", ["Rhondda Cynon Taf", "rhondda  cynon taf", "rhondda-cynon-taf", "w06000016", "rct"]
)
def test_authority_lookup_agrees_with_the_models_matching(council, text):
    assert importing._Lookups().authority(text) == Authority.objects.matching(text) == council


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1,588", 1588), (" 1 588 ", 1588), ("75.83%", Decimal("75.83")), ("£1,234.50", 1234.5)],
)
def test_numbers_as_spreadsheets_print_them(council, tmp_path, cell, expected):
    path = write_csv(tmp_path, [["RCT", "CP/plans", "2014-15", "", "", cell, ""]])

    run_import(path)

    assert Observation.objects.get().value == Decimal(expected)


def test_more_decimal_places_than_stored_are_rounded_half_up_so_reimport_is_unchanged(
    council, tmp_path
):
    path = write_csv(tmp_path, [rct(numerator="", denominator="", value="63.28502415")])

    run_import(path)
    stdout, _ = run_import(path)

    assert Observation.objects.get().value == Decimal("63.2850")
    assert "unchanged 1" in stdout


# --- Figures ---------------------------------------------------------------------------------


def test_value_is_derived_from_counts_rounding_half_up(council, tmp_path):
    path = write_csv(tmp_path, [rct(numerator="393", denominator="621", value="")])

    run_import(path)

    observation = Observation.objects.get()
    assert (observation.numerator, observation.denominator) == (393, 621)
    assert observation.value == Decimal("63.29")  # 63.2850... rounds up, not to even
    assert observation.warnings == []


def test_published_value_disagreeing_with_counts_is_kept_with_a_warning(council, tmp_path):
    path = write_csv(tmp_path, [rct(numerator="393", denominator="621", value="70")])

    stdout, _ = run_import(path)

    observation = Observation.objects.get()
    assert observation.value == Decimal(70)
    message = (
        "published value 70 disagrees with 393 / 621 = 63.29 beyond rounding; "
        "the published value is kept"
    )
    assert observation.warnings == [message]
    assert "created 1, updated 0, unchanged 0, warnings 1" in stdout
    assert f"row 2: warning: {message}" in stdout


def test_published_value_within_its_rounding_has_no_warning(council, tmp_path):
    # 18.6% published as a whole number: 19 is right.
    path = write_csv(
        tmp_path, [rct(indicator="SCC/011a", numerator="186", denominator="1000", value="19")]
    )

    stdout, _ = run_import(path)

    assert "warnings 0" in stdout
    assert Observation.objects.get().warnings == []


@pytest.mark.parametrize("marker", ["c", "X", " z ", "u", "LOW"])
def test_withheld_markers_are_stored_as_withheld_never_as_zero(council, tmp_path, marker):
    path = write_csv(tmp_path, [rct(numerator="", denominator="", value=marker)])

    run_import(path)

    observation = Observation.objects.get()
    assert observation.withheld == marker.strip().lower()
    assert observation.value is None


def test_comparator_rows_are_stored_against_the_comparator(council, tmp_path):
    path = write_csv(
        tmp_path,
        [
            ["Wales average", "SCC/013aii", "2014-15", "", "", "75.83", "yes"],
            ["wales-average", "SCC/013aii", "2013-14", "", "", "74.10", "YES"],
            rct(),
        ],
    )

    stdout, _ = run_import(path)

    assert "created 3," in stdout
    comparator_figures = Observation.objects.for_comparators()
    assert sorted(o.value for o in comparator_figures) == [Decimal("74.10"), Decimal("75.83")]
    assert {o.comparator.name for o in comparator_figures} == {"Wales average"}
    assert Observation.objects.for_authorities().get().authority == council


def test_target_rows_are_stored_as_targets(council, tmp_path):
    path = write_csv(
        tmp_path,
        [
            ["Rhondda Cynon Taf", "SCC/013aii", "2015-16", "", "", "90", "target"],
            ["Rhondda Cynon Taf", "SCC/013aii", "2015-16", "", "", "88", ""],
        ],
    )

    stdout, _ = run_import(path)

    assert "created 2," in stdout
    target = Target.objects.get()
    assert (target.authority, target.indicator.code, target.period.code, target.value) == (
        council,
        "SCC/013aii",
        "2015-16",
        Decimal(90),
    )
    assert Observation.objects.get().value == Decimal(88)


@pytest.mark.parametrize(
    ("numerator", "value", "message"),
    [
        ("", "c", "a target cannot be withheld (c)"),
        ("", "", "a target needs a value"),
        ("5", "90", "a target takes a value only"),
    ],
)
def test_targets_take_a_value_only(council, tmp_path, numerator, value, message):
    path = write_csv(
        tmp_path,
        [["RCT", "SCC/013aii", "2015-16", numerator, "10" if numerator else "", value, "target"]],
    )

    assert f"row 2: {message}" in failed_import(path)


# --- Writing ---------------------------------------------------------------------------------


def test_running_the_same_file_again_changes_nothing(council, tmp_path):
    path = write_csv(
        tmp_path,
        [
            rct(),
            rct(period="2013-14", value="70"),
            rct(period="2012-13", numerator="", denominator="", value="c"),
            ["Wales average", "SCC/013aii", "2014-15", "", "", "75.83", "yes"],
            ["RCT", "SCC/013aii", "2015-16", "", "", "90", "target"],
        ],
    )
    run_import(path)

    stdout, _ = run_import(path)

    assert "created 0, updated 0, unchanged 5, warnings 1" in stdout
    assert ImportLog.objects.count() == 2


def test_an_updated_row_keeps_the_old_figure_in_its_history(council, tmp_path):
    run_import(write_csv(tmp_path, [rct(numerator="380", denominator="621")], name="q1.csv"))

    stdout, _ = run_import(write_csv(tmp_path, [rct()], name="q2.csv"))

    assert "created 0, updated 1, unchanged 0" in stdout
    observation = Observation.objects.get()
    assert observation.value == Decimal("63.29")
    history = list(observation.history.order_by("history_date", "history_id"))
    assert [h.numerator for h in history] == [380, 393]
    assert [h.value for h in history] == [Decimal("61.19"), Decimal("63.29")]


def test_dry_run_checks_and_counts_but_writes_nothing(council, tmp_path):
    path = write_csv(tmp_path, [rct(), rct(period="2013-14", value="70")])

    stdout, _ = run_import(path, "--dry-run")

    assert "created 2, updated 0, unchanged 0, warnings 1" in stdout
    assert "dry run: nothing was written" in stdout
    assert nothing_written()


def test_dry_run_still_reports_errors_with_exit_status_1(council, tmp_path):
    path = write_csv(tmp_path, [rct(period="2014/16")])

    assert "row 2: bad period" in failed_import(path, "--dry-run")


def test_import_log_records_who_which_file_and_counts(council, tmp_path):
    officer = get_user_model().objects.create_user("officer.rct")
    path = write_csv(tmp_path, [rct(), rct(period="2013-14", value="70")])

    run_import(path, "--user", "officer.rct")

    log = ImportLog.objects.get()
    assert (log.command, log.filename, log.user, log.run_by) == (
        "import_observations",
        str(path),
        officer,
        "officer.rct",
    )
    assert (log.rows, log.created, log.updated, log.unchanged, log.warnings) == (2, 2, 0, 0, 1)
    assert Observation.objects.filter(updated_by=officer).count() == 2


def test_unknown_user_is_an_error(council, tmp_path):
    path = write_csv(tmp_path, [rct()])

    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run_import(path, "--user", "nobody")


def test_provisional_flag_marks_the_observations_provisional(council, tmp_path):
    run_import(write_csv(tmp_path, [rct()]), "--provisional")

    assert Observation.objects.get().status == Observation.Status.PROVISIONAL


def test_blank_note_or_source_leaves_the_stored_text_alone(council, tmp_path):
    header = [*HEADER, "note", "source"]
    run_import(write_csv(tmp_path, [[*rct(), "Includes re-referrals", "CareFirst"]], header=header))

    run_import(write_csv(tmp_path, [[*rct(numerator="392"), "", ""]], header=header))

    observation = Observation.objects.get()
    assert (observation.numerator, observation.note, observation.source) == (
        392,
        "Includes re-referrals",
        "CareFirst",
    )


# --- --create-missing ------------------------------------------------------------------------

NEW_HEADER = [*HEADER, "unit"]


def test_create_missing_adds_the_indicator_with_decimals_from_the_file(council, tmp_path):
    path = write_csv(
        tmp_path,
        [
            [*rct(indicator="SCC/042b", numerator="", denominator="", value="12.25"), "days"],
            [
                *rct(
                    indicator="SCC042b", numerator="", denominator="", value="9.5", period="2013-14"
                ),
                "",
            ],
            [
                *rct(indicator="cp_cases_held_by_acm", numerator="", denominator="", value="2"),
                "count",
            ],
        ],
        header=NEW_HEADER,
    )

    stdout, _ = run_import(path, "--create-missing")

    assert "new indicator: SCC/042b" in stdout and "created 3," in stdout
    days = Indicator.objects.get(code="SCC/042b")
    assert (days.unit, days.decimals, days.measure, days.polarity, days.framework) == (
        "days",
        2,
        "stock",
        "neither",
        "local",
    )
    assert days.official and days.title == "SCC/042b"
    local = Indicator.objects.get(code="cp_cases_held_by_acm")
    assert (local.decimals, local.official) == (0, False)
    assert Observation.objects.filter(indicator=days).count() == 2


def test_create_missing_percent_is_a_flow_with_one_decimal_when_no_value_is_given(
    council, tmp_path
):
    path = write_csv(
        tmp_path,
        [[*rct(indicator="SCC/006", numerator="3", denominator="4"), "percent"]],
        header=NEW_HEADER,
    )

    run_import(path, "--create-missing")

    indicator = Indicator.objects.get(code="SCC/006")
    assert (indicator.measure, indicator.decimals) == ("flow", 1)
    assert Observation.objects.get(indicator=indicator).value == Decimal("75.0")


def test_create_missing_needs_a_unit(council, tmp_path):
    path = write_csv(tmp_path, [[*rct(indicator="SCC/042b"), ""]], header=NEW_HEADER)

    stderr = failed_import(path, "--create-missing")

    assert "row 2: new indicator 'SCC/042b' needs a unit in the unit column" in stderr
    assert not Indicator.objects.filter(code="SCC/042b").exists()


def test_create_missing_creates_nothing_on_dry_run_or_when_another_row_is_bad(council, tmp_path):
    good = [*rct(indicator="SCC/042b", numerator="", denominator="", value="12"), "days"]
    run_import(write_csv(tmp_path, [good], header=NEW_HEADER), "--create-missing", "--dry-run")
    assert not Indicator.objects.filter(code="SCC/042b").exists()

    failed_import(
        write_csv(tmp_path, [good, [*rct(period="2014/16"), ""]], header=NEW_HEADER),
        "--create-missing",
    )
    assert not Indicator.objects.filter(code="SCC/042b").exists()
    assert nothing_written()


def test_create_missing_dry_run_counts_targets_of_the_new_indicator(council, tmp_path):
    path = write_csv(
        tmp_path,
        [["RCT", "SCC/042b", "2014-15", "", "", "12", "target", "days"]],
        header=NEW_HEADER,
    )
    factories.PeriodFactory(code="2014-15")

    stdout, _ = run_import(path, "--create-missing", "--dry-run")

    assert "created 1," in stdout


def test_a_unit_that_contradicts_the_indicator_is_an_error(council, tmp_path):
    path = write_csv(tmp_path, [[*rct(), "count"]], header=NEW_HEADER)

    assert "unit count does not match indicator SCC/013aii, whose unit is percent" in (
        failed_import(path)
    )


def test_new_indicator_rows_disagreeing_on_unit_name_the_earlier_row(council, tmp_path):
    path = write_csv(
        tmp_path,
        [
            [*rct(indicator="NEW/1", numerator="", denominator="", value="5"), "days"],
            [
                *rct(indicator="NEW/1", numerator="", denominator="", value="5", period="2013-14"),
                "fte",
            ],
        ],
        header=NEW_HEADER,
    )

    assert "row 3: unit fte differs from row 2" in failed_import(path, "--create-missing")


# --- The library functions -------------------------------------------------------------------


def test_parse_observations_previews_without_writing(council, tmp_path):
    path = write_csv(tmp_path, [rct(), rct(period="2014/16")])

    rows, errors = importing.parse_observations(path)

    assert [(r.row, r.authority, r.period_code, r.value) for r in rows] == [
        (2, council, "2014-15", Decimal("63.29"))
    ]
    assert errors == [
        (
            3,
            "bad period: '2014/16' is not a financial year: the second year must follow the "
            "first (e.g. 2014-15)",
        )
    ]
    assert nothing_written()


def test_import_observations_file_reports_errors_without_raising(council, tmp_path):
    report = importing.import_observations_file(write_csv(tmp_path, [rct(numerator="lots")]))

    assert not report.ok and report.result is None
    assert report.errors == [(2, "numerator 'lots' is not a number")]


def test_import_observations_file_reports_progress(council, tmp_path):
    seen: list[tuple[str, int, int]] = []
    path = write_csv(tmp_path, [rct(period=f"{y}-{(y + 1) % 100:02d}") for y in range(1990, 2015)])

    report = importing.import_observations_file(path, progress=lambda *step: seen.append(step))

    assert report.ok and report.result.created == 25
    assert ("checking", 25, 25) in seen and ("writing", 25, 25) in seen


# --- Property: garbage never escapes as an exception or a partial write ----------------------

GOOD_ROWS = [
    ["Rhondda Cynon Taf", "SCC/013aii", "2014-15", "393", "621", "", "", "", ""],
    ["W06000016", "scc013aii", "2013-14", "1,588", "1,600", "99.25", "", "note", ""],
    ["Wales average", "SCC/013aii", "2014-15", "", "", "75.83", "yes", "", "WG"],
    ["RCT", "SCC/011a", "2014-15 Q1", "", "", "c", "", "", ""],
    ["RCT", "SCC/011a", "2015-16", "", "", "90", "target", "", ""],
]
GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-1", "1e9", "c", "yes", "target", "2014/16", "=1+1", "'", '"', ",", "%"]),
    st.from_regex(r"\A[0-9,.%£ -]{0,8}\Z"),
)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(GOOD_ROWS) - 1), st.integers(0, 8), GARBAGE), max_size=4
    )
)
def test_garbage_cells_never_raise_and_never_write_part_of_a_file(council, changes):
    rows = [list(row) for row in GOOD_ROWS]
    for row, column, text in changes:
        rows[row][column] = text
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), rows, header=[*HEADER, "note", "source"])
        before = (Observation.objects.count(), Target.objects.count(), ImportLog.objects.count())

        report = importing.import_observations_file(path)

        after = (Observation.objects.count(), Target.objects.count(), ImportLog.objects.count())
    if report.ok:
        # Garbage can make one row an exact copy of another, which is kept once.
        assert after[2] == before[2] + 1
        assert 1 <= report.result.total <= len(rows)
    else:
        assert after == before
        assert all(isinstance(row, int) and message for row, message in report.errors)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes_are_refused_cleanly(council, content, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)

        report = importing.import_observations_file(path)

    assert not report.ok
    assert Observation.objects.count() == 0 and ImportLog.objects.count() == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(council, tmp_path):
    path = write_csv(tmp_path, [rct()])
    terminal = _Terminal()

    call_command("import_observations", str(path), "--dry-run", stdout=terminal)

    assert "\rchecking 1 of 1 rows" in terminal.getvalue()
    plain, _ = run_import(path, "--dry-run")
    assert "\r" not in plain


def test_unchanged_targets_are_checked_in_a_fixed_number_of_queries(
    tmp_path, council_a, lac_allocated
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from indicators.importing import import_observations_file
    from indicators.models import Target

    def target_file(years: int):
        path = tmp_path / f"targets_{years}.csv"
        lines = ["authority,indicator,period,value,comparator"]
        lines += [
            f"Rhondda Cynon Taf,SCC/013aii,{2000 + y}-{(y + 1) % 100:02d},95,target"
            for y in range(years)
        ]
        path.write_text("\n".join(lines) + "\n")
        return path

    queries = []
    for years in (3, 30):
        path = target_file(years)
        assert import_observations_file(path).ok  # first run creates them
        with CaptureQueriesContext(connection) as run:
            report = import_observations_file(path)
        assert (report.result.unchanged, report.result.created) == (years, 0)
        queries.append(len(run))
    assert Target.objects.count() == 30
    assert queries[0] == queries[1]
