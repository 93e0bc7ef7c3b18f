"""Committee papers in the browser: authors compose, preview, export and publish; everyone
signed in reads what is published.

The builder is one page: the paper's details and comparators, then each section with its
blocks, every part its own small form (add, save, move, remove), and a live preview beside
it. Each form works without JavaScript (post, then back to the builder at the part
changed); static/reports/builder.js saves as the author types and reloads the preview.
"""

from __future__ import annotations

import functools

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from audits import access
from council_reports.permissions import can_author, can_read_audit_text, can_read_report
from reports import building, editing
from reports.errors import ReportError
from reports.forms import (
    BlockForm,
    ComparatorsForm,
    DetailsForm,
    NewReportForm,
    SectionForm,
    indicator_choices,
)
from reports.models import Block, BlockType, Report, Section
from reports.paper import build_block, holds_audit_text, without_audit_text
from reports.render import render_paper
from reports.spec import SpecError, parse_spec, spec_of


def report_list(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.select_related("authority").order_by("slug", "-version")
    if not can_author(request.user):
        reports = reports.filter(status=Report.Status.PUBLISHED)
    return render(
        request,
        "reports/report_list.html",
        {"reports": reports, "can_author": can_author(request.user)},
    )


def report_new(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        raise PermissionDenied
    form = NewReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        template, authority = data.pop("template"), data.pop("authority")
        report = editing.start_report(template, authority=authority, user=request.user, **data)
        messages.success(request, _("Paper started. Add, change or remove what you need."))
        return redirect(_paper_url(report))
    return render(request, "reports/new.html", {"form": form})


# ---------------------------------------------------------------------------------------
# Finding the paper, and who may do what with it


def _report(request: HttpRequest, slug: str, version: int, *, edit: bool = False) -> Report:
    report = get_object_or_404(
        Report.objects.select_related("authority"), slug=slug, version=version
    )
    if not can_read_report(request.user, report):
        raise PermissionDenied
    if edit and not can_author(request.user):
        raise PermissionDenied
    return report


def _draft(request: HttpRequest, slug: str, version: int) -> Report:
    """The draft to change; editing checks again, under the paper's lock, as it writes."""
    report = _report(request, slug, version, edit=True)
    if report.is_published:
        raise editing.PublishedReport(report)
    return report


def _paper_url(report: Report, anchor: str = "") -> str:
    url = reverse("reports:paper", kwargs={"slug": report.slug, "version": report.version})
    return f"{url}#{anchor}" if anchor else url


def _done(request: HttpRequest, report: Report, anchor: str = "") -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"saved": True})
    return redirect(_paper_url(report, anchor))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class BadButton(Exception):
    """A move or remove without the builder's button (its direction or confirmation)."""


def _step(request: HttpRequest) -> int:
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        raise BadButton
    return -1 if direction == "up" else 1


def _confirmed(request: HttpRequest) -> None:
    if request.POST.get("confirm") != "remove":
        raise BadButton


def _refusals(view):
    """Answer, changing nothing: 400 where a POST lacks what the builder's buttons send;
    409 where the paper is published (perhaps since the builder was opened); 404 where the
    section or block was removed between finding it and writing to it."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadButton:
            return HttpResponseBadRequest(_("Use the paper's Move and Remove buttons."))
        except editing.PublishedReport as refused:
            return _published(request, refused.report)
        except (Section.DoesNotExist, Block.DoesNotExist):
            raise Http404 from None

    return wrapped


def _published(request: HttpRequest, report: Report) -> HttpResponse:
    """The refusal of a change to a published paper: the builder's page (or its autosave)
    says so, and where to go instead."""
    message = _("A published paper cannot be changed: draft a new version.")
    if _wants_json(request):
        return JsonResponse({"saved": False, "errors": {"paper": [message]}}, status=409)
    return render(
        request,
        "reports/published.html",
        # (field id, message) for the error summary: not about a field.
        {"report": report, "errors": [(None, message)]},
        status=409,
    )


# ---------------------------------------------------------------------------------------
# The builder (a draft) or the paper's page (published)


@require_safe
def paper_page(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _report(request, slug, version)
    return _builder(request, report)


def _builder(request: HttpRequest, report: Report, *, bound=None, status: int = 200):
    """The page, with `bound` forms (a form with errors) in place of fresh ones."""
    bound = bound or {}
    editable = can_author(request.user) and not report.is_published
    sections = list(
        report.sections.prefetch_related(
            Prefetch("blocks", queryset=Block.objects.order_by("position"))
        )
    )
    paper, spec_errors = None, []
    if editable:
        try:
            paper = building.paper_of(report)
        except SpecError as exc:
            spec_errors = exc.errors
    chosen = [
        code
        for section in sections
        for block in section.blocks.all()
        for code in [*block.settings.get("indicators", []), block.settings.get("indicator")]
        if code
    ]
    options = indicator_choices(report.authority, chosen) if editable else []
    parts = []
    for index, section in enumerate(sections):
        blocks = []
        for j, block in enumerate(section.blocks.all()):
            block.section = section
            generated = ""
            if paper is not None:
                generated = paper["sections"][index]["blocks"][j].get("generated", "")
            form = bound.get(("block", block.pk)) or BlockForm(
                block=block, generated=generated, options=options
            )
            blocks.append({"block": block, "form": form})
        form = bound.get(("section", section.pk)) or SectionForm(
            initial={"heading": section.heading, "text": section.text}, prefix=f"s{section.pk}"
        )
        parts.append({"section": section, "form": form, "blocks": blocks})
    versions = Report.objects.filter(slug=report.slug).order_by("version")
    if not can_author(request.user):
        versions = versions.filter(status=Report.Status.PUBLISHED)
    context = {
        "report": report,
        "editable": editable,
        "can_author": can_author(request.user),
        "details": bound.get("details") or DetailsForm(instance=report, prefix="details"),
        "comparators": bound.get("comparators")
        or ComparatorsForm(
            initial={"comparators": report.comparators},
            authority=report.authority,
            prefix="details",
        ),
        "sections": parts,
        "block_types": BlockType.choices,
        "spec_errors": spec_errors,
        "versions": versions,
        "previous": report.previous,
    }
    return render(request, "reports/builder.html", context, status=status)


@require_POST
@_refusals
def save_details(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _draft(request, slug, version)
    details = DetailsForm(request.POST, instance=report, prefix="details")
    comparators = ComparatorsForm(request.POST, authority=report.authority, prefix="details")
    if details.is_valid() and comparators.is_valid():
        editing.save_details(
            report, {**details.cleaned_data, "comparators": comparators.cleaned_data["comparators"]}
        )
        return _done(request, report, "details")
    return _invalid(request, report, {"details": details, "comparators": comparators})


def _invalid(request: HttpRequest, report: Report, bound: dict) -> HttpResponse:
    if _wants_json(request):
        errors = {
            f"{form.prefix}-{name}" if form.prefix else name: [str(e) for e in errs]
            for form in bound.values()
            for name, errs in form.errors.items()
        }
        return JsonResponse({"saved": False, "errors": errors}, status=400)
    report.refresh_from_db()
    return _builder(request, report, bound=bound)


# Sections


@require_POST
@_refusals
def add_section(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _draft(request, slug, version)
    # NUL characters dropped: PostgreSQL cannot store them (the section form refuses them).
    heading = request.POST.get("heading", "").replace("\x00", "").strip()[:200]
    heading = heading or _("New section")
    section = editing.add_section(report, heading)
    return _done(request, report, f"section-{section.pk}")


def _section(request: HttpRequest, slug: str, version: int, section: int) -> Section:
    report = _draft(request, slug, version)
    found = get_object_or_404(Section, pk=section, report=report)
    found.report = report
    return found


@require_POST
@_refusals
def save_section(request: HttpRequest, slug: str, version: int, section: int) -> HttpResponse:
    found = _section(request, slug, version, section)
    form = SectionForm(request.POST, prefix=f"s{found.pk}")
    if not form.is_valid():
        return _invalid(request, found.report, {("section", found.pk): form})
    editing.save_section(
        found, heading=form.cleaned_data["heading"], text=form.cleaned_data["text"]
    )
    return _done(request, found.report, f"section-{found.pk}")


@require_POST
@_refusals
def move_section(request: HttpRequest, slug: str, version: int, section: int) -> HttpResponse:
    found = _section(request, slug, version, section)
    editing.move(found, _step(request))
    return _done(request, found.report, f"section-{found.pk}")


@require_POST
@_refusals
def remove_section(request: HttpRequest, slug: str, version: int, section: int) -> HttpResponse:
    found = _section(request, slug, version, section)
    _confirmed(request)
    editing.remove(found)
    messages.success(request, _("Section “%(heading)s” removed.") % {"heading": found.heading})
    return _done(request, found.report, "sections")


# Blocks


@require_POST
@_refusals
def add_block(request: HttpRequest, slug: str, version: int, section: int) -> HttpResponse:
    found = _section(request, slug, version, section)
    kind = request.POST.get("kind", "")
    if kind not in BlockType.values:
        return HttpResponseBadRequest(_("Choose a type of block from the list."))
    block = editing.add_block(found, kind)
    return _done(request, found.report, f"block-{block.pk}")


def _block(request: HttpRequest, slug: str, version: int, block: int) -> Block:
    report = _draft(request, slug, version)
    found = get_object_or_404(
        Block.objects.select_related("section"), pk=block, section__report=report
    )
    found.section.report = report
    return found


@require_POST
@_refusals
def save_block(request: HttpRequest, slug: str, version: int, block: int) -> HttpResponse:
    found = _block(request, slug, version, block)
    report = found.section.report
    generated = ""
    if found.kind == BlockType.COMMENTARY:
        generated = _generated_text(report, found)
    form = BlockForm(request.POST, block=found, generated=generated)
    if not form.is_valid():
        return _invalid(request, report, {("block", found.pk): form})
    text, edited = form.text_and_edited()
    editing.save_block(found, settings_=form.settings(), text=text, edited=edited)
    if _wants_json(request):
        return JsonResponse({"saved": True, "edited": found.edited})
    return _done(request, report, f"block-{found.pk}")


def _generated_text(report: Report, block: Block) -> str:
    """The commentary as generated from the figures now (what the author saw): that block
    alone, drawn from the paper's spec."""
    try:
        spec = parse_spec(spec_of(report))
    except SpecError:
        return ""
    sections = list(report.sections.values_list("pk", flat=True))
    blocks = list(block.section.blocks.values_list("pk", flat=True))
    drawn = build_block(spec, sections.index(block.section_id), blocks.index(block.pk))
    return drawn.get("generated", "")


@require_POST
@_refusals
def move_block(request: HttpRequest, slug: str, version: int, block: int) -> HttpResponse:
    found = _block(request, slug, version, block)
    editing.move(found, _step(request))
    return _done(request, found.section.report, f"block-{found.pk}")


@require_POST
@_refusals
def remove_block(request: HttpRequest, slug: str, version: int, block: int) -> HttpResponse:
    found = _block(request, slug, version, block)
    _confirmed(request)
    editing.remove(found)
    messages.success(request, _("Block removed."))
    return _done(request, found.section.report, f"section-{found.section_id}")


# ---------------------------------------------------------------------------------------
# Preview and exports


def _as_read_by(request: HttpRequest, report: Report, *papers: dict) -> list[dict]:
    """The papers as this reader may see them: a recommendations block's actions are audit
    free text, for the council's own staff and administrators only (and each page showing
    them is recorded, once); everyone else gets the block without them."""
    if not any(holds_audit_text(paper) for paper in papers):
        return list(papers)
    if can_read_audit_text(request.user, report.authority):
        access.record(request, access.Page.PAPER, authority=report.authority)
        return list(papers)
    return [without_audit_text(paper) for paper in papers]


def _paper_or_error(request: HttpRequest, report: Report):
    try:
        return _as_read_by(request, report, building.paper_of(report))[0], None
    except SpecError as exc:
        response = render(
            request,
            "reports/build_error.html",
            {"report": report, "errors": exc.errors},
            status=400,
        )
        return None, response


# Framed by the builder, on the same site only (X-Frame-Options and CSP frame-ancestors).
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
@require_safe
def preview(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _report(request, slug, version)
    paper, error = _paper_or_error(request, report)
    if error:
        return error
    return HttpResponse(render_paper(paper, "preview"))


@require_safe
def export_html(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    return _export(request, slug, version, "html")


@require_safe
def export_pdf(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    return _export(request, slug, version, "pdf")


def _export(request: HttpRequest, slug: str, version: int, fmt: str) -> HttpResponse:
    report = _report(request, slug, version)
    paper, error = _paper_or_error(request, report)
    if error:
        return error
    try:
        data = building.html_bytes(paper) if fmt == "html" else building.pdf_bytes(paper)
    except ReportError as exc:
        return render(
            request,
            "reports/build_error.html",
            {"report": report, "errors": [str(exc)]},
            status=503,
        )
    content_type = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
    response = HttpResponse(data, content_type=content_type)
    name = f"{report.slug}-v{report.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------------------------------
# Publishing and versions


@_refusals
def publish(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _draft(request, slug, version)
    errors: list[str] = []
    if request.method == "POST":
        try:
            report = editing.publish(report, request.user, seen=request.POST.get("seen", ""))
        except editing.StaleReport:
            errors.append(
                _(
                    "The paper changed after you opened this page. Check the preview "
                    "again, then publish."
                )
            )
        except SpecError as exc:
            errors.extend(exc.errors)
        else:
            messages.success(
                request,
                _("Version %(version)s published. Its figures are frozen.")
                % {"version": report.version},
            )
            return redirect(_paper_url(report))
        report.refresh_from_db()
    return render(
        request,
        "reports/publish.html",
        {
            "report": report,
            "seen": editing.edit_stamp(report),
            # (field id, message) for the error summary: none of these is about a field.
            "errors": [(None, error) for error in errors],
        },
        status=409 if errors else 200,
    )


@require_POST
def new_version(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    report = _report(request, slug, version, edit=True)
    if not report.is_published:
        return redirect(_paper_url(report))
    draft = editing.draft_next_version(report, request.user)
    messages.success(
        request,
        _("Version %(version)s drafted from version %(previous)s.")
        % {"version": draft.version, "previous": report.version},
    )
    return redirect(_paper_url(draft))


@require_safe
def changes(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    """The figures that differ between this version and an earlier one (?against=N, the
    version it was drafted from unless asked)."""
    report = _report(request, slug, version)
    others = Report.objects.filter(slug=slug).exclude(pk=report.pk).order_by("version")
    if not can_author(request.user):
        others = others.filter(status=Report.Status.PUBLISHED)
    against = request.GET.get("against", "")
    other = None
    # isascii: "²" passes isdigit() but not int(); a version number has few digits.
    if against.isascii() and against.isdigit() and len(against) < 10:
        other = others.filter(version=int(against)).first()
    elif report.previous_id:
        other = others.filter(pk=report.previous_id).first()
    if other is None:
        other = others.filter(version__lt=report.version).last()
    found, error = [], None
    if other is not None:
        try:
            found = editing.changed_figures(
                *_as_read_by(request, report, building.paper_of(other), building.paper_of(report))
            )
        except SpecError as exc:
            error = exc.errors
    return render(
        request,
        "reports/changes.html",
        {
            "report": report,
            "other": other,
            "others": others,
            "changes": found,
            "errors": error or [],
        },
    )
