"""Error messages that name their field, as the GOV.UK Design System asks ("Enter the
title", "Establishment must be 0 or more"), in place of Django's "This field is required."
An error summary lists messages out of context, so each must say which box it is about."""

from __future__ import annotations

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _


def name_the_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        label = str(field.label or "")
        params = {"field": label, "lower": label[:1].lower() + label[1:]}
        messages = {
            "required": _("Enter %(lower)s") % params,
            "min_value": _("%(field)s must be %%(limit_value)s or more") % params,
            "max_value": _("%(field)s must be %%(limit_value)s or less") % params,
            "max_length": _("%(field)s must be %%(limit_value)d characters or fewer") % params,
            "max_digits": _("%(field)s must have no more than %%(max)s digits") % params,
            "max_decimal_places": _("%(field)s must have no more than %%(max)s decimal places")
            % params,
            "max_whole_digits": _("%(field)s is too large") % params,
            # Text boxes refuse NUL characters (ProhibitNullCharactersValidator's code).
            "null_characters_not_allowed": _("%(field)s must not contain null characters") % params,
        }
        # DecimalField is a kind of IntegerField: ask about it first.
        if isinstance(field, forms.DecimalField | forms.FloatField):
            messages["invalid"] = _("%(field)s must be a number") % params
        elif isinstance(field, forms.IntegerField):
            messages["invalid"] = _("%(field)s must be a whole number") % params
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            messages["required"] = _("Select %(lower)s") % params
            messages["invalid_choice"] = _("Select %(lower)s from the list") % params
        field.error_messages.update(messages)
        if isinstance(field, forms.ModelChoiceField):
            # Checked before the choice is looked up, by a validator of its own whose
            # message ("Null characters are not allowed.") would not say which box.
            field.validate_no_null_characters = ProhibitNullCharactersValidator(
                messages["null_characters_not_allowed"]
            )
