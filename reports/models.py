"""Committee papers: a report with ordered sections, each with Markdown text and blocks that
draw the council's figures (tables, charts, generated commentary).

A draft reads the figures live. Publishing freezes the paper: the exact figures it used are
stored with it (`Report.frozen`), so a later correction of the data never changes a
published paper, and exporting it again gives the same numbers. A new version is drafted
from a published one as a new row with the same slug and the next version number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import Authority, Nation, Region


class BlockType(models.TextChoices):
    INDICATOR_TABLE = "indicator_table", _("Indicator table")
    INDICATOR_CHART = "indicator_chart", _("Indicator chart")
    COMMENTARY = "commentary", _("Commentary")
    WORKFORCE_TABLE = "workforce_table", _("Workforce table")
    POST_COST_TABLE = "post_cost_table", _("Post-cost table")
    AUDIT_SUMMARY = "audit_summary", _("Audit summary")
    RECOMMENDATIONS = "recommendations", _("Recommendations and their status")
    CP_REGISTER = "cp_register", _("Child protection register: this year against last")
    FREE_TABLE = "free_table", _("Free table")


class ReportTemplate(models.TextChoices):
    PERFORMANCE = "performance", _("Children's services performance indicators")
    CASEWORK = "casework", _("Casework and management update")
    BLANK = "blank", _("Blank paper")


class Report(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("short name"), max_length=80)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    committee = models.CharField(_("committee"), max_length=200)
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    agenda_item = models.CharField(_("agenda item"), max_length=20, blank=True)
    report_of = models.CharField(_("report of"), max_length=200, blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="reports")
    comparators = models.JSONField(
        _("comparators"),
        default=list,
        blank=True,
        help_text=_("Comparator slugs, e.g. wales-average, sn-median, target."),
    )
    template = models.CharField(
        _("started from"), max_length=20, choices=ReportTemplate.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
        verbose_name=_("drafted from"),
    )
    # The paper as published: every figure it showed, as reports.paper builds it.
    frozen = models.JSONField(_("published figures"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-meeting_date", "slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="one_report_per_slug_version"),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(frozen__isnull=False),
                name="published_report_is_frozen",
            ),
        ]
        verbose_name = _("committee paper")

    def __str__(self) -> str:
        return f"{self.title} ({self.authority}, v{self.version})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Section(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(_("position"))
    heading = models.CharField(_("heading"), max_length=200)
    text = models.TextField(_("text (Markdown)"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "position"]
        verbose_name = _("section")

    def __str__(self) -> str:
        return self.heading


class Block(models.Model):
    """A block's settings say what it draws: `indicators` (codes), `periods` (codes), for a
    commentary one `indicator`, for a free table `caption`, `columns` and `rows`. A
    commentary block's `text` is the author's edit of the generated text (`edited` says so);
    empty means "use the generated text"."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("type"), max_length=20, choices=BlockType.choices)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    edited = models.BooleanField(_("edited by the author"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["section", "position"]
        verbose_name = _("block")

    def __str__(self) -> str:
        return self.get_kind_display()


class ReportPack(models.Model):
    """One paper drawn for several councils at once (say, for each council of a region): the
    saved report's spec with each council in turn as its authority, zipped with a manifest.

    The background task `reports.tasks.build_pack` builds it (reports.packs); this row is its
    progress, which the pack's page polls. A pack is an output, not a record, so it keeps no
    history, only who started it and when."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        HTML = "html", _("HTML")

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="packs", verbose_name=_("committee paper")
    )
    councils = models.ManyToManyField(Authority, related_name="+", verbose_name=_("councils"))
    # The region or nation the councils were chosen by, if they were (for the page and the
    # zip's name); `councils` is what the pack holds.
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("region"),
    )
    nation = models.CharField(_("nation"), max_length=10, choices=Nation.choices, blank=True)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveSmallIntegerField(_("councils in the pack"), default=0)
    processed = models.PositiveSmallIntegerField(_("councils processed"), default=0)
    current_council = models.CharField(_("building now"), max_length=120, blank=True)
    # One entry a council processed, in order: {"council", "slug", "file", "figures",
    # "comparators", "notes": [...], "error"}; the manifest and the page are drawn from it.
    outcomes = models.JSONField(_("outcome per council"), default=list, blank=True)
    error = models.TextField(_("why the pack failed"), blank=True)
    file = models.FileField(_("zip file"), upload_to="packs/", blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(_("building began"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed__lte=models.F("total")),
                name="pack_processed_at_most_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="finished_pack_has_a_file",
            ),
        ]
        verbose_name = _("report pack")

    def __str__(self) -> str:
        return f"{self.report.slug} v{self.report.version} × {self.total} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
