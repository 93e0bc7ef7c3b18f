from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from council_reports import permissions
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
    mine = user.authorities.order_by("name")
    councils = mine if mine.exists() else Authority.objects.filter(active=True)
    enters = [c for c in mine if permissions.can_enter_returns(user, c)]
    return render(
        request,
        "home.html",
        {"councils": councils, "linked": mine.exists(), "return_councils": enters},
    )
