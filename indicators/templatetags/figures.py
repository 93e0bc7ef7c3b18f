"""Printing figures as papers print them: to the indicator's decimals, withheld as words."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
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


@register.filter
def amount(value: Decimal | None, indicator) -> str:
    """A value with its unit as a paper prints it: 63.28%, £7,368, 1,588."""
    if value is None:
        return _("no figure")
    return derive.as_printed(value, indicator.unit, indicator.decimals)


# The sparkline's drawing box, in SVG units (CSS sizes it).
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 100, 28, 3


@register.simple_tag
def sparkline(points, decimals: int = 0) -> str:
    """A small line of the recent trend, drawn server-side as inline SVG (no script), hidden
    from screen readers, which read the same figures as text beside it instead. A withheld
    or missing figure breaks the line; the latest point is marked."""
    values = [p.value for p in points]
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or Decimal(1)
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (len(values) - 1)

    def xy(index: int, value: Decimal) -> tuple[float, float]:
        x = SPARK_PAD + index * step
        y = SPARK_HEIGHT - SPARK_PAD - float((value - low) / span) * (SPARK_HEIGHT - 2 * SPARK_PAD)
        return round(x, 1), round(y, 1)

    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(xy(index, value))
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="2"/>',
        ((" ".join(f"{x},{y}" for x, y in run),) for run in runs if len(run) > 1),
    )
    singles = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="1.5" fill="currentColor"/>',
        (run[0] for run in runs if len(run) == 1),
    )
    last = xy(len(values) - 1, values[-1]) if values[-1] is not None else None
    marker = (
        format_html('<circle cx="{}" cy="{}" r="3" fill="currentColor"/>', *last) if last else ""
    )
    words = "; ".join(
        f"{p.label}: {number(p.value, decimals) if p.value is not None else _('no figure')}"
        for p in points
    )
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" aria-hidden="true" focusable="false">'
        "{}{}{}</svg>"
        '<span class="visually-hidden">{}</span>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        lines,
        singles,
        marker,
        _("Trend: %(points)s") % {"points": words},
    )
