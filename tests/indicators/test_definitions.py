"""Indicator definitions as reviewed TOML (indicators/definitions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from indicators.definitions import DefinitionError, load_definitions, read_definitions
from indicators.models import Indicator

GOOD = """
[[indicator]]
code = "cin_rereferral_percent"
title = "Re-referrals within 12 months"
definition = "Share of referrals within a year of the last."
numerator = "Re-referrals."
denominator = "Referrals."
unit = "percent"
decimals = 1
polarity = "lower"
measure = "flow"
framework = "england"
theme = "referrals"
source = "DfE"

[indicator.dfe]
file = "c1_children_in_need_referrals"
value = "rereferral_percent"
period_rule = "year_ending_march"

[[indicator]]
code = "SCC/013aii"
title = "Open LAC cases with an allocated social worker"
unit = "percent"
decimals = 2
polarity = "higher"
measure = "stock"
framework = "wales"
theme = "allocations"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "definitions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_definitions_file_in_the_repository_reads():
    for path in sorted((Path(settings.BASE_DIR) / "fixtures" / "indicators").glob("*.toml")):
        assert read_definitions(path), path.name


def test_loading_twice_changes_nothing_and_keeps_history(db, tmp_path):
    path = write(tmp_path, GOOD)
    first = load_definitions(path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = load_definitions(path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    rereferral = Indicator.objects.get(code="cin_rereferral_percent")
    assert (rereferral.numerator_definition, rereferral.official) == ("Re-referrals.", False)
    assert Indicator.objects.get(code="SCC/013aii").official is True
    assert rereferral.history.count() == 1

    write(tmp_path, GOOD.replace('polarity = "lower"', 'polarity = "neither"'))
    third = load_definitions(path)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    rereferral.refresh_from_db()
    assert rereferral.polarity == "neither"
    assert [h.polarity for h in rereferral.history.all()] == ["neither", "lower"]
    assert rereferral.history.first().history_change_reason == "load_definitions definitions.toml"


def test_codes_match_as_normalised(db, tmp_path):
    Indicator.objects.create(
        code="SCC013AII",
        title="old",
        unit="percent",
        polarity="higher",
        measure="stock",
        framework="wales",
        theme="allocations",
    )
    load_definitions(write(tmp_path, GOOD))
    assert Indicator.objects.get(normalised_code="SCC013AII").code == "SCC/013aii"


def test_errors_name_the_indicator_and_the_key(db, tmp_path):
    text = (
        GOOD.replace('unit = "percent"\ndecimals = 1', 'unit = "percentage"\ndecimals = 1')
        .replace('theme = "allocations"', 'theme = "allocations"\npolarty = "higher"')
        .replace("decimals = 2", 'decimals = "two"')
    )
    with pytest.raises(DefinitionError) as raised:
        load_definitions(write(tmp_path, text))
    problems = raised.value.problems
    assert (
        "definitions.toml: indicator 'cin_rereferral_percent': unit 'percentage' is not one of"
        in problems[0]
    )
    assert any("indicator 'SCC/013aii': unknown key 'polarty'" in p for p in problems)
    assert any("indicator 'SCC/013aii': 'decimals' must be a whole number" in p for p in problems)
    assert not Indicator.objects.exists()


def test_missing_keys_and_repeated_codes_are_errors(tmp_path):
    text = GOOD + '\n[[indicator]]\ncode = "SCC 013aii"\ntitle = "again"\n'
    with pytest.raises(DefinitionError) as raised:
        read_definitions(write(tmp_path, text))
    messages = "\n".join(raised.value.problems)
    assert "indicator 'SCC 013aii': 'unit' is missing" in messages

    text = GOOD + GOOD.split("[[indicator]]")[2].join(["[[indicator]]", ""])
    with pytest.raises(DefinitionError, match="code given twice"):
        read_definitions(write(tmp_path, text))


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(DefinitionError, match="not valid TOML"):
        read_definitions(write(tmp_path, "[[indicator]\ncode="))
