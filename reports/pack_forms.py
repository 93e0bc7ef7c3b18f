"""The form that starts a report pack: which saved paper, which councils (every council of a
nation or a region, councils ticked one by one, or any of these together), and PDF or HTML."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from indicators.models import Authority, Nation, Region
from reports import packs
from reports.models import Report, ReportPack
from reports.spec import SpecError, parse_spec, spec_of


class _FirstOptionLabelled:
    """A radio or checkbox group whose label (and error-summary link) points at its first
    option, as GOV.UK's error summary does; Django's points nowhere."""

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)  # type: ignore[misc]


class CouncilCheckboxes(_FirstOptionLabelled, forms.CheckboxSelectMultiple):
    pass


class FormatRadios(_FirstOptionLabelled, forms.RadioSelect):
    pass


class _NotFoundForNul:
    """A choice holding a NUL character is one not found, in the form's words: Django's own
    message for it ("Null characters are not allowed.") names no field."""

    def validate_no_null_characters(self, value):
        if "\x00" in str(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],  # type: ignore[attr-defined]
                code="invalid_choice",
                params={"value": value},
            )


class RegionChoice(_NotFoundForNul, forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return ngettext(
            "%(region)s (%(count)d council)", "%(region)s (%(count)d councils)", obj.councils
        ) % {"region": obj.name, "count": obj.councils}


class ReportChoice(_NotFoundForNul, forms.ModelChoiceField):
    def label_from_instance(self, obj: Report) -> str:
        return _("%(title)s – %(council)s, version %(version)d (%(status)s)") % {
            "title": obj.title,
            "council": obj.authority.name,
            "version": obj.version,
            "status": obj.get_status_display().lower(),
        }


class CouncilChoices(_NotFoundForNul, forms.ModelMultipleChoiceField):
    """Councils ticked by id, every refusal in the form's words. Django checks each id alone
    with a lookup that knows an id too large for the database's integers matches nothing,
    but then fetches them all with IN, which SQLite and PostgreSQL answer with an error for
    such an id."""

    def _check_values(self, value):
        for pk in value:
            if not _fits_an_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


def _fits_an_id(text) -> bool:
    try:
        return abs(int(str(text).strip())) < 2**63
    except ValueError:
        return True  # not a number at all: Django's own check refuses it


class PackForm(forms.Form):
    report = ReportChoice(
        queryset=Report.objects.select_related("authority").order_by(
            "authority__name", "slug", "-version"
        ),
        label=_("Committee paper"),
        empty_label=_("Choose a paper"),
        help_text=_(
            "Its sections and blocks are drawn with each council's figures. Text you wrote is "
            "copied as it is; commentary you edited is replaced by each council's generated "
            "commentary."
        ),
        error_messages={
            "required": _("Choose the committee paper to draw for each council"),
            "invalid_choice": _("That committee paper was not found: choose one from the list"),
        },
    )
    nation = forms.ChoiceField(
        choices=[("", _("No nation")), *Nation.choices],
        required=False,
        label=_("Every council in a nation"),
        error_messages={"invalid_choice": _("Choose Wales or England, or no nation")},
    )
    region = RegionChoice(
        queryset=Region.objects.annotate(
            councils=Count("authorities", filter=Q(authorities__active=True))
        ).order_by("nation", "name"),
        required=False,
        label=_("Every council in a region"),
        empty_label=_("No region"),
        error_messages={
            "invalid_choice": _("That region was not found: choose one from the list"),
        },
    )
    councils = CouncilChoices(
        queryset=Authority.objects.filter(active=True)
        .select_related("region")
        .order_by("nation", "region__name", "name"),
        required=False,
        widget=CouncilCheckboxes(attrs={"class": "checkboxes__input"}),
        label=_("Councils"),
        error_messages={
            "invalid_choice": _("A council you chose was not found: tick councils from the list"),
            "invalid_pk_value": _("A council you chose was not found: tick councils from the list"),
        },
    )
    format = forms.ChoiceField(
        choices=ReportPack.Format.choices,
        initial=ReportPack.Format.PDF,
        widget=FormatRadios(attrs={"class": "radios__input"}),
        label=_("Format"),
        error_messages={
            "required": _("Choose PDF or HTML"),
            "invalid_choice": _("Choose PDF or HTML"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counts = dict(
            Authority.objects.filter(active=True)
            .values_list("nation")
            .annotate(n=Count("pk"))
            .values_list("nation", "n")
        )
        self.fields["nation"].choices = [
            ("", _("No nation")),
            *(
                (
                    value,
                    ngettext(
                        "%(nation)s (%(count)d council)",
                        "%(nation)s (%(count)d councils)",
                        counts.get(value, 0),
                    )
                    % {"nation": label, "count": counts.get(value, 0)},
                )
                for value, label in Nation.choices
            ),
        ]

    def clean_report(self) -> Report:
        report = self.cleaned_data["report"]
        try:
            parse_spec(spec_of(report))
        except SpecError as exc:
            raise forms.ValidationError(
                _("This paper cannot be drawn until it is corrected: %(problems)s"),
                params={"problems": exc},
            ) from exc
        return report

    def clean(self):
        cleaned = super().clean()
        if {"nation", "region", "councils"} & set(self.errors):
            return cleaned
        nation, region = cleaned.get("nation"), cleaned.get("region")
        chosen = {council.pk: council for council in cleaned.get("councils") or []}
        if nation:
            in_nation = packs.councils_of(nation=nation)
            if not in_nation:
                self.add_error(
                    "nation",
                    _("%(nation)s has no councils yet: choose another or tick councils")
                    % {"nation": Nation(nation).label},
                )
                return cleaned
            chosen.update((council.pk, council) for council in in_nation)
        if region is not None:
            in_region = packs.councils_of(region=region)
            if not in_region:
                self.add_error(
                    "region",
                    _("%(region)s has no councils: choose another region or tick councils")
                    % {"region": region.name},
                )
                return cleaned
            chosen.update((council.pk, council) for council in in_region)
        if not chosen:
            self.add_error(
                "councils", _("Choose a nation or a region, or tick at least one council")
            )
        cleaned["chosen"] = sorted(chosen.values(), key=lambda council: council.name)
        return cleaned

    def council_groups(self) -> list[tuple[str, list]]:
        """The council checkboxes grouped by region (or nation, for councils without one)."""

        def group(box) -> str:
            council = box.data["value"].instance
            return council.region.name if council.region else council.get_nation_display()

        return [(name, list(boxes)) for name, boxes in groupby(self["councils"], key=group)]
