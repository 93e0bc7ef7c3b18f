"""Reading and mapping DfE files (indicators/dfe.py), on small hand-written files."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators import dfe
from indicators.definitions import DefinitionError, IndicatorDefinition
from indicators.models import (
    Authority,
    AuthorityAlias,
    Comparator,
    ImportLog,
    Indicator,
    Nation,
    Observation,
    Region,
)

B1_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,Anypoint_child,Started_episodes,"
    "Ended_episodes,At31_episodes\n"
)


def b1_file(tmp_path: Path, *rows: str, bom: bool = True) -> Path:
    path = tmp_path / "b1_children_in_need_2025.csv"
    path.write_text(("\ufeff" if bom else "") + B1_HEADER + "".join(rows), encoding="utf-8")
    return path


def la_row(year: str, code: str, gss: str, name: str, figures: str) -> str:
    return (
        f"{year},Reporting year,Local authority,E92000001,England,E12000002,North West,"
        f"{code},{gss},{name},{figures}\n"
    )


@pytest.mark.parametrize(
    ("rule", "time_period", "period"),
    [
        ("year_ending_march", "2025", "2024-25"),
        ("year_ending_march", "202425", "2024-25"),
        ("as_at_30_september", "2025", "2025-09-30"),
        ("mid_year", "2024", "2024-06-30"),
    ],
)
def test_period_rules(rule, time_period, period):
    assert dfe.period_code(rule, time_period) == period


@pytest.mark.parametrize(
    ("rule", "time_period"), [("year_ending_march", "2025/26"), ("mid_year", "202425")]
)
def test_period_rules_reject_other_years(rule, time_period):
    with pytest.raises(ValueError, match="time_period"):
        dfe.period_code(rule, time_period)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("19", (Decimal("19"), "")),
        (" 71.60 ", (Decimal("71.60"), "")),
        ("c", (None, "c")),
        ("x", (None, "x")),
        ("z", (None, "z")),
        ("u", (None, "u")),
        ("low", (None, "low")),
        ("LOW", (None, "low")),
    ],
)
def test_cells_are_numbers_or_dfe_markers(text, parsed):
    assert dfe.parse_cell(text) == parsed


def test_a_cell_keeps_the_places_it_was_printed_with():
    assert dfe.parse_cell("71.60")[0].as_tuple().exponent == -2


@pytest.mark.parametrize("text", [":", "..", "1,234", "n/a", "", "1e5"])
def test_other_text_in_a_figure_cell_is_an_error(text):
    with pytest.raises(ValueError):
        dfe.parse_cell(text)


def test_dfe_tables_are_checked():
    bad = IndicatorDefinition(
        code="thing",
        fields={},
        tables={"dfe": {"file": "b1", "value": "x", "period_rule": "fiscal", "colour": 1}},
    )
    with pytest.raises(DefinitionError) as raised:
        dfe.dfe_measures([bad])
    text = str(raised.value)
    assert "indicator 'thing'" in text
    assert "period_rule 'fiscal'" in text
    assert "unknown key 'colour'" in text


def test_a_small_file_with_bom_and_markers_imports(db, tmp_path):
    path = b1_file(tmp_path, la_row("2025", "876", "E06000006", "Halton", "c,x,low,u"))
    report = dfe.run_import([path])
    assert report.total("created") == 4
    halton = Authority.objects.get()
    assert (halton.old_la_code, halton.region.name, halton.active) == ("876", "North West", True)
    markers = dict(Observation.objects.values_list("indicator__code", "withheld"))
    assert markers == {
        "cin_children_in_year": "c",
        "cin_episodes_started": "x",
        "cin_episodes_ended": "low",
        "cin_at_31_march": "u",
    }
    assert not Observation.objects.exclude(value=None).exists()
    dry = dfe.run_import([path], dry_run=True)
    assert (dry.total("created"), dry.total("unchanged")) == (0, 4)


def test_a_bad_file_on_an_empty_database_writes_nothing(db, tmp_path):
    path = b1_file(
        tmp_path,
        "2025,Reporting year,National,E92000001,England,,,,,,10,5,4,3\n",
        la_row("2025", "876", "E06000006", "Halton", "c,x,2,"),
        la_row("2025", "87", "E06000007", "Warrington", "1,2,3,4"),
    )
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_dfe", str(path), stderr=err)
    assert raised.value.returncode == 1
    assert f"{path.name}:row 3: column At31_episodes: is blank" in err.getvalue()
    assert f"{path.name}:row 4: old_la_code '87' is not a three-digit LA code" in err.getvalue()
    for model in (Indicator, Authority, Region, Comparator, Observation, ImportLog):
        assert not model.objects.exists(), model


def test_a_named_file_no_indicator_reads_is_an_error(db, tmp_path):
    path = tmp_path / "a1_something_else.csv"
    path.write_text("time_period,geographic_level\n2025,National\n", encoding="utf-8")
    with pytest.raises(dfe.DfeImportError) as raised:
        dfe.run_import([path])
    assert "no indicator in england_dfe.toml reads this file" in str(raised.value.problems[0])


def test_a_council_whose_old_code_was_reused_is_one_authority_with_the_newest_gss(db, tmp_path):
    # North Yorkshire became a unitary council in 2023 and kept LA code 815.
    path = b1_file(
        tmp_path,
        la_row("2023", "815", "E10000023", "North Yorkshire", "1,1,1,1"),
        la_row("2024", "815", "E06000065", "North Yorkshire", "2,2,2,2"),
    )
    dfe.run_import([path])
    council = Authority.objects.get()
    assert council.gss_code == "E06000065"
    assert council.observations.count() == 8


def test_a_stored_gss_code_changes_only_when_the_files_show_the_change(db, tmp_path):
    council = Authority.objects.create(
        name="Barnsley", gss_code="E08000038", old_la_code="370", nation=Nation.ENGLAND
    )
    older = b1_file(tmp_path, la_row("2025", "370", "E08000016", "Barnsley", "1,1,1,1"))
    dfe.run_import([older])
    council.refresh_from_db()
    assert council.gss_code == "E08000038"


def test_a_different_name_for_a_stored_council_becomes_an_alias(db, tmp_path):
    Authority.objects.create(name="Halton", gss_code="E06000006", nation=Nation.ENGLAND)
    path = b1_file(tmp_path, la_row("2025", "876", "E06000006", "Borough of Halton", "1,2,3,4"))
    dfe.run_import([path])
    assert Authority.objects.get().old_la_code == "876"
    assert list(AuthorityAlias.objects.values_list("name", flat=True)) == ["Borough of Halton"]
    dfe.run_import([path])
    assert AuthorityAlias.objects.count() == 1


def test_a_council_with_only_x_and_z_in_the_latest_year_is_inactive(db, tmp_path):
    path = b1_file(
        tmp_path,
        la_row("2023", "909", "E10000006", "Cumbria", "1,1,1,1"),
        la_row("2024", "909", "E10000006", "Cumbria", "x,z,x,z"),
        la_row("2024", "942", "E06000063", "Cumberland", "1,1,1,1"),
    )
    dfe.run_import([path])
    assert dict(Authority.objects.values_list("name", "active")) == {
        "Cumbria": False,
        "Cumberland": True,
    }


def test_progress_is_shown_only_on_a_terminal(db, tmp_path):
    path = b1_file(tmp_path, la_row("2025", "876", "E06000006", "Halton", "1,2,3,4"))
    out = io.StringIO()
    call_command("import_dfe", str(path), stdout=out)
    assert "\r" not in out.getvalue()
    assert "rows/s" in out.getvalue()
