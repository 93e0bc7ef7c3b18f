"""Which comparators a dashboard shows: the URL's choice, else the user's last one, else the
national average and the council's targets.

The URL names them (`comparators=sn-median,target`, or the parameter repeated, as a form
without JavaScript sends it) so that a link shows the same view; the choice is kept on the
user, so the overview, every indicator page and the next visit show the same comparators.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from indicators import frames
from indicators.frames import ComparatorOption
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


@dataclass(frozen=True)
class Choice:
    chosen: list[ComparatorOption]  # in the order asked for
    errors: list[tuple[str, str]]  # (field, message) for the page's error summary

    @property
    def slugs(self) -> list[str]:
        return [option.slug for option in self.chosen]


def choose(request: HttpRequest, authority: Authority, options: list[ComparatorOption]) -> Choice:
    """The comparators asked for (chosen_comparators) among those this page offers, and a
    message for each that is not one of the council's. "target" is every council's: one
    without a target for what the page shows simply has no line, which is not worth an
    error."""
    available = {option.slug: option for option in options}
    asked = chosen_comparators(request, authority)
    return Choice(
        chosen=[available[slug] for slug in asked if slug in available],
        errors=[
            (
                "comparators",
                _("“%(slug)s” is not a comparator for %(council)s, so it is not shown")
                % {"slug": slug, "council": authority.name},
            )
            for slug in asked
            if slug not in available and slug != frames.TARGET
        ],
    )
