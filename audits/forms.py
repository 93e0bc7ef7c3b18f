"""Forms for case audits, their cases and recommendations. Each rule names its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import AuditedCase, CaseAudit, Recommendation
from audits.validators import check_case_reference
from council_reports.date_input import DateInputField
from council_reports.form_messages import name_the_fields
from indicators import codes
from indicators.models import Authority, Period
from workforce.models import Role


class AuditForm(forms.ModelForm):
    period_code = forms.CharField(
        label=_("Period audited"),
        required=False,
        max_length=20,
        help_text=_("Optional. For example 2015-16, 2015-16 Q1 or 2015-07."),
    )
    audit_date = DateInputField(
        label=_("Date of audit"),
        required=False,
        allow_future=False,
        help_text=_("For example 27 3 2015."),
    )

    class Meta:
        model = CaseAudit
        fields = ["title", "scope", "period_code", "auditor", "audit_date", "summary"]
        widgets = {
            "scope": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "auditor": _("The person or team who carried out the audit."),
            "summary": _("Visible to staff only, never to members."),
        }

    def __init__(self, *args, authority: Authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.authority = authority
        name_the_fields(self)
        if self.instance.period_id and not self.is_bound:
            self.initial["period_code"] = self.instance.period.code

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        taken = CaseAudit.objects.filter(authority=self.instance.authority, title=title).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(
                _("There is already an audit called %(title)s: give this one another title")
                % {"title": title}
            )
        return title

    def clean_period_code(self) -> str:
        text = self.cleaned_data["period_code"].strip()
        if text:
            try:
                codes.parse_period(text)
            except codes.PeriodError as error:
                raise forms.ValidationError(
                    _("Period audited: %(problem)s") % {"problem": error}
                ) from None
        return text

    def save(self, commit: bool = True) -> CaseAudit:
        code = self.cleaned_data["period_code"]
        self.instance.period = Period.objects.for_code(code) if code else None
        return super().save(commit)


COMPLIANT_CHOICES = [("", _("Not known")), ("yes", _("Yes")), ("no", _("No"))]


class CaseForm(forms.ModelForm):
    compliant = forms.TypedChoiceField(
        label=_("Compliant"),
        choices=COMPLIANT_CHOICES,
        required=False,
        coerce=lambda answer: answer == "yes",
        empty_value=None,
        help_text=_("Did the case meet the procedures audited?"),
    )

    class Meta:
        model = AuditedCase
        fields = [
            "reference",
            "children",
            "category",
            "worker_role",
            "meetings_examined",
            "findings",
            "compliant",
            "grade",
        ]
        widgets = {
            "meetings_examined": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "reference": _(
                "A pseudonymised reference such as Case 3. Never a child's name or date of birth."
            ),
            "children": _("How many children the case covers."),
            "findings": _("Visible to staff only, never to members."),
        }

    def __init__(self, *args, audit: CaseAudit, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.audit = audit
        self.fields["worker_role"].queryset = Role.objects.all()
        self.fields["worker_role"].empty_label = _("Not recorded")
        name_the_fields(self)
        if self.instance.pk and not self.is_bound:
            self.initial["compliant"] = {True: "yes", False: "no"}.get(self.instance.compliant, "")

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        check_case_reference(reference)
        taken = AuditedCase.objects.filter(audit=self.instance.audit, reference=reference)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("This audit already has a case %(reference)s") % {"reference": reference}
            )
        return reference

    def clean_children(self) -> int:
        children = self.cleaned_data["children"]
        if children is not None and children < 1:
            raise forms.ValidationError(_("Children must be 1 or more"))
        return children


class RecommendationForm(forms.ModelForm):
    due_date = DateInputField(
        label=_("Due date"), required=False, help_text=_("For example 30 9 2015.")
    )

    class Meta:
        model = Recommendation
        fields = ["number", "action", "owner", "due_date", "status"]
        widgets = {"action": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "number": _("The recommendation's number in the audit report."),
            "owner": _("The post or team responsible, for example Head of Safeguarding."),
        }

    def __init__(self, *args, audit: CaseAudit, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.audit = audit
        name_the_fields(self)
        if not self.instance.pk and not self.is_bound:
            last = audit.recommendations.order_by("-number").first()
            self.initial["number"] = (last.number + 1) if last else 1

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        if number < 1:
            raise forms.ValidationError(_("Number must be 1 or more"))
        taken = Recommendation.objects.filter(audit=self.instance.audit, number=number)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("This audit already has a recommendation %(number)s") % {"number": number}
            )
        return number


class StatusUpdateForm(forms.ModelForm):
    """A later paper's follow-up: the new status and what has been done. Each update is a
    version in the recommendation's history, so earlier notes are kept."""

    class Meta:
        model = Recommendation
        fields = ["status", "status_note"]
        widgets = {"status_note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"status_note": _("What has been done since the last update.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status_note"].required = True
        name_the_fields(self)
        if not self.is_bound:
            self.initial["status_note"] = ""
