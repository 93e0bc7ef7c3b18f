"""Case-audit pages of one council: its audits, an audit's cases and recommendations, and
the later status updates of a recommendation.

Audit free text is sensitive: every page here is refused to members (403), not just
trimmed, and every object is looked up within the council the URL names.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from audits import derive
from audits.forms import AuditForm, CaseForm, RecommendationForm, StatusUpdateForm
from audits.models import AuditedCase, CaseAudit, Recommendation
from council_reports.permissions import can_enter_returns, council_for

# History keeps at most this many characters of a change reason.
REASON_LENGTH = 100


def audit_list(request: HttpRequest, council: str) -> HttpResponse:
    authority = council_for(request.user, council, edit=False)
    audits = CaseAudit.objects.filter(authority=authority).select_related("period")
    return render(
        request,
        "audits/audit_list.html",
        {
            "council": authority,
            "audits": audits,
            "can_edit": can_enter_returns(request.user, authority),
        },
    )


def audit_detail(request: HttpRequest, council: str, pk: int) -> HttpResponse:
    authority = council_for(request.user, council, edit=False)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority)
    cases = list(audit.cases.select_related("worker_role"))
    grades = [c.grade for c in cases]
    counts = derive.grade_counts(grades)
    return render(
        request,
        "audits/audit_detail.html",
        {
            "council": authority,
            "audit": audit,
            "cases": cases,
            "recommendations": audit.recommendations.all(),
            "graded": sum(counts.values()),
            "good": counts["good"],
            "share_good": derive.share_graded(grades),
            "can_edit": can_enter_returns(request.user, authority),
        },
    )


def _save(request: HttpRequest, form: ModelForm, reason: str, duplicate_field: str) -> bool:
    """Save with a change reason for history. A unique clash that slipped past the form's
    check (two people saving at once) becomes an error on the field, not a server error."""
    form.instance._change_reason = reason[:REASON_LENGTH]
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(duplicate_field, _("This was saved by someone else meanwhile; check it"))
        return False
    messages.success(request, _("Saved."))
    return True


def edit_audit(request: HttpRequest, council: str, pk: int | None = None) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority) if pk else None
    form = AuditForm(request.POST or None, instance=audit, authority=authority)
    if request.method == "POST" and form.is_valid():
        reason = _("edited in the audit form") if audit else _("entered in the audit form")
        if _save(request, form, reason, "title"):
            return redirect("audits:detail", council=authority.slug, pk=form.instance.pk)
    return render(
        request,
        "audits/form.html",
        {
            "council": authority,
            "audit": audit,
            "form": form,
            "heading": _("Edit the audit") if audit else _("Add a case audit"),
        },
    )


def edit_case(
    request: HttpRequest, council: str, pk: int, case_pk: int | None = None
) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority)
    case = get_object_or_404(AuditedCase, pk=case_pk, audit=audit) if case_pk else None
    form = CaseForm(request.POST or None, instance=case, audit=audit)
    if request.method == "POST" and form.is_valid():
        reason = _("edited in the case form") if case else _("entered in the case form")
        if _save(request, form, reason, "reference"):
            return redirect("audits:detail", council=authority.slug, pk=audit.pk)
    return render(
        request,
        "audits/form.html",
        {
            "council": authority,
            "audit": audit,
            "form": form,
            "heading": _("Edit a case") if case else _("Add a case"),
        },
    )


def edit_recommendation(
    request: HttpRequest, council: str, pk: int, rec_pk: int | None = None
) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority)
    rec = get_object_or_404(Recommendation, pk=rec_pk, audit=audit) if rec_pk else None
    form = RecommendationForm(request.POST or None, instance=rec, audit=audit)
    if request.method == "POST" and form.is_valid():
        reason = (
            _("edited in the recommendation form")
            if rec
            else _("entered in the recommendation form")
        )
        if _save(request, form, reason, "number"):
            return redirect("audits:detail", council=authority.slug, pk=audit.pk)
    return render(
        request,
        "audits/form.html",
        {
            "council": authority,
            "audit": audit,
            "form": form,
            "heading": _("Edit a recommendation") if rec else _("Add a recommendation"),
        },
    )


def update_status(request: HttpRequest, council: str, pk: int, rec_pk: int) -> HttpResponse:
    authority = council_for(request.user, council, edit=True)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority)
    rec = get_object_or_404(Recommendation, pk=rec_pk, audit=audit)
    before = rec.get_status_display()
    form = StatusUpdateForm(request.POST or None, instance=rec)
    if request.method == "POST" and form.is_valid():
        reason = _("status %(before)s → %(after)s") % {
            "before": before,
            "after": form.instance.get_status_display(),
        }
        if _save(request, form, reason, "status"):
            return redirect("audits:detail", council=authority.slug, pk=audit.pk)
    history = rec.history.select_related("history_user").order_by("-history_date")
    return render(
        request,
        "audits/status_form.html",
        {
            "council": authority,
            "audit": audit,
            "recommendation": rec,
            "form": form,
            "history": history,
        },
    )
