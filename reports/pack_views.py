"""Report packs in the browser: authors (and administrators) start a pack, watch its progress
and download the zip. Nobody else may: a pack may hold drafts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from council_reports.permissions import can_author
from reports import packs
from reports.models import ReportPack
from reports.pack_forms import PackForm

RECENT = 50


def _authors_only(request) -> None:
    if not can_author(request.user):
        raise PermissionDenied


def _pack(request, pk: int) -> ReportPack:
    _authors_only(request)
    return get_object_or_404(
        ReportPack.objects.select_related("report__authority", "region", "created_by"), pk=pk
    )


@require_GET
def pack_list(request):
    _authors_only(request)
    recent = ReportPack.objects.select_related("report__authority", "region", "created_by")
    return render(request, "reports/packs/list.html", {"packs": recent[:RECENT]})


def new_pack(request):
    _authors_only(request)
    if request.method == "POST":
        form = PackForm(request.POST)
        if form.is_valid():
            pack = packs.start(
                form.cleaned_data["report"],
                form.cleaned_data["chosen"],
                fmt=form.cleaned_data["format"],
                user=request.user,
                region=form.cleaned_data["region"],
                nation=form.cleaned_data["nation"],
            )
            return redirect("packs:pack", pk=pack.pk)
    else:
        # ?report=<id> from a paper's page starts with that paper chosen.
        form = PackForm(initial={"report": request.GET.get("report")})
    return render(
        request,
        "reports/packs/form.html",
        {"form": form, "council_groups": form.council_groups()},
    )


@require_GET
def pack_page(request, pk: int):
    pack = _pack(request, pk)
    return render(
        request, "reports/packs/pack.html", {"pack": pack, "progress": packs.progress(pack)}
    )


@require_GET
@never_cache
def pack_status(request, pk: int):
    """The pack's progress as JSON, polled by static/reports/pack-progress.js."""
    return JsonResponse(packs.progress(_pack(request, pk)))


@require_GET
def pack_download(request, pk: int):
    pack = _pack(request, pk)
    if pack.status != ReportPack.Status.DONE or not pack.file:
        raise Http404("This pack has no zip to download.")
    try:
        handle = pack.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("This pack's zip is no longer on the server.") from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=packs.download_name(pack),
        content_type="application/zip",
    )
