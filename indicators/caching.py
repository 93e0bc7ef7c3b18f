"""Pages drawn from figures, cached until any figure changes.

Members' dashboards are read far more often than figures change (a quarter's return, an
import), so the expensive part of a page (its tables, drawn from thousands of figures) is kept
in Django's cache: Redis shared by every app server when REDIS_URL is set, each process's own
memory otherwise.

Invalidation is by version, not by finding keys: every cached piece is filed under the current
`FiguresVersion` token, read from the database with each page (one query by primary key, so
every process sees a change at once, whichever cache it has). Any change to figures replaces
the token once its transaction commits, and the old pieces are never read again (they expire).

What counts as a change: saving or deleting an observation, target, indicator, comparator,
period, council, region or statistical-neighbour group (signals, connected in
`IndicatorsConfig.ready`), and every bulk write through `indicators.store.write_figures`,
which calls `figures_changed()` itself because bulk inserts send no signals.

A connection that has changed figures in a transaction not yet committed sees figures no one
else sees yet: until it commits (or rolls back) it neither reads nor fills the cache.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation

# A bound on staleness should a process die between a commit and its new token.
TIMEOUT = 60 * 60
FIGURES_ROW = 1

Drawn = TypeVar("Drawn")


def current_version() -> str:
    """The token cached pieces are filed under now ("0" before figures ever changed)."""
    from indicators.models import FiguresVersion

    token = FiguresVersion.objects.filter(pk=FIGURES_ROW).values_list("token", flat=True)
    return token.first() or "0"


def figures_changed(using: str | None = None) -> None:
    """Retire every cached piece: now, or when the current transaction commits."""
    alias = using or DEFAULT_DB_ALIAS
    connection = connections[alias]
    if not connection.in_atomic_block:
        _new_version(alias)
    elif not _pending(connection):
        transaction.on_commit(_Bump(alias), using=alias)


class _Bump:
    """The on-commit callback; its type marks a bump already pending on a connection."""

    def __init__(self, alias: str):
        self.alias = alias

    def __call__(self) -> None:
        _new_version(self.alias)


def _pending(connection) -> bool:
    # Django drops the callbacks of a transaction or savepoint that rolls back, so a bump
    # still listed means this connection holds changes not yet committed.
    return any(isinstance(callback, _Bump) for _sids, callback, _robust in connection.run_on_commit)


def _new_version(alias: str) -> None:
    from indicators.models import FiguresVersion

    fields = {"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    manager = FiguresVersion.objects.using(alias)
    if not manager.filter(pk=FIGURES_ROW).update(**fields):
        manager.update_or_create(pk=FIGURES_ROW, defaults=fields)


def cached(
    name: str, parts: Iterable[object], draw: Callable[[], Drawn], version: str | None = None
) -> Drawn:
    """What `draw()` returns (text, or anything that pickles), from the cache when drawn
    before from the same figures.

    `parts` name what else the text depends on (a council, the comparators chosen, whether
    provisional figures are shown); the language is added here, as every page is translated.
    `version`: current_version(), when the caller has read it already, so that a page made
    of several cached pieces reads the token once.
    """
    if _pending(connections[DEFAULT_DB_ALIAS]):
        return draw()
    described = "|".join(str(part) for part in (*parts, translation.get_language()))
    digest = hashlib.blake2b(described.encode(), digest_size=16).hexdigest()
    key = f"figures:{version or current_version()}:{name}:{digest}"
    found = cache.get(key)
    if found is None:
        found = draw()
        cache.set(key, found, TIMEOUT)
    return found


def connect_signals() -> None:
    """Every model whose change alters what a dashboard shows retires the cache."""
    from django.db.models.signals import post_delete, post_save

    from indicators import models

    for model in (
        models.Observation,
        models.Target,
        models.Indicator,
        models.Comparator,
        models.Period,
        models.Authority,
        models.Region,
        models.NeighbourGroup,
        models.NeighbourMembership,
    ):
        for signal in (post_save, post_delete):
            signal.connect(_on_change, sender=model, dispatch_uid=f"figures-{model.__name__}")


def _on_change(sender, using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    figures_changed(using)
