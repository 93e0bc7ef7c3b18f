"""Imports through the browser: where an uploaded file waits between its preview and its
confirmation, and which of its rows the signed-in user may import.

The file itself goes through `indicators.importing.import_observations_file`, the code path of
the `import_observations` command; what differs is only who may import what, so that is a
`check_rows` function applied to the parsed rows, in the preview and again on confirmation.

An upload is kept under `settings.IMPORT_UPLOAD_DIR` (DJANGO_IMPORT_UPLOAD_DIR, default
`var/uploads/` in the project, git-ignored) as `<token><suffix>`, where the token is random
and is stored in the uploader's session: the token in a URL is only honoured for the session
that uploaded it, and the file name on disk never comes from the user.

Waiting files are bounded so that uploads cannot fill the disk: a `PendingImport` row per file
records its user and size; each user keeps at most `MAX_PENDING` (a new upload supersedes the
oldest) and `MAX_PENDING_BYTES` in all (beyond it an upload is refused). A file goes when its
import is confirmed, when it is cancelled or superseded, and, never confirmed, when the task
worker's sweep finds it older than `KEEP_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from council_reports import permissions
from council_reports.models import Role
from indicators import codes, store
from indicators.models import Observation, PendingImport, YearLock

MAX_UPLOAD_BYTES = settings.FILE_UPLOAD_MAX_BYTES
SUFFIXES = (".csv", ".xlsx")
SESSION_KEY = "pending_imports"
# The import log and history name the file; history keeps 100 characters of reason.
NAME_LIMIT = 80
# Per user: files waiting for confirmation, and their total size (a 20 MB file and a second
# one fit; three such files do not).
MAX_PENDING = 3
MAX_PENDING_BYTES = 40 * 1024 * 1024
# Uploads never confirmed or cancelled are removed by the worker's sweep at this age.
KEEP_SECONDS = 24 * 60 * 60
# A file without its row is removed at this age: younger, its row may not be committed yet.
ORPHAN_SECONDS = 60 * 60
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

    @classmethod
    def of(cls, row: PendingImport) -> PendingUpload:
        return cls(row.token, row.filename, row.suffix, row.create_missing)


@dataclass(frozen=True)
class Kept:
    """A new upload, and the names of the older uploads it superseded."""

    pending: PendingUpload
    superseded: list[str]


class UploadRefused(Exception):
    """An upload the user may not keep now; the message says which limit and what to do."""


def upload_dir() -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR)


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


def waiting(user) -> list[PendingImport]:
    """The user's uploads waiting for confirmation, oldest first."""
    return list(PendingImport.objects.filter(user=user).order_by("created", "pk"))


def keep(session, user, upload: UploadedFile, *, create_missing: bool) -> Kept:
    """Save the upload under a new random token bound to this session and this user.

    The user's oldest waiting uploads are superseded (removed) so that at most MAX_PENDING
    wait; an upload that would take the rest past MAX_PENDING_BYTES is refused
    (UploadRefused) and then nothing changes."""
    filename = safe_name(upload.name or "")
    size = upload.size or 0
    with transaction.atomic():
        # One user's uploads are counted one at a time (PostgreSQL locks the user's row).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        rows = waiting(user)
        superseded = rows[: max(0, len(rows) - (MAX_PENDING - 1))]
        kept = rows[len(superseded) :]
        used = sum(row.size for row in kept)
        if used + size > MAX_PENDING_BYTES:
            raise UploadRefused(
                _(
                    "Your uploads waiting for confirmation take %(used)s; with this file "
                    "(%(size)s) they would take more than the %(limit)s you may keep. Confirm "
                    "or cancel one of them first."
                )
                % {
                    "used": filesizeformat(used),
                    "size": filesizeformat(size),
                    "limit": filesizeformat(MAX_PENDING_BYTES),
                }
            )
        row = PendingImport.objects.create(
            user=user,
            token=secrets.token_urlsafe(24),
            filename=filename,
            suffix=Path(filename).suffix.lower(),
            size=size,
            create_missing=create_missing,
            created=timezone.now(),
        )
        pending = PendingUpload.of(row)
        folder = upload_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # "xb": never overwrite; the token is new, so an existing file would be a bug.
            with pending.path.open("xb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        except BaseException:
            pending.path.unlink(missing_ok=True)
            raise
        PendingImport.objects.filter(pk__in=[old.pk for old in superseded]).delete()
    for old in superseded:
        PendingUpload.of(old).path.unlink(missing_ok=True)
    tokens = dict(session.get(SESSION_KEY, {}))
    for old in superseded:
        tokens.pop(old.token, None)
    tokens[pending.token] = {"filename": pending.filename}
    session[SESSION_KEY] = tokens
    return Kept(pending, [old.filename for old in superseded])


def find(session, user, token: str) -> PendingUpload | None:
    """The upload this session and user made under this token, if it still waits."""
    if not _TOKEN.match(token) or token not in session.get(SESSION_KEY, {}):
        return None
    row = PendingImport.objects.filter(user=user, token=token, suffix__in=SUFFIXES).first()
    if row is None:
        return None
    pending = PendingUpload.of(row)
    return pending if pending.path.is_file() else None


def discard(session, pending: PendingUpload) -> None:
    """Remove a confirmed or cancelled upload: its file, its row and its session entry."""
    PendingImport.objects.filter(token=pending.token).delete()
    pending.path.unlink(missing_ok=True)
    tokens = dict(session.get(SESSION_KEY, {}))
    tokens.pop(pending.token, None)
    session[SESSION_KEY] = tokens


@dataclass(frozen=True)
class Swept:
    uploads: int  # waiting uploads removed (too old, or their file lost), with their files
    orphans: int  # files in the folder without an upload waiting for them


def sweep(now: dt.datetime | None = None) -> Swept:
    """Remove uploads older than KEEP_SECONDS or whose file is lost, and files no upload waits
    for (a user since removed, an interrupted write) older than ORPHAN_SECONDS. Run by the
    task worker (`manage.py worker`) on a schedule, and by `manage.py sweep_uploads`."""
    now = now or timezone.now()
    cut = now - dt.timedelta(seconds=KEEP_SECONDS)
    # A row is committed only after its file is written, so a row without its file lost it
    # (the folder was cleared): it would count against its user's limits for nothing.
    expired = [
        row
        for row in PendingImport.objects.all()
        if row.created < cut or not PendingUpload.of(row).path.is_file()
    ]
    PendingImport.objects.filter(pk__in=[row.pk for row in expired]).delete()
    for row in expired:
        PendingUpload.of(row).path.unlink(missing_ok=True)
    folder = upload_dir()
    orphans = 0
    if folder.is_dir():
        tokens = set(PendingImport.objects.values_list("token", flat=True))
        cutoff = now.timestamp() - ORPHAN_SECONDS
        for path in folder.iterdir():
            try:
                if (
                    path.suffix in SUFFIXES
                    and path.stem not in tokens
                    and path.is_file()
                    and path.stat().st_mtime < cutoff
                ):
                    path.unlink()
                    orphans += 1
            except OSError:  # removed meanwhile by a confirmation or another sweep
                continue
    return Swept(len(expired), orphans)
