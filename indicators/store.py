"""The one path by which figures are written: imports, the DfE loader and the demo data all
build `FigureRow`s, check them with `check_figures`, and hand them to `write_figures`.

`write_figures` compares each row with what is stored, creates or updates only what differs,
records every change in the history tables and an `ImportLog`, all in one transaction: a
failure anywhere writes nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import AutoField, BigAutoField, JSONField, Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from indicators import caching, derive
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


@dataclass(slots=True)
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
    reason = _change_reason(change_reason, command, filename)
    with transaction.atomic():
        _write_observations(obs_rows, periods, result, user, reason, dry_run, progress)
        _write_targets(target_rows, periods, result, user, reason, dry_run)
        for row in rows:
            result.warnings.extend((row.row, w) for w in row.warnings)
        if not dry_run:
            caching.figures_changed()  # bulk writes send no signals
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


def _change_reason(change_reason: str, command: str, filename: str) -> str:
    """History keeps at most 100 characters of reason (PostgreSQL refuses more, SQLite
    does not check): name a long path by its file name."""
    limit = Observation.history.model._meta.get_field("history_change_reason").max_length  # type: ignore[attr-defined]
    reason = change_reason or f"{command} {filename}"
    if len(reason) > limit and not change_reason:
        reason = f"{command} {Path(str(filename)).name}"
    return reason[:limit]


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
    # Period codes from one small query rather than a joined Period object per observation.
    code_of = dict(
        Period.objects.filter(code__in={r.period_code for r in rows}).values_list("pk", "code")
    )
    for indicator_id, period_codes in by_indicator.items():
        period_ids = [pk for pk, code in code_of.items() if code in period_codes]
        # Unordered: the model's ordering would join periods and sort every row.
        qs = Observation.objects.filter(
            indicator_id=indicator_id, period_id__in=period_ids
        ).order_by()
        for obs in qs.iterator(chunk_size=BATCH):
            if obs.authority_id and obs.authority_id in authority_ids:
                subject = ("a", obs.authority_id)
            elif obs.comparator_id and obs.comparator_id in comparator_ids:
                subject = ("c", obs.comparator_id)
            else:
                continue
            found[(subject, False, indicator_id, code_of[obs.period_id])] = obs
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
    to_create: list[FigureRow] = []
    to_update: list[Observation] = []
    for done, row in enumerate(rows, start=1):
        obs = existing.get(row.key) if existing else None
        if obs is None:
            result.created += 1
            to_create.append(row)
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
        _create_observations(to_create, periods, history_user, reason, now)
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


# What simple_history sets on a record; every other field of a record is its observation's.
HISTORY_STAMPS = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _create_observations(
    rows: Sequence[FigureRow], periods: dict[str, Period], user, reason: str, now: dt.datetime
) -> None:
    """Insert new observations and their "+" history records.

    What `bulk_create_with_history` stores, written a column at a time with each distinct
    value converted once: the ORM's work per object and per value was most of a large
    import's time. The database copies each history record from the row just stored
    (INSERT ... SELECT by id), so a record holds exactly what its row holds. Ids are read
    back by the observations' unique keys, so this works on every backend. Falls back to the
    ORM if the history model grows a field this does not know.
    """
    columns = _new_observation_columns(rows, periods, user, now)
    history = Observation.history.model  # type: ignore[attr-defined]
    known = {*columns, "id", "history_id", *HISTORY_STAMPS}
    if any(f.attname not in known for f in history._meta.concrete_fields):  # pragma: no cover
        bulk_create_with_history(
            [Observation(**dict(zip(columns, values))) for values in zip(*columns.values())],
            Observation,
            batch_size=BATCH,
            default_user=user,
            default_change_reason=reason,
            default_date=now,
        )
        return
    _insert_columns(Observation, columns)
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        _record_creations(_ids_by_key(columns), user, reason, now)


def _new_observation_columns(
    rows: Sequence[FigureRow], periods: dict[str, Period], user, now: dt.datetime
) -> dict[str, list[Any]]:
    """{attname: a value per row} for new observations, the values `Observation(...)` holds."""
    count = len(rows)
    return {
        "authority_id": [r.authority.id if r.authority else None for r in rows],
        "comparator_id": [r.comparator.id if r.comparator else None for r in rows],
        "indicator_id": [r.indicator.id for r in rows],
        "period_id": [periods[r.period_code].id for r in rows],
        "numerator": [r.numerator for r in rows],
        "denominator": [r.denominator for r in rows],
        "value": [r.value for r in rows],
        "withheld": [r.withheld for r in rows],
        "status": [r.status or Observation.Status.FINAL for r in rows],
        "source": [r.source or "" for r in rows],
        "note": [r.note or "" for r in rows],
        "warnings": [list(r.warnings) for r in rows],
        "updated_by_id": [user.pk if user is not None else None] * count,
        "created_at": [now] * count,
        "updated_at": [now] * count,
    }


def _ids_by_key(columns: dict[str, list[Any]]) -> list[int]:
    """Ids of the stored observations with these columns' keys, in the columns' order, from
    one query (unordered: the model's ordering joins periods and sorts every row)."""
    keys = list(
        zip(
            columns["authority_id"],
            columns["comparator_id"],
            columns["indicator_id"],
            columns["period_id"],
        )
    )
    stored = (
        Observation.objects.filter(
            indicator_id__in=set(columns["indicator_id"]), period_id__in=set(columns["period_id"])
        )
        .order_by()
        .values_list("authority_id", "comparator_id", "indicator_id", "period_id", "id")
    )
    ids = {(a, c, i, p): pk for a, c, i, p, pk in stored}
    return [ids[key] for key in keys]


def _record_creations(ids: list[int], user, reason: str, now: dt.datetime) -> None:
    """The "+" history record of each observation with these ids, copied from its row."""
    history = Observation.history.model  # type: ignore[attr-defined]
    connection = connections[router.db_for_write(history)]
    quote = connection.ops.quote_name
    own = {f.attname for f in Observation._meta.concrete_fields}
    copied = [quote(f.column) for f in history._meta.concrete_fields if f.attname in own]
    stamps = {
        "history_date": now,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": user.pk if user is not None else None,
    }
    stamp_fields = [history._meta.get_field(name) for name in HISTORY_STAMPS]
    stamp_params = [f.get_db_prep_save(stamps[f.attname], connection) for f in stamp_fields]
    # Names come from the models' metadata, quoted; every value is a parameter.
    head = (
        f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608  # nosec B608
        f"({', '.join([*copied, *(quote(f.column) for f in stamp_fields)])}) "
        f"SELECT {', '.join(copied)}, {', '.join(['%s'] * len(stamp_params))} "
        f"FROM {quote(Observation._meta.db_table)} WHERE {quote(Observation._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array literal: the server reads it a third faster than as many parameters.
            array = "{" + ",".join(map(str, ids)) + "}"
            cursor.execute(f"{head} = ANY(%s::bigint[])", [*stamp_params, array])
            return
        limit = connection.features.max_query_params or 65535
        size = min(10 * BATCH, limit - len(stamp_params))
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            cursor.execute(f"{head} IN ({', '.join(['%s'] * len(batch))})", [*stamp_params, *batch])


def _insert_columns(model: type[Model], columns: dict[str, list[Any]]) -> None:
    """INSERT rows given as {attname: a value per row}, each value converted as the ORM would
    (`get_db_prep_save`)."""
    connection = connections[router.db_for_write(model)]
    fields = [
        f
        for f in model._meta.concrete_fields
        if not isinstance(f, AutoField | BigAutoField) and f.attname in columns
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                _copy_columns(cursor, model, fields, columns)
                return
    params = list(
        zip(*(_converted(columns[f.attname], f.get_db_prep_save, connection) for f in fields))
    )
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Names come from the model's metadata, quoted; every value is a parameter.
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # sqlite3 runs executemany in C with one prepared statement.
            for start in range(0, len(params), BATCH):
                cursor.executemany(head + row_sql, params[start : start + BATCH])
            return
        # Elsewhere executemany may be a round trip per row: send many rows a statement.
        limit = connection.features.max_query_params or 65535
        size = max(1, min(BATCH, limit // len(fields)))
        for start in range(0, len(params), size):
            batch = params[start : start + size]
            cursor.execute(
                head + ", ".join([row_sql] * len(batch)), [p for row in batch for p in row]
            )


def _converted(
    values: list[Any], convert: Callable[..., Any], *args: Any, done: dict | None = None
) -> list[Any]:
    """`convert(value, *args)` of each value, called once per distinct value (remembered in
    `done` across calls): a column repeats few values (ids, a timestamp, a source, counts).

    Equal numbers are one value here, so 1.0 may be sent as 1: numeric columns store them
    alike (PostgreSQL's numeric(14, 4) as 1.0000, SQLite's numeric affinity as the integer 1).
    Lists (JSON) are told apart by their items; other unhashable values are converted one by
    one.
    """
    keys = values
    if list in set(map(type, values)):
        keys = [tuple(v) if type(v) is list else v for v in values]
    try:
        distinct = dict(zip(keys, values))
    except TypeError:  # a dict, say
        return [convert(value, *args) for value in values]
    done = {} if done is None else done
    for key, value in distinct.items():
        if key not in done:
            done[key] = convert(value, *args)
    return list(map(done.__getitem__, keys))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_ROWS = 10_000


def _copy_columns(cursor, model: type[Model], fields: list, columns: dict[str, list[Any]]) -> None:
    """PostgreSQL's COPY: several times faster than INSERT ... VALUES, whose parsing of
    thousands of literals was most of the server's time. Values are written as COPY's text
    format reads them; JSON is dumped with the field's encoder, as the ORM would.

    The text is made COPY_ROWS rows at a time, as psycopg2 asks for it: the server stores one
    part while this process makes the next (psycopg2 lets go of the GIL while it sends).
    """

    def text(value: Any, field) -> str:
        if value is None:
            return "\\N"
        if isinstance(field, JSONField):
            value = json.dumps(value, cls=field.encoder)
        elif isinstance(value, bool):
            return "t" if value else "f"
        elif isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        return str(value).translate(_COPY_ESCAPES)

    values = [columns[f.attname] for f in fields]
    done: list[dict] = [{} for _ in fields]

    def parts() -> Iterator[str]:
        for start in range(0, len(values[0]), COPY_ROWS):
            texts = [
                _converted(column[start : start + COPY_ROWS], text, field, done=seen)
                for column, field, seen in zip(values, fields, done)
            ]
            yield "".join([f"{line}\n" for line in map("\t".join, zip(*texts))])

    quote = cursor.db.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    # The driver's own cursor: its errors (a lost connection) are raised as Django's, as
    # every query through Django's cursor is, so callers catch one kind.
    with cursor.db.wrap_database_errors:
        cursor.cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN", _PartsReader(parts())
        )


class _PartsReader:
    """The file psycopg2's copy_expert reads: each read() is the next part of the text."""

    def __init__(self, parts: Iterator[str]) -> None:
        self._parts = parts

    def read(self, size: int = -1) -> str:
        return next(self._parts, "")


def _write_targets(rows, periods, result, user, reason, dry_run) -> None:
    stored = _existing_targets(rows, periods)
    for row in rows:
        period = periods.get(row.period_code)
        # A dry run may carry an indicator --create-missing has not saved: it has no targets.
        current = (
            stored.get((row.authority.pk, row.indicator.pk, period.pk))
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


def _existing_targets(rows, periods) -> dict[tuple, Target]:
    """Stored targets for the rows' keys, in one query rather than one per row."""
    if not rows:
        return {}
    wanted = Target.objects.filter(
        authority_id__in={r.authority.pk for r in rows},
        indicator_id__in={r.indicator.pk for r in rows if r.indicator.pk},
        period_id__in={p.pk for p in periods.values()},
    )
    return {(t.authority_id, t.indicator_id, t.period_id): t for t in wanted}
