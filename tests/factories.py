"""factory_boy factories for the indicators app: realistic defaults taken from the seed papers
(Welsh councils, SCC indicators, financial years), overridable per test."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from indicators.models import (
    Authority,
    AuthorityAlias,
    Comparator,
    ComparatorKind,
    Indicator,
    Measure,
    Nation,
    NeighbourGroup,
    Observation,
    Period,
    Polarity,
    Region,
    Target,
    Theme,
    Unit,
)


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Region {n}")
    nation = Nation.ENGLAND


class AuthorityFactory(DjangoModelFactory):
    class Meta:
        model = Authority
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Council {n}")
    gss_code = factory.Sequence(lambda n: f"W06{n:06d}")
    nation = Nation.WALES
    region = None


class AuthorityAliasFactory(DjangoModelFactory):
    class Meta:
        model = AuthorityAlias

    authority = factory.SubFactory(AuthorityFactory)
    name = factory.Sequence(lambda n: f"Council {n}, County of")


class NeighbourGroupFactory(DjangoModelFactory):
    class Meta:
        model = NeighbourGroup

    authority = factory.SubFactory(AuthorityFactory)
    method = "DfE statistical neighbours 2025"


class ComparatorFactory(DjangoModelFactory):
    class Meta:
        model = Comparator
        django_get_or_create = ("name",)

    name = "Wales average"
    kind = ComparatorKind.NATIONAL
    nation = Nation.WALES
    source = "Welsh Government, Local Authority Performance Indicators"


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SCC/{n:03d}a")
    title = factory.LazyAttribute(lambda o: f"Indicator {o.code}")
    unit = Unit.PERCENT
    decimals = 2
    polarity = Polarity.HIGHER
    measure = Measure.STOCK
    framework = "wales"
    theme = Theme.ALLOCATIONS


class PeriodFactory(DjangoModelFactory):
    """A period by its code (`2014-15`, `2014-15 Q1`, `2014-07`, `2014-07-31`), as the app
    makes them: through `Period.objects.for_code`, so dates always agree with the code."""

    class Meta:
        model = Period

    code = "2014-15"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.for_code(kwargs["code"])


class ObservationFactory(DjangoModelFactory):
    """An authority's figure; pass `authority=None, comparator=...` for a comparator's."""

    class Meta:
        model = Observation

    authority = factory.SubFactory(AuthorityFactory)
    comparator = None
    indicator = factory.SubFactory(IndicatorFactory)
    period = factory.SubFactory(PeriodFactory)
    numerator = Decimal(393)
    denominator = Decimal(621)
    value = Decimal("63.29")
    source = "Local return"


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    authority = factory.SubFactory(AuthorityFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    period = factory.SubFactory(PeriodFactory)
    value = Decimal(90)
