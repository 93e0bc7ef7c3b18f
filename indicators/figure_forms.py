"""The form for any one figure: an indicator, a period and either a value or the counts it
comes from. The figure rules themselves are `store.check_figures`, the same rules every
import obeys; this form only puts each message on the field it is about."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from council_reports.form_messages import name_the_fields
from indicators import codes, store
from indicators.models import Authority, Indicator, Observation
from indicators.workflow import year_locked

NUMBER = {"required": False, "max_digits": 18, "decimal_places": 4, "min_value": Decimal(0)}


def indicator_choices() -> list:
    """Indicators grouped by framework and theme, as an officer looks for them."""
    groups: dict[str, list] = {}
    for indicator in Indicator.objects.order_by("framework", "theme", "normalised_code"):
        label = f"{indicator.get_framework_display()} – {indicator.get_theme_display()}"
        groups.setdefault(label, []).append((indicator.slug, str(indicator)))
    return [("", _("Choose an indicator")), *groups.items()]


def field_of(error: store.FigureError) -> str:
    """Which box a `check_figures` message is about: its messages begin with the name of the
    figure at fault ("numerator 700 is above denominator 621", "denominator is 0 ...")."""
    message = str(error)
    for name in ("numerator", "denominator"):
        if message.startswith(name):
            return name
    return "value"


class FigureForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    period = forms.CharField(
        label=_("Period"),
        max_length=20,
        help_text=_(
            "For example 2015-16 (financial year), 2015-16 Q1 (quarter), 2015-07 (month) "
            "or 2015-03-31 (as at a date)."
        ),
    )
    value = forms.DecimalField(
        label=_("Value"),
        help_text=_("The published figure. Leave blank to derive it from the counts below."),
        **NUMBER,
    )
    numerator = forms.DecimalField(
        label=_("Numerator"), help_text=_("Give it with the denominator."), **NUMBER
    )
    denominator = forms.DecimalField(
        label=_("Denominator"), help_text=_("Give it with the numerator."), **NUMBER
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=255,
        help_text=_("Optional. Where the figure comes from, for example CareFirst report 12."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=100,
        help_text=_("Needed when a figure is already stored for this indicator and period."),
    )

    def __init__(self, *args, authority: Authority, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority
        self.today = today or dt.date.today()
        self.fields["indicator"].choices = indicator_choices()
        for name in ("value", "numerator", "denominator"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal"})
        name_the_fields(self)
        self.existing: Observation | None = None
        self.warnings: list[str] = []

    def clean_indicator(self) -> Indicator:
        found = Indicator.objects.filter(slug=self.cleaned_data["indicator"]).first()
        if found is None:
            raise forms.ValidationError(_("Select an indicator from the list"))
        return found

    def clean_period(self) -> codes.PeriodSpec:
        try:
            spec = codes.parse_period(self.cleaned_data["period"])
        except codes.PeriodError as error:
            raise forms.ValidationError(_("Period: %(problem)s") % {"problem": error}) from None
        if spec.start > self.today:
            raise forms.ValidationError(
                _("Period %(period)s has not started yet: figures cannot be entered for the future")
                % {"period": spec.code}
            )
        if year_locked(self.authority, spec.financial_year):
            raise forms.ValidationError(
                _("%(year)s is locked for %(council)s: its figures cannot change")
                % {
                    "year": codes.financial_year_code(spec.financial_year),
                    "council": self.authority,
                }
            )
        return spec

    def clean(self):
        data = super().clean()
        indicator, spec = data.get("indicator"), data.get("period")
        figures = [data.get(n) for n in ("numerator", "denominator", "value")]
        if any(n in self.errors for n in ("numerator", "denominator", "value")):
            return data
        if not isinstance(indicator, Indicator):
            return data
        numerator, denominator = figures[0], figures[1]
        if (numerator is None) != (denominator is None):
            missing = "denominator" if denominator is None else "numerator"
            self.add_error(
                missing,
                _("Enter the %(missing)s too: give both counts, or leave both blank")
                % {"missing": _("denominator") if missing == "denominator" else _("numerator")},
            )
            return data
        try:
            stored, self.warnings = store.check_figures(indicator, *figures)
        except store.FigureError as error:
            self.add_error(field_of(error), str(error)[:1].upper() + str(error)[1:])
            return data
        data["stored_value"] = stored
        if spec is not None:
            self.existing = Observation.objects.filter(
                authority=self.authority, indicator=indicator, period__code=spec.code
            ).first()
            if self.existing is not None and not data.get("reason", "").strip():
                self.add_error(
                    "reason",
                    _(
                        "Enter a reason for the change: %(indicator)s already has a figure for "
                        "%(period)s"
                    )
                    % {"indicator": indicator.code, "period": spec.code},
                )
        return data

    def figure_row(self, status: str) -> store.FigureRow:
        data = self.cleaned_data
        return store.FigureRow(
            row=0,
            indicator=data["indicator"],
            period_code=data["period"].code,
            authority=self.authority,
            numerator=data["numerator"],
            denominator=data["denominator"],
            value=data["stored_value"],
            status=status,
            # Blank leaves a stored source or note as it was.
            source=data["source"].strip() or None,
            note=data["note"].strip() or None,
            warnings=list(self.warnings),
        )
