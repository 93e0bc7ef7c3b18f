"""A council's overview: every indicator's latest figure, grouped by theme, against the
comparators the user chose (indicators.choosing) and the council's targets."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from council_reports import permissions
from indicators import frames
from indicators.choosing import choose
from indicators.models import Authority
from indicators.summary import by_theme, latest_figures


def overview(request: HttpRequest, council: str) -> HttpResponse:
    authority = get_object_or_404(Authority, slug=council)
    # Members read published (final) figures; the council's own staff also see provisional
    # ones, marked, so they can check what they entered before it is approved.
    staff = permissions.can_view_returns(request.user, authority)
    options = frames.comparator_options(authority, any_target=True)
    choice = choose(request, authority, options)
    chosen = choice.chosen
    figures = latest_figures(authority, chosen, include_provisional=staff)
    query = urlencode({"comparators": ",".join(choice.slugs)})
    return render(
        request,
        "indicators/council_overview.html",
        {
            "council": authority,
            "themes": by_theme(figures),
            "options": options,
            "chosen": choice.slugs,
            "gap_columns": [option for option in chosen if option.slug != frames.TARGET],
            "show_target": any(option.slug == frames.TARGET for option in chosen),
            "errors": choice.errors,
            "query": query,
            "staff": staff,
            "can_enter": permissions.can_enter_returns(request.user, authority),
        },
    )
