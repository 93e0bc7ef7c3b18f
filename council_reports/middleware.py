"""Every page needs a signed-in user, except sign-in itself and the health check; a session
ends when it has been idle too long or has lasted too long."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext

OPEN_PATHS = ("/accounts/login/", "/healthz", "/static/", "/api/")


class LoginRequiredMiddleware:
    """Deny by default: a new view is private unless its path is listed as open.

    The API is left to Django REST framework, which answers 401/403 in JSON rather than
    redirecting a script to a login form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(OPEN_PATHS):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# How stale the last-seen time may grow before it is written again: one session write a
# minute at most, not one per request.
SEEN_RESOLUTION = 60


def start_session_clock(sender, request, user, **kwargs) -> None:
    """On signing in (user_logged_in): the times the session's limits count from."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


class SessionExpiryMiddleware:
    """Signs a user out after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE
    after signing in however busy, saying why on the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._ended(request.session, int(time.time()))
            if ended:
                logout(request)
                messages.info(request, ended)
        return self.get_response(request)

    @staticmethod
    def _ended(session, now: int) -> str | None:
        signed_in = session.get(SIGNED_IN_AT, now)
        seen = session.get(SEEN_AT, now)
        if now - signed_in >= settings.SESSION_COOKIE_AGE:
            return gettext(
                "You were signed out %(hours)s hours after signing in. Sign in again."
            ) % {"hours": settings.SESSION_COOKIE_AGE // 3600}
        if now - seen >= settings.SESSION_IDLE_SECONDS:
            return gettext(
                "You were signed out after %(minutes)s minutes without activity. Sign in again."
            ) % {"minutes": settings.SESSION_IDLE_SECONDS // 60}
        if SIGNED_IN_AT not in session:
            session[SIGNED_IN_AT] = now
        if now - seen >= SEEN_RESOLUTION or SEEN_AT not in session:
            session[SEEN_AT] = now
        return None
