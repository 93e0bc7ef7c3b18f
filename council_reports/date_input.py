"""The GOV.UK date input: a date typed as three boxes (day, month, year) rather than one
free-text field or a JavaScript picker, so it works on every browser and keyboard.

The inputs are named `<field>_day`, `<field>_month`, `<field>_year`; the error summary links
to the day box, as the Design System asks.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class DateInputWidget(forms.MultiWidget):
    template_name = "workforce/widgets/date_input.html"
    is_date_input = True

    def __init__(self, attrs=None):
        def box(width: str):
            return forms.TextInput(
                attrs={"inputmode": "numeric", "class": f"date-input__input width-{width}"}
            )

        super().__init__({"day": box("2"), "month": box("2"), "year": box("4")}, attrs)

    def _render(self, template_name, context, renderer=None):
        # The project's templates, not the form renderer's: the widget's template lives
        # with the pages that use it.
        return mark_safe(render_to_string(template_name, context))  # noqa: S308  # nosec B308 B703

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_):
        return f"{id_}_day" if id_ else ""


class DateInputField(forms.MultiValueField):
    """A real calendar date from day, month and year boxes; `allow_future=False` refuses
    dates after today. Messages name the field by its label."""

    widget = DateInputWidget

    def __init__(self, *, allow_future: bool = True, **kwargs):
        self.allow_future = allow_future
        number = forms.CharField(required=False)
        super().__init__(fields=(number, number, number), require_all_fields=False, **kwargs)

    def _name(self) -> str:
        return str(self.label or _("The date"))

    def clean(self, value):
        parts = [str(v or "").strip() for v in (value or [])] + ["", "", ""]
        day, month, year = parts[:3]
        if not (day or month or year):
            if self.required:
                raise forms.ValidationError(
                    _("Enter %(field)s") % {"field": self._name().lower()}, code="required"
                )
            return None
        missing = [
            str(name)
            for name, text in ((_("day"), day), (_("month"), month), (_("year"), year))
            if not text
        ]
        if missing:
            raise forms.ValidationError(
                _("%(field)s must include a %(part)s")
                % {"field": self._name(), "part": str(_(" and a ")).join(missing)},
                code="incomplete",
            )
        if not all(p.isascii() and p.isdigit() for p in (day, month, year)) or len(year) != 4:
            raise forms.ValidationError(
                _("%(field)s must be a real date, like 31 3 2015") % {"field": self._name()},
                code="invalid",
            )
        try:
            date = dt.date(int(year), int(month), int(day))
        # OverflowError: a day or month of twenty digits is too big even to check.
        except (ValueError, OverflowError):
            raise forms.ValidationError(
                _("%(field)s must be a real date, like 31 3 2015") % {"field": self._name()},
                code="invalid",
            ) from None
        if date.year < 1900:
            raise forms.ValidationError(
                _("%(field)s must be after 1900") % {"field": self._name()}, code="invalid"
            )
        if not self.allow_future and date > dt.date.today():
            raise forms.ValidationError(
                _("%(field)s must be today or in the past") % {"field": self._name()},
                code="future",
            )
        return date

    def compress(self, data_list):  # clean() above does the work
        return None
