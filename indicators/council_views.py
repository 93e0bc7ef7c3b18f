"""A council's page: its latest figures against the national comparator."""

from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from council_reports import permissions
from indicators.models import Authority, Theme
from indicators.summary import latest_figures, national_comparator


def overview(request: HttpRequest, council: str) -> HttpResponse:
    authority = get_object_or_404(Authority, slug=council)
    # Members read published (final) figures; the council's own staff also see provisional
    # ones, marked, so they can check what they entered before it is approved.
    staff = permissions.can_view_returns(request.user, authority)
    figures = latest_figures(authority, include_provisional=staff)
    themes = [
        (Theme(theme).label if theme in Theme.values else theme, list(items))
        for theme, items in groupby(figures, key=lambda f: f.indicator.theme)
    ]
    return render(
        request,
        "indicators/council_overview.html",
        {
            "council": authority,
            "themes": themes,
            "comparator": national_comparator(authority),
            "staff": staff,
            "can_enter": permissions.can_enter_returns(request.user, authority),
        },
    )
