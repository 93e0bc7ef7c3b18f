"""Printing figures as papers print them: to the indicator's decimals, withheld as words."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from indicators import derive
from indicators.models import Observation

register = template.Library()


@register.filter
def figure(observation: Observation | None) -> str:
    """63.28, 1,588 or 'withheld (suppressed to protect confidentiality)'."""
    if observation is None:
        return _("no figure")
    if observation.withheld:
        return _("withheld (%(reason)s)") % {"reason": observation.get_withheld_display().lower()}
    return number(observation.value, observation.indicator.decimals)


@register.filter
def number(value: Decimal | None, decimals: int = 0) -> str:
    if value is None:
        return _("no figure")
    return f"{derive.round_half_up(value, decimals):,.{decimals}f}"
