"""Which comparators a dashboard shows: the URL's choice, else the user's last one, else the
national average and the council's targets.

The URL names them (`comparators=sn-median,target`, or the parameter repeated, as a form
without JavaScript sends it) so that a link shows the same view; the choice is kept on the
user, so the overview, every indicator page and the next visit show the same comparators.
"""

from __future__ import annotations

from django.http import HttpRequest

from indicators import frames
from indicators.models import Authority


def chosen_comparators(request: HttpRequest, authority: Authority) -> list[str]:
    """The slugs asked for, in order, unknown ones included (the page says it ignored them).
    An empty `comparators=` means none."""
    user = request.user
    if "comparators" in request.GET:
        slugs = [
            slug.strip()
            for value in request.GET.getlist("comparators")
            for slug in value.split(",")
            if slug.strip()
        ]
        slugs = list(dict.fromkeys(slugs))
        remembered = [s for s in slugs if s in frames.SLUGS]
        if user.is_authenticated and user.comparators != remembered:
            user.comparators = remembered
            user.save(update_fields=["comparators"])
        return slugs
    if user.is_authenticated and isinstance(user.comparators, list):
        return [str(s) for s in user.comparators]
    return frames.default_comparators(authority)
