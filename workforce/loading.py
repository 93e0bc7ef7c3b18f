"""Roles, teams, staffing snapshots and post costs from reviewed data
(fixtures/demo/workforce.toml; the file's header describes its keys).

Each row is matched by its natural key (role name; team's council and name; snapshot's
council, team, role and date; post cost's council, title, grade and year) and saved only when
it differs, so loading the file twice changes nothing, history included.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from council_reports.upsert import Counts, upsert
from indicators.models import Authority
from workforce.models import PostCost, Role, Team, WorkforceSnapshot

# TOML key -> WorkforceSnapshot field
SNAPSHOT_FIGURES = {
    "establishment": "establishment_fte",
    "filled": "filled_fte",
    "vacancies": "vacancies_fte",
    "agency": "agency_fte",
    "absent": "absent_fte",
    "average_caseload": "average_caseload",
    "recommended_caseload": "recommended_caseload",
}
SNAPSHOT_KEYS = {"authority", "team", "role", "as_at", "headcount", "source", "note"}
SNAPSHOT_KEYS |= set(SNAPSHOT_FIGURES)
REASON = "load_demo workforce"


class WorkforceDataError(ValueError):
    """An entry that cannot be loaded; the message names it."""


@dataclass
class WorkforceCounts:
    roles: Counts = field(default_factory=Counts)
    teams: Counts = field(default_factory=Counts)
    snapshots: Counts = field(default_factory=Counts)
    post_costs: Counts = field(default_factory=Counts)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in (self.roles, self.teams, self.snapshots, self.post_costs))

    def lines(self) -> list[str]:
        return [
            f"roles: {self.roles}",
            f"teams: {self.teams}",
            f"workforce snapshots: {self.snapshots}",
            f"post costs: {self.post_costs}",
        ]


def _amount(value: Any, where: str) -> Decimal | None:
    """A figure from TOML (integer, or text such as "31.4" to keep it exact)."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise WorkforceDataError(f'{where}: write {value!r} as text ("31.4") or a whole number')
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise WorkforceDataError(f"{where}: {value!r} is not a number") from exc
    if amount < 0:
        raise WorkforceDataError(f"{where}: {value!r} is negative")
    return amount


class _Lookups:
    def __init__(self) -> None:
        self.authorities: dict[str, Authority] = {}
        self.roles: dict[str, Role] = {}
        self.teams: dict[tuple[int, str], Team] = {}

    def authority(self, name: str, where: str) -> Authority:
        if name not in self.authorities:
            found = Authority.objects.matching(name)
            if found is None:
                raise WorkforceDataError(f"{where}: unknown authority {name!r}")
            self.authorities[name] = found
        return self.authorities[name]

    def role(self, name: str, where: str) -> Role:
        if name not in self.roles:
            found = Role.objects.filter(name=name).first()
            if found is None:
                raise WorkforceDataError(f"{where}: unknown role {name!r}")
            self.roles[name] = found
        return self.roles[name]

    def team(self, authority: Authority, name: str, where: str) -> Team:
        key = (authority.pk, name)
        if key not in self.teams:
            found = Team.objects.filter(authority=authority, name=name).first()
            if found is None:
                raise WorkforceDataError(f"{where}: unknown team {name!r} of {authority}")
            self.teams[key] = found
        return self.teams[key]


@transaction.atomic
def load_workforce(path: Path | str) -> WorkforceCounts:
    path = Path(path)
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    counts = WorkforceCounts()
    lookups = _Lookups()

    for entry in data.get("role", []):
        role, outcome = upsert(
            Role,
            {"name": entry["name"]},
            {
                "short_name": entry.get("short_name", ""),
                "qualified": entry.get("qualified", True),
                "agency": entry.get("agency", False),
            },
        )
        lookups.roles[role.name] = role
        counts.roles.add(outcome)

    for entry in data.get("team", []):
        where = f"{path.name}: team {entry.get('name')!r}"
        authority = lookups.authority(entry["authority"], where)
        team, outcome = upsert(Team, {"authority": authority, "name": entry["name"]}, {})
        lookups.teams[(authority.pk, team.name)] = team
        counts.teams.add(outcome)

    for number, entry in enumerate(data.get("snapshot", []), start=1):
        where = f"{path.name}: snapshot {number}"
        unknown = set(entry) - SNAPSHOT_KEYS
        if unknown:
            raise WorkforceDataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not isinstance(entry.get("as_at"), dt.date):
            raise WorkforceDataError(f"{where}: as_at must be a date such as 2015-03-31")
        authority = lookups.authority(entry["authority"], where)
        team = lookups.team(authority, entry["team"], where) if entry.get("team") else None
        headcount = entry.get("headcount")
        if headcount is not None and (not isinstance(headcount, int) or headcount < 0):
            raise WorkforceDataError(f"{where}: headcount must be a whole number")
        values: dict[str, Any] = {
            model_field: _amount(entry.get(key), f"{where} {key}")
            for key, model_field in SNAPSHOT_FIGURES.items()
        }
        values |= {
            "headcount": headcount,
            "source": entry.get("source", ""),
            "note": entry.get("note", ""),
        }
        _snapshot, outcome = upsert(
            WorkforceSnapshot,
            {
                "authority": authority,
                "team": team,
                "role": lookups.role(entry["role"], where),
                "as_at": entry["as_at"],
            },
            values,
            change_reason=REASON,
        )
        counts.snapshots.add(outcome)

    for entry in data.get("post_cost", []):
        where = f"{path.name}: post cost {entry.get('post_title')!r}"
        authority = lookups.authority(entry["authority"], where)
        _cost, outcome = upsert(
            PostCost,
            {
                "authority": authority,
                "post_title": entry["post_title"],
                "grade": entry["grade"],
                "financial_year": entry["financial_year"],
            },
            {
                "role": lookups.role(entry["role"], where) if entry.get("role") else None,
                "salary": _amount(entry["salary"], f"{where} salary"),
                "employer_ni": _amount(entry["employer_ni"], f"{where} employer_ni"),
                "superannuation": _amount(entry["superannuation"], f"{where} superannuation"),
            },
            change_reason=REASON,
        )
        counts.post_costs.add(outcome)
    return counts
