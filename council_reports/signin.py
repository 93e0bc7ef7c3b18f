"""Sign-in throttling on two counts (django-axes, AXES_HANDLER).

django-axes locks a username from an address after AXES_FAILURE_LIMIT wrong passwords
(AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]). That alone never slows one
password tried against many usernames from one address, and axes cannot give a second
parameter combination a limit of its own: its handler takes the largest failure count over
all the combinations and compares it with the one AXES_FAILURE_LIMIT (the limit callable is
not told which combination it is judging). So this handler adds the second count itself:
the failures from the client's address across every username within the cool-off, against
SIGNIN_ADDRESS_ATTEMPTS (DJANGO_SIGNIN_ADDRESS_ATTEMPTS). Over it, every username is refused
from that address, with the same lockout page, until the cool-off passes or
`manage.py axes_reset_ip ADDRESS` lifts it. The address is the one council_reports.network
trusts, so a forged X-Forwarded-For does not move a client to a fresh count.
"""

from __future__ import annotations

from datetime import datetime

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(ip_address: str | None, since: datetime) -> int:
    """Wrong passwords from one address since `since`, whichever usernames they tried."""
    if not ip_address:
        return 0
    recent = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since)
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_is_locked(request: HttpRequest) -> bool:
    """Whether the request's address has used up its sign-in attempts across all usernames."""
    limit = settings.SIGNIN_ADDRESS_ATTEMPTS
    ip_address = getattr(request, "axes_ip_address", None)
    if not limit or ip_address is None:
        return False  # 0 turns the per-address count off
    since = get_cool_off_threshold(request)
    return address_failures(ip_address, since) >= limit


class SignInHandler(AxesDatabaseHandler):
    """axes' database handler with the per-address limit: an address over
    SIGNIN_ADDRESS_ATTEMPTS counts as having reached AXES_FAILURE_LIMIT for whichever
    username it tries, so axes locks it (after recording the failure that crossed it)
    and refuses it in is_locked, as it does a username."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_is_locked(request):
            return max(failures, get_failure_limit(request, credentials))
        return failures
