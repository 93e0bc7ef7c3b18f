"""Rules on staffing figures: what a post costs, vacancy rates and the ratios papers print.

Plain typed functions over Decimals, no database access, so a figure is computed in one
place and tested on its own.
"""

from __future__ import annotations

from decimal import Decimal

from indicators.derive import round_half_up, value_from_counts
from workforce.models import PostCost


def post_total_cost(salary: Decimal, employer_ni: Decimal, superannuation: Decimal) -> Decimal:
    """A post's yearly cost to the council: salary plus employer's National Insurance plus
    the employer's superannuation (pension) contribution."""
    return salary + employer_ni + superannuation


def total_cost(post: PostCost) -> Decimal:
    return post_total_cost(post.salary, post.employer_ni, post.superannuation)


def cost_variance(current: PostCost, proposed: PostCost) -> Decimal:
    """The extra yearly cost of the proposed post over the current one (negative if cheaper).

    Computed from the stored components. Seed 000 prints £7,368 for an ACM (GR9, £35,341)
    becoming a social worker (GR11, £42,710), but its own components and totals differ by
    £7,369; the paper probably subtracted unrounded costs. This returns £7,369 and the
    printed £7,368 is kept as published in the observation `acm_post_conversion_cost`.
    """
    return total_cost(proposed) - total_cost(current)


def vacancies(establishment: Decimal, filled: Decimal) -> Decimal:
    """Vacant posts or FTE: establishment less those filled, never below zero (a service
    can be over establishment, as seed 000 says of its social workers)."""
    return max(establishment - filled, Decimal(0))


def reported_vacancies(
    establishment: Decimal | None, filled: Decimal | None, vacant: Decimal | None
) -> Decimal | None:
    """Vacancies as the council reported them; otherwise establishment less filled, where
    both were reported. Papers give one or the other (Halton: 29 FTE, 2 vacant; seed 000:
    32 posts, 24 filled)."""
    if vacant is not None:
        return vacant
    if establishment is None or filled is None:
        return None
    return vacancies(establishment, filled)


def vacancy_rate(
    establishment: Decimal | None,
    filled: Decimal | None,
    decimals: int = 1,
    *,
    vacant: Decimal | None = None,
) -> Decimal | None:
    """Vacancies as a percentage of the establishment: 32 posts with 24 filled is 25.0%.

    `vacant` is the vacancies the council reported, used before establishment less filled
    (29 FTE with 2 vacant is 6.9% even when the filled figure was not given).
    """
    if establishment is None:
        return None
    vacant = reported_vacancies(establishment, filled, vacant)
    if vacant is None:
        return None
    return value_from_counts(vacant, establishment, "percent", decimals)


def agency_fte(
    agency: Decimal | None, filled: Decimal | None, *, agency_role: bool
) -> Decimal | None:
    """A snapshot's agency staff: as reported; for a role that is itself agency staff
    (Agency Social Worker) everyone in post, when no agency figure was given."""
    if agency is None and agency_role:
        return filled
    return agency


def permanent_fte(filled: Decimal, agency: Decimal) -> Decimal:
    """Filled FTE held by the council's own staff: those in post less agency staff."""
    return max(filled - agency, Decimal(0))


def agency_share(
    agency: Decimal | None, filled: Decimal | None, decimals: int = 1
) -> Decimal | None:
    """Agency FTE as a percentage of the filled FTE (agency staff fill posts too)."""
    return value_from_counts(agency, filled, "percent", decimals)


def percentage_split(first: Decimal, second: Decimal) -> tuple[int, int] | None:
    """Two amounts as whole percentages that add up to 100, as a paper prints a ratio.

    The first is rounded half up and the second takes the rest, so 61:39 never comes out as
    61:40. None when both are zero.
    """
    total = first + second
    if total == 0:
        return None
    share = int(round_half_up(Decimal(100) * first / total, 0))
    return share, 100 - share


def permanent_agency_ratio(permanent: Decimal, agency: Decimal) -> str:
    """'61:39': permanent to agency workers as percentages of all of them."""
    split = percentage_split(permanent, agency)
    return "" if split is None else f"{split[0]}:{split[1]}"


def qualified_unqualified_ratio(
    qualified: Decimal, unqualified: Decimal, decimals: int = 1
) -> Decimal | None:
    """Qualified staff per unqualified one (the n in n:1).

    Seed 000 at 31/03/2015: social workers 63.8 FTE and senior practitioners 26.5 FTE against
    31.4 FTE of Assessor Care Managers is 90.3 : 31.4, or 2.9:1.
    """
    if unqualified == 0:
        return None
    return round_half_up(qualified / unqualified, decimals)
