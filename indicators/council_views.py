"""A council's overview: every indicator's latest figure, grouped by theme, against the
comparators the user chose (indicators.choosing) and the council's targets."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from council_reports import permissions
from indicators import caching, frames
from indicators.choosing import choose
from indicators.models import Authority
from indicators.summary import by_theme, latest_figures


def overview(request: HttpRequest, council: str) -> HttpResponse:
    # The council, its comparators and the tables change only when figures do (councils,
    # comparators and targets count as figures: indicators.caching), so a member's view reads
    # from the database only the session, the user and the figures version.
    version = caching.current_version()
    authority, options = caching.cached(
        "council", (council,), lambda: council_and_options(council), version
    )
    # Members read published (final) figures; the council's own staff also see provisional
    # ones, marked, so they can check what they entered before it is approved.
    staff = permissions.can_view_returns(request.user, authority)
    choice = choose(request, authority, options)
    chosen = choice.chosen
    query = urlencode({"comparators": ",".join(choice.slugs)})

    def draw_tables() -> str:
        figures = latest_figures(authority, chosen, include_provisional=staff)
        return render_to_string(
            "indicators/overview_tables.html",
            {
                "council": authority,
                "themes": by_theme(figures),
                "query": query,
                "gap_columns": [option for option in chosen if option.slug != frames.TARGET],
                "show_target": any(option.slug == frames.TARGET for option in chosen),
            },
        )

    # The tables depend only on the council, the comparators chosen and whether provisional
    # figures are shown (the council's own staff): that is what they are filed under.
    tables = caching.cached("overview", (authority.pk, query, staff), draw_tables, version)
    return render(
        request,
        "indicators/council_overview.html",
        {
            "council": authority,
            # Drawn by our own template (overview_tables.html), which escapes what it prints.
            "tables": mark_safe(tables),  # noqa: S308  # nosec B308 B703
            "options": options,
            "chosen": choice.slugs,
            "errors": choice.errors,
            "query": query,
            "staff": staff,
            "can_enter": permissions.can_enter_returns(request.user, authority),
        },
    )


def council_and_options(slug: str) -> tuple[Authority, list[frames.ComparatorOption]]:
    """The council a URL names (with its region, which the page names), or 404, and the
    comparators it can be shown against (targets offered where it has any)."""
    authority = get_object_or_404(Authority.objects.select_related("region"), slug=slug)
    return authority, frames.comparator_options(authority, any_target=True)
