"""Committee papers in the browser: authors compose, preview, export and publish; everyone
signed in reads what is published."""

from __future__ import annotations

from django.shortcuts import render

from council_reports.permissions import can_author
from reports.models import Report


def report_list(request):
    reports = Report.objects.select_related("authority").order_by("slug", "-version")
    if not can_author(request.user):
        reports = reports.filter(status=Report.Status.PUBLISHED)
    return render(
        request,
        "reports/report_list.html",
        {"reports": reports, "can_author": can_author(request.user)},
    )
