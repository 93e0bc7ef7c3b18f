"""The workforce snapshot form. Each rule names the field it is about, so the error summary
can link to it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from council_reports.date_input import DateInputField
from council_reports.form_messages import name_the_fields
from indicators.models import Authority
from workforce.models import Role, Team, WorkforceSnapshot

FIGURES = [
    "establishment_fte",
    "filled_fte",
    "headcount",
    "vacancies_fte",
    "agency_fte",
    "absent_fte",
    "average_caseload",
    "recommended_caseload",
]


class SnapshotForm(forms.ModelForm):
    """Staffing of one role in one team (or the whole service) at a date. A blank figure
    was not reported; it is stored blank, never as 0."""

    as_at = DateInputField(
        label=_("As-at date"),
        allow_future=False,
        help_text=_("The date the figures describe, for example 31 3 2015."),
    )

    class Meta:
        model = WorkforceSnapshot
        fields = ["team", "role", "as_at", *FIGURES, "source", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, authority: Authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.authority = authority
        team = self.fields["team"]
        team.queryset = Team.objects.filter(authority=authority)
        team.empty_label = _("Whole service (all teams)")
        team.help_text = _("Leave as the whole service for figures not broken down by team.")
        self.fields["role"].queryset = Role.objects.all()
        for name in FIGURES:
            field = self.fields[name]
            field.widget.attrs.update({"min": 0, "inputmode": "decimal"})
            field.help_text = _("Leave blank if not reported. Must not be negative.")
        name_the_fields(self)
        self.fields["vacancies_fte"].help_text = _(
            "Leave blank if not reported. No more than the establishment."
        )

    def clean(self):
        data = super().clean()
        establishment = data.get("establishment_fte")
        vacancies = data.get("vacancies_fte")
        if establishment is not None and vacancies is not None and vacancies > establishment:
            self.add_error(
                "vacancies_fte",
                _("Vacancies (%(vacancies)s) cannot be more than the establishment (%(est)s)")
                % {"vacancies": vacancies, "est": establishment},
            )
        if data.get("role") and data.get("as_at") and self.duplicate().exists():
            self.add_error("as_at", self.duplicate_message())
        return data

    def duplicate(self):
        """Another snapshot of the same team (or whole service), role and date."""
        data = self.cleaned_data
        return WorkforceSnapshot.objects.filter(
            authority=self.instance.authority,
            team=data.get("team"),
            role=data.get("role"),
            as_at=data.get("as_at"),
        ).exclude(pk=self.instance.pk)

    def duplicate_message(self) -> str:
        data = self.cleaned_data
        return _(
            "There is already a snapshot of %(role)s in %(team)s at %(date)s: edit that one "
            "or choose another date"
        ) % {
            "role": data.get("role"),
            "team": data.get("team") or _("the whole service"),
            "date": data["as_at"].strftime("%d/%m/%Y"),
        }
