"""Workforce pages of one council: the dashboard members read, its snapshots, and the form
that adds or corrects one."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from council_reports.permissions import (
    can_enter_returns,
    can_view_returns,
    can_view_staff_records,
    council_for,
)
from indicators import charts
from indicators.models import Authority
from workforce import derive, frames
from workforce.forms import SnapshotForm
from workforce.models import WorkforceSnapshot


def snapshot_list(request: HttpRequest, council: str) -> HttpResponse:
    authority = council_for(request.user, council, edit=False)
    snapshots = (
        WorkforceSnapshot.objects.filter(authority=authority)
        .select_related("team", "role")
        .order_by("-as_at", "team__name", "role__name")
    )
    rows = [
        (s, derive.vacancy_rate(s.establishment_fte, s.filled_fte, vacant=s.vacancies_fte))
        for s in snapshots
    ]
    return render(
        request,
        "workforce/snapshot_list.html",
        {
            "council": authority,
            "rows": rows,
            "can_edit": can_enter_returns(request.user, authority),
        },
    )


def edit_snapshot(request: HttpRequest, council: str, pk: int | None = None) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    snapshot = get_object_or_404(WorkforceSnapshot, pk=pk, authority=authority) if pk else None
    form = SnapshotForm(request.POST or None, instance=snapshot, authority=authority)
    if request.method == "POST" and form.is_valid():
        saved = form.instance
        saved._change_reason = (
            _("edited in the workforce form") if pk else _("entered in the workforce form")
        )
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            # Someone saved the same team, role and date between our check and our write.
            form.add_error("as_at", form.duplicate_message())
        else:
            messages.success(request, _("Snapshot saved: %(snapshot)s") % {"snapshot": saved})
            return redirect("workforce:list", council=authority.slug)
    return render(
        request,
        "workforce/snapshot_form.html",
        {"council": authority, "form": form, "snapshot": snapshot},
    )


@require_GET
def dashboard(request: HttpRequest, council: str) -> HttpResponse:
    """Staffing over time for everyone signed in: aggregate counts, no free text. Notes on
    snapshots, and the link to the snapshots themselves, are for the council's staff."""
    authority = get_object_or_404(Authority, slug=council)
    staff = can_view_staff_records(request.user, authority)
    board = frames.workforce_dashboard(
        authority,
        include_notes=staff,
        include_provisional=can_view_returns(request.user, authority),
    )
    return render(
        request,
        "workforce/dashboard.html",
        {
            "council": authority,
            "board": board,
            "charts": {key: _chart(chart, authority) for key, chart in board.charts.items()},
            "staff": staff,
        },
    )


def _chart(chart: frames.Chart, authority: Authority) -> dict:
    """What templates/includes/chart.html needs for one chart."""
    title = _("%(chart)s: %(council)s") % {"chart": chart.title, "council": authority.name}
    return {
        "title": chart.title,
        "empty": chart.empty,
        "empty_text": chart.empty_text,
        "table": charts.trend_table(chart.frame, chart.scale, title),
        "figure": None if chart.empty else charts.trend_figure(chart.frame, chart.scale, title),
        "styles": charts.series_styles(chart.frame),
        "chart_id": "chart-" + chart.key.replace("_", "-"),
        "data_id": "chart-" + chart.key.replace("_", "-") + "-data",
        "source": chart.source,
    }
