from decimal import Decimal

import pytest

from indicators.models import Observation
from tests import factories


@pytest.mark.django_db
def test_factories_build_a_consistent_set_of_rows():
    region = factories.RegionFactory(name="West Midlands")
    authority = factories.AuthorityFactory(
        name="Herefordshire", gss_code="E06000019", nation="england", region=region
    )
    alias = factories.AuthorityAliasFactory(authority=authority, name="Herefordshire, County of")
    group = factories.NeighbourGroupFactory(authority=authority)
    comparator = factories.ComparatorFactory(name="England", nation="england")
    indicator = factories.IndicatorFactory(code="SCC/013aii")
    quarter = factories.PeriodFactory(code="2014-15 q1")
    observation = factories.ObservationFactory(
        authority=authority, indicator=indicator, period=quarter
    )
    comparator_figure = factories.ObservationFactory(
        authority=None, comparator=comparator, indicator=indicator, period=quarter
    )
    target = factories.TargetFactory(authority=authority, indicator=indicator, period=quarter)

    assert authority.slug == "herefordshire" and alias.name_key == "herefordshire county of"
    assert group.authority == authority
    assert indicator.normalised_code == "SCC013AII"
    assert (quarter.code, str(quarter.start_date), str(quarter.end_date)) == (
        "2014-15 Q1",
        "2014-04-01",
        "2014-06-30",
    )
    assert factories.PeriodFactory(code="2014-15 Q1") == quarter  # one row per period
    assert observation.value == Decimal("63.29") and observation.subject == authority
    assert comparator_figure.subject == comparator
    assert target.value == Decimal(90)
    assert Observation.objects.count() == 2


@pytest.mark.django_db
def test_factory_defaults_make_distinct_authorities_and_indicators():
    first, second = factories.AuthorityFactory.create_batch(2)
    assert first.name != second.name and first.gss_code != second.gss_code
    assert factories.IndicatorFactory().code != factories.IndicatorFactory().code
