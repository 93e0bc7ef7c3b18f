"""Create-or-update for reviewed reference data (councils, teams, audits ...), saving a row
only when something differs.

`Model.objects.update_or_create` saves every time, and every save of a model with history
writes a history row; loading the same file twice must change nothing, history included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def __iadd__(self, other: Counts) -> Counts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, Decimal) or isinstance(wanted, Decimal):
        if current is None or wanted is None:
            return current is None and wanted is None
        return Decimal(current) == Decimal(wanted)
    return current == wanted


def upsert(
    model: type[M],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    change_reason: str = "",
) -> tuple[M, Outcome]:
    """The row matching `lookup`, created with `values` or updated to them.

    Saves only when a value differs (Decimals compare by amount, so 27123 equals 27123.00).
    `change_reason` goes into the history of models that keep one.
    """
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        outcome = Outcome.CREATED
    elif all(_same(getattr(instance, name), value) for name, value in values.items()):
        return instance, Outcome.UNCHANGED
    else:
        for name, value in values.items():
            setattr(instance, name, value)
        outcome = Outcome.UPDATED
    if change_reason:
        instance._change_reason = change_reason  # type: ignore[attr-defined]
    instance.save()
    return instance, outcome
