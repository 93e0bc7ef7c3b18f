"""The life of a quarterly return: draft -> submitted -> approved, reopened with a reason.

Every save writes the derived indicators through `store.write_figures` (history, import
log), provisional until the return is approved. Saves are guarded by the return's version:
whoever saves from an older copy is refused with what changed meanwhile, never allowed to
overwrite it silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from council_reports import permissions
from indicators import codes, returns, store
from indicators.models import (
    Authority,
    Indicator,
    Observation,
    Period,
    PeriodKind,
    QuarterlyReturn,
    ReturnStatus,
    YearLock,
)


class ReturnError(ValueError):
    """A change the workflow refuses; the message says why in plain words."""


class NotAllowed(ReturnError):
    pass


@dataclass
class StaleReturn(ReturnError):
    """Someone saved the return after this editor opened it."""

    current: QuarterlyReturn
    changes: list[tuple[str, int | None, int | None]] = field(default_factory=list)

    def __str__(self) -> str:
        who = self.current.updated_by or _("someone else")
        return _("%(who)s changed this return while you were editing it.") % {"who": who}


def quarter_period(code: str, *, create: bool = True) -> Period:
    """The quarter a code names. With `create=False` a quarter not stored yet comes back
    unsaved, so that a page which only shows (or refuses) a return writes nothing;
    `save_return` stores it with the return's first save."""
    spec = codes.parse_period(code)
    if spec.kind != PeriodKind.QUARTER:
        raise ReturnError(
            _("A return is for a quarter, like 2015-16 Q1, not %(code)s") % {"code": code}
        )
    return Period.objects.for_code(spec.code, create=create)


def return_for(authority: Authority, period: Period, kind: str) -> QuarterlyReturn:
    """The stored return, or a new unsaved draft (version 0)."""
    found = None
    if period.pk is not None:
        found = QuarterlyReturn.objects.filter(authority=authority, period=period, kind=kind)
        found = found.first()
    return found or QuarterlyReturn(authority=authority, period=period, kind=kind)


def neighbouring_figures(ret: QuarterlyReturn) -> tuple[dict, dict]:
    """(last quarter's counts, the same quarter last year's counts) for display and prefill."""
    period = ret.period
    previous_q = period.quarter - 1 or 4
    previous_fy = period.financial_year if period.quarter > 1 else period.financial_year - 1
    wanted = {
        f"{codes.financial_year_code(previous_fy)} Q{previous_q}": "last_quarter",
        f"{codes.financial_year_code(period.financial_year - 1)} Q{period.quarter}": "last_year",
    }
    found = {"last_quarter": {}, "last_year": {}}
    for other in QuarterlyReturn.objects.filter(
        authority=ret.authority, kind=ret.kind, period__code__in=wanted
    ).select_related("period"):
        found[wanted[other.period.code]] = other.figures
    return found["last_quarter"], found["last_year"]


def year_locked(authority: Authority, financial_year: int) -> bool:
    return YearLock.objects.filter(authority=authority, financial_year=financial_year).exists()


def _check_editable(ret: QuarterlyReturn, user, today: dt.date | None = None) -> None:
    if not permissions.can_enter_returns(user, ret.authority):
        raise NotAllowed(
            _("You cannot enter returns for %(council)s.") % {"council": ret.authority}
        )
    if ret.period.is_future(today):
        raise ReturnError(
            _("%(period)s has not started yet: returns cannot be entered for future periods.")
            % {"period": ret.period.label}
        )
    if year_locked(ret.authority, ret.period.financial_year):
        raise ReturnError(
            _("%(year)s is locked for %(council)s: its figures cannot change.")
            % {"year": ret.period.financial_year_code, "council": ret.authority}
        )
    if ret.locked:
        raise ReturnError(
            _("This return is approved and locked. Reopen it, with a reason, to change it.")
        )


def _bump_version(ret: QuarterlyReturn, expected_version: int) -> None:
    """Claim the next version or refuse: the conditional UPDATE is the guard, so two editors
    racing on any database cannot both win."""
    if ret.pk is None:
        if expected_version != 0:
            raise ReturnError(_("This return no longer exists."))
        ret.version = 1
        return
    claimed = QuarterlyReturn.objects.filter(pk=ret.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        current = QuarterlyReturn.objects.select_related("updated_by").get(pk=ret.pk)
        raise StaleReturn(current, _changes_since(current, expected_version))
    ret.version = expected_version + 1


def _changes_since(current: QuarterlyReturn, version: int) -> list:
    """Lines whose counts differ between the editor's version and the stored one."""
    then = current.history.filter(version=version).order_by("-history_date").first()
    before = then.figures if then else {}
    names = returns.SPECS[current.kind].line_names
    return [
        (name, before.get(name), current.figures.get(name))
        for name in names
        if before.get(name) != current.figures.get(name)
    ]


@transaction.atomic
def save_return(
    ret: QuarterlyReturn,
    counts: Mapping[str, int],
    *,
    user,
    expected_version: int,
    reasons: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> QuarterlyReturn:
    """Save validated counts as a draft and write the derived provisional figures."""
    _check_editable(ret, user, today)
    spec = returns.SPECS[ret.kind]
    errors = returns.validate(spec, counts)[1]
    if errors:
        raise ReturnError("; ".join(errors.values()))
    _bump_version(ret, expected_version)
    if ret.period.pk is None:
        ret.period = Period.objects.for_code(ret.period.code)
    ret.figures = {name: int(counts[name]) for name in spec.line_names}
    ret.reasons = dict(reasons or {})
    ret.status = ReturnStatus.DRAFT
    ret.updated_by = user
    ret._change_reason = _("saved as draft")
    if ret.pk is None:
        _insert_first(ret)
    else:
        ret.save()
    _write_figures(ret, user, _("quarterly return saved"))
    return ret


def _insert_first(ret: QuarterlyReturn) -> None:
    """A return's first save, or a refusal with what the other editor stored: two officers
    saving a new return at once both start from version 0, and the one-return-per-council-
    quarter-kind constraint lets only the first INSERT in. The loser's INSERT is undone in
    a savepoint of its own, so the stored return can be read and shown as for any save
    from an out-of-date copy."""
    try:
        with transaction.atomic():
            ret.save()
    except IntegrityError:
        current = (
            QuarterlyReturn.objects.select_related("updated_by")
            .filter(authority=ret.authority, period=ret.period, kind=ret.kind)
            .first()
        )
        if current is None:  # not the race: some other constraint refused the row
            raise
        raise StaleReturn(current, _changes_since(current, 0)) from None


@transaction.atomic
def submit_return(ret: QuarterlyReturn, *, user, expected_version: int) -> QuarterlyReturn:
    _check_editable(ret, user)
    if ret.status != ReturnStatus.DRAFT or ret.pk is None:
        raise ReturnError(_("Only a saved draft can be submitted."))
    _bump_version(ret, expected_version)
    ret.status = ReturnStatus.SUBMITTED
    ret.submitted_by, ret.submitted_at = user, timezone.now()
    ret.updated_by = user
    ret._change_reason = _("submitted for approval")
    ret.save()
    return ret


@transaction.atomic
def approve_return(ret: QuarterlyReturn, *, user, expected_version: int) -> QuarterlyReturn:
    if not permissions.can_approve(user, ret.authority):
        raise NotAllowed(
            _("You cannot approve returns for %(council)s.") % {"council": ret.authority}
        )
    if ret.status != ReturnStatus.SUBMITTED:
        raise ReturnError(_("Only a submitted return can be approved."))
    if year_locked(ret.authority, ret.period.financial_year):
        raise ReturnError(_("%(year)s is locked.") % {"year": ret.period.financial_year_code})
    _bump_version(ret, expected_version)
    ret.status = ReturnStatus.APPROVED
    ret.approved_by, ret.approved_at = user, timezone.now()
    ret.updated_by = user
    ret._change_reason = _("approved")
    ret.save()
    _write_figures(ret, user, _("quarterly return approved"))
    return ret


@transaction.atomic
def reopen_return(
    ret: QuarterlyReturn, *, user, reason: str, expected_version: int
) -> QuarterlyReturn:
    """Unlock an approved return for correction; the reason is kept in its history."""
    if not permissions.can_approve(user, ret.authority):
        raise NotAllowed(
            _("Only an approver for %(council)s can reopen its returns.")
            % {"council": ret.authority}
        )
    if ret.status != ReturnStatus.APPROVED:
        raise ReturnError(_("Only an approved return can be reopened."))
    if not reason.strip():
        raise ReturnError(_("Give a reason for reopening the return."))
    if "\x00" in reason:
        raise ReturnError(_("The reason for reopening must not contain null characters."))
    if year_locked(ret.authority, ret.period.financial_year):
        raise ReturnError(_("%(year)s is locked.") % {"year": ret.period.financial_year_code})
    _bump_version(ret, expected_version)
    ret.status = ReturnStatus.DRAFT
    ret.approved_by, ret.approved_at = None, None
    ret.updated_by = user
    ret.change_reason = reason.strip()[:255]
    ret._change_reason = _("reopened: %(reason)s") % {"reason": reason.strip()[:200]}
    ret.save()
    _write_figures(ret, user, ret._change_reason)
    return ret


def _units(spec: returns.ReturnSpec) -> dict[str, tuple[str, int]]:
    wanted = {codes.normalise_indicator_code(d.indicator): d.indicator for d in spec.derivations}
    return {
        wanted[ind.normalised_code]: (ind.unit, ind.decimals)
        for ind in Indicator.objects.filter(normalised_code__in=wanted)
    }


def _write_figures(ret: QuarterlyReturn, user, reason: str) -> None:
    """Write the quarter's indicators and the year's (to date), through the one write path.

    The year is final only when all four quarters are approved; until then it is provisional
    and noted as the year to date.
    """
    spec = returns.SPECS[ret.kind]
    units = _units(spec)
    indicators = {
        code: Indicator.objects.get(normalised_code=codes.normalise_indicator_code(code))
        for code in units
    }
    status = (
        Observation.Status.FINAL
        if ret.status == ReturnStatus.APPROVED
        else Observation.Status.PROVISIONAL
    )
    quarter = returns.derive_quarter(spec, ret.figures, units)
    rows = _rows_from(ret, indicators, quarter, ret.period.code, status, "")

    year = ret.period.financial_year
    quarters = list(
        QuarterlyReturn.objects.filter(
            authority=ret.authority,
            kind=ret.kind,
            period__financial_year=year,
            period__kind=PeriodKind.QUARTER,
        )
        .select_related("period")
        .order_by("period__quarter")
    )
    if quarters:
        numbers = [q.period.quarter for q in quarters]
        complete = numbers == [1, 2, 3, 4]
        all_approved = all(q.status == ReturnStatus.APPROVED for q in quarters)
        year_status = (
            Observation.Status.FINAL
            if complete and all_approved
            else Observation.Status.PROVISIONAL
        )
        note = (
            ""
            if complete
            else _("Year to date: %(quarters)s") % {"quarters": ", ".join(f"Q{n}" for n in numbers)}
        )
        totals = returns.derive_year(spec, [q.figures for q in quarters], units)
        rows += _rows_from(
            ret, indicators, totals, codes.financial_year_code(year), year_status, note
        )
    store.write_figures(
        rows, command="quarterly_return", filename=str(ret), user=user, change_reason=reason
    )


def _rows_from(ret, indicators, figures, period_code, status, note) -> list[store.FigureRow]:
    source = _("Quarterly return")
    return [
        store.FigureRow(
            row=0,
            indicator=indicators[f.indicator],
            period_code=period_code,
            authority=ret.authority,
            numerator=f.numerator,
            denominator=f.denominator,
            value=f.value,
            status=status,
            source=str(source),
            note=str(note),
        )
        for f in figures
        if f.value is not None
    ]


@transaction.atomic
def restore_observation(observation: Observation, history_id: int, *, user) -> Observation:
    """Put back an earlier version's figures. The restore is itself a change in history."""
    if not permissions.can_restore(user):
        raise NotAllowed(_("Only an administrator can restore an earlier value."))
    record = observation.history.filter(history_id=history_id).first()
    if record is None:
        raise ReturnError(_("That version does not belong to this figure."))
    if year_locked_for(observation):
        raise ReturnError(_("The year is locked: its figures cannot change."))
    for name in ("numerator", "denominator", "value", "withheld", "status", "warnings"):
        setattr(observation, name, getattr(record, name))
    observation.updated_by = user
    observation._change_reason = _("restored the version of %(when)s") % {
        "when": timezone.localtime(record.history_date).strftime("%d/%m/%Y %H:%M")
    }
    observation.save()
    return observation


def year_locked_for(observation: Observation) -> bool:
    return bool(
        observation.authority_id
        and year_locked(observation.authority, observation.period.financial_year)
    )
