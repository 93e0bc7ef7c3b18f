"""The one path by which figures are written: imports, the DfE loader and the demo data all
build `FigureRow`s, check them with `check_figures`, and hand them to `write_figures`.

`write_figures` compares each row with what is stored, creates or updates only what differs,
records every change in the history tables and an `ImportLog`, all in one transaction: a
failure anywhere writes nothing.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from indicators import derive
from indicators.models import (
    Authority,
    Comparator,
    ImportLog,
    Indicator,
    Observation,
    Period,
    Target,
)

BATCH = 2000


class FigureError(ValueError):
    """A figure that cannot be stored; the message names the problem in plain words."""


@dataclass
class FigureRow:
    """One observation or target as read from a file, resolved to model instances.

    `row` is the number a user sees (the file's line or the spreadsheet's row) and is used
    in every message. `source`, `note` and `status` of None leave the stored text alone.
    """

    row: int
    indicator: Indicator
    period_code: str
    authority: Authority | None = None
    comparator: Comparator | None = None
    is_target: bool = False
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    value: Decimal | None = None
    withheld: str = ""
    status: str | None = None
    source: str | None = None
    note: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        subject = ("c", self.comparator.pk) if self.comparator else ("a", self.authority.pk)  # type: ignore[union-attr]
        return (subject, self.is_target, self.indicator.pk, self.period_code)

    @property
    def figures(self) -> tuple:
        return (self.numerator, self.denominator, self.value, self.withheld)


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)
    log: ImportLog | None = None

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def check_figures(
    indicator: Indicator,
    numerator: Decimal | None,
    denominator: Decimal | None,
    value: Decimal | None,
    withheld: str = "",
) -> tuple[Decimal | None, list[str]]:
    """Validate one row's figures and return (value to store, data-quality warnings).

    Raises FigureError for figures that cannot be right: negatives, a numerator above its
    denominator for a percentage, a numerator without a denominator, nothing at all.
    """
    for name, number in (("numerator", numerator), ("denominator", denominator), ("value", value)):
        if number is not None and number < 0:
            raise FigureError(f"{name} {number} is negative; figures cannot be below zero")
    if withheld:
        if value is not None:
            raise FigureError(f"value is withheld ({withheld}) but a number was also given")
        return None, []
    if (numerator is None) != (denominator is None):
        missing = "denominator" if denominator is None else "numerator"
        if value is None:
            raise FigureError(
                f"{missing} is missing: give both numerator and denominator, or a value"
            )
    if indicator.unit == "percent" and numerator is not None and denominator is not None:
        if numerator > denominator:
            raise FigureError(
                f"numerator {numerator} is above denominator {denominator}: "
                "a percentage cannot exceed 100"
            )
    derived = derive.value_from_counts(numerator, denominator, indicator.unit, indicator.decimals)
    if value is None:
        if derived is None:
            if numerator is not None and denominator == 0:
                raise FigureError("denominator is 0, so no value can be derived; give a value")
            raise FigureError("no value: give a value, or numerator and denominator")
        return derived, []
    warnings: list[str] = []
    if (
        numerator is not None
        and denominator is not None
        and denominator != 0
        and not derive.agrees_with_counts(value, numerator, denominator, indicator.unit)
    ):
        warnings.append(
            f"published value {_plain(value)} disagrees with {_plain(numerator)} / "
            f"{_plain(denominator)} = {derived} beyond rounding; the published value is kept"
        )
    return value, warnings


def _plain(number: Decimal) -> str:
    """19 whether the file said 19, 19.0 or 19.0000: stored warnings must not depend on how a
    number was written, or re-importing an export would count every warned row as updated."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def resolve_periods(codes: Iterable[str]) -> dict[str, Period]:
    """Period rows for these codes, created on first use."""
    wanted = set(codes)
    found = {p.code: p for p in Period.objects.filter(code__in=wanted)}
    for code in wanted - found.keys():
        found[code] = Period.objects.for_code(code)
    return found


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a) == Decimal(b)
    return a == b


def write_figures(
    rows: Sequence[FigureRow],
    *,
    command: str,
    filename: str,
    user=None,
    change_reason: str = "",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> WriteResult:
    """Create, update or leave each row, in one transaction, with history and an import log.

    Rows must have unique keys (callers report duplicates by row number first). With
    `dry_run` the counts are computed and nothing is written.
    """
    started = timezone.now()
    result = WriteResult()
    periods = (
        resolve_periods(r.period_code for r in rows)
        if not dry_run
        else {p.code: p for p in Period.objects.filter(code__in={r.period_code for r in rows})}
    )
    obs_rows = [r for r in rows if not r.is_target]
    target_rows = [r for r in rows if r.is_target]
    reason = change_reason or f"{command} {filename}"
    with transaction.atomic():
        _write_observations(obs_rows, periods, result, user, reason, dry_run, progress)
        _write_targets(target_rows, periods, result, user, reason, dry_run)
        for row in rows:
            result.warnings.extend((row.row, w) for w in row.warnings)
        if not dry_run:
            result.log = ImportLog.objects.create(
                command=command,
                filename=str(filename)[:500],
                user=user if getattr(user, "pk", None) else None,
                run_by=getattr(user, "username", "") or _os_user(),
                started_at=started,
                finished_at=timezone.now(),
                rows=len(rows),
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                warnings=len(result.warnings),
            )
    return result


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def _existing_observations(rows: Sequence[FigureRow]) -> dict[tuple, Observation]:
    """Stored observations for the rows' keys, fetched per indicator in a few queries."""
    found: dict[tuple, Observation] = {}
    by_indicator: dict[int, set[str]] = {}
    for r in rows:
        by_indicator.setdefault(r.indicator.pk, set()).add(r.period_code)
    authority_ids = {r.authority.pk for r in rows if r.authority}
    comparator_ids = {r.comparator.pk for r in rows if r.comparator}
    for indicator_id, period_codes in by_indicator.items():
        qs = Observation.objects.filter(
            indicator_id=indicator_id, period__code__in=period_codes
        ).select_related("period")
        for obs in qs.iterator(chunk_size=BATCH):
            if obs.authority_id and obs.authority_id in authority_ids:
                subject = ("a", obs.authority_id)
            elif obs.comparator_id and obs.comparator_id in comparator_ids:
                subject = ("c", obs.comparator_id)
            else:
                continue
            found[(subject, False, indicator_id, obs.period.code)] = obs
    return found


OBSERVATION_FIELDS = [
    "numerator",
    "denominator",
    "value",
    "withheld",
    "status",
    "source",
    "note",
    "warnings",
    "updated_by",
    "updated_at",
]


def _write_observations(rows, periods, result, user, reason, dry_run, progress) -> None:
    existing = _existing_observations(rows)
    now = timezone.now()
    to_create: list[Observation] = []
    to_update: list[Observation] = []
    for done, row in enumerate(rows, start=1):
        obs = existing.get(row.key)
        if obs is None:
            result.created += 1
            to_create.append(
                Observation(
                    authority=row.authority,
                    comparator=row.comparator,
                    indicator=row.indicator,
                    period=periods.get(row.period_code),
                    numerator=row.numerator,
                    denominator=row.denominator,
                    value=row.value,
                    withheld=row.withheld,
                    status=row.status or Observation.Status.FINAL,
                    source=row.source or "",
                    note=row.note or "",
                    warnings=list(row.warnings),
                    updated_by=user if getattr(user, "pk", None) else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            wanted = {
                "numerator": row.numerator,
                "denominator": row.denominator,
                "value": row.value,
                "withheld": row.withheld,
                "warnings": list(row.warnings),
            }
            for name in ("status", "source", "note"):
                if getattr(row, name) is not None:
                    wanted[name] = getattr(row, name)
            if all(_same(getattr(obs, k), v) for k, v in wanted.items()):
                result.unchanged += 1
            else:
                result.updated += 1
                for k, v in wanted.items():
                    setattr(obs, k, v)
                obs.updated_by = user if getattr(user, "pk", None) else None
                obs.updated_at = now
                to_update.append(obs)
        if progress and done % 1000 == 0:
            progress(done)
    if dry_run:
        return
    history_user = user if getattr(user, "pk", None) else None
    if to_create:
        bulk_create_with_history(
            to_create,
            Observation,
            batch_size=BATCH,
            default_user=history_user,
            default_change_reason=reason,
            default_date=now,
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            Observation,
            OBSERVATION_FIELDS,
            batch_size=BATCH,
            default_user=history_user,
            default_change_reason=reason,
            default_date=now,
        )
    if progress:
        progress(len(rows))


def _write_targets(rows, periods, result, user, reason, dry_run) -> None:
    for row in rows:
        period = periods.get(row.period_code)
        # A dry run may carry an indicator --create-missing has not saved: it has no targets.
        current = (
            Target.objects.filter(
                authority=row.authority, indicator=row.indicator, period=period
            ).first()
            if period and row.indicator.pk
            else None
        )
        if current is None:
            result.created += 1
            if not dry_run:
                target = Target(
                    authority=row.authority,
                    indicator=row.indicator,
                    period=period,
                    value=row.value,
                    source=row.source or "",
                    note=row.note or "",
                    updated_by=user if getattr(user, "pk", None) else None,
                )
                target._change_reason = reason
                target.save()
            continue
        changes = {"value": row.value}
        if row.source is not None:
            changes["source"] = row.source
        if row.note is not None:
            changes["note"] = row.note
        if all(_same(getattr(current, k), v) for k, v in changes.items()):
            result.unchanged += 1
            continue
        result.updated += 1
        if not dry_run:
            for k, v in changes.items():
                setattr(current, k, v)
            current._change_reason = reason
            current.save()
