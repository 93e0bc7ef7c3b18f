"""Case-file audits: pseudonymised cases, what the auditor found, and what was recommended."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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
        return f"{self.number}. {self.action[:60]}"
