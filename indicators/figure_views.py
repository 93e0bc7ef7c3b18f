"""Enter any one figure for a council: choose the indicator and period, give a value or its
counts, see what will be stored, then save it through the one write path (with history)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from council_reports.permissions import can_approve, council_for
from indicators import store
from indicators.figure_forms import FigureForm
from indicators.models import Observation


def enter_figure(request: HttpRequest, council: str) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    if request.method != "POST" or "change" in request.POST:
        initial = request.POST.dict() if request.method == "POST" else request.GET.dict()
        form = FigureForm(initial=initial, authority=authority)
        return render(request, "indicators/figure_form.html", {"council": authority, "form": form})
    form = FigureForm(request.POST, authority=authority)
    if not form.is_valid():
        return render(request, "indicators/figure_form.html", {"council": authority, "form": form})
    # An approver entering a figure vouches for it; an officer's waits for approval.
    status = (
        Observation.Status.FINAL
        if can_approve(request.user, authority)
        else Observation.Status.PROVISIONAL
    )
    row = form.figure_row(status)
    if "confirm" not in request.POST:
        return render(
            request,
            "indicators/figure_confirm.html",
            {"council": authority, "form": form, "row": row, "existing": form.existing},
        )
    reason = form.cleaned_data["reason"].strip() or _("entered in the figure form")
    store.write_figures(
        [row],
        command="figure_form",
        filename=f"{authority} {row.indicator.code} {row.period_code}",
        user=request.user,
        change_reason=reason,
    )
    messages.success(
        request,
        _("Saved %(indicator)s for %(period)s: %(value)s")
        % {"indicator": row.indicator.code, "period": row.period_code, "value": row.value},
    )
    return redirect("figures:new", council=authority.slug)
