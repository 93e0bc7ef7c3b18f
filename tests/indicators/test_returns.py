"""The quarterly return's rules, as an officer meets them."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import returns
from indicators.returns import ALLOCATIONS, REFERRALS

UNITS = {
    **dict.fromkeys(
        ["SCC/013ai", "SCC/013aii", "SCC/013aiii", "SCC/013bi", "SCC/013bii", "SCC/013biii"],
        ("percent", 2),
    ),
    **dict.fromkeys(["SCC/007a", "SCC/007b", "SCC/011a", "SCC/011b"], ("percent", 0)),
    "looked_after_children": ("count", 0),
    "referrals": ("count", 0),
}

GOOD_ALLOCATIONS = {
    "cp_open": "449",
    "cp_social_worker": "447",
    "cp_other": "2",
    "lac_open": "621",
    "lac_social_worker": "393",
    "lac_other": "227",
    "cin_open": "1,588",
    "cin_social_worker": "1077",
    "cin_other": "365",
}


def by_code(figures):
    return {f.indicator: f for f in figures}


def test_393_of_621_looked_after_cases_gives_scc013aii_of_63_29():
    counts, errors = returns.validate(ALLOCATIONS, GOOD_ALLOCATIONS)
    assert errors == {}
    figures = by_code(returns.derive_quarter(ALLOCATIONS, counts, UNITS))
    assert figures["SCC/013aii"].value == D("63.29")
    assert (figures["SCC/013aii"].numerator, figures["SCC/013aii"].denominator) == (393, 621)
    assert figures["looked_after_children"].value == D(621)


@pytest.mark.parametrize(
    ("line", "text", "words"),
    [
        ("lac_open", "", "Enter open looked after cases"),
        ("lac_open", "six", "must be a whole number"),
        ("lac_open", "12.5", "whole number of cases"),
        ("lac_open", "-3", "must be 0 or more"),
        ("lac_open", "NaN", "must be a whole number"),
        ("lac_open", "1e99", "too large"),
    ],
)
def test_each_bad_count_is_named_by_its_line(line, text, words):
    _, errors = returns.validate(ALLOCATIONS, {**GOOD_ALLOCATIONS, line: text})
    assert list(errors) == [line]
    assert words in errors[line]


def test_allocated_cases_cannot_outnumber_open_cases():
    raw = {**GOOD_ALLOCATIONS, "lac_social_worker": "500", "lac_other": "200"}
    _, errors = returns.validate(ALLOCATIONS, raw)
    assert list(errors) == ["lac_social_worker"]
    assert "700 is more than 621" in errors["lac_social_worker"]


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"seen": "101"}, "seen"),
        ({"seen_alone": "81"}, "seen_alone"),
        ({"referrals_social_worker": "90", "referrals_other": "20"}, "referrals_social_worker"),
    ],
)
def test_seen_alone_within_seen_within_assessments(changes, line):
    raw = {
        "referrals": "100",
        "referrals_social_worker": "70",
        "referrals_other": "20",
        "assessments": "100",
        "seen": "80",
        "seen_alone": "40",
        **changes,
    }
    _, errors = returns.validate(REFERRALS, raw)
    assert line in errors


def test_a_jump_of_more_than_half_on_20_or_more_cases_is_a_warning():
    counts, _ = returns.validate(ALLOCATIONS, GOOD_ALLOCATIONS)
    previous = {**counts, "lac_open": 400, "cp_open": 10}
    warnings = returns.jump_warnings(ALLOCATIONS, {**counts, "cp_open": 16}, previous)
    assert list(warnings) == ["lac_open"]  # 400 -> 621 is +55%; 10 -> 16 is too few cases
    assert "+55%" in warnings["lac_open"]


def test_no_warning_without_last_quarter_or_within_half():
    counts, _ = returns.validate(ALLOCATIONS, GOOD_ALLOCATIONS)
    assert returns.jump_warnings(ALLOCATIONS, counts, None) == {}
    assert returns.jump_warnings(ALLOCATIONS, counts, {**counts, "lac_open": 500}) == {}


def test_a_year_of_referrals_is_the_sum_of_counts_not_the_mean_of_percentages():
    quarters = [
        {
            "referrals": 10,
            "referrals_social_worker": 9,
            "referrals_other": 0,
            "assessments": 10,
            "seen": 5,
            "seen_alone": 1,
        },
        {
            "referrals": 300,
            "referrals_social_worker": 150,
            "referrals_other": 100,
            "assessments": 290,
            "seen": 200,
            "seen_alone": 90,
        },
        {
            "referrals": 290,
            "referrals_social_worker": 145,
            "referrals_other": 90,
            "assessments": 280,
            "seen": 190,
            "seen_alone": 80,
        },
        {
            "referrals": 400,
            "referrals_social_worker": 200,
            "referrals_other": 150,
            "assessments": 390,
            "seen": 300,
            "seen_alone": 120,
        },
    ]
    year = by_code(returns.derive_year(REFERRALS, quarters, UNITS))
    assert (year["SCC/007a"].numerator, year["SCC/007a"].denominator) == (504, 1000)
    assert year["SCC/007a"].value == D(50)  # 504 / 1000
    quarterly = [by_code(returns.derive_quarter(REFERRALS, q, UNITS)) for q in quarters]
    mean = sum(q["SCC/007a"].value for q in quarterly) / 4
    assert mean == D("60.00")  # (90 + 50 + 50 + 50) / 4: what averaging would wrongly print
    assert year["referrals"].value == D(1000)


def test_a_year_of_allocations_is_its_last_quarter():
    q3 = {**returns.validate(ALLOCATIONS, GOOD_ALLOCATIONS)[0], "lac_social_worker": 300}
    q4 = returns.validate(ALLOCATIONS, GOOD_ALLOCATIONS)[0]
    year = by_code(returns.derive_year(ALLOCATIONS, [q3, q4], UNITS))
    assert year["SCC/013aii"].value == D("63.29")


@settings(max_examples=200)
@given(
    raw=st.dictionaries(
        st.sampled_from(ALLOCATIONS.line_names),
        st.one_of(st.text(max_size=12), st.integers(-(10**9), 10**9).map(str)),
    )
)
def test_any_submission_is_either_clean_counts_or_errors_naming_lines(raw):
    counts, errors = returns.validate(ALLOCATIONS, raw)
    assert set(errors) <= set(ALLOCATIONS.line_names)
    if not errors:
        assert set(counts) == set(ALLOCATIONS.line_names)
        assert all(isinstance(v, int) and v >= 0 for v in counts.values())
        for figure in returns.derive_quarter(ALLOCATIONS, counts, UNITS):
            assert figure.value is None or D(0) <= figure.value
