"""Workforce pages of one council: its snapshots, and the form that adds or corrects one."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from council_reports.permissions import can_enter_returns, council_for
from workforce import derive
from workforce.forms import SnapshotForm
from workforce.models import WorkforceSnapshot


def snapshot_list(request: HttpRequest, council: str) -> HttpResponse:
    authority = council_for(request.user, council, edit=False)
    snapshots = (
        WorkforceSnapshot.objects.filter(authority=authority)
        .select_related("team", "role")
        .order_by("-as_at", "team__name", "role__name")
    )
    rows = [(s, derive.vacancy_rate(s.establishment_fte, s.filled_fte)) for s in snapshots]
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
