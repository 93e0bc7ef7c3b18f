"""Case-file audits from reviewed data (fixtures/demo/audits.toml; the file's header
describes its keys).

An audit is matched by council and title, a case by its reference within the audit, a
recommendation by its number; each is saved only when it differs, so loading the file twice
changes nothing, history included. Cases carry pseudonymised references only.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from audits.models import AuditedCase, CaseAudit, Category, Grade, Recommendation
from council_reports.upsert import Counts, upsert
from indicators.models import Authority, Period
from workforce.models import Role

REASON = "load_demo audits"
CASE_KEYS = {
    "reference",
    "children",
    "category",
    "worker_role",
    "meetings_examined",
    "findings",
    "compliant",
    "grade",
}
RECOMMENDATION_KEYS = {"number", "action", "owner", "due_date", "status", "status_note"}


class AuditDataError(ValueError):
    """An entry that cannot be loaded; the message names it."""


@dataclass
class AuditCounts:
    audits: Counts = field(default_factory=Counts)
    cases: Counts = field(default_factory=Counts)
    recommendations: Counts = field(default_factory=Counts)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in (self.audits, self.cases, self.recommendations))

    def lines(self) -> list[str]:
        return [
            f"case audits: {self.audits}",
            f"audited cases: {self.cases}",
            f"recommendations: {self.recommendations}",
        ]


def _choice(entry: dict[str, Any], key: str, allowed: list[str], where: str) -> str:
    value = entry.get(key, "")
    if value and value not in allowed:
        raise AuditDataError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _date(entry: dict[str, Any], key: str, where: str) -> dt.date | None:
    value = entry.get(key)
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    raise AuditDataError(f"{where}: {key} must be a date such as 2015-04-01")


def _unknown_keys(entry: dict[str, Any], known: set[str], where: str) -> None:
    unknown = set(entry) - known
    if unknown:
        raise AuditDataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


@transaction.atomic
def load_audits(path: Path | str) -> AuditCounts:
    path = Path(path)
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    counts = AuditCounts()
    for entry in data.get("audit", []):
        where = f"{path.name}: audit {entry.get('title')!r}"
        authority = Authority.objects.matching(entry["authority"])
        if authority is None:
            raise AuditDataError(f"{where}: unknown authority {entry['authority']!r}")
        period = Period.objects.for_code(entry["period"]) if entry.get("period") else None
        audit, outcome = upsert(
            CaseAudit,
            {"authority": authority, "title": entry["title"]},
            {
                "scope": entry.get("scope", ""),
                "period": period,
                "auditor": entry.get("auditor", ""),
                "audit_date": _date(entry, "audit_date", where),
                "summary": entry.get("summary", ""),
            },
            change_reason=REASON,
        )
        counts.audits.add(outcome)
        for case in entry.get("case", []):
            _load_case(audit, case, f"{where} case {case.get('reference')!r}", counts)
        for recommendation in entry.get("recommendation", []):
            _load_recommendation(
                audit,
                recommendation,
                f"{where} recommendation {recommendation.get('number')!r}",
                counts,
            )
    return counts


def _load_case(audit: CaseAudit, entry: dict[str, Any], where: str, counts: AuditCounts) -> None:
    _unknown_keys(entry, CASE_KEYS, where)
    role = None
    if entry.get("worker_role"):
        role = Role.objects.filter(name=entry["worker_role"]).first()
        if role is None:
            raise AuditDataError(f"{where}: unknown role {entry['worker_role']!r}")
    compliant = entry.get("compliant")
    if compliant is not None and not isinstance(compliant, bool):
        raise AuditDataError(f"{where}: compliant must be true or false, or left out")
    _case, outcome = upsert(
        AuditedCase,
        {"audit": audit, "reference": entry["reference"]},
        {
            "children": entry.get("children", 1),
            "category": _choice(entry, "category", Category.values, where),
            "worker_role": role,
            "meetings_examined": entry.get("meetings_examined", ""),
            "findings": entry.get("findings", ""),
            "compliant": compliant,
            "grade": _choice(entry, "grade", Grade.values, where),
        },
        change_reason=REASON,
    )
    counts.cases.add(outcome)


def _load_recommendation(
    audit: CaseAudit, entry: dict[str, Any], where: str, counts: AuditCounts
) -> None:
    _unknown_keys(entry, RECOMMENDATION_KEYS, where)
    _recommendation, outcome = upsert(
        Recommendation,
        {"audit": audit, "number": entry["number"]},
        {
            "action": entry["action"],
            "owner": entry.get("owner", ""),
            "due_date": _date(entry, "due_date", where),
            "status": _choice(entry, "status", Recommendation.Status.values, where)
            or Recommendation.Status.OPEN,
            "status_note": entry.get("status_note", ""),
        },
        change_reason=REASON,
    )
    counts.recommendations.add(outcome)
