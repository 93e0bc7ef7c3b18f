from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import derive
from indicators.derive import Direction, PeriodFigure, Rag


def test_percent_from_counts_rounds_half_up_to_the_indicators_decimals():
    # 393 of 621 looked-after cases = 63.2850...%: half up gives 63.29, not banker's 63.28.
    assert derive.value_from_counts(D(393), D(621), "percent", 2) == D("63.29")
    assert derive.round_half_up(D("0.125"), 2) == D("0.13")


def test_rate_per_10k_and_ratio_derive_but_counts_do_not():
    assert derive.value_from_counts(D(81770), D(12183016), "rate_per_10k", 0) == D(67)
    assert derive.value_from_counts(D(61), D(39), "ratio", 2) == D("1.56")
    assert derive.value_from_counts(D(5), D(10), "count", 0) is None


def test_zero_denominator_implies_no_value():
    assert derive.value_from_counts(D(0), D(0), "percent", 1) is None


def test_year_of_a_flow_percentage_is_sum_of_numerators_over_sum_of_denominators():
    quarters = [
        PeriodFigure(D(5), D(10)),  # 50%
        PeriodFigure(D(90), D(100)),  # 90%
        PeriodFigure(D(45), D(50)),  # 90%
        PeriodFigure(D(1), D(40)),  # 2.5%
    ]
    numerator, denominator, value = derive.roll_up_flow(quarters, "percent", 1)
    assert (numerator, denominator, value) == (D(141), D(200), D("70.5"))
    mean_of_percentages = sum(D(100) * q.numerator / q.denominator for q in quarters) / 4
    assert derive.round_half_up(mean_of_percentages, 1) == D("58.1")  # the wrong answer


def test_flow_roll_up_of_counts_sums_and_refuses_a_missing_quarter():
    counts = [PeriodFigure(None, None, D(v)) for v in (120, 130, 110, 140)]
    assert derive.roll_up_flow(counts, "count", 0) == (None, None, D(500))
    gap = [*counts[:3], PeriodFigure(None, None, None)]
    assert derive.roll_up_flow(gap, "count", 0) == (None, None, None)


def test_stock_year_value_is_the_value_at_the_years_end():
    quarters = [PeriodFigure(None, None, D(v)) for v in (509, 519, 528, 449)]
    assert derive.roll_up_stock(quarters).value == D(449)
    assert derive.roll_up_stock([]) is None


@pytest.mark.parametrize(
    ("previous", "latest", "polarity", "expected"),
    [
        ("68.70", "63.28", "higher", Direction.DECLINING),
        ("68.70", "63.28", "lower", Direction.IMPROVING),
        ("22.0", "19.0", "lower", Direction.IMPROVING),
        ("63.28", "63.28", "higher", Direction.STEADY),
        ("63.281", "63.284", "higher", Direction.STEADY),  # no change at printed precision
        ("339", "449", "neither", Direction.INCREASING),
        (None, "449", "higher", Direction.UNKNOWN),
    ],
)
def test_direction_of_travel_follows_polarity(previous, latest, polarity, expected):
    prev = D(previous) if previous else None
    assert derive.direction_of_travel(prev, D(latest), polarity, decimals=2) == expected


def test_neighbour_mean_and_median_leave_out_withheld_members():
    values = [D(10), D(20), None, D(60)]
    assert derive.neighbour_mean(values, 1) == D("30.0")
    assert derive.neighbour_median(values, 1) == D("20.0")
    assert derive.neighbour_median([D(10), D(20)], 1) == D("15.0")
    assert derive.neighbour_mean([None], 1) is None


@pytest.mark.parametrize(
    ("value", "target", "tolerance", "polarity", "expected"),
    [
        ("99.5", "99", "1", "higher", Rag.GREEN),
        ("98.5", "99", "1", "higher", Rag.AMBER),
        ("97.9", "99", "1", "higher", Rag.RED),
        ("0.39", "1", "0.25", "lower", Rag.GREEN),
        ("1.2", "1", "0.25", "lower", Rag.AMBER),
        ("1.3", "1", "0.25", "lower", Rag.RED),
        ("23", "22", "2", "neither", Rag.AMBER),
        ("22", "22", "0", "neither", Rag.GREEN),
    ],
)
def test_rag_against_target_with_tolerance_and_polarity(
    value, target, tolerance, polarity, expected
):
    assert derive.rag_status(D(value), D(target), D(tolerance), polarity) == expected
    assert derive.RAG_LABELS[expected]  # colour is never the only signal


def test_no_target_means_no_rag():
    assert derive.rag_status(D(1), None, D(0), "higher") == Rag.NONE


@pytest.mark.parametrize(
    ("value", "numerator", "denominator", "agrees"),
    [
        ("19", "1200", "6316", True),  # 19.0 published as a whole number
        ("63.28", "393", "621", True),  # 63.285 printed as 63.28 (publisher truncated)
        ("63.28", "391", "621", False),  # 62.96: more than a unit of the last place away
        ("63.28", "390", "621", False),
        ("0.39", "2", "509", True),
    ],
)
def test_published_value_agrees_with_counts_within_its_printed_rounding(
    value, numerator, denominator, agrees
):
    assert derive.agrees_with_counts(D(value), D(numerator), D(denominator), "percent") is agrees


@given(
    numerator=st.integers(min_value=0, max_value=10**6),
    extra=st.integers(min_value=0, max_value=10**6),
    decimals=st.integers(min_value=0, max_value=3),
)
def test_a_derived_percentage_always_agrees_with_its_own_counts(numerator, extra, decimals):
    denominator = numerator + extra
    value = derive.value_from_counts(D(numerator), D(denominator), "percent", decimals)
    if denominator == 0:
        assert value is None
    else:
        assert D(0) <= value <= D(100)
        assert derive.agrees_with_counts(value, D(numerator), D(denominator), "percent")


@pytest.mark.parametrize(
    "value, other, polarity, expected",
    [
        ("63.28", "96.00", "higher", ("32.72", "below", "worse")),
        ("0.49", "0.00", "lower", ("0.49", "above", "worse")),
        ("18.0", "22.6", "lower", ("4.60", "below", "better")),
        ("75.0", "70.0", "neither", ("5.00", "above", "neither")),
        ("63.284", "63.28", "higher", ("0", "level", "same")),  # equal as printed
    ],
)
def test_gap_to_a_comparator_in_words(value, other, polarity, expected):
    gap = derive.gap_to(D(value), D(other), polarity, 2)
    assert (str(gap.amount), gap.side, gap.standing) == expected


def test_gap_to_nothing_is_none():
    assert derive.gap_to(None, D(1), "higher", 2) is None
    assert derive.gap_to(D(1), None, "higher", 2) is None


@pytest.mark.parametrize(
    "denominator, unit, expected",
    [
        ("4", "percent", D(4)),
        ("19", "percent", D(19)),
        ("20", "percent", None),
        ("4", "count", None),
        (None, "percent", None),
    ],
)
def test_a_small_base_is_one_under_twenty_cases(denominator, unit, expected):
    amount = D(denominator) if denominator else None
    assert derive.small_base(amount, unit) == expected


def test_rank_shares_places_between_equal_figures_and_skips_withheld():
    others = [D("18.0"), D("20.0"), D("20.0"), None, D("30.0")]
    assert derive.rank_among(D("20.0"), others, "lower", 1) == derive.Rank(2, 4)
    assert derive.rank_among(D("30.0"), others, "lower", 1) == derive.Rank(4, 4)
    assert derive.rank_among(D("30.0"), others, "higher", 1) == derive.Rank(1, 4)
    assert derive.rank_among(None, others, "lower", 1) is None
    assert derive.rank_among(D("20.0"), others, "neither", 1) is None


@given(
    st.lists(st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)), max_size=30),
    st.sampled_from(["higher", "lower", "neither"]),
)
def test_ranking_all_at_once_agrees_with_ranking_each(values, polarity):
    assert derive.ranks(values, polarity, 1) == [
        derive.rank_among(v, values, polarity, 1) for v in values
    ]
