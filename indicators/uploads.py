"""Imports through the browser: where an uploaded file waits between its preview and its
confirmation, and which of its rows the signed-in user may import.

The file itself goes through `indicators.importing.import_observations_file`, the code path of
the `import_observations` command; what differs is only who may import what, so that is a
`check_rows` function applied to the parsed rows, in the preview and again on confirmation.

An upload is kept under `settings.IMPORT_UPLOAD_DIR` (default `var/uploads/` in the project,
git-ignored) as `<token><suffix>`, where the token is random and is stored in the uploader's
session: the token in a URL is only honoured for the session that uploaded it, and the file
name on disk never comes from the user.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from council_reports import permissions
from council_reports.models import Role
from indicators import codes, store
from indicators.models import Observation, YearLock

MAX_UPLOAD_BYTES = settings.FILE_UPLOAD_MAX_BYTES
SUFFIXES = (".csv", ".xlsx")
SESSION_KEY = "pending_imports"
# The import log and history name the file; history keeps 100 characters of reason.
NAME_LIMIT = 80
# Uploads never confirmed are removed when a later upload finds them this old.
KEEP_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def may_import(user) -> bool:
    """Officers and approvers (for their own councils) and administrators."""
    return permissions.is_admin(user) or (
        user.is_authenticated and user.role in (Role.OFFICER, Role.APPROVER)
    )


def may_create_indicators(user) -> bool:
    return permissions.is_admin(user)


def status_for(user) -> str:
    """Officers' and approvers' imports wait for approval; an administrator's are final."""
    if permissions.is_admin(user):
        return Observation.Status.FINAL
    return Observation.Status.PROVISIONAL


def row_check_for(user):
    """The rows this user may not import, as (row, message), for `check_rows`."""

    def check(rows: list[store.FigureRow]) -> list[tuple[int, str]]:
        return disallowed_rows(user, rows)

    return check


def disallowed_rows(user, rows: Iterable[store.FigureRow]) -> list[tuple[int, str]]:
    """Rows naming a council the user does not act for, comparator rows from anyone but an
    administrator, and rows in a financial year locked for the council (as in returns)."""
    admin = permissions.is_admin(user)
    own = set() if admin else set(user.authorities.values_list("pk", flat=True))
    locked = set(YearLock.objects.values_list("authority_id", "financial_year"))
    errors: list[tuple[int, str]] = []
    for row in rows:
        if row.comparator is not None:
            if not admin:
                errors.append(
                    (
                        row.row,
                        _(
                            "you cannot import figures for the comparator %(comparator)s; "
                            "only an administrator can"
                        )
                        % {"comparator": row.comparator},
                    )
                )
            continue
        authority = row.authority
        if authority is None:
            continue
        if not admin and authority.pk not in own:
            errors.append(
                (row.row, _("you cannot import figures for %(council)s") % {"council": authority})
            )
            continue
        year = codes.parse_period(row.period_code).financial_year
        if (authority.pk, year) in locked:
            errors.append(
                (
                    row.row,
                    _("%(year)s is locked for %(council)s: its figures cannot change")
                    % {"year": codes.financial_year_code(year), "council": authority},
                )
            )
    return errors


# --- Files waiting for confirmation ----------------------------------------------------------


@dataclass
class PendingUpload:
    token: str
    filename: str  # the name the user's file had, for the import log
    suffix: str
    create_missing: bool

    @property
    def path(self) -> Path:
        return upload_dir() / f"{self.token}{self.suffix}"


def upload_dir() -> Path:
    configured = getattr(settings, "IMPORT_UPLOAD_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "uploads"


def safe_name(name: str) -> str:
    """The uploaded file's own name, without folders or control characters, short enough
    for the log."""
    name = Path(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "upload"
    if len(name) > NAME_LIMIT:
        stem, dot, suffix = name.rpartition(".")
        suffix = dot + suffix if dot and len(suffix) <= 10 else ""
        name = name[: NAME_LIMIT - len(suffix)] + suffix
    return name


def keep(session, upload: UploadedFile, *, create_missing: bool) -> PendingUpload:
    """Save the upload under a new random token bound to this session."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_abandoned(folder)
    filename = safe_name(upload.name or "")
    pending = PendingUpload(
        token=secrets.token_urlsafe(24),
        filename=filename,
        suffix=Path(filename).suffix.lower(),
        create_missing=create_missing,
    )
    # "xb": never overwrite; the token is new, so an existing file would be a bug.
    with pending.path.open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    waiting = dict(session.get(SESSION_KEY, {}))
    waiting[pending.token] = {
        "filename": pending.filename,
        "suffix": pending.suffix,
        "create_missing": create_missing,
    }
    session[SESSION_KEY] = waiting
    return pending


def find(session, token: str) -> PendingUpload | None:
    """The upload this session made under this token, if its file is still there."""
    if not _TOKEN.match(token):
        return None
    data = session.get(SESSION_KEY, {}).get(token)
    if not data or data.get("suffix") not in SUFFIXES:
        return None
    pending = PendingUpload(
        token=token,
        filename=str(data.get("filename", "")),
        suffix=data["suffix"],
        create_missing=bool(data.get("create_missing")),
    )
    return pending if pending.path.is_file() else None


def discard(session, pending: PendingUpload) -> None:
    pending.path.unlink(missing_ok=True)
    waiting = dict(session.get(SESSION_KEY, {}))
    waiting.pop(pending.token, None)
    session[SESSION_KEY] = waiting


def _remove_abandoned(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.suffix in SUFFIXES and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # another request removed it first
            continue
