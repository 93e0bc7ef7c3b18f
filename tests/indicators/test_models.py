"""What the database itself guarantees, whatever code writes to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from indicators.models import Authority, Observation, Period, Target


@pytest.fixture
def period(db) -> Period:
    return Period.objects.for_code("2014-15")


def make(**fields) -> Observation:
    return Observation.objects.create(**fields)


def test_one_observation_per_authority_indicator_and_period(council_a, lac_allocated, period):
    make(authority=council_a, indicator=lac_allocated, period=period, value=Decimal("63.28"))
    with pytest.raises(IntegrityError), transaction.atomic():
        make(authority=council_a, indicator=lac_allocated, period=period, value=Decimal("1"))


def test_one_observation_per_comparator_indicator_and_period(wales_average, lac_allocated, period):
    make(comparator=wales_average, indicator=lac_allocated, period=period, value=Decimal(96))
    with pytest.raises(IntegrityError), transaction.atomic():
        make(comparator=wales_average, indicator=lac_allocated, period=period, value=Decimal(95))


def test_an_observation_belongs_to_an_authority_or_a_comparator_not_both(
    council_a, wales_average, lac_allocated, period
):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(
            authority=council_a,
            comparator=wales_average,
            indicator=lac_allocated,
            period=period,
            value=Decimal(1),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        make(indicator=lac_allocated, period=period, value=Decimal(1))


@pytest.mark.parametrize("field", ["numerator", "denominator", "value"])
def test_the_database_refuses_negative_figures(council_a, lac_allocated, period, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(authority=council_a, indicator=lac_allocated, period=period, **{field: Decimal(-1)})


def test_a_withheld_figure_cannot_also_have_a_value(council_a, lac_allocated, period):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(
            authority=council_a,
            indicator=lac_allocated,
            period=period,
            withheld="c",
            value=Decimal(0),
        )


def test_a_target_is_unique_and_not_negative(council_a, lac_allocated, period):
    Target.objects.create(authority=council_a, indicator=lac_allocated, period=period, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(authority=council_a, indicator=lac_allocated, period=period, value=2)


def test_every_change_to_an_observation_keeps_its_history(council_a, lac_allocated, period):
    obs = make(authority=council_a, indicator=lac_allocated, period=period, value=Decimal("63.28"))
    obs.value = Decimal("63.29")
    obs._change_reason = "corrected from the case-management system"
    obs.save()
    history = list(obs.history.order_by("history_date"))
    assert [h.value for h in history] == [Decimal("63.28"), Decimal("63.29")]
    assert history[-1].history_change_reason == "corrected from the case-management system"


def test_periods_are_rows_created_once_and_ordered_by_end_date(db):
    q4 = Period.objects.for_code("2014-15 Q4")
    year = Period.objects.for_code("2014-15")
    q1 = Period.objects.for_code("2014-15 q1")
    assert Period.objects.for_code("2014-15 Q1") == q1
    assert list(Period.objects.all()) == [q1, q4, year]
    assert (q1.label, year.label) == ("2014/15 Q1", "2014/15")


def test_authorities_are_found_by_name_alias_slug_or_gss_code(council_a):
    council_a.aliases.create(name="RCT")
    for text in [
        "Rhondda Cynon Taf",
        " rhondda cynon TAF ",
        "rct",
        "rhondda-cynon-taf",
        "W06000016",
    ]:
        assert Authority.objects.matching(text) == council_a, text
    assert Authority.objects.matching("Atlantis") is None
    assert council_a.slug == "rhondda-cynon-taf"
