"""Backups of the whole database in one file that restores into SQLite or PostgreSQL alike.

A backup is a ZIP archive (ZIP64, so any size) holding:

- `data.jsonl`: every row of every installed app, one JSON object a line in Django's "jsonl"
  serialization (`{"model": "indicators.observation", "pk": 1, "fields": {...}}`), primary
  keys kept, so foreign keys, simple-history's records (`history_id`, `history_user`) and
  content types point where they pointed. Datetimes keep their microseconds (Django's own
  encoder drops them, and history is ordered by them).
- `media/...`: the files that rows name in a FileField (report packs' zips).
- `manifest.json`, written last: format version, app version and git commit, database vendor,
  the migrations applied per app, rows per model, the SHA-256 of `data.jsonl` and of each
  media file.

Rows are read in one transaction (a consistent snapshot while the app keeps running) and
streamed model by model, so memory stays flat however large the database is; the archive is
written to a temporary file beside the target and renamed only once complete.

A restore checks the whole file (checksums, row counts, migrations) before it touches the
database, then empties every backed-up table and loads every row in one transaction: all or
nothing. Sessions are not backed up (everyone signs in again after a restore).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess  # nosec B404: git, by absolute argument list, for the manifest only
import tempfile
import time
import tomllib
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connections,
    models,
    reset_queries,
    transaction,
)
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from indicators import caching

FORMAT = "council-reports-backup"
FORMAT_VERSION = 1
DATA = "data.jsonl"
MANIFEST = "manifest.json"
MEDIA = "media/"
CHUNK = 2000

# Rows a fresh `migrate` writes itself: a restore replaces them with the backup's (whose ids
# the other rows refer to), so they do not make a database "not empty".
MADE_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}
# Signed-in sessions belong to the database they were made on.
NOT_BACKED_UP = {"sessions.session"}


class BackupError(Exception):
    """The backup cannot be written, or the file cannot be restored; nothing was changed."""


class MediaNotRestored(BackupError):
    """The rows were restored (committed) but the media files could not be written."""


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder but keeping a datetime's microseconds, which it cuts to
    milliseconds: history records are ordered by `history_date`."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


@dataclass
class Manifest:
    created_at: str
    vendor: str
    migrations: dict[str, list[str]]
    models: dict[str, int]
    data_sha256: str
    data_bytes: int
    media: dict[str, dict] = field(default_factory=dict)
    app: dict = field(default_factory=dict)
    django: str = django.get_version()
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def rows(self) -> int:
        return sum(self.models.values())

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupError("this is not a council_reports backup (no backup manifest in it)")
        if raw.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format version {raw.get('format_version')} is not one this version "
                f"of the app reads ({FORMAT_VERSION})"
            )
        try:
            return cls(**raw)
        except TypeError as exc:
            raise BackupError(f"the backup's manifest is incomplete: {exc}") from exc


# ---------------------------------------------------------------------------------------
# What is backed up


def backed_up_models() -> list[type[models.Model]]:
    """Every table Django manages, in app order (parents before children is not needed: the
    load is one transaction and foreign keys are checked at its end). Many-to-many links go
    with the model that declares them, as Django's serializers write them."""
    return [
        model
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in NOT_BACKED_UP
    ]


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = defaultdict(list)
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        applied[app_label].append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def app_version() -> dict:
    """The app's version from pyproject.toml and, in a git checkout, its commit."""
    found: dict = {}
    base = Path(settings.BASE_DIR)
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        found["version"] = tomllib.loads((base / "pyproject.toml").read_text())["project"][
            "version"
        ]
    if (base / ".git").exists():
        commit, status = _git("rev-parse", "HEAD"), _git("status", "--porcelain", "-uno")
        if commit is not None:
            found.update(commit=commit.strip(), uncommitted_changes=bool((status or "").strip()))
    return found


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if not git:
        return None
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603: git with fixed arguments, no shell
            [git, "-C", str(settings.BASE_DIR), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def default_backup_path(folder: str | Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(folder) / f"council_reports-{stamp}.zip"


# ---------------------------------------------------------------------------------------
# Writing


class _HashingSink:
    """A text stream for the serializer that hashes, counts and writes UTF-8 to the archive
    in blocks of about a megabyte (one compression call per block, not per row)."""

    BLOCK = 1 << 20

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, text: str) -> int:
        data = text.encode()
        self._pending.append(data)
        self._size += len(data)
        if self._size >= self.BLOCK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        block = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        self.sha256.update(block)
        self.bytes += len(block)
        self.raw.write(block)


class _Serializer(JsonlSerializer):
    """Django's JSON Lines serializer, writing each row with one json.dumps (its C encoder)
    where json.dump would encode and write it piece by piece in Python."""

    def end_object(self, obj):
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs) + "\n")
        self._current = None


# Field types whose value as read by values_list() is what Django's serializer writes, and
# whose to_python() reads it back: rows of models with only these fields (the big tables:
# figures and their history) are written and read without building a model instance each.
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.DecimalField,
    models.FloatField,
    models.DateField,
    models.TimeField,
    models.JSONField,
    models.UUIDField,
    models.GenericIPAddressField,
    models.ForeignKey,
    models.FileField,
)
# Read back as JSON gives them (to_python() would only copy them).
AS_IS = (models.IntegerField, models.BooleanField, models.CharField, models.TextField)


def _plain(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        not meta.parents
        and not meta.local_many_to_many
        and list(meta.local_fields) == list(meta.concrete_fields)
        and all(
            isinstance(f, PLAIN_FIELDS) and f.serialize != f.primary_key and not f.generated
            for f in meta.concrete_fields
        )
    )


def _write_plain_rows(model: type[models.Model], rows: models.QuerySet, sink) -> None:
    """The lines Django's jsonl serializer writes for these rows, from values_list()."""
    meta = model._meta
    fields = [f for f in meta.local_fields if f.serialize]
    names = [f.name for f in fields]
    encode = ExactJSONEncoder(ensure_ascii=False, separators=(",", ": ")).encode
    label = meta.label_lower
    values = rows.values_list(meta.pk.attname, *[f.attname for f in fields])
    for n, (pk, *row) in enumerate(values.iterator(chunk_size=CHUNK), start=1):
        sink.write(encode({"model": label, "pk": pk, "fields": dict(zip(names, row))}) + "\n")
        if n % CHUNK == 0:
            reset_queries()  # see _insert


def _media_files(using: str) -> Iterator[str]:
    """Names (relative to MEDIA_ROOT) of the stored files that rows' FileFields name."""
    seen: set[str] = set()
    for model in backed_up_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                names = model._base_manager.using(using).exclude(**{f.attname: ""})
                for name in names.values_list(f.attname, flat=True).iterator():
                    if name and name not in seen:
                        seen.add(name)
                        yield name


def write_backup(
    path: str | Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    media: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> Manifest:
    """Write a backup of the database to `path` (which must not exist) and return its
    manifest. The file appears only once complete; on any failure there is no file."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file readable by its owner only: a backup holds password hashes and
    # audit findings.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            manifest = _write_archive(raw, using, media, progress)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


def _write_archive(raw, using: str, media: bool, progress) -> Manifest:
    connection = connections[using]
    counts: dict[str, int] = {}
    with (
        zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        _snapshot(connection, using),
    ):
        created = timezone.now()
        with archive.open(_member(DATA), "w", force_zip64=True) as stream:
            sink = _HashingSink(stream)
            for model in backed_up_models():
                label = model._meta.label_lower
                rows = model._base_manager.using(using).order_by("pk")
                counts[label] = rows.count()
                if counts[label] and _plain(model):
                    _write_plain_rows(model, rows, sink)
                elif counts[label]:
                    _Serializer().serialize(
                        rows.iterator(chunk_size=CHUNK), stream=sink, cls=ExactJSONEncoder
                    )
                if progress:
                    progress(label, counts[label])
            sink.flush()
        media_files = _write_media(archive, using) if media else {}
        manifest = Manifest(
            created_at=created.astimezone(dt.UTC).isoformat(),
            vendor=connection.vendor,
            migrations=applied_migrations(using),
            models=counts,
            data_sha256=sink.sha256.hexdigest(),
            data_bytes=sink.bytes,
            media=media_files,
            app=app_version(),
        )
        archive.writestr(_member(MANIFEST), manifest.to_json())
    return manifest


@contextlib.contextmanager
def _snapshot(connection, using: str) -> Iterator[None]:
    """One transaction in which every table is read as of one moment while the app keeps
    writing: on PostgreSQL a repeatable-read one; on SQLite in WAL mode a read transaction,
    begun DEFERRED here because the settings begin transactions IMMEDIATE, which would hold
    the write lock for the whole backup and make every save fail with "database is locked"."""
    connection.ensure_connection()
    outermost = not connection.in_atomic_block
    sqlite = outermost and connection.vendor == "sqlite"
    mode = connection.transaction_mode if sqlite else None
    try:
        if sqlite:
            connection.transaction_mode = None  # a plain BEGIN, which is DEFERRED
        with transaction.atomic(using=using):
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    finally:
        if sqlite:
            connection.transaction_mode = mode


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def _write_media(archive: zipfile.ZipFile, using: str) -> dict[str, dict]:
    root = Path(settings.MEDIA_ROOT)
    found: dict[str, dict] = {}
    for name in _media_files(using):
        source = root / name
        if not source.is_file():
            continue  # a row naming a file already gone: nothing to keep
        digest = hashlib.sha256()
        with (
            source.open("rb") as src,
            archive.open(_member(MEDIA + name), "w", force_zip64=True) as dst,
        ):
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                dst.write(block)
        found[name] = {"sha256": digest.hexdigest(), "bytes": source.stat().st_size}
    return found


# ---------------------------------------------------------------------------------------
# Reading and checking

CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, ValueError, KeyError)


@contextlib.contextmanager
def open_backup(path: str | Path) -> Iterator[tuple[zipfile.ZipFile, Manifest]]:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = Manifest.from_json(archive.read(MANIFEST).decode())
            except KeyError as exc:
                raise BackupError(f"{path} has no {MANIFEST}: not a complete backup") from exc
            yield archive, manifest
    except BackupError:
        raise
    except CORRUPT as exc:
        raise BackupError(f"{path} is corrupt or truncated ({exc})") from exc


class _HashingReader(io.RawIOBase):
    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        self.sha256.update(data)
        self.bytes += len(data)
        buffer[: len(data)] = data
        return len(data)


def _model_of(line: str) -> str:
    # Every line starts {"model": "app.model", ... as the serializer writes it.
    if line.startswith('{"model": "'):
        return line[11 : line.index('"', 11)]
    return json.loads(line)["model"]


def check_backup(path: str | Path) -> Manifest:
    """Read the whole file and check it against its manifest: the data's checksum and size,
    the rows per model, each media file's checksum. Raises BackupError on any difference."""
    with open_backup(path) as (archive, manifest):
        try:
            reader = _HashingReader(archive.open(DATA))
            counts: Counter[str] = Counter()
            for line in io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8"):
                if line.strip():
                    counts[_model_of(line)] += 1
            _check_data(manifest, reader, counts, path)
            for name, expected in manifest.media.items():
                _media_target(name)
                with archive.open(MEDIA + name) as member:
                    digest = hashlib.file_digest(member, "sha256")
                if digest.hexdigest() != expected["sha256"]:
                    raise BackupError(f"{path}: media file {name} does not match its checksum")
        except BackupError:
            raise
        except CORRUPT as exc:
            raise BackupError(f"{path} is corrupt or truncated ({exc})") from exc
    return manifest


def _check_data(manifest: Manifest, reader: _HashingReader, counts: Counter, path) -> None:
    if reader.sha256.hexdigest() != manifest.data_sha256 or reader.bytes != manifest.data_bytes:
        raise BackupError(f"{path}: the data do not match the manifest's checksum (corrupt)")
    expected = {label: n for label, n in manifest.models.items() if n}
    if dict(counts) != expected:
        differ = sorted(
            f"{label}: {counts.get(label, 0)} rows, manifest says {expected.get(label, 0)}"
            for label in set(counts) | set(expected)
            if counts.get(label, 0) != expected.get(label, 0)
        )
        raise BackupError(f"{path}: rows differ from the manifest: " + "; ".join(differ))


# ---------------------------------------------------------------------------------------
# Restoring


def migration_differences(manifest: Manifest, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    here = applied_migrations(using)
    lines = []
    for app in sorted(set(here) | set(manifest.migrations)):
        theirs, ours = set(manifest.migrations.get(app, [])), set(here.get(app, []))
        if theirs != ours:
            only_backup = sorted(theirs - ours)
            only_db = sorted(ours - theirs)
            lines.append(
                f"{app}: "
                + "; ".join(
                    part
                    for part in (
                        f"backup has {', '.join(only_backup)}" if only_backup else "",
                        f"database has {', '.join(only_db)}" if only_db else "",
                    )
                    if part
                )
            )
    return lines


def rows_present(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Models holding rows other than what `migrate` writes itself (and sessions)."""
    found = {}
    for model in backed_up_models():
        label = model._meta.label_lower
        if label not in MADE_BY_MIGRATE:
            n = model._base_manager.using(using).count()
            if n:
                found[label] = n
    return found


@dataclass
class RestoreResult:
    manifest: Manifest
    rows: int
    media_files: int


def restore_backup(
    path: str | Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> RestoreResult:
    """Restore a backup into this database, all or nothing.

    Refused (BackupError, nothing changed) when the file fails its checks, when the
    database's migrations differ from the backup's, or when the database holds data and
    `replace` is false. With `replace`, every backed-up table and the sessions are emptied
    first, in the same transaction."""
    manifest = check_backup(path)
    differences = migration_differences(manifest, using)
    if differences:
        raise BackupError(
            "the database's migrations differ from the backup's; migrate the database to the "
            "backup's state (or restore with the app version that made it):\n  "
            + "\n  ".join(differences)
        )
    unknown = [label for label in manifest.models if not _model(label)]
    if unknown:
        raise BackupError(f"the backup holds models this app does not have: {', '.join(unknown)}")
    present = rows_present(using)
    if present and not replace:
        largest = sorted(present.items(), key=lambda item: -item[1])[:3]
        raise BackupError(
            f"the database is not empty: it holds {sum(present.values())} rows in "
            f"{len(present)} tables ({', '.join(f'{label}: {n}' for label, n in largest)}"
            f"{', ...' if len(present) > 3 else ''}). Restore into an empty, migrated "
            "database, or pass --replace to delete its data first"
        )

    connection = connections[using]
    try:
        with open_backup(path) as (archive, _manifest), transaction.atomic(using=using):
            _empty_tables(connection)
            reader = _HashingReader(archive.open(DATA))
            stream = io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8")
            counts = _load(stream, using, progress)
            _check_data(manifest, reader, counts, path)
            for label, n in manifest.models.items():
                if not n:
                    continue
                found = _model(label)._base_manager.using(using).count()  # type: ignore[union-attr]
                if found != n:
                    raise BackupError(f"{label}: {n} rows in the backup but {found} after loading")
            _reset_sequences(connection)
            # Every cached dashboard was drawn from other figures.
            caching.figures_changed(using)
    except DatabaseError as exc:
        # e.g. a text longer than its column from SQLite (which does not enforce lengths)
        # refused by PostgreSQL: the transaction is rolled back.
        raise BackupError(f"the database refused the backup's rows ({exc})") from exc
    ContentType.objects.clear_cache()
    try:
        with open_backup(path) as (archive, _manifest):
            written = _restore_media(archive, manifest)
    except (OSError, BackupError) as exc:
        raise MediaNotRestored(
            f"the rows are restored but the media files could not be written to "
            f"{settings.MEDIA_ROOT} ({exc}); run the restore again with --replace once fixed"
        ) from exc
    return RestoreResult(manifest=manifest, rows=sum(counts.values()), media_files=written)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _empty_tables(connection) -> None:
    tables = set()
    for model in [*backed_up_models(), *_session_models()]:
        tables.add(model._meta.db_table)
        for f in model._meta.local_many_to_many:
            if f.remote_field.through._meta.auto_created:
                tables.add(f.remote_field.through._meta.db_table)
    # Within the transaction: TRUNCATE on PostgreSQL, DELETE on SQLite. Foreign keys are
    # checked at commit, so neither the order of emptying nor of loading matters.
    statements = connection.ops.sql_flush(no_style(), sorted(tables), allow_cascade=False)
    if connection.vendor == "postgresql":
        # PostgreSQL refuses to truncate a table with foreign-key checks still pending from
        # rows this transaction wrote (an outer transaction, as in tests): run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.ops.execute_sql_flush(statements)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        connection.ops.execute_sql_flush(statements)


def _session_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.label_lower in NOT_BACKED_UP]


def _load(stream: Iterable[str], using: str, progress) -> Counter[str]:
    """Insert the rows as stored (raw: no save(), no signals, no auto_now, no history
    written), a model's rows in batches, and their many-to-many links."""
    counts: Counter[str] = Counter()
    batch: list[models.Model] = []
    links: dict[models.ManyToManyField, list[tuple]] = defaultdict(list)
    current = None

    for line in stream:
        if not line.strip():
            continue
        label = _model_of(line)
        if label != current:
            if batch:
                _insert(batch, using)
                batch.clear()
            if current and progress:
                progress(current, counts[current])
            current = label
            model = _model(label)
            build = _builder(model) if model and _plain(model) else None
        elif len(batch) >= CHUNK:
            _insert(batch, using)
            batch.clear()
        counts[label] += 1
        if build:
            batch.append(build(json.loads(line)))
            continue
        for item in serializers.deserialize("jsonl", [line], using=using):
            batch.append(item.object)
            for name, pks in (item.m2m_data or {}).items():
                m2m = item.object._meta.get_field(name)
                links[m2m].extend((item.object.pk, pk) for pk in pks)
    if batch:
        _insert(batch, using)
    if current and progress:
        progress(current, counts[current])
    for m2m, pairs in links.items():
        through = m2m.remote_field.through
        source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        through._base_manager.using(using).bulk_create(
            [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in pairs],
            batch_size=CHUNK,
        )
    return counts


def _builder(model: type[models.Model]) -> Callable[[dict], models.Model]:
    """Turns a line's object into an instance of a plain model (one positional call, with
    each field's value as to_python() reads it)."""
    meta = model._meta
    steps = [
        (f.primary_key, f.name, None if isinstance(f, AS_IS) else f.to_python)
        for f in meta.concrete_fields
    ]

    def build(raw: dict) -> models.Model:
        given = raw["fields"]
        values = []
        for is_pk, name, convert in steps:
            value = raw["pk"] if is_pk else given[name]
            values.append(value if convert is None or value is None else convert(value))
        return model(*values)

    return build


def _insert(objs: list[models.Model], using: str) -> None:
    model = type(objs[0])
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    ops = connections[using].ops
    size = max(1, min(CHUNK, ops.bulk_batch_size(fields, objs)))
    manager = model._base_manager.db_manager(using)
    for start in range(0, len(objs), size):
        manager._insert(objs[start : start + size], fields=fields, using=using, raw=True)
    # With DEBUG on (as `make` runs commands) Django keeps the last 9,000 queries' SQL, here
    # thousands of rows each: gigabytes on a large database.
    reset_queries()


def _reset_sequences(connection) -> None:
    """New rows get ids after the restored ones (PostgreSQL's sequences do not follow
    inserted ids; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _media_target(name: str) -> Path:
    """Where a backed-up media file goes; refused (by check_backup, before the database is
    touched) when the name would put it outside MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise BackupError(f"media file {name} would be written outside MEDIA_ROOT")
    return target


def _restore_media(archive: zipfile.ZipFile, manifest: Manifest) -> int:
    written = 0
    for name in manifest.media:
        target = _media_target(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as dst, archive.open(MEDIA + name) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written += 1
    return written
