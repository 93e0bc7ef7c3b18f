import datetime as dt

import pytest

from indicators import codes


@pytest.mark.parametrize("text", ["SCC/013aii", "SCC013aii", "scc/013AII", " SCC / 013aii "])
def test_indicator_codes_match_ignoring_case_spaces_and_slash(text):
    assert codes.normalise_indicator_code(text) == "SCC013AII"
    assert codes.indicator_slug(text) == "scc013aii"


def test_snake_case_local_codes_keep_their_underscores():
    assert codes.indicator_slug("cp_cases_held_by_acm") == "cp_cases_held_by_acm"


def test_financial_year_runs_april_to_march():
    spec = codes.parse_period("2014-15")
    assert (spec.kind, spec.start, spec.end, spec.financial_year) == (
        "year",
        dt.date(2014, 4, 1),
        dt.date(2015, 3, 31),
        2014,
    )


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2014-15 Q1", dt.date(2014, 4, 1), dt.date(2014, 6, 30)),
        ("2014-15 Q3", dt.date(2014, 10, 1), dt.date(2014, 12, 31)),
        ("2014-15 q4", dt.date(2015, 1, 1), dt.date(2015, 3, 31)),
    ],
)
def test_quarters_are_of_the_financial_year(text, start, end):
    spec = codes.parse_period(text)
    assert (spec.start, spec.end, spec.financial_year) == (start, end, 2014)


def test_month_and_as_at_date_belong_to_the_financial_year_they_fall_in():
    assert codes.parse_period("2015-02").financial_year == 2014
    assert codes.parse_period("2015-04").financial_year == 2015
    assert codes.parse_period("2015-03-31").kind == "as_at"
    assert codes.parse_period("2015-03-31").financial_year == 2014


@pytest.mark.parametrize("text", ["2014-16", "2014", "2014-13-01", "2015-02-30", "Q1 2014", ""])
def test_bad_periods_are_refused_with_a_message(text):
    with pytest.raises(codes.PeriodError):
        codes.parse_period(text)


def test_names_match_ignoring_case_spacing_and_ampersand():
    assert codes.normalise_name("  Rhondda  Cynon TAF ") == codes.normalise_name(
        "rhondda cynon taf"
    )
    assert codes.normalise_name("Brighton & Hove") == codes.normalise_name("Brighton and Hove")
    assert codes.authority_slug("Rhondda Cynon Taf") == "rhondda-cynon-taf"


def test_a_year_that_does_not_follow_is_called_a_bad_financial_year_not_a_bad_month():
    with pytest.raises(codes.PeriodError, match="not a financial year"):
        codes.parse_period("2014-16")
    with pytest.raises(codes.PeriodError, match="not a financial year"):
        codes.parse_period("2014-00")


@pytest.mark.parametrize("text", ["2010-11", "2011-12", "2005-06", "2010/11"])
def test_a_code_whose_second_part_is_the_next_year_is_a_financial_year(text):
    spec = codes.parse_period(text)
    assert spec.kind == "year"
    assert spec.start.month == 4 and spec.end.year == spec.start.year + 1


def test_such_a_month_is_written_with_its_name_and_round_trips():
    spec = codes.parse_period("Nov 2010")
    assert (spec.kind, spec.code, spec.start, spec.end) == (
        "month",
        "Nov 2010",
        dt.date(2010, 11, 1),
        dt.date(2010, 11, 30),
    )
    assert codes.parse_period(spec.code) == spec
    assert codes.parse_period("July 2014").code == "2014-07"
    assert codes.parse_period("2014-07").code == "2014-07"
