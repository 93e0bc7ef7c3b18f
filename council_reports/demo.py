"""The demo data: the figures, staffing and audits printed in the five seed papers, the
councils and comparators they need, and one demo user per role.

`load_demo` runs every step in one transaction, so a failure anywhere leaves the database as
it was, and each step saves only what differs, so a second run changes nothing: no row, no
history, no import log.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from audits.loading import AuditCounts, load_audits
from council_reports.accounts import provision_user
from council_reports.models import Role
from council_reports.upsert import Counts, Outcome
from indicators.authorities import PlacesCounts, load_authorities
from indicators.definitions import DefinitionCounts
from indicators.importing import import_observations_file
from indicators.management.commands.load_indicators import load_indicator_files
from workforce.loading import WorkforceCounts, load_workforce

FIXTURES = Path(settings.BASE_DIR) / "fixtures"

# The councils of the seed papers, whose figures, staffing and audits the demo holds.
SEED_COUNCILS = ["Caerphilly", "Halton", "Herefordshire", "Rhondda Cynon Taf", "Walsall"]

# username, role, councils they act for. The author writes for the seed councils: an
# author reads a council's audit findings only when linked to it.
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("rct.officer", Role.OFFICER, ["Rhondda Cynon Taf"]),
    ("caerphilly.officer", Role.OFFICER, ["Caerphilly"]),
    ("rct.approver", Role.APPROVER, ["Rhondda Cynon Taf"]),
    ("member", Role.MEMBER, []),
    ("author", Role.AUTHOR, SEED_COUNCILS),
    ("admin", Role.ADMIN, []),
]


class DemoError(RuntimeError):
    """The demo data could not be loaded; nothing was written."""


@dataclass
class ObservationCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.warnings)} warnings"
        )


@dataclass
class DemoReport:
    indicators: dict[str, DefinitionCounts] = field(default_factory=dict)
    places: PlacesCounts = field(default_factory=PlacesCounts)
    observations: dict[str, ObservationCounts] = field(default_factory=dict)
    workforce: WorkforceCounts = field(default_factory=WorkforceCounts)
    audits: AuditCounts = field(default_factory=AuditCounts)
    users: Counts = field(default_factory=Counts)
    papers: Counts = field(default_factory=Counts)
    # The random password given to users created in this run; None when DEMO_PASSWORD
    # was set or no user was created.
    generated_password: str | None = None
    password_warning: str = ""

    @property
    def changed(self) -> bool:
        return (
            any(c.created or c.updated for c in self.indicators.values())
            or self.places.changed
            or any(c.created or c.updated for c in self.observations.values())
            or self.workforce.changed
            or self.audits.changed
            or self.users.changed
            or self.papers.changed
        )

    def lines(self) -> list[str]:
        lines = [f"indicators ({name}): {counts}" for name, counts in self.indicators.items()]
        lines += self.places.lines()
        lines += [f"observations ({name}): {counts}" for name, counts in self.observations.items()]
        lines += self.workforce.lines()
        lines += self.audits.lines()
        lines.append(f"demo users: {self.users}")
        lines.append(f"committee papers: {self.papers}")
        return lines


def load_demo(fixtures: Path = FIXTURES, password: str | None = None) -> DemoReport:
    """Load everything in one transaction; raises DemoError (writing nothing) on any problem.

    `password` (normally DEMO_PASSWORD) is given to every demo user; without it, users
    created now get one random password, returned in the report, and existing users keep
    theirs.
    """
    report = DemoReport()
    with transaction.atomic():
        report.indicators = load_indicator_files(fixtures / "indicators")
        report.places = load_authorities(fixtures / "authorities.toml")
        for path in sorted((fixtures / "demo" / "observations").glob("*.csv")):
            report.observations[path.stem] = _load_observations(path)
        report.workforce = load_workforce(fixtures / "demo" / "workforce.toml")
        report.audits = load_audits(fixtures / "demo" / "audits.toml")
        _provision_users(report, password)
        report.papers = _load_papers(fixtures / "reports")
    return report


# The committee papers of the demo: seed 000 as it went to the board (published, its figures
# frozen) and seed 001's casework update as a draft to work on.
DEMO_PAPERS = (("seed000.json", True), ("casework.json", False))


def _load_papers(folder: Path) -> Counts:
    """Each demo paper saved once, by the demo author; a paper already there is left as it
    is (an author may have changed it)."""
    from reports import editing
    from reports.models import Report
    from reports.spec import SpecError

    counts = Counts()
    author = get_user_model().objects.get(username="author")
    for name, published in DEMO_PAPERS:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        if Report.objects.filter(slug=data["slug"]).exists():
            counts.add(Outcome.UNCHANGED)
            continue
        try:
            paper = editing.save_spec(data, user=author)
            if published:
                editing.publish(paper, author, seen=editing.edit_stamp(paper))
        except SpecError as exc:
            raise DemoError(f"{name}: {exc}") from exc
        counts.add(Outcome.CREATED)
    return counts


def _load_observations(path: Path) -> ObservationCounts:
    """One council's CSV through the same import as `import_observations`.

    A dry run first: when it finds nothing to create or update, nothing is written, so a
    second run adds no import log either.
    """
    check = import_observations_file(path, dry_run=True)
    if not check.ok:
        problems = "\n".join(f"  row {row}: {message}" for row, message in check.errors)
        raise DemoError(f"{path.name} has errors:\n{problems}")
    result = check.result
    if result is not None and (result.created or result.updated):
        written = import_observations_file(path)
        if not written.ok:
            raise DemoError(f"{path.name} could not be written: {written.errors}")
        result = written.result
    if result is None:
        raise DemoError(f"{path.name}: the import reported no result")
    return ObservationCounts(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        warnings=[f"row {row}: {message}" for row, message in result.warnings],
    )


def _provision_users(report: DemoReport, password: str | None) -> None:
    User = get_user_model()
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            report.password_warning = (
                "DEMO_PASSWORD would be refused for a real account ("
                + " ".join(exc.messages)
                + "); it is used as given, for the demo only."
            )
    generated: str | None = None
    for username, role, councils in DEMO_USERS:
        existing = User.objects.filter(username=username).first()
        before = _user_state(existing)
        if password:
            # Setting the same password again would rehash it: a change for nothing.
            new_password = None if existing and existing.check_password(password) else password
        elif existing is None:
            generated = generated or secrets.token_urlsafe(15)
            new_password = generated
        else:
            new_password = None  # keep the password it has
        user, created = provision_user(username, role, councils, new_password, check_password=False)
        if created:
            report.users.add(Outcome.CREATED)
        elif new_password is not None or _user_state(user) != before:
            report.users.add(Outcome.UPDATED)
        else:
            report.users.add(Outcome.UNCHANGED)
    report.generated_password = generated


def _user_state(user) -> tuple | None:
    if user is None:
        return None
    return (
        user.role,
        user.is_staff,
        user.is_superuser,
        tuple(sorted(user.authorities.values_list("pk", flat=True))),
    )


def demo_password_from_environment() -> str | None:
    return os.environ.get("DEMO_PASSWORD") or None
