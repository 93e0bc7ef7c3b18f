"""Every page needs a signed-in user, except sign-in itself and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

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
