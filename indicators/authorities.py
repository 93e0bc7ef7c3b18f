"""Councils, regions and comparators from reviewed data (fixtures/authorities.toml).

Regions are matched by name, authorities by GSS code (the code the DfE and ONS publish,
and the one a later DfE import matches on), comparators by name. Rows are created or updated,
never deleted: a council in the database but not in the file is left alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from council_reports.upsert import Counts, upsert
from indicators import codes
from indicators.models import (
    Authority,
    AuthorityAlias,
    Comparator,
    ComparatorKind,
    Nation,
    Region,
    Statistic,
)


class PlacesError(ValueError):
    """A reference-data file that cannot be loaded; the message names the entry."""


@dataclass
class PlacesCounts:
    regions: Counts = field(default_factory=Counts)
    authorities: Counts = field(default_factory=Counts)
    aliases: Counts = field(default_factory=Counts)
    comparators: Counts = field(default_factory=Counts)

    @property
    def changed(self) -> bool:
        return any(
            c.changed for c in (self.regions, self.authorities, self.aliases, self.comparators)
        )

    def lines(self) -> list[str]:
        return [
            f"regions: {self.regions}",
            f"authorities: {self.authorities}",
            f"authority aliases: {self.aliases}",
            f"comparators: {self.comparators}",
        ]


def _choice(entry: dict[str, Any], key: str, allowed: list[str], where: str) -> str:
    value = entry.get(key, "")
    if value not in allowed:
        raise PlacesError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _required(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PlacesError(f"{where}: '{key}' is missing")
    return value.strip()


@transaction.atomic
def load_authorities(path: Path | str) -> PlacesCounts:
    """Create or update the regions, authorities (with aliases) and comparators in the file."""
    path = Path(path)
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    counts = PlacesCounts()
    regions: dict[str, Region] = {}

    for entry in data.get("region", []):
        name = _required(entry, "name", f"{path.name}: region")
        where = f"{path.name}: region {name!r}"
        region, outcome = upsert(
            Region,
            {"name": name},
            {
                "slug": entry.get("slug") or codes.authority_slug(name),
                "gss_code": entry.get("gss_code", ""),
                "nation": _choice(entry, "nation", Nation.values, where),
            },
        )
        regions[name] = region
        counts.regions.add(outcome)

    def region_named(name: str | None, where: str) -> Region | None:
        if not name:
            return None
        found = regions.get(name) or Region.objects.filter(name=name).first()
        if found is None:
            raise PlacesError(f"{where}: unknown region {name!r}")
        return found

    for entry in data.get("authority", []):
        name = _required(entry, "name", f"{path.name}: authority")
        where = f"{path.name}: authority {name!r}"
        gss_code = _required(entry, "gss_code", where)
        authority, outcome = upsert(
            Authority,
            {"gss_code": gss_code},
            {
                "name": name,
                "slug": codes.authority_slug(name),
                "old_la_code": entry.get("old_la_code") or None,
                "nation": _choice(entry, "nation", Nation.values, where),
                "region": region_named(entry.get("region"), where),
                "active": entry.get("active", True),
            },
        )
        counts.authorities.add(outcome)
        for alias in entry.get("aliases", []):
            _alias, outcome = upsert(
                AuthorityAlias,
                {"name_key": codes.normalise_name(alias)},
                {"name": alias, "authority": authority},
            )
            counts.aliases.add(outcome)

    for entry in data.get("comparator", []):
        name = _required(entry, "name", f"{path.name}: comparator")
        where = f"{path.name}: comparator {name!r}"
        _comparator, outcome = upsert(
            Comparator,
            {"name_key": codes.normalise_name(name)},
            {
                "name": name,
                "slug": entry.get("slug") or codes.authority_slug(name),
                "kind": _choice(entry, "kind", ComparatorKind.values, where),
                "nation": entry.get("nation", ""),
                "region": region_named(entry.get("region"), where),
                "statistic": entry.get("statistic", Statistic.PUBLISHED),
                "source": entry.get("source", ""),
            },
        )
        counts.comparators.add(outcome)
    return counts
