"""API tokens: made, used, limited and revoked (django-rest-knox with council_reports.ApiToken).

A token is a random 256-bit key shown to its owner once, when made; only its SHA-512 digest is
stored. Each has an expiry (at most MAX_DAYS ahead) after which it is refused (401), and may be
limited to reading: such a token is refused (403) for any method but GET, HEAD and OPTIONS,
whatever the endpoint would do with it. Each use is recorded (to the minute) so an owner can
see which tokens are still in use, and revoke the rest at /account/tokens/.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from council_reports.models import ApiToken, User

MAX_DAYS = 365
# A token's last use is written when it is older than this, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_token(user: User, *, name: str, days: int, read_only: bool) -> tuple[ApiToken, str]:
    """A new token for `user`, expiring in `days` days: the stored token and its key, which
    exists nowhere else and must be shown to the owner now."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    return ApiToken.objects.create(
        user=user, expiry=timedelta(days=days), name=name, read_only=read_only
    )


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (never another user's)."""
    return ApiToken.objects.filter(user=user).order_by("-created")


def revoke_token(user: User, uid: uuid.UUID) -> bool:
    """Delete the user's token with this id; False when the user has no such token (someone
    else's included), so the caller answers as for a token that does not exist."""
    deleted, _details = tokens_of(user).filter(uid=uid).delete()
    return bool(deleted)


def record_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication (digest lookup, expired tokens refused and deleted),
    recording each token's last use."""

    def validate_user(self, auth_token: ApiToken):
        user, token = super().validate_user(auth_token)
        record_use(token)
        return user, token


class TokenScope(BasePermission):
    """A read-only token may only read. Checked before the view, so an unsafe method is
    refused even where the endpoint would answer 405."""

    message = _("This token may only read (GET, HEAD or OPTIONS).")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in SAFE_METHODS
        return True
