"""The data core: where figures come from (authorities and comparators), what they measure
(indicators), when (periods), and the figures themselves (observations and targets)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators import codes

FIGURE = {"max_digits": 18, "decimal_places": 4}


class Nation(models.TextChoices):
    WALES = "wales", _("Wales")
    ENGLAND = "england", _("England")


class Region(models.Model):
    """An English region (GSS E12...) or a Welsh grouping of councils."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    gss_code = models.CharField(_("GSS code"), max_length=9, blank=True)
    nation = models.CharField(_("nation"), max_length=10, choices=Nation.choices)

    class Meta:
        ordering = ["nation", "name"]
        verbose_name = _("region")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)


class AuthorityQuerySet(models.QuerySet):
    def matching(self, text: str) -> Authority | None:
        """The authority a user or a file names: by name, alias, slug or GSS code."""
        key = codes.normalise_name(text)
        # No name or code holds a NUL, and PostgreSQL refuses one in a query.
        if not key or "\x00" in text:
            return None
        found = (
            self.filter(
                Q(name_key=key) | Q(aliases__name_key=key) | Q(slug=key.replace(" ", "-"))
            ).first()
            or self.filter(gss_code__iexact=text.strip()).first()
        )
        return found


class Authority(models.Model):
    """A council with children's social services responsibilities."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    name_key = models.CharField(max_length=120, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    gss_code = models.CharField(
        _("GSS code"),
        max_length=9,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Office for National Statistics code, e.g. W06000016."),
    )
    old_la_code = models.CharField(
        _("old LA code"),
        max_length=3,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Three-digit DfE local authority code (English councils)."),
    )
    nation = models.CharField(_("nation"), max_length=10, choices=Nation.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorities",
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("False for councils merged or abolished."),
    )

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = codes.normalise_name(self.name)
        if not self.slug:
            self.slug = codes.authority_slug(self.name)
        super().save(*args, **kwargs)


class AuthorityAlias(models.Model):
    """Another name the same council goes by in a publication ("Herefordshire, County of")."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=120)
    name_key = models.CharField(max_length=120, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("authority alias")
        verbose_name_plural = _("authority aliases")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = codes.normalise_name(self.name)
        super().save(*args, **kwargs)


class NeighbourGroup(models.Model):
    """An authority's statistical neighbours under one model (e.g. DfE's 2025 SN model)."""

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="neighbour_groups"
    )
    method = models.CharField(
        _("method"),
        max_length=120,
        help_text=_("The model that chose the neighbours, e.g. 'DfE statistical neighbours 2025'."),
    )
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "method"], name="one_group_per_method")
        ]
        verbose_name = _("statistical neighbour group")

    def __str__(self) -> str:
        return f"{self.authority} – {self.method}"


class NeighbourMembership(models.Model):
    group = models.ForeignKey(NeighbourGroup, on_delete=models.CASCADE, related_name="members")
    neighbour = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the closest."))
    closeness = models.CharField(_("closeness"), max_length=40, blank=True)

    class Meta:
        ordering = ["group", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["group", "neighbour"], name="neighbour_once_per_group"),
            models.UniqueConstraint(fields=["group", "rank"], name="rank_once_per_group"),
        ]
        verbose_name = _("statistical neighbour")

    def __str__(self) -> str:
        return f"{self.rank}. {self.neighbour}"


class ComparatorKind(models.TextChoices):
    NATIONAL = "national", _("National average")
    REGIONAL = "regional", _("Regional average")
    NEIGHBOURS = "neighbours", _("Statistical neighbours")
    OTHER = "other", _("Other")


class Statistic(models.TextChoices):
    PUBLISHED = "published", _("As published")
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")


class Comparator(models.Model):
    """A series a council is measured against. Its values are observations with a source,
    except neighbour means and medians, which are derived from the members' own figures."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    name_key = models.CharField(max_length=120, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ComparatorKind.choices)
    nation = models.CharField(_("nation"), max_length=10, choices=Nation.choices, blank=True)
    region = models.OneToOneField(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="comparator"
    )
    neighbour_group = models.ForeignKey(
        NeighbourGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comparators",
    )
    statistic = models.CharField(
        _("statistic"), max_length=10, choices=Statistic.choices, default=Statistic.PUBLISHED
    )
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("comparator")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = codes.normalise_name(self.name)
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Financial year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")
    AS_AT = "as_at", _("As at a date")


class PeriodQuerySet(models.QuerySet):
    def for_code(self, code: str, *, create: bool = True) -> Period:
        """The period a code names, created on first use (periods are data, not code). With
        `create=False` a period not stored yet comes back unsaved, for a page that only shows
        (or refuses) something and must write nothing."""
        spec = codes.parse_period(code)
        fields = {
            "kind": spec.kind,
            "start_date": spec.start,
            "end_date": spec.end,
            "financial_year": spec.financial_year,
            "quarter": spec.quarter,
        }
        if not create:
            return self.filter(code=spec.code).first() or self.model(code=spec.code, **fields)
        period, _created = self.get_or_create(code=spec.code, defaults=fields)
        return period


class Period(models.Model):
    """A financial year, a quarter of one, a month, or an as-at date.

    Ordered by end date; every period belongs to the financial year (April-March) it ends in,
    which is how quarters roll up to years and how an as-at date finds its year.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=PeriodKind.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    financial_year = models.PositiveSmallIntegerField(
        _("financial year"), help_text=_("The year the financial year starts in: 2014 for 2014-15.")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["end_date", "-start_date"]  # a quarter before the year ending with it
        indexes = [models.Index(fields=["kind", "financial_year"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="period_ends_after_start"
            ),
        ]
        verbose_name = _("period")

    def __str__(self) -> str:
        return self.code

    @property
    def financial_year_code(self) -> str:
        return codes.financial_year_code(self.financial_year)

    @property
    def label(self) -> str:
        """How a paper prints it: 2014/15, 2014/15 Q1, Jul 2014, 31/03/2015."""
        return codes.period_label(self.kind, self.code, self.start_date, self.end_date)

    def is_future(self, today: dt.date | None = None) -> bool:
        return self.start_date > (today or dt.date.today())


class Unit(models.TextChoices):
    PERCENT = "percent", _("Percent")
    COUNT = "count", _("Count")
    RATE_PER_10K = "rate_per_10k", _("Rate per 10,000 children")
    DAYS = "days", _("Days")
    RATIO = "ratio", _("Ratio")
    GBP = "gbp", _("Money (£)")
    FTE = "fte", _("FTE")


class Polarity(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    NEITHER = "neither", _("Neither")


class Measure(models.TextChoices):
    FLOW = "flow", _("Flow (counted during a period)")
    STOCK = "stock", _("Stock (counted at a date)")


class Framework(models.TextChoices):
    WALES_NSI = "wales", _("Welsh Government NSIs and PAMs")
    ENGLAND_DFE = "england", _("DfE measures (England)")
    LOCAL = "local", _("Local")


class Theme(models.TextChoices):
    ALLOCATIONS = "allocations", _("Allocations")
    REFERRALS = "referrals", _("Referrals and assessments")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    LOOKED_AFTER = "looked_after", _("Looked after")
    IN_NEED = "in_need", _("In need")
    WORKFORCE = "workforce", _("Workforce")
    AUDITS = "audits", _("Audits")
    POPULATION = "population", _("Population")


class Indicator(models.Model):
    """What is measured. Definitions are reviewed data in fixtures/indicators/, loaded by
    `manage.py load_indicators`."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    # Upper case can lengthen a code (`ß` is `SS`, `ΐ` three characters): room for three times
    # the code's 60 characters.
    normalised_code = models.CharField(max_length=180, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=255)
    definition = models.TextField(_("definition"), blank=True)
    numerator_definition = models.TextField(_("numerator"), blank=True)
    denominator_definition = models.TextField(_("denominator"), blank=True)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)
    polarity = models.CharField(_("polarity"), max_length=8, choices=Polarity.choices)
    measure = models.CharField(_("flow or stock"), max_length=5, choices=Measure.choices)
    framework = models.CharField(_("framework"), max_length=8, choices=Framework.choices)
    theme = models.CharField(_("theme"), max_length=20, choices=Theme.choices)
    source = models.CharField(_("source"), max_length=255, blank=True)
    official = models.BooleanField(
        _("official code"),
        default=True,
        help_text=_("False for local indicators named by a snake_case code."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["framework", "normalised_code"]
        verbose_name = _("indicator")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        self.normalised_code = codes.normalise_indicator_code(self.code)
        others = Indicator.objects.exclude(pk=self.pk)
        self.slug = codes.unique_slug(
            codes.indicator_slug(self.code),
            lambda slug: others.filter(slug=slug).exists(),
            current=self.slug,
        )
        super().save(*args, **kwargs)


class ObservationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Observation.Status.FINAL)

    def including_provisional(self):
        return self.all()

    def for_authorities(self):
        return self.filter(authority__isnull=False)

    def for_comparators(self):
        return self.filter(comparator__isnull=False)


class Withheld(models.TextChoices):
    """DfE's markers for a cell without a number. Not zero, not an error."""

    SUPPRESSED = "c", _("Suppressed to protect confidentiality")
    NOT_AVAILABLE = "x", _("Not available")
    NOT_APPLICABLE = "z", _("Not applicable")
    LOW_RELIABILITY = "u", _("Low reliability")
    ROUNDS_TO_ZERO = "low", _("Rounds to zero")


class Observation(models.Model):
    """One figure: an authority's or a comparator's value of an indicator for a period.

    `value` holds the figure as published, or as derived from numerator and denominator by
    `indicators.derive.value_from_counts` in the code path that writes it (never in save()).
    """

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional")
        FINAL = "final", _("Final")

    # Every index is written on every insert (an import stores 100,000 rows and as many
    # history records): authority, comparator and indicator get no index of their own, as
    # each leads one below (authority: the (authority, indicator) index; comparator: the
    # unique comparator-indicator-period index; indicator: the (indicator, period) index).
    authority = models.ForeignKey(
        Authority,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    comparator = models.ForeignKey(
        Comparator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="observations", db_index=False
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="observations")
    numerator = models.DecimalField(
        _("numerator"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **FIGURE
    )
    denominator = models.DecimalField(
        _("denominator"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        **FIGURE,
    )
    value = models.DecimalField(
        _("value"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **FIGURE
    )
    withheld = models.CharField(
        _("withheld"),
        max_length=3,
        choices=Withheld.choices,
        blank=True,
        help_text=_("Why there is no value, where the publisher withheld it."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.FINAL
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    warnings = models.JSONField(_("data-quality warnings"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A record is found by its observation's id (and ordered by date); indexes on its copies
    # of the keys would be read by no query and written by every import.
    history = HistoricalRecords(
        no_db_index=["authority", "comparator", "indicator", "period", "updated_by"]
    )
    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "period__end_date"]
        verbose_name = _("observation")
        constraints = [
            models.CheckConstraint(
                condition=(Q(authority__isnull=False) & Q(comparator__isnull=True))
                | (Q(authority__isnull=True) & Q(comparator__isnull=False)),
                name="observation_of_authority_xor_comparator",
            ),
            models.UniqueConstraint(
                fields=["authority", "indicator", "period"],
                condition=Q(authority__isnull=False),
                name="one_observation_per_authority_indicator_period",
            ),
            models.UniqueConstraint(
                fields=["comparator", "indicator", "period"],
                condition=Q(comparator__isnull=False),
                name="one_observation_per_comparator_indicator_period",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__gte=0),
                name="observation_numerator_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="observation_denominator_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="observation_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(withheld="") | Q(value__isnull=True),
                name="withheld_observation_has_no_value",
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "period"]),
            models.Index(fields=["authority", "indicator"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.indicator.code} {self.period.code}"

    @property
    def subject(self) -> Authority | Comparator:
        return self.authority or self.comparator  # type: ignore[return-value]


class Target(models.Model):
    """A council's target for an indicator in a period; within `tolerance` of it is amber."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="targets")
    value = models.DecimalField(_("target"), validators=[MinValueValidator(Decimal(0))], **FIGURE)
    tolerance = models.DecimalField(
        _("tolerance"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("How far on the wrong side of the target still counts as amber."),
        **FIGURE,
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "indicator", "period__end_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "indicator", "period"], name="one_target_per_key"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
            models.CheckConstraint(condition=Q(tolerance__gte=0), name="tolerance_not_negative"),
        ]
        verbose_name = _("target")

    def __str__(self) -> str:
        return f"{self.authority} {self.indicator.code} {self.period.code}: {self.value}"


class ImportLog(models.Model):
    """Who imported which file when, and what it did."""

    command = models.CharField(_("command"), max_length=40)
    filename = models.CharField(_("file"), max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
    )
    run_by = models.CharField(
        _("run by"),
        max_length=150,
        blank=True,
        help_text=_("The signed-in user, or the operating-system user of a command."),
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import log")

    def __str__(self) -> str:
        return f"{self.command} {self.filename} {self.started_at:%Y-%m-%d %H:%M}"


class PendingImport(models.Model):
    """A file uploaded in the browser that waits for its preview to be confirmed or
    cancelled (indicators.uploads). The file is `<token><suffix>` in the upload folder; the
    rows let the per-user limits and the worker's sweep see every user's waiting files."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_imports"
    )
    token = models.CharField(max_length=64, unique=True)
    filename = models.CharField(_("file"), max_length=80)
    suffix = models.CharField(max_length=5)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    create_missing = models.BooleanField(default=False)
    created = models.DateTimeField(_("uploaded"), db_index=True)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("upload waiting for confirmation")

    def __str__(self) -> str:
        return f"{self.filename} ({self.user}, {self.created:%Y-%m-%d %H:%M})"


class ReturnKind(models.TextChoices):
    ALLOCATIONS = "allocations", _("Allocations")
    REFERRALS = "referrals", _("Referrals and initial assessments")


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class QuarterlyReturn(models.Model):
    """A council's counts for one quarter, as an officer enters them.

    `figures` maps each line of the return (`indicators.returns.SPECS`) to a whole number;
    the indicators are derived from them and written as observations, provisional until the
    return is approved. `version` rises with every save so that a second editor working
    from an older copy is refused instead of silently overwriting (optimistic locking).
    """

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="returns")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="returns")
    kind = models.CharField(_("return"), max_length=12, choices=ReturnKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    reasons = models.JSONField(
        _("reasons"),
        default=dict,
        blank=True,
        help_text=_("Why a figure that raised a warning is right, by line."),
    )
    change_reason = models.CharField(_("reason for the change"), max_length=255, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "kind", "period__end_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "period", "kind"], name="one_return_per_council_quarter_kind"
            ),
        ]
        verbose_name = _("quarterly return")

    def __str__(self) -> str:
        return f"{self.authority} {self.get_kind_display()} {self.period.code}"

    @property
    def locked(self) -> bool:
        return self.status == ReturnStatus.APPROVED


class YearLock(models.Model):
    """A financial year closed for a council: its returns and figures refuse changes."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="year_locks")
    financial_year = models.PositiveSmallIntegerField(_("financial year"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "financial_year"], name="one_lock_per_council_year"
            ),
        ]
        verbose_name = _("locked year")

    def __str__(self) -> str:
        return f"{self.authority} {codes.financial_year_code(self.financial_year)}"


class FiguresVersion(models.Model):
    """One row whose token changes whenever figures change (indicators.caching): cached pages
    are filed under the token they were drawn from, so a new token retires every one of them
    in every process at once. Random rather than counted, so that restoring a backup never
    brings back a token some cached page was drawn under."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("figures version")

    def __str__(self) -> str:
        return f"{self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
