"""export_observations: the import layout out again, so an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators import store
from indicators.importing import COLUMNS
from indicators.models import Comparator, Observation, Target
from tests import factories


@pytest.fixture
def figures(db):
    """Rhondda Cynon Taf with its comparators and targets, and figures nobody should see in its
    export: Cardiff's own and England's."""
    valleys = factories.RegionFactory(name="South East Wales", nation="wales")
    rct = factories.AuthorityFactory(
        name="Rhondda Cynon Taf", gss_code="W06000016", nation="wales", region=valleys
    )
    cardiff = factories.AuthorityFactory(name="Cardiff", gss_code="W06000015", nation="wales")
    wales = factories.ComparatorFactory(name="Wales average", nation="wales")
    england = factories.ComparatorFactory(name="England", nation="england")
    region = factories.ComparatorFactory(
        name="South East Wales average", kind="regional", region=valleys, nation="wales"
    )
    neighbours = factories.ComparatorFactory(
        name="RCT statistical neighbours (mean)",
        kind="neighbours",
        neighbour_group=factories.NeighbourGroupFactory(authority=rct),
        statistic="mean",
    )
    allocated = factories.IndicatorFactory(code="SCC/013aii", unit="percent", decimals=2)
    seen = factories.IndicatorFactory(code="SCC/011a", unit="percent", decimals=1)
    plans = factories.IndicatorFactory(code="CP/plans", unit="count", decimals=0)

    def observe(subject, indicator, period, **figures):
        where = {"comparator": subject, "authority": None}
        if not isinstance(subject, Comparator):
            where = {"authority": subject}
        defaults = {"numerator": None, "denominator": None, "value": None, "source": ""}
        value, warnings = store.check_figures(
            indicator,
            figures.get("numerator"),
            figures.get("denominator"),
            figures.get("value"),
            figures.get("withheld", ""),
        )
        return factories.ObservationFactory(
            indicator=indicator,
            period=factories.PeriodFactory(code=period),
            **where,
            **(defaults | figures | {"value": value, "warnings": warnings}),
        )

    observe(rct, allocated, "2014-15", numerator=Decimal(393), denominator=Decimal(621))
    observe(
        rct,
        allocated,
        "2013-14",
        numerator=Decimal(1588),
        denominator=Decimal(1600),
        value=Decimal(70),
    )  # a published value the counts contradict: stored with a warning
    observe(rct, allocated, "2012-13", value=Decimal("94.4"), note='=HYPERLINK("http://x")')
    observe(rct, allocated, "2011-12", value=Decimal("63.285"), source="+44 SSWA return")
    observe(rct, seen, "2014-15", value=Decimal(19), status="provisional")
    observe(rct, plans, "2014-15 Q1", numerator=Decimal(5), denominator=Decimal(7), withheld="c")
    observe(rct, plans, "2014-15", value=Decimal(509))
    observe(rct, plans, "2014-15 Q4", value=Decimal(509))
    observe(rct, plans, "2015-03-31", value=Decimal(509), note="-2 on last year")
    observe(cardiff, allocated, "2014-15", value=Decimal(80))
    observe(wales, allocated, "2014-15", value=Decimal("75.83"), source="StatsWales")
    observe(england, allocated, "2014-15", value=Decimal(77))
    observe(region, allocated, "2014-15", value=Decimal("74.1"))
    observe(neighbours, allocated, "2014-15", value=Decimal("73.25"))
    factories.TargetFactory(
        authority=rct,
        indicator=allocated,
        period=factories.PeriodFactory(code="2015-16"),
        value=Decimal(90),
        note="@ the Corporate Parenting Board's request",
    )
    factories.TargetFactory(
        authority=cardiff,
        indicator=allocated,
        period=factories.PeriodFactory(code="2015-16"),
        value=Decimal(85),
    )
    return rct


def export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_observations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def export_csv(tmp_path: Path, *args: str) -> list[dict[str, str]]:
    path = tmp_path / "export.csv"
    export(*args, "--out", str(path))
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def rct_rows(rows, indicator="SCC/013aii"):
    return {
        r["period"]: r
        for r in rows
        if r["authority"] == "Rhondda Cynon Taf" and r["indicator"] == indicator
    }


def test_numbers_print_plainly_to_the_indicators_decimals(figures, tmp_path):
    rows = export_csv(tmp_path)

    allocated = rct_rows(rows)
    assert [allocated["2014-15"][c] for c in ("numerator", "denominator", "value")] == [
        "393",
        "621",
        "63.29",
    ]
    assert allocated["2013-14"]["numerator"] == "1588"  # not 1588.0000
    assert allocated["2013-14"]["value"] == "70.00"
    assert allocated["2012-13"]["value"] == "94.40"
    assert allocated["2011-12"]["value"] == "63.285"  # more places than the indicator's: kept
    assert rct_rows(rows, "SCC/011a")["2014-15"]["value"] == "19.0"
    assert rct_rows(rows, "CP/plans")["2015-03-31"]["value"] == "509"
    wales = next(r for r in rows if r["authority"] == "Wales average")
    assert (wales["value"], wales["comparator"], wales["source"]) == ("75.83", "yes", "StatsWales")


def test_withheld_values_export_as_their_marker(figures, tmp_path):
    withheld = rct_rows(export_csv(tmp_path), "CP/plans")["2014-15 Q1"]

    assert (withheld["numerator"], withheld["denominator"], withheld["value"]) == ("5", "7", "c")


def test_authority_export_has_its_rows_its_targets_and_its_comparators_only(figures, tmp_path):
    rows = export_csv(tmp_path, "--authority", "rhondda cynon taf")

    subjects = [(r["authority"], r["comparator"]) for r in rows]
    assert sorted(set(subjects)) == [
        ("RCT statistical neighbours (mean)", "yes"),
        ("Rhondda Cynon Taf", ""),
        ("Rhondda Cynon Taf", "target"),
        ("South East Wales average", "yes"),
        ("Wales average", "yes"),
    ]
    target = next(r for r in rows if r["comparator"] == "target")
    assert (target["period"], target["value"], target["numerator"]) == ("2015-16", "90.00", "")


def test_rows_are_ordered_by_subject_indicator_and_period_end(figures, tmp_path):
    rows = export_csv(tmp_path, "--authority", "W06000016")

    assert [(r["authority"], r["indicator"], r["period"], r["comparator"]) for r in rows] == [
        ("Rhondda Cynon Taf", "CP/plans", "2014-15 Q1", ""),
        # Same end date: shortest period first, as Period's own ordering has it.
        ("Rhondda Cynon Taf", "CP/plans", "2015-03-31", ""),
        ("Rhondda Cynon Taf", "CP/plans", "2014-15 Q4", ""),
        ("Rhondda Cynon Taf", "CP/plans", "2014-15", ""),
        ("Rhondda Cynon Taf", "SCC/011a", "2014-15", ""),
        ("Rhondda Cynon Taf", "SCC/013aii", "2011-12", ""),
        ("Rhondda Cynon Taf", "SCC/013aii", "2012-13", ""),
        ("Rhondda Cynon Taf", "SCC/013aii", "2013-14", ""),
        ("Rhondda Cynon Taf", "SCC/013aii", "2014-15", ""),
        ("Rhondda Cynon Taf", "SCC/013aii", "2015-16", "target"),
        ("Wales average", "SCC/013aii", "2014-15", "yes"),
        ("South East Wales average", "SCC/013aii", "2014-15", "yes"),
        ("RCT statistical neighbours (mean)", "SCC/013aii", "2014-15", "yes"),
    ]


def test_indicator_filter_matches_codes_loosely(figures, tmp_path):
    rows = export_csv(tmp_path, "--authority", "Rhondda Cynon Taf", "--indicator", "scc011a")

    assert [(r["authority"], r["indicator"], r["period"]) for r in rows] == [
        ("Rhondda Cynon Taf", "SCC/011a", "2014-15")
    ]


def test_formula_like_text_is_neutralised_in_csv(figures, tmp_path):
    allocated = rct_rows(export_csv(tmp_path))

    assert allocated["2012-13"]["note"] == '\'=HYPERLINK("http://x")'
    assert allocated["2011-12"]["source"] == "'+44 SSWA return"
    assert rct_rows(export_csv(tmp_path), "CP/plans")["2015-03-31"]["note"] == "'-2 on last year"
    assert allocated["2015-16"]["note"] == "'@ the Corporate Parenting Board's request"
    assert allocated["2014-15"]["numerator"] == "393"  # numbers are numbers: no apostrophe


def test_formula_like_text_is_a_string_cell_in_xlsx(figures, tmp_path):
    path = tmp_path / "export.xlsx"
    export("--authority", "Rhondda Cynon Taf", "--out", str(path))

    with zipfile.ZipFile(path) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == COLUMNS
    notes = [row[8] for row in sheet.iter_rows(min_row=2)]
    hyperlink = next(cell for cell in notes if cell.value and cell.value.startswith("=HYPER"))
    assert hyperlink.data_type == "s"
    values = {(row[1].value, row[2].value): row[5] for row in sheet.iter_rows(min_row=2)}
    assert values[("SCC/013aii", "2012-13")].value == pytest.approx(94.4)
    assert values[("SCC/013aii", "2012-13")].number_format == "0.00"
    assert values[("CP/plans", "2014-15 Q1")].value == "c"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_export_imports_back_with_every_row_unchanged(figures, tmp_path, suffix):
    path = tmp_path / f"export{suffix}"
    before = list(Observation.objects.values().order_by("pk"))
    targets_before = list(Target.objects.values().order_by("pk"))
    stdout, _ = export("--out", str(path))
    assert "exported 16 rows" in stdout

    out = io.StringIO()
    call_command("import_observations", str(path), stdout=out, stderr=io.StringIO())

    assert "created 0, updated 0, unchanged 16, warnings 1" in out.getvalue()
    assert list(Observation.objects.values().order_by("pk")) == before
    assert list(Target.objects.values().order_by("pk")) == targets_before


def test_out_dash_writes_csv_to_stdout(figures):
    stdout, stderr = export(
        "--authority", "Rhondda Cynon Taf", "--indicator", "SCC/011a", "--out", "-"
    )

    assert stdout.splitlines() == [
        ",".join(COLUMNS),
        "Rhondda Cynon Taf,SCC/011a,2014-15,,,19.0,percent,,,",
    ]
    assert "exported 1 rows" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--authority", "Atlantis", "--out", "-"], "no authority called 'Atlantis'"),
        (["--indicator", "SCC/999", "--out", "-"], "no indicator with code 'SCC/999'"),
        (["--out", "export.txt"], "must end in .csv or .xlsx"),
        (["--out", "/no/such/folder/export.csv"], "does not exist"),
    ],
)
def test_bad_options_are_clear_errors(figures, args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)
