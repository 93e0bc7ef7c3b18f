"""The builder's forms: a new paper, its details and comparators, a section, and a block's
settings (which fields a block has depends on its type)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from council_reports.date_input import DateInputField
from council_reports.form_messages import name_the_fields
from indicators import codes, frames
from indicators.models import Authority, Indicator, Observation, Theme
from reports.models import BlockType, Report, ReportTemplate

DETAILS = [
    "title",
    "committee",
    "meeting_date",
    "agenda_item",
    "report_of",
    "author_name",
    "contact",
]
INDICATOR_KINDS = {BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART}
PERIOD_KINDS = INDICATOR_KINDS | {BlockType.COMMENTARY, BlockType.CP_REGISTER}


class DetailsForm(forms.ModelForm):
    meeting_date = DateInputField(label=_("Meeting date"), required=False)

    class Meta:
        model = Report
        fields = DETAILS
        labels = {"title": _("Title"), "committee": _("Committee"), "author_name": _("Author")}
        help_texts = {
            "agenda_item": _("As printed on the agenda, for example 7."),
            "report_of": _("Who the paper is from, for example the Group Director."),
            "contact": _("A telephone number or email address for questions."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_the_fields(self)


class NewReportForm(DetailsForm):
    template = forms.ChoiceField(
        label=_("Start from"),
        choices=ReportTemplate.choices,
        initial=ReportTemplate.PERFORMANCE,
        widget=forms.RadioSelect,
        help_text=_("The template's sections, text and tables; you can change all of them."),
    )
    authority = forms.ModelChoiceField(
        label=_("Council"), queryset=Authority.objects.order_by("nation", "name")
    )

    class Meta(DetailsForm.Meta):
        fields = ["template", "authority", *DETAILS]

    field_order = ["template", "authority", *DETAILS]


class ComparatorsForm(forms.Form):
    comparators = forms.MultipleChoiceField(
        label=_("Compare with"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each table and chart shows the council beside the comparators ticked."),
    )

    def __init__(self, *args, authority: Authority, **kwargs):
        super().__init__(*args, **kwargs)
        options = frames.comparator_options(authority, any_target=True)
        self.fields["comparators"].choices = [(o.slug, o.label) for o in options]


class SectionForm(forms.Form):
    heading = forms.CharField(label=_("Heading"), max_length=200)
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: a blank line between paragraphs, - for a list, **bold**."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_the_fields(self)


def indicator_choices(authority: Authority, chosen: list[str]) -> list[tuple[str, str]]:
    """The indicators the council has figures for (and any already chosen), by theme."""
    with_figures = set(
        Observation.objects.filter(authority=authority)
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    themes = {theme: n for n, theme in enumerate(Theme.values)}
    indicators = sorted(
        (i for i in Indicator.objects.all() if i.pk in with_figures or i.code in chosen),
        key=lambda i: (themes.get(i.theme, len(themes)), i.code),
    )
    return [(i.code, f"{i.code}: {i.title}" if i.official else i.title) for i in indicators]


class BlockForm(forms.Form):
    """One block's settings. The fields are those of its type; `settings()` is what the
    Block stores, in the shape reports.spec reads."""

    indicators = forms.MultipleChoiceField(
        label=_("Indicators"), widget=forms.CheckboxSelectMultiple
    )
    indicator = forms.ChoiceField(label=_("Indicator"))
    periods = forms.CharField(
        label=_("Periods"),
        required=False,
        help_text=_(
            "Separated by commas, for example 2012-13, 2013-14, 2014-15 (years), 2014-15 Q1 "
            "(quarters), 2014-07 (months) or 2015-03-31 (dates). Leave blank for every period."
        ),
    )
    caption = forms.CharField(label=_("Caption"), max_length=300, required=False)
    title = forms.CharField(
        label=_("Chart title"),
        max_length=300,
        required=False,
        help_text=_("Leave blank for the indicator's title and the council."),
    )
    as_at = forms.DateField(
        label=_("As at"),
        required=False,
        help_text=_("A date like 2015-03-31; leave blank for the latest recorded."),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    text = forms.CharField(
        label=_("Commentary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Generated from the figures; your edit is kept and marked as edited."),
    )
    regenerate = forms.BooleanField(label=_("Use the generated text again"), required=False)
    columns = forms.CharField(
        label=_("Column headings"),
        help_text=_("Separated by |, for example Team | Posts | Vacancies"),
    )
    rows = forms.CharField(
        label=_("Rows"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One row a line, cells separated by |, as many cells as columns."),
    )

    FIELDS = {
        BlockType.INDICATOR_TABLE: ["indicators", "periods", "caption"],
        BlockType.INDICATOR_CHART: ["indicators", "periods", "title"],
        BlockType.COMMENTARY: ["indicator", "periods", "text", "regenerate"],
        BlockType.WORKFORCE_TABLE: ["as_at"],
        BlockType.CP_REGISTER: ["periods"],
        BlockType.FREE_TABLE: ["caption", "columns", "rows"],
    }

    def __init__(self, *args, block, generated: str = "", options=None, **kwargs):
        self.block = block
        self.generated = generated
        settings = block.settings or {}
        initial = {
            "indicators": settings.get("indicators", []),
            "indicator": settings.get("indicator", ""),
            "periods": ", ".join(settings.get("periods", [])),
            "caption": settings.get("caption", ""),
            "title": settings.get("title", ""),
            "as_at": settings.get("as_at", ""),
            "text": block.text if block.edited and block.text else generated,
            "columns": " | ".join(settings.get("columns", [])),
            "rows": "\n".join(" | ".join(row) for row in settings.get("rows", [])),
        }
        super().__init__(*args, initial=initial, prefix=f"block-{block.pk}", **kwargs)
        wanted = self.FIELDS.get(block.kind, [])
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        authority = block.section.report.authority
        chosen = initial["indicators"] + ([initial["indicator"]] if initial["indicator"] else [])
        if "indicators" in self.fields or "indicator" in self.fields:
            choices = options if options is not None else indicator_choices(authority, chosen)
            known = {code for code, _label in choices}
            choices = [*choices, *((code, code) for code in chosen if code not in known)]
            for name in ("indicators", "indicator"):
                if name in self.fields:
                    self.fields[name].choices = choices
        if block.kind == BlockType.CP_REGISTER:
            self.fields["periods"].help_text = _(
                "One financial year, for example 2014-15; blank for the latest twelve months."
            )
        name_the_fields(self)

    def clean_periods(self) -> list[str]:
        text = self.cleaned_data.get("periods", "")
        found, errors = [], []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            try:
                found.append(codes.parse_period(part))
            except codes.PeriodError as exc:
                errors.append(str(exc))
        if errors:
            raise forms.ValidationError(errors)
        if len({p.kind for p in found}) > 1:
            raise forms.ValidationError(
                _("Periods must be all years, all quarters, all months or all dates")
            )
        if self.block.kind == BlockType.CP_REGISTER and (
            len(found) > 1 or (found and found[0].kind != "year")
        ):
            raise forms.ValidationError(_("Periods must be one financial year, like 2014-15"))
        return [p.code for p in sorted(found, key=lambda p: p.start)]

    def _cells(self, line: str) -> list[str]:
        return [cell.strip() for cell in line.split("|")]

    def clean(self):
        data = super().clean()
        if "columns" in self.fields and "columns" in data and "rows" in data:
            columns = self._cells(data["columns"])
            for number, line in enumerate(filter(str.strip, data["rows"].splitlines()), 1):
                cells = self._cells(line)
                if len(cells) != len(columns):
                    self.add_error(
                        "rows",
                        _("Row %(n)s has %(cells)s cells for %(columns)s columns")
                        % {"n": number, "cells": len(cells), "columns": len(columns)},
                    )
        return data

    def settings(self) -> dict:
        data = self.cleaned_data
        settings: dict = {}
        if "indicators" in data:
            settings["indicators"] = list(data["indicators"])
        if "indicator" in data:
            settings["indicator"] = data["indicator"]
        if "periods" in data:
            settings["periods"] = data["periods"]
        for name in ("caption", "title"):
            if data.get(name):
                settings[name] = data[name]
        if data.get("as_at"):
            settings["as_at"] = data["as_at"].isoformat()
        if "columns" in data:
            settings["columns"] = self._cells(data["columns"])
            settings["rows"] = [
                self._cells(line) for line in data["rows"].splitlines() if line.strip()
            ]
        return settings

    def text_and_edited(self) -> tuple[str, bool]:
        """A commentary's text: kept (and marked edited) where it differs from the
        generated text; "" (the generated text, drawn afresh) where it does not, or where
        the author asked for the generated text again."""
        if self.block.kind != BlockType.COMMENTARY:
            return "", False
        text = self.cleaned_data.get("text", "").strip()
        if not text or self.cleaned_data.get("regenerate") or _same(text, self.generated):
            return "", False
        return text, True


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())
