from decimal import Decimal

import pytest

from workforce import derive
from workforce.models import PostCost


def post(salary: int, ni: int, superannuation: int) -> PostCost:
    return PostCost(
        salary=Decimal(salary), employer_ni=Decimal(ni), superannuation=Decimal(superannuation)
    )


ACM_GR9 = post(27123, 2441, 5777)
SW_GR11 = post(32778, 2950, 6982)


def test_post_total_cost_is_salary_plus_ni_plus_superannuation():
    assert derive.post_total_cost(Decimal(27123), Decimal(2441), Decimal(5777)) == 35341
    assert derive.total_cost(SW_GR11) == 42710


def test_variance_is_computed_from_the_totals_not_taken_from_the_paper():
    # Seed 000 prints £7,368, but £42,710 - £35,341 is £7,369.
    assert derive.cost_variance(ACM_GR9, SW_GR11) == 7369
    assert derive.cost_variance(SW_GR11, ACM_GR9) == -7369


@pytest.mark.parametrize(
    ("establishment", "filled", "rate"),
    [
        ("32", "24", "25.0"),  # seed 000: 32 ACM posts, 24 filled
        ("29", "27", "6.9"),
        ("10", "12", "0.0"),  # over establishment is no vacancy, not a negative one
    ],
)
def test_vacancy_rate(establishment, filled, rate):
    assert derive.vacancy_rate(Decimal(establishment), Decimal(filled)) == Decimal(rate)


def test_vacancy_rate_needs_both_figures_and_a_non_zero_establishment():
    assert derive.vacancy_rate(None, Decimal(3)) is None
    assert derive.vacancy_rate(Decimal(0), Decimal(0)) is None


@pytest.mark.parametrize(
    ("permanent", "agency", "printed"),
    [
        ("61", "39", "61:39"),  # seed 004, November 2015
        ("43", "57", "43:57"),  # seed 004, September 2014
        ("48.5", "31", "61:39"),  # FTE: 61.0% permanent
        ("1", "2", "33:67"),  # the parts always add to 100
    ],
)
def test_permanent_agency_ratio_prints_like_the_paper(permanent, agency, printed):
    assert derive.permanent_agency_ratio(Decimal(permanent), Decimal(agency)) == printed


def test_permanent_agency_ratio_of_nobody_is_blank():
    assert derive.permanent_agency_ratio(Decimal(0), Decimal(0)) == ""


def test_qualified_to_unqualified_ratio_from_seed_000_staff_ratio():
    # 31/03/2015: SW 63.8 + SP 26.5 FTE qualified against 31.4 FTE of ACMs.
    qualified = Decimal("63.8") + Decimal("26.5")
    assert derive.qualified_unqualified_ratio(qualified, Decimal("31.4")) == Decimal("2.9")
    assert derive.percentage_split(qualified, Decimal("31.4")) == (74, 26)
    assert derive.qualified_unqualified_ratio(qualified, Decimal(0)) is None


def test_vacancy_rate_from_reported_vacancies_when_filled_is_not_given():
    # Seed 002 (Halton): establishment 29 FTE, 2 vacancies; filled not given.
    assert derive.vacancy_rate(Decimal(29), None, vacant=Decimal(2)) == Decimal("6.9")
    assert derive.reported_vacancies(Decimal(29), None, None) is None
    assert derive.reported_vacancies(Decimal(32), Decimal(24), None) == 8
    assert derive.vacancy_rate(None, None, vacant=Decimal(2)) is None


def test_agency_share_of_staff_in_post():
    assert derive.agency_share(Decimal(31), Decimal("79.5")) == Decimal("39.0")
    assert derive.agency_share(None, Decimal(10)) is None  # not reported is not 0%
    assert derive.permanent_fte(Decimal("79.5"), Decimal(31)) == Decimal("48.5")
    assert derive.permanent_fte(Decimal(3), Decimal(5)) == 0


def test_an_agency_role_is_all_agency_unless_a_figure_says_otherwise():
    assert derive.agency_fte(None, Decimal(6), agency_role=True) == 6
    assert derive.agency_fte(Decimal(4), Decimal(6), agency_role=True) == 4
    assert derive.agency_fte(None, Decimal(6), agency_role=False) is None
