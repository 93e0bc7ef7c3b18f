from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from council_reports import permissions, signin
from indicators.models import Authority


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "not answering"}, status=503)
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: the councils they work for (all, for other roles)."""
    user = request.user
    mine = list(user.authorities.select_related("region").order_by("name"))
    councils = mine or Authority.objects.filter(active=True).select_related("region")
    # The linked councils are the ones the user acts for, so the role decides the links.
    enters = mine if permissions.enters_returns(user) else []
    return render(
        request,
        "home.html",
        {"councils": councils, "linked": bool(mine), "return_councils": enters},
    )


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a sign-in from a locked username and address, or from an address
    locked for every username (AXES_LOCKOUT_CALLABLE): 429, saying which, how long the lock
    lasts and who can lift it."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "address_locked": signin.address_is_locked(request),
            "address_attempts": settings.SIGNIN_ADDRESS_ATTEMPTS,
            "attempts": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
