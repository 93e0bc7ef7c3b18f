"""A council's overview: every indicator's latest figure, grouped by theme, against the
comparators the user chose (indicators.choosing) and the council's targets."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from council_reports import permissions
from indicators import frames
from indicators.choosing import chosen_comparators
from indicators.models import Authority
from indicators.summary import by_theme, latest_figures


def overview(request: HttpRequest, council: str) -> HttpResponse:
    authority = get_object_or_404(Authority, slug=council)
    # Members read published (final) figures; the council's own staff also see provisional
    # ones, marked, so they can check what they entered before it is approved.
    staff = permissions.can_view_returns(request.user, authority)
    options = frames.comparator_options(authority, any_target=True)
    available = {option.slug: option for option in options}
    asked = chosen_comparators(request, authority)
    chosen = [available[slug] for slug in asked if slug in available]
    ignored = [slug for slug in asked if slug not in available and slug != frames.TARGET]
    figures = latest_figures(authority, chosen, include_provisional=staff)
    query = urlencode({"comparators": ",".join(option.slug for option in chosen)})
    return render(
        request,
        "indicators/council_overview.html",
        {
            "council": authority,
            "themes": by_theme(figures),
            "options": options,
            "chosen": [option.slug for option in chosen],
            "gap_columns": [option for option in chosen if option.slug != frames.TARGET],
            "show_target": any(option.slug == frames.TARGET for option in chosen),
            "errors": [
                (
                    "comparators",
                    _("“%(slug)s” is not a comparator for %(council)s, so it is not shown")
                    % {"slug": slug, "council": authority.name},
                )
                for slug in ignored
            ],
            "query": query,
            "staff": staff,
            "can_enter": permissions.can_enter_returns(request.user, authority),
        },
    )
