"""Import a file of figures in the browser: upload, preview, confirm.

The preview is a dry run of `import_observations_file`, the `import_observations` command's
code path, and confirming runs it for real; nothing is written before confirmation. Who may
import which rows is `indicators.uploads.disallowed_rows`, applied both times.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from council_reports import permissions
from indicators import importing, uploads
from indicators.models import ImportLog

logger = logging.getLogger(__name__)

# Enough to find the pattern in a bad file without a page of thousands of rows.
SHOWN_PROBLEMS = 500
RECENT_IMPORTS = 10


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File of figures"),
        help_text=_(
            "A .csv file (UTF-8) or an .xlsx workbook (its first sheet), at most 20 MB. "
            "Row 1 names the columns: authority, indicator, period, then value or numerator "
            "and denominator; unit, comparator, note and source are optional."
        ),
    )
    create_missing = forms.BooleanField(
        label=_("Add indicators the app does not know yet"),
        help_text=_("The file must then give their unit. Complete their definitions afterwards."),
        required=False,
    )

    def __init__(self, *args, allow_create_missing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_create_missing:
            del self.fields["create_missing"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        if not name.lower().endswith(uploads.SUFFIXES):
            raise forms.ValidationError(
                _("The file must be a .csv or .xlsx file; %(name)s is neither."),
                params={"name": uploads.safe_name(name)},
                code="file_type",
            )
        if upload.size > uploads.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file must be smaller than %(limit)s; this one is %(size)s."),
                params={
                    "limit": filesizeformat(uploads.MAX_UPLOAD_BYTES),
                    "size": filesizeformat(upload.size),
                },
                code="file_size",
            )
        return upload


def _check_importer(request: HttpRequest) -> None:
    if not uploads.may_import(request.user):
        raise PermissionDenied(_("Only officers, approvers and administrators import figures."))


def _pending(request: HttpRequest, token: str) -> uploads.PendingUpload:
    """The upload this session made, or 404 for anyone else's token (or a used one)."""
    pending = uploads.find(request.session, request.user, token)
    if pending is None:
        raise Http404(_("No upload waits under this address; upload the file again."))
    return pending


def _import(request: HttpRequest, pending: uploads.PendingUpload, *, dry_run: bool):
    user = request.user
    return importing.import_observations_file(
        pending.path,
        user=user,
        dry_run=dry_run,
        create_missing=pending.create_missing and uploads.may_create_indicators(user),
        default_status=uploads.status_for(user),
        filename=pending.filename,
        check_rows=uploads.row_check_for(user),
    )


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _check_importer(request)
    allow = uploads.may_create_indicators(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, allow_create_missing=allow)
        if form.is_valid():
            try:
                kept = uploads.keep(
                    request.session,
                    request.user,
                    form.cleaned_data["file"],
                    create_missing=bool(form.cleaned_data.get("create_missing")),
                )
            except uploads.UploadRefused as exc:
                form.add_error("file", str(exc))
            else:
                for name in kept.superseded:
                    messages.info(request, _superseded_message(name))
                return redirect("imports:preview", token=kept.pending.token)
    else:
        form = UploadForm(allow_create_missing=allow)
    recent = ImportLog.objects.filter(user=request.user, command=importing.COMMAND)
    return render(
        request,
        "indicators/import_upload.html",
        {
            "form": form,
            "recent": recent[:RECENT_IMPORTS],
            "waiting": uploads.waiting(request.user),
            "max_pending": uploads.MAX_PENDING,
            "max_pending_bytes": uploads.MAX_PENDING_BYTES,
            "provisional": not permissions.is_admin(request.user),
        },
    )


def _superseded_message(name: str) -> str:
    return _(
        "Your oldest upload waiting for confirmation, %(name)s, was removed: you may keep "
        "%(count)s at a time. Nothing from it was imported."
    ) % {"name": name, "count": uploads.MAX_PENDING}


def _preview_page(request: HttpRequest, pending, report, *, confirming: bool) -> HttpResponse:
    result = report.result
    return render(
        request,
        "indicators/import_preview.html",
        {
            "pending": pending,
            "report": report,
            "result": result,
            "errors": report.errors[:SHOWN_PROBLEMS],
            "more_errors": max(0, len(report.errors) - SHOWN_PROBLEMS),
            "warnings": result.warnings[:SHOWN_PROBLEMS] if result else [],
            "more_warnings": max(0, len(result.warnings) - SHOWN_PROBLEMS) if result else 0,
            "provisional": not permissions.is_admin(request.user),
            "confirming": confirming,
        },
    )


@require_http_methods(["GET"])
def preview(request: HttpRequest, token: str) -> HttpResponse:
    _check_importer(request)
    pending = _pending(request, token)
    report = _import(request, pending, dry_run=True)
    _discard_if_refused(request, pending, report)
    return _preview_page(request, pending, report, confirming=False)


def _discard_if_refused(request: HttpRequest, pending, report) -> None:
    """A file with errors can never be confirmed: it is removed at once, not kept for a day
    (the page still lists its errors; the user uploads a corrected file)."""
    if report.errors:
        uploads.discard(request.session, pending)


@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    _check_importer(request)
    pending = _pending(request, token)
    # Checked again: the file is the same, but the user's councils or the stored figures
    # may have changed since the preview.
    try:
        report = _import(request, pending, dry_run=False)
    except importing.ImportInterrupted as exc:
        # The upload stays, so the same button runs the import again (figures it may have
        # stored already are then left unchanged).
        logger.error("import of %s interrupted", pending.filename, exc_info=True)
        return render(
            request,
            "indicators/import_interrupted.html",
            {"pending": pending, "message": str(exc)},
            status=503,
        )
    if not report.ok or report.result is None or report.result.log is None:
        _discard_if_refused(request, pending, report)
        return _preview_page(request, pending, report, confirming=True)
    uploads.discard(request.session, pending)
    return redirect("imports:result", pk=report.result.log.pk)


@require_POST
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    _check_importer(request)
    pending = _pending(request, token)
    uploads.discard(request.session, pending)
    messages.info(
        request,
        _("The upload %(name)s was cancelled and removed; nothing from it was imported.")
        % {"name": pending.filename},
    )
    return redirect("imports:upload")


@require_http_methods(["GET"])
def result(request: HttpRequest, pk: int) -> HttpResponse:
    _check_importer(request)
    log = get_object_or_404(ImportLog, pk=pk, command=importing.COMMAND)
    if log.user_id != request.user.pk and not permissions.is_admin(request.user):
        raise Http404
    return render(
        request,
        "indicators/import_result.html",
        {"log": log, "provisional": not permissions.is_admin(log.user) if log.user else False},
    )
