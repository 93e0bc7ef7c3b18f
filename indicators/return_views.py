"""The officer's pages for quarterly returns: list, enter, confirm, save, submit, approve,
reopen, and the history of a return and of an observation.

Thin views: they parse the request, call `indicators.returns` (lines, rules, derived
figures) and `indicators.workflow` (saving, states, permissions, locking), and render. The
rules themselves live there, not here.

The flow for entering figures, without JavaScript:
  GET  <return>/          the return's page: status, buttons, and the form when editable
  POST <return>/confirm/  check the counts: errors re-render the form; valid counts show the
                          derived indicators and any jump warnings, each needing a reason
  POST <return>/          save from the confirmation page (counts hidden, reasons, version)

A save from an out-of-date copy answers 409 Conflict with the form showing the stored
figures, the new version, and what changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from council_reports import permissions
from indicators import codes, returns, workflow
from indicators.models import (
    Authority,
    Indicator,
    Observation,
    Period,
    QuarterlyReturn,
    ReturnKind,
    ReturnStatus,
)

# How each return's lines are grouped on the form, each group a fieldset with a legend.
# Presentation only: the lines themselves, their rules and derivations are in returns.SPECS.
FIELDSETS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "allocations": (
        (gettext_lazy("Child protection"), ("cp_open", "cp_social_worker", "cp_other")),
        (gettext_lazy("Looked after children"), ("lac_open", "lac_social_worker", "lac_other")),
        (gettext_lazy("Children in need"), ("cin_open", "cin_social_worker", "cin_other")),
    ),
    "referrals": (
        (
            gettext_lazy("Referrals"),
            ("referrals", "referrals_social_worker", "referrals_other"),
        ),
        (gettext_lazy("Initial assessments"), ("assessments", "seen", "seen_alone")),
    ),
}

STATUS_TAGS = {
    ReturnStatus.DRAFT: "tag--grey",
    ReturnStatus.SUBMITTED: "tag--blue",
    ReturnStatus.APPROVED: "tag--green",
}

REASON_MAX = 500
STALE_FORM = gettext_lazy(
    "The form did not say which version of the return you started from, so nothing was "
    "saved. The form shows the stored figures: enter your changes again."
)


# ---------------------------------------------------------------------------------------
# Parsing the URL


def _council(slug: str) -> Authority:
    return get_object_or_404(Authority, slug=slug)


def _spec(kind: str) -> returns.ReturnSpec:
    try:
        return returns.SPECS[kind]
    except KeyError:
        raise Http404(_("There is no %(kind)s return.") % {"kind": kind}) from None


def _quarter_spec(code: str) -> codes.PeriodSpec:
    """The quarter a URL names; 404 for anything that is not a quarter that has begun."""
    try:
        spec = codes.parse_period(code)
    except codes.PeriodError:
        raise Http404(_("%(code)s is not a quarter.") % {"code": code}) from None
    if spec.kind != "quarter" or spec.start > dt.date.today():
        raise Http404(_("There is no return for %(code)s.") % {"code": code})
    return spec


def _require_view(user, council: Authority) -> None:
    if not permissions.can_view_returns(user, council):
        raise PermissionDenied(
            _("You cannot see the returns of %(council)s.") % {"council": council}
        )


def _load(request: HttpRequest, council: str, kind: str, period: str):
    """(spec, return) for a return URL: 404 for what does not exist, 403 for who may not
    see it, both before anything is looked up or created."""
    authority = _council(council)
    spec = _spec(kind)
    quarter = _quarter_spec(period)
    _require_view(request.user, authority)
    period = workflow.quarter_period(quarter.code, create=False)
    ret = workflow.return_for(authority, period, spec.kind)
    return spec, ret


def _posted_version(request: HttpRequest) -> int | None:
    text = request.POST.get("version", "").strip()
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def return_url(ret: QuarterlyReturn, name: str = "return") -> str:
    return reverse(
        f"returns:{name}",
        kwargs={"council": ret.authority.slug, "kind": ret.kind, "period": ret.period.code},
    )


# ---------------------------------------------------------------------------------------
# Forms: rendering and field-linked errors only; the rules are returns.validate's.


class CountsForm(forms.Form):
    """One text input per line of the return. Whole numbers are checked by
    `returns.validate`, whose messages are attached to the fields here."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, spec: returns.ReturnSpec, hints: Mapping[str, str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for line in spec.lines:
            described = [f"id_{line.name}-previous"]
            if hints.get(line.name):
                described.insert(0, f"id_{line.name}-hint")
            self.fields[line.name] = forms.CharField(
                label=line.label,
                help_text=hints.get(line.name, ""),
                required=False,
                strip=False,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "class": "input--width-5",
                        "aria-describedby": " ".join(described),
                    }
                ),
            )

    def attach(self, errors: Mapping[str, str]) -> None:
        self.full_clean()
        for name, message in errors.items():
            self.add_error(name, message)
            attrs = self.fields[name].widget.attrs
            attrs["aria-describedby"] = f"id_{name}-error " + attrs["aria-describedby"]
            attrs["aria-invalid"] = "true"


class ReasonsForm(forms.Form):
    """A reason for each figure that raised a jump warning."""

    def __init__(self, spec: returns.ReturnSpec, warnings: Mapping[str, str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = {name: spec.line(name).label for name in warnings}
        for name, warning in warnings.items():
            self.fields[f"reason_{name}"] = forms.CharField(
                label=_("Why is “%(label)s” right?") % {"label": spec.line(name).label},
                help_text=warning,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def reasons(self) -> dict[str, str]:
        return {
            key.removeprefix("reason_"): str(self.data.get(key, "")).strip() for key in self.fields
        }

    def check(self) -> bool:
        self.full_clean()
        for name, reason in self.reasons().items():
            if not reason:
                self.add_error(
                    f"reason_{name}",
                    _("Give a reason why the figure for “%(label)s” is right")
                    % {"label": self.labels[name]},
                )
            elif len(reason) > REASON_MAX:
                self.add_error(
                    f"reason_{name}",
                    _("The reason must be %(max)s characters or fewer") % {"max": REASON_MAX},
                )
        return not self.errors


class ReopenForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"),
        help_text=gettext_lazy("Say what needs correcting. The reason is kept in the history."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StartForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Return"), choices=ReturnKind.choices)
    quarter = forms.ChoiceField(label=gettext_lazy("Quarter"))

    def __init__(self, *args, quarters: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = quarters


# ---------------------------------------------------------------------------------------
# What the pages show


def _current_quarter(today: dt.date) -> tuple[int, int]:
    """(financial year, quarter) of a date: Q1 is April to June."""
    fy = today.year if today.month >= 4 else today.year - 1
    return fy, (today.month - 4) % 12 // 3 + 1


def _quarter_choices(today: dt.date) -> list[tuple[str, str]]:
    """Every quarter from the earliest year the app holds (or five years back) to now."""
    fy, q = _current_quarter(today)
    earliest = Period.objects.aggregate(first=Min("financial_year"))["first"] or fy
    choices = []
    for year in range(fy, min(earliest, fy - 5) - 1, -1):
        for quarter in range(4 if year < fy else q, 0, -1):
            code = f"{codes.financial_year_code(year)} Q{quarter}"
            spec = codes.parse_period(code)
            label = codes.period_label(spec.kind, spec.code, spec.start, spec.end)
            choices.append((code, label))
    return choices


def _indicators(spec: returns.ReturnSpec) -> dict[str, Indicator]:
    """The defined indicators a return derives, by the code its spec uses."""
    wanted = {codes.normalise_indicator_code(d.indicator): d.indicator for d in spec.derivations}
    return {
        wanted[ind.normalised_code]: ind
        for ind in Indicator.objects.filter(normalised_code__in=wanted)
    }


def _hints(spec: returns.ReturnSpec, indicators: Mapping[str, Indicator]) -> dict[str, str]:
    """The line's own hint, and for a line counted towards a percentage, the indicator's
    numerator definition, so the officer counts what the guidance counts."""
    hints: dict[str, list[str]] = {
        line.name: [str(line.hint)] if line.hint else [] for line in spec.lines
    }
    for d in spec.derivations:
        ind = indicators.get(d.indicator)
        if d.denominator and ind and ind.numerator_definition:
            hints[d.numerator].append(
                _("%(code)s counts: %(definition)s")
                % {"code": ind.code, "definition": ind.numerator_definition}
            )
    return {name: " ".join(parts) for name, parts in hints.items()}


@dataclass
class FormLine:
    field: forms.BoundField
    last_quarter: int | None
    last_year: int | None


def _groups(spec: returns.ReturnSpec) -> list[tuple[str, list[str]]]:
    """The return's lines by fieldset; any line a spec gains later still shows."""
    groups = [
        (str(legend), [n for n in names if n in spec.line_names])
        for legend, names in FIELDSETS.get(spec.kind, ())
    ]
    grouped = {name for _legend, names in groups for name in names}
    rest = [name for name in spec.line_names if name not in grouped]
    if rest:
        groups.append((_("Other counts"), rest))
    return groups


def _fieldsets(spec, form, last_quarter, last_year) -> list[tuple[str, list[FormLine]]]:
    return [
        (
            legend,
            [FormLine(form[name], last_quarter.get(name), last_year.get(name)) for name in names],
        )
        for legend, names in _groups(spec)
    ]


def _legend_of(spec: returns.ReturnSpec) -> dict[str, str]:
    return {
        name: str(legend)
        for legend, names in FIELDSETS.get(spec.kind, ())
        for name in names
        if name in spec.line_names
    }


def _full_label(spec: returns.ReturnSpec, name: str) -> str:
    """ "Looked after children: of which allocated to a social worker": a line named out of
    its fieldset, as in a list of changes."""
    legend = _legend_of(spec).get(name)
    label = str(spec.line(name).label)
    return f"{legend}: {label}" if legend else label


def _summary(spec: returns.ReturnSpec, errors: Mapping[str, str]) -> list[tuple[str, str]]:
    """(field id, message) for the error summary; the group's name makes "of which ..."
    lines distinguishable out of context."""
    legends = _legend_of(spec)
    return [
        (f"id_{name}", f"{legends[name]}: {message}" if name in legends else message)
        for name, message in errors.items()
    ]


def _neighbour_labels(ret: QuarterlyReturn) -> tuple[str, str]:
    """How to name the quarters `workflow.neighbouring_figures` returns: 2014/15 Q4."""
    p = ret.period
    year_before = codes.financial_year_code(p.financial_year - 1).replace("-", "/")
    this_year = p.financial_year_code.replace("-", "/")
    last_quarter = f"{this_year if p.quarter > 1 else year_before} Q{p.quarter - 1 or 4}"
    return last_quarter, f"{year_before} Q{p.quarter}"


def _derived_rows(spec, counts, indicators, ret, quarters) -> tuple[list, list]:
    """The quarter's and the year to date's derived figures, for the confirmation page."""
    units = {code: (ind.unit, ind.decimals) for code, ind in indicators.items()}
    quarter = returns.derive_quarter(spec, counts, units)
    year = returns.derive_year(spec, quarters, units)

    def rows(figures):
        return [
            {
                "indicator": indicators[f.indicator],
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value": f.value,
            }
            for f in figures
        ]

    return rows(quarter), rows(year)


def _year_to_date(ret: QuarterlyReturn, counts: Mapping[str, int]) -> tuple[list[dict], list[int]]:
    """The year's stored quarters with this quarter's new counts in place, in order."""
    others = {
        q.period.quarter: q.figures
        for q in QuarterlyReturn.objects.filter(
            authority=ret.authority,
            kind=ret.kind,
            period__financial_year=ret.period.financial_year,
            period__kind="quarter",
        )
        .exclude(pk=ret.pk)
        .select_related("period")
    }
    others[ret.period.quarter] = dict(counts)
    numbers = sorted(others)
    return [others[n] for n in numbers], numbers


def _state(request: HttpRequest, ret: QuarterlyReturn) -> dict:
    """What the user may do with the return now (the server refuses the rest anyway)."""
    user = request.user
    enters = permissions.can_enter_returns(user, ret.authority)
    approves = permissions.can_approve(user, ret.authority)
    year_locked = workflow.year_locked(ret.authority, ret.period.financial_year)
    editable = enters and not ret.locked and not year_locked
    return {
        "editable": editable,
        "can_submit": editable and ret.pk is not None and ret.status == ReturnStatus.DRAFT,
        "can_approve": approves and ret.status == ReturnStatus.SUBMITTED and not year_locked,
        "can_reopen": approves and ret.status == ReturnStatus.APPROVED and not year_locked,
        "year_locked": year_locked,
    }


def _derived_observations(spec: returns.ReturnSpec, ret: QuarterlyReturn):
    if ret.pk is None:
        return Observation.objects.none()
    wanted = [codes.normalise_indicator_code(d.indicator) for d in spec.derivations]
    return (
        Observation.objects.filter(
            authority=ret.authority,
            indicator__normalised_code__in=wanted,
            period__code__in=[ret.period.code, ret.period.financial_year_code],
        )
        .select_related("indicator", "period")
        .order_by("period__end_date", "indicator__normalised_code")
    )


def _render_return(
    request: HttpRequest,
    spec: returns.ReturnSpec,
    ret: QuarterlyReturn,
    *,
    form: CountsForm | None = None,
    errors: list[tuple[str, str]] | None = None,
    reopen_form: ReopenForm | None = None,
    changes: list | None = None,
    status: int = 200,
) -> HttpResponse:
    last_quarter, last_year = workflow.neighbouring_figures(ret)
    indicators = _indicators(spec)
    state = _state(request, ret)
    if not state["editable"]:
        form = None  # approved, locked or not this user's to edit: read-only
    elif form is None:
        if ret.pk is None:
            initial = {
                n: last_quarter[n]
                for n in spec.line_names
                if spec.line(n).stock and n in last_quarter
            }
        else:
            initial = dict(ret.figures)
        form = CountsForm(
            spec, _hints(spec, indicators), initial={**initial, "version": ret.version}
        )
    summary = list(errors or [])
    if form is not None and form.is_bound:
        summary += _summary(
            spec, {name: form.errors[name][0] for name in spec.line_names if name in form.errors}
        )
    last_quarter_label, last_year_label = _neighbour_labels(ret)
    context = {
        "council": ret.authority,
        "spec": spec,
        "ret": ret,
        "form": form,
        "fieldsets": _fieldsets(spec, form, last_quarter, last_year) if form is not None else [],
        "groups": [
            (
                legend,
                [
                    {
                        "line": spec.line(name),
                        "count": ret.figures.get(name),
                        "last_quarter": last_quarter.get(name),
                        "last_year": last_year.get(name),
                        "reason": ret.reasons.get(name, ""),
                    }
                    for name in names
                ],
            )
            for legend, names in _groups(spec)
        ],
        "errors": summary,
        "changes": [
            {"label": _full_label(spec, name), "before": before, "after": after}
            for name, before, after in (changes or [])
        ],
        "reopen_form": reopen_form or ReopenForm(initial={"version": ret.version}),
        "observations": _derived_observations(spec, ret),
        "status_tag": STATUS_TAGS.get(ret.status, "tag--grey"),
        "last_quarter_label": last_quarter_label,
        "last_year_label": last_year_label,
        **state,
    }
    return render(request, "indicators/returns/return.html", context, status=status)


def _render_confirm(request, spec, ret, counts, version, reasons_form, status=200) -> HttpResponse:
    last_quarter, _last_year = workflow.neighbouring_figures(ret)
    indicators = _indicators(spec)
    quarters, numbers = _year_to_date(ret, counts)
    quarter_rows, year_rows = _derived_rows(spec, counts, indicators, ret, quarters)
    summary = [
        (f"id_{key}", errors[0]) for key, errors in reasons_form.errors.items() if key != "__all__"
    ]
    context = {
        "council": ret.authority,
        "spec": spec,
        "ret": ret,
        "groups": [
            (
                legend,
                [
                    {
                        "line": spec.line(name),
                        "count": counts[name],
                        "last_quarter": last_quarter.get(name),
                    }
                    for name in names
                ],
            )
            for legend, names in _groups(spec)
        ],
        "hidden": [(name, counts[name]) for name in spec.line_names],
        "version": version,
        "quarter_rows": quarter_rows,
        "year_rows": year_rows,
        "year_quarters": ", ".join(f"Q{n}" for n in numbers),
        "year_complete": numbers == [1, 2, 3, 4],
        "stock": spec.measure == "stock",
        "reasons_form": reasons_form,
        "errors": summary,
        "status_tag": STATUS_TAGS.get(ret.status, "tag--grey"),
    }
    return render(request, "indicators/returns/confirm.html", context, status=status)


# ---------------------------------------------------------------------------------------
# Views


@require_GET
def return_list(request: HttpRequest, council: str) -> HttpResponse:
    """A council's returns, and a form to start (or go to) the return for a quarter."""
    authority = _council(council)
    _require_view(request.user, authority)
    quarters = _quarter_choices(dt.date.today())
    start = StartForm(request.GET or None, quarters=quarters)
    if start.is_bound and start.is_valid():
        period = workflow.quarter_period(start.cleaned_data["quarter"])
        url = reverse(
            "returns:return",
            kwargs={
                "council": authority.slug,
                "kind": start.cleaned_data["kind"],
                "period": period.code,
            },
        )
        return redirect(url)
    rows = (
        QuarterlyReturn.objects.filter(authority=authority)
        .select_related("period", "updated_by")
        .order_by("-period__end_date", "kind")
    )
    return render(
        request,
        "indicators/returns/list.html",
        {
            "council": authority,
            "rows": [(r, STATUS_TAGS.get(r.status, "tag--grey")) for r in rows],
            "start": start,
            "can_enter": permissions.can_enter_returns(request.user, authority),
            "current": quarters[0],
            "kinds": ReturnKind.choices,
        },
        status=400 if start.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def edit_return(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    """GET: the return's page. POST: save counts confirmed on the confirmation page."""
    spec, ret = _load(request, council, kind, period)
    if request.method == "GET":
        return _render_return(request, spec, ret)
    if not permissions.can_enter_returns(request.user, ret.authority):
        raise PermissionDenied
    counts, errors = returns.validate(spec, request.POST)
    version = _posted_version(request)
    if errors or version is None:
        return _refuse_counts(request, spec, ret, errors, version)
    last_quarter, _last_year = workflow.neighbouring_figures(ret)
    warnings = returns.jump_warnings(spec, counts, last_quarter)
    reasons_form = ReasonsForm(spec, warnings, request.POST)
    if not reasons_form.check():
        return _render_confirm(request, spec, ret, counts, version, reasons_form)
    try:
        workflow.save_return(
            ret, counts, user=request.user, expected_version=version, reasons=reasons_form.reasons()
        )
    except workflow.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from None
    except workflow.StaleReturn as stale:
        return _render_stale(request, spec, stale)
    except workflow.ReturnError as refused:
        form = CountsForm(spec, _hints(spec, _indicators(spec)), request.POST)
        return _render_return(request, spec, ret, form=form, errors=[("", str(refused))])
    messages.success(
        request,
        _("The return is saved as a draft, version %(version)s.") % {"version": ret.version},
    )
    return redirect(return_url(ret))


def _refuse_counts(request, spec, ret, errors, version) -> HttpResponse:
    """Re-render the form with each error beside its field; nothing is saved.

    A post without the version it started from cannot be checked against later saves, so
    it is answered 400 with the stored figures rather than trusted."""
    if version is None:
        return _render_return(request, spec, ret, errors=[("", str(STALE_FORM))], status=400)
    form = CountsForm(spec, _hints(spec, _indicators(spec)), request.POST)
    form.attach(errors)
    return _render_return(request, spec, ret, form=form)


def _name(user) -> str:
    if user is None:
        return _("Someone else")
    return user.get_full_name() or user.username


def _render_stale(request, spec, stale: workflow.StaleReturn) -> HttpResponse:
    current = stale.current
    form = CountsForm(
        spec,
        _hints(spec, _indicators(spec)),
        initial={**current.figures, "version": current.version},
    )
    message = _(
        "%(who)s saved this return (version %(version)s) while you were editing it. "
        "Your figures were not saved. The form now shows the stored figures: enter your "
        "changes again."
    ) % {"who": _name(current.updated_by), "version": current.version}
    return _render_return(
        request, spec, current, form=form, errors=[("", message)], changes=stale.changes, status=409
    )


@require_POST
def confirm_return(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    """Check the counts: errors back to the form; valid counts to the confirmation page."""
    spec, ret = _load(request, council, kind, period)
    if not permissions.can_enter_returns(request.user, ret.authority):
        raise PermissionDenied
    counts, errors = returns.validate(spec, request.POST)
    version = _posted_version(request)
    if errors or version is None:
        return _refuse_counts(request, spec, ret, errors, version)
    if "change" in request.POST:  # back from the confirmation page to the form
        form = CountsForm(spec, _hints(spec, _indicators(spec)), request.POST)
        return _render_return(request, spec, ret, form=form)
    last_quarter, _last_year = workflow.neighbouring_figures(ret)
    warnings = returns.jump_warnings(spec, counts, last_quarter)
    return _render_confirm(request, spec, ret, counts, version, ReasonsForm(spec, warnings))


def _workflow_step(request, council, kind, period, step, *, allowed, refused=None):
    """Run one workflow step on a stored return: 403 for a role that may not take it
    (before anything else is read from the post), 400 without the version the page was
    drawn from, 409 when someone saved since, else the step's message and back to the return.
    `refused(spec, ret, error)` renders a refusal its own way (e.g. on the reopen form)."""
    spec, ret = _load(request, council, kind, period)
    if ret.pk is None:
        raise Http404
    if not allowed(request.user, ret.authority):
        raise PermissionDenied
    version = _posted_version(request)
    if version is None:
        return _render_return(request, spec, ret, errors=[("", str(STALE_FORM))], status=400)
    try:
        message = step(ret, version)
    except workflow.NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    except workflow.StaleReturn as stale:
        return _render_return(
            request,
            spec,
            stale.current,
            errors=[("", str(stale))],
            changes=stale.changes,
            status=409,
        )
    except workflow.ReturnError as error:
        ret.refresh_from_db()
        if refused is not None:
            return refused(spec, ret, error)
        return _render_return(request, spec, ret, errors=[("", str(error))], status=400)
    messages.success(request, message)
    return redirect(return_url(ret))


@require_POST
def submit_return(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    def step(ret, version):
        workflow.submit_return(ret, user=request.user, expected_version=version)
        return _("The return is submitted for approval.")

    return _workflow_step(
        request, council, kind, period, step, allowed=permissions.can_enter_returns
    )


@require_POST
def approve_return(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    def step(ret, version):
        workflow.approve_return(ret, user=request.user, expected_version=version)
        return _("The return is approved and locked. Its figures are now final.")

    return _workflow_step(request, council, kind, period, step, allowed=permissions.can_approve)


@require_POST
def reopen_return(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    reason = str(request.POST.get("reason", ""))

    def step(ret, version):
        workflow.reopen_return(ret, user=request.user, reason=reason, expected_version=version)
        return _("The return is reopened as a draft.")

    def on_reopen_form(spec, ret, error):
        form = ReopenForm(request.POST)
        form.full_clean()
        form.add_error("reason", str(error))
        return _render_return(request, spec, ret, reopen_form=form, status=400)

    return _workflow_step(
        request,
        council,
        kind,
        period,
        step,
        allowed=permissions.can_approve,
        refused=on_reopen_form,
    )


@require_GET
def return_history(request: HttpRequest, council: str, kind: str, period: str) -> HttpResponse:
    """Every version of the return: who, when, status, reason, and the counts that changed."""
    spec, ret = _load(request, council, kind, period)
    if ret.pk is None:
        raise Http404
    records = list(
        ret.history.select_related("history_user").order_by("history_date", "history_id")
    )
    versions = []
    before: dict = {}
    for record in records:
        figures = record.figures or {}
        versions.append(
            {
                "record": record,
                "status": ReturnStatus(record.status).label
                if record.status in ReturnStatus.values
                else record.status,
                "changes": [
                    {
                        "label": _full_label(spec, name),
                        "before": before.get(name),
                        "after": figures.get(name),
                        "reason": (record.reasons or {}).get(name, ""),
                    }
                    for name in spec.line_names
                    if before.get(name) != figures.get(name)
                ],
            }
        )
        before = figures
    versions.reverse()
    return render(
        request,
        "indicators/returns/history.html",
        {"council": ret.authority, "spec": spec, "ret": ret, "versions": versions},
    )


def _load_observation(request: HttpRequest, pk: int) -> Observation:
    obs = get_object_or_404(
        Observation.objects.select_related("indicator", "period", "authority", "comparator"), pk=pk
    )
    user = request.user
    allowed = (
        permissions.can_view_returns(user, obs.authority)
        if obs.authority_id
        else getattr(user, "role", None) in permissions.STAFF_ROLES or permissions.is_admin(user)
    )
    if not allowed:
        raise PermissionDenied
    return obs


FIGURE_FIELDS = (
    ("value", gettext_lazy("Value")),
    ("numerator", gettext_lazy("Numerator")),
    ("denominator", gettext_lazy("Denominator")),
    ("withheld", gettext_lazy("Withheld")),
    ("status", gettext_lazy("Status")),
)


def _shown(name: str, value, obs: Observation):
    """A stored figure as a paper prints it: the value to the indicator's decimals, counts
    as whole numbers, a status or withheld marker by its label."""
    if value is None or value == "":
        return None
    if name == "value":
        return f"{value:.{obs.indicator.decimals}f}"
    if name in ("numerator", "denominator"):
        return f"{value.normalize():f}"
    if name == "status":
        return Observation.Status(value).label
    return value


def _render_observation_history(request, obs, errors=(), status=200) -> HttpResponse:
    records = list(
        obs.history.select_related("history_user").order_by("history_date", "history_id")
    )
    rows = []
    before = None
    for record in records:
        rows.append(
            {
                "record": record,
                "changes": [
                    {
                        "label": label,
                        "before": _shown(name, getattr(before, name) if before else None, obs),
                        "after": _shown(name, getattr(record, name), obs),
                    }
                    for name, label in FIGURE_FIELDS
                    if before is None
                    and getattr(record, name) not in (None, "")
                    or before is not None
                    and getattr(before, name) != getattr(record, name)
                ],
            }
        )
        before = record
    rows.reverse()
    return render(
        request,
        "indicators/observation_history.html",
        {
            "obs": obs,
            "rows": rows,
            "can_restore": permissions.can_restore(request.user),
            "errors": list(errors),
        },
        status=status,
    )


@require_GET
def observation_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_observation_history(request, _load_observation(request, pk))


@require_POST
def restore_observation(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    obs = _load_observation(request, pk)
    try:
        workflow.restore_observation(obs, history_id, user=request.user)
    except workflow.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from None
    except workflow.ReturnError as refused:
        obs.refresh_from_db()
        return _render_observation_history(request, obs, [("", str(refused))], status=400)
    messages.success(
        request, _("The earlier value is restored. The restore is kept in the history.")
    )
    return redirect("returns:observation_history", pk=obs.pk)
