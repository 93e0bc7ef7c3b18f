"""Case-file audits: pseudonymised cases, what the auditor found, and what was recommended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import Authority, Period
from workforce.models import Role


class CaseAudit(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="audits")
    title = models.CharField(_("title"), max_length=255)
    scope = models.TextField(_("scope"), blank=True)
    period = models.ForeignKey(
        Period, null=True, blank=True, on_delete=models.PROTECT, related_name="audits"
    )
    auditor = models.CharField(_("auditor"), max_length=120, blank=True)
    audit_date = models.DateField(_("date of audit"), null=True, blank=True)
    summary = models.TextField(_("summary of findings"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "-audit_date"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "title"], name="audit_title_per_authority")
        ]
        verbose_name = _("case audit")

    def __str__(self) -> str:
        return self.title


class Category(models.TextChoices):
    NEGLECT = "neglect", _("Neglect")
    EMOTIONAL = "emotional", _("Emotional abuse")
    PHYSICAL = "physical", _("Physical abuse")
    SEXUAL = "sexual", _("Sexual abuse")
    MULTIPLE = "multiple", _("Multiple")


class Grade(models.TextChoices):
    GOOD = "good", _("Good")
    REQUIRES_IMPROVEMENT = "requires_improvement", _("Requires improvement")
    INADEQUATE = "inadequate", _("Inadequate")


class AuditedCase(models.Model):
    """One case examined in an audit, known only by a pseudonymised reference (never a
    child's name or date of birth)."""

    audit = models.ForeignKey(CaseAudit, on_delete=models.CASCADE, related_name="cases")
    reference = models.CharField(
        _("case reference"),
        max_length=40,
        help_text=_("A pseudonymised reference such as 'Case 3'. Never a name."),
    )
    children = models.PositiveSmallIntegerField(_("children"), default=1)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    worker_role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("held by")
    )
    meetings_examined = models.TextField(
        _("meetings examined"),
        blank=True,
        help_text=_("Initial or review case conferences and core groups looked at."),
    )
    findings = models.TextField(_("findings"), blank=True)
    compliant = models.BooleanField(_("compliant"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["audit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "reference"], name="case_reference_per_audit"),
            models.CheckConstraint(condition=Q(children__gte=1), name="case_has_a_child"),
        ]
        verbose_name = _("audited case")

    def __str__(self) -> str:
        return self.reference


class Recommendation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    audit = models.ForeignKey(CaseAudit, on_delete=models.CASCADE, related_name="recommendations")
    number = models.PositiveSmallIntegerField(_("number"))
    action = models.TextField(_("action"))
    owner = models.CharField(_("owner"), max_length=120, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    status_note = models.TextField(_("progress note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "number"], name="recommendation_number_per_audit"
            )
        ]
        verbose_name = _("recommendation")

    def __str__(self) -> str:
        # Not the action: a recommendation's name lands in places that are not gated as
        # its text is (the admin's log of changes, delete confirmations, choice lists).
        return _("Recommendation %(number)s") % {"number": self.number}


class AppendOnly(models.QuerySet):
    """Access records are evidence: no bulk change or deletion through the ORM."""

    def update(self, **kwargs):
        raise TypeError("audit text access records are never changed")

    def delete(self):
        raise TypeError("audit text access records are never deleted")


class AuditTextAccess(models.Model):
    """One page served that showed an audit's free text: who (the user, and their name and
    role as they were), which council, audit, case or recommendation, which page, when,
    and from where. Written by audits.access.record, one row a page; never changed or
    deleted (the related rows may go; the names copied here stay)."""

    class Page(models.TextChoices):
        DETAIL = "detail", _("Audit page")
        AUDIT_FORM = "audit_form", _("Audit form")
        CASE_FORM = "case_form", _("Case form")
        RECOMMENDATION_FORM = "recommendation_form", _("Recommendation form")
        STATUS = "status", _("Recommendation status and history")
        ADMIN_LIST = "admin_list", _("Administration: list")
        ADMIN_CHANGE = "admin_change", _("Administration: record")
        ADMIN_HISTORY = "admin_history", _("Administration: history")
        ADMIN_DELETE = "admin_delete", _("Administration: delete confirmation")
        PAPER = "paper", _("Committee paper")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    role = models.CharField(_("role"), max_length=10)
    authority = models.ForeignKey(
        Authority, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("council")
    )
    audit = models.ForeignKey(
        CaseAudit,
        null=True,
        on_delete=models.SET_NULL,
        related_name="text_accesses",
        verbose_name=_("audit"),
    )
    audit_title = models.CharField(_("audit title"), max_length=255, blank=True)
    case = models.ForeignKey(
        AuditedCase, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case")
    )
    recommendation = models.ForeignKey(
        Recommendation,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recommendation"),
    )
    page = models.CharField(_("page"), max_length=20, choices=Page.choices)
    path = models.CharField(_("address"), max_length=500)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AppendOnly.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit text access")
        verbose_name_plural = _("audit text accesses")

    def __str__(self) -> str:
        return f"{self.username} {self.get_page_display()} {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("audit text access records are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit text access records are never deleted")
