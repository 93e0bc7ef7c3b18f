"""Case-audit pages of one council: its audits, an audit's cases and recommendations, and
the later status updates of a recommendation.

Audit free text is sensitive: every page here is refused (403), not just trimmed, to anyone
but the council's own officers, approvers and authors and administrators
(permissions.can_read_audit_text), every object is looked up within the council the URL
names, and every page drawn with an audit's text records who was shown it (audits.access).
The one exception is the dashboard, which shows counts only (audits/dashboard.py) and so is
for everyone signed in.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audits import access, dashboard, derive
from audits.forms import AuditForm, CaseForm, RecommendationForm, StatusUpdateForm
from audits.models import AuditedCase, CaseAudit, Recommendation
from council_reports.permissions import (
    can_enter_returns,
    can_read_audit_text,
    can_view_returns,
    council_for,
)
from indicators import charts
from indicators.models import Authority

# History keeps at most this many characters of a change reason.
REASON_LENGTH = 100


def audit_list(request: HttpRequest, council: str) -> HttpResponse:
    """Titles, auditors and dates only (no free text, so no access record), but only for
    those who may open the audits."""
    authority = council_for(request.user, council, edit=False, audit_text=True)
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


@require_safe
def audit_dashboard(
    request: HttpRequest, council: str, today: dt.date | None = None
) -> HttpResponse:
    """Counts, grades and percentages for scrutiny members: never an audit's free text.
    `today` (the day recommendations are overdue at) is the council's date unless given."""
    authority = get_object_or_404(Authority, slug=council)
    today = today or timezone.localdate()
    audits = dashboard.audit_figures(authority, today)
    # Members read final figures; the council's staff also provisional ones, marked.
    acm = dashboard.acm_figures(
        authority, include_provisional=can_view_returns(request.user, authority)
    )

    grades_source = _("Case-file audits of %(council)s") % {"council": authority.name}
    grades = dashboard.outcome_frame(audits, grades_source)
    grades_title = _("Audited cases by grade: %(council)s") % {"council": authority.name}
    grades_scale = charts.Scale(0, _("Cases"))
    context = {
        "council": authority,
        "today": today,
        "audits": audits,
        "recommendations_total": sum(
            (a.recommendations for a in audits), derive.RecommendationCounts()
        ),
        # Links to an audit's cases and findings only for those who may open them.
        "staff": can_read_audit_text(request.user, authority),
        "grades_table": charts.trend_table(grades, grades_scale, grades_title),
        "grades_figure": charts.bar_figure(
            grades, grades_scale, grades_title, category_title=_("Audit")
        )
        if not grades.empty
        else None,
        "grades_styles": charts.bar_styles(grades),
        "grades_source": grades_source,
        "acm": acm,
    }
    if acm.indicator is not None:
        scale = charts.Scale.of(acm.indicator)
        title = _("%(indicator)s: %(council)s") % {
            "indicator": acm.indicator.title,
            "council": authority.name,
        }
        context |= {
            "acm_table": charts.trend_table(acm.frame, scale, title),
            "acm_figure": charts.trend_figure(acm.frame, scale, title, x_title=_("Date"))
            if not acm.frame.empty
            else None,
            "acm_styles": charts.series_styles(acm.frame),
            "acm_has_provisional": any(year.has_provisional for year in acm.years),
            # A target prints as set ("at most 1%"), to no more places than the figures.
            "acm_target_places": f"-{acm.indicator.decimals}",
        }
    return render(request, "audits/dashboard.html", context)


def audit_detail(request: HttpRequest, council: str, pk: int) -> HttpResponse:
    authority = council_for(request.user, council, edit=False, audit_text=True)
    audit = get_object_or_404(CaseAudit, pk=pk, authority=authority)
    cases = list(audit.cases.select_related("worker_role"))
    grades = [c.grade for c in cases]
    counts = derive.grade_counts(grades)
    access.record(request, access.Page.DETAIL, authority=authority, audit=audit)
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
    if audit:  # the form holds its scope and summary
        access.record(request, access.Page.AUDIT_FORM, authority=authority, audit=audit)
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
    if case:  # the form holds its findings and meetings examined
        access.record(request, access.Page.CASE_FORM, authority=authority, audit=audit, case=case)
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
    if rec:  # the form holds its action and progress note
        access.record(
            request,
            access.Page.RECOMMENDATION_FORM,
            authority=authority,
            audit=audit,
            recommendation=rec,
        )
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
    access.record(request, access.Page.STATUS, authority=authority, audit=audit, recommendation=rec)
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
