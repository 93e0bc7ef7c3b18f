"""Read API: `/api/v1/observations/?authority=&indicator=&period=` (CONTRACT.md).

Each result carries the same fields as a row of the import/export file, so a script can move
figures between the two without translation. Provisional figures are shown only to users who
act for that council (and administrators); everyone signed in sees final figures.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

from council_reports.models import Role
from indicators import codes
from indicators.models import Authority, Comparator, Indicator, Observation


def plain_number(number: Decimal | None) -> int | float | None:
    """12.0000 -> 12 and 75.8300 -> 75.83: counts as integers, fractions as they are."""
    if number is None:
        return None
    if number == number.to_integral_value():
        return int(number)
    return float(number.normalize())


class ObservationSerializer(serializers.ModelSerializer):
    authority = serializers.SerializerMethodField()
    indicator = serializers.CharField(source="indicator.code")
    period = serializers.CharField(source="period.code")
    numerator = serializers.SerializerMethodField()
    denominator = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField()
    unit = serializers.CharField(source="indicator.unit")
    comparator = serializers.SerializerMethodField()
    withheld_reason = serializers.SerializerMethodField()

    class Meta:
        model = Observation
        fields = [
            "authority",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "value",
            "unit",
            "comparator",
            "status",
            "warnings",
            "withheld_reason",
            "source",
            "note",
        ]

    def get_authority(self, obs: Observation) -> str:
        return obs.subject.name

    def get_comparator(self, obs: Observation) -> str:
        return "yes" if obs.comparator_id else ""

    def get_numerator(self, obs: Observation):
        return plain_number(obs.numerator)

    def get_denominator(self, obs: Observation):
        return plain_number(obs.denominator)

    def get_value(self, obs: Observation):
        """The figure to the indicator's decimals, or the withheld marker (as in exports)."""
        if obs.withheld:
            return obs.withheld
        if obs.value is None:
            return None
        return float(round(obs.value, obs.indicator.decimals))

    def get_withheld_reason(self, obs: Observation) -> str:
        return obs.get_withheld_display() if obs.withheld else ""


class ObservationPagination(LimitOffsetPagination):
    """`?limit=&offset=` as settings.REST_FRAMEWORK has it, with a ceiling on the limit: a
    limit past what the database can count to (`?limit=99999999999999999999`) was a server
    error, not an answer. A larger limit gets this many, and `next` for the rest."""

    max_limit = 10_000


class ObservationList(generics.ListAPIView):
    serializer_class = ObservationSerializer
    pagination_class = ObservationPagination

    def get_queryset(self):
        params = self.request.query_params
        qs = Observation.objects.select_related("authority", "comparator", "indicator", "period")
        errors: dict[str, str] = {}
        for key in ("authority", "indicator", "period"):
            # PostgreSQL refuses a NUL in a query; no name, code or period holds one.
            if "\x00" in params.get(key, ""):
                errors[key] = _("must not contain null characters")
        if errors:
            raise ValidationError(errors)
        if name := params.get("authority", "").strip():
            authority = Authority.objects.matching(name)
            comparator = (
                None
                if authority
                else Comparator.objects.filter(
                    Q(name_key=codes.normalise_name(name)) | Q(slug=name.lower())
                ).first()
            )
            if authority:
                qs = qs.filter(authority=authority)
            elif comparator:
                qs = qs.filter(comparator=comparator)
            else:
                errors["authority"] = _("no authority or comparator called %(name)r") % {
                    "name": name
                }
        if code := params.get("indicator", "").strip():
            indicator = Indicator.objects.filter(
                normalised_code=codes.normalise_indicator_code(code)
            ).first()
            if indicator is None:
                errors["indicator"] = _("no indicator with code %(code)r") % {"code": code}
            else:
                qs = qs.filter(indicator=indicator)
        if period := params.get("period", "").strip():
            try:
                qs = qs.filter(period__code=codes.parse_period(period).code)
            except codes.PeriodError as exc:
                errors["period"] = str(exc)
        if errors:
            raise ValidationError(errors)
        return self._visible(qs).order_by("indicator__normalised_code", "period__end_date", "pk")

    def _visible(self, qs):
        user = self.request.user
        # As on the council pages: authors (who draft papers) and administrators see
        # provisional figures; others see them only for the councils they act for.
        if user.role in (Role.ADMIN, Role.AUTHOR) or user.is_superuser:
            return qs
        return qs.filter(
            Q(status=Observation.Status.FINAL) | Q(authority__in=user.authorities.all())
        )
