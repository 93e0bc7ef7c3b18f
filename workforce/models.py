"""Who does the work: teams, roles, staffing snapshots and what a post costs."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import Authority

NON_NEGATIVE = [MinValueValidator(Decimal(0))]
FTE = {
    "max_digits": 8,
    "decimal_places": 2,
    "null": True,
    "blank": True,
    "validators": NON_NEGATIVE,
}
MONEY = {"max_digits": 10, "decimal_places": 2, "validators": NON_NEGATIVE}


class Team(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["authority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="team_name_per_authority")
        ]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A job role. `qualified` marks roles that need a social work qualification; an
    Assessor Care Manager (ACM) holds cases without one."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    qualified = models.BooleanField(_("social work qualified"), default=True)
    agency = models.BooleanField(_("agency"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")

    def __str__(self) -> str:
        return self.name


class WorkforceSnapshot(models.Model):
    """Staffing in one role of one team (or of the whole service, with no team) at a date.

    Blank figures were not reported; they are not zero. Filled may exceed establishment: a
    service can be over establishment (seed 000 says so of its social workers).
    """

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="workforce_snapshots"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="snapshots")
    as_at = models.DateField(_("as at"))
    establishment_fte = models.DecimalField(_("establishment (posts or FTE)"), **FTE)
    filled_fte = models.DecimalField(_("filled (posts or FTE)"), **FTE)
    headcount = models.PositiveIntegerField(_("staff in post (headcount)"), null=True, blank=True)
    vacancies_fte = models.DecimalField(_("vacancies (FTE)"), **FTE)
    agency_fte = models.DecimalField(_("agency staff (FTE)"), **FTE)
    absent_fte = models.DecimalField(_("absent (maternity or long-term sickness, FTE)"), **FTE)
    average_caseload = models.DecimalField(_("average caseload"), **FTE)
    recommended_caseload = models.DecimalField(_("recommended caseload"), **FTE)
    source = models.CharField(_("source"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "as_at", "team", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "team", "role", "as_at"],
                condition=Q(team__isnull=False),
                name="one_snapshot_per_team_role_date",
            ),
            models.UniqueConstraint(
                fields=["authority", "role", "as_at"],
                condition=Q(team__isnull=True),
                name="one_service_snapshot_per_role_date",
            ),
        ]
        verbose_name = _("workforce snapshot")

    def __str__(self) -> str:
        team = self.team or _("all teams")
        return f"{self.authority} / {team} / {self.role} at {self.as_at:%d/%m/%Y}"


class PostCost(models.Model):
    """The yearly cost of one post at a grade: salary plus employer's NI and superannuation."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="post_costs")
    post_title = models.CharField(_("post title"), max_length=120)
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT)
    grade = models.CharField(_("grade"), max_length=20)
    financial_year = models.PositiveSmallIntegerField(
        _("financial year"), help_text=_("The year the financial year starts in: 2015 for 2015-16.")
    )
    salary = models.DecimalField(_("salary"), **MONEY)
    employer_ni = models.DecimalField(_("employer's National Insurance"), **MONEY)
    superannuation = models.DecimalField(_("superannuation"), **MONEY)

    history = HistoricalRecords()

    class Meta:
        ordering = ["authority", "financial_year", "salary"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "post_title", "grade", "financial_year"],
                name="one_cost_per_post_grade_year",
            ),
        ]
        verbose_name = _("post cost")

    def __str__(self) -> str:
        return f"{self.post_title} ({self.grade})"
