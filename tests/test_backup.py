"""Backup and restore (`manage.py backup`, `manage.py restore`): a realistic world backed up,
the database emptied, the backup restored, and every row the same afterwards (figures,
history, users with their roles and councils, papers, content types); new rows still get
fresh ids; corrupt, truncated or mismatched files and non-empty databases are refused with
nothing changed; and a backup made on one database restores on the other."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from council_reports import backup
from council_reports.models import User
from council_reports.tokens import create_token
from indicators import caching, workflow
from indicators.models import FiguresVersion, Observation, QuarterlyReturn
from reports.models import Report, ReportPack
from tests.conftest import RCT_ALLOCATIONS as COUNTS

ROOT = Path(__file__).resolve().parent.parent
DEMO_COUNCILS = ("Caerphilly", "Halton", "Herefordshire", "Rhondda Cynon Taf", "Walsall")
PACK = b"PK\x05\x06" + bytes(18)  # an empty zip: the pack's file


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db, media, monkeypatch) -> dict:
    """The demo (five councils, figures with history, staffing, audits, a published paper,
    a user of each role) plus what a year of use adds: figures corrected and one deleted,
    a quarterly return approved, an API token, an admin log entry, a report pack's file."""
    monkeypatch.setenv("DEMO_PASSWORD", "a long demo passphrase 42")
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    users = {u.username: u for u in User.objects.all()}
    officer, approver = users["rct.officer"], users["rct.approver"]

    corrected = list(Observation.objects.filter(authority__name="Rhondda Cynon Taf")[:3])
    for n, obs in enumerate(corrected):
        obs.value = (obs.value or Decimal(0)) + Decimal("0.5")
        obs.status = Observation.Status.PROVISIONAL
        obs._history_user = officer
        obs._change_reason = f"corrected from the case-management system ({n})"
        obs.save()
    Observation.objects.filter(authority__name="Caerphilly").first().delete()

    council = corrected[0].authority
    ret = workflow.return_for(council, workflow.quarter_period("2015-16 Q1"), "allocations")
    ret = workflow.save_return(ret, COUNTS, user=officer, expected_version=0)
    workflow.submit_return(ret, user=officer, expected_version=1)
    workflow.approve_return(ret, user=approver, expected_version=2)

    create_token(users["member"], name="nightly export", days=90, read_only=True)
    LogEntry.objects.log_actions(
        user_id=users["admin"].pk, queryset=corrected[:1], action_flag=CHANGE, change_message="x"
    )
    published = Report.objects.get(status=Report.Status.PUBLISHED)
    pack = ReportPack.objects.create(
        report=published, format="html", total=1, processed=1, status="done", file="packs/p.zip"
    )
    pack.councils.set([council])
    (media / "packs").mkdir(parents=True)
    (media / "packs" / "p.zip").write_bytes(PACK)
    return {"users": users, "corrected": corrected, "paper": published, "return": ret}


def every_row() -> dict[str, list[dict]]:
    """Every column of every row of every backed-up table (links included), by table."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.proxy or label in backup.NOT_BACKED_UP or model is FiguresVersion:
            continue
        rows = model._base_manager.order_by("pk").values()
        if model._meta.auto_created:  # a link's own id says nothing
            rows = sorted(tuple(sorted(r.items())) for r in rows.values(*_link_fields(model)))
        tables[label] = list(rows)
    return tables


def _link_fields(through) -> list[str]:
    return [f.attname for f in through._meta.concrete_fields if not f.primary_key]


def empty_the_database() -> None:
    """As a freshly migrated database: no rows but the content types and permissions that
    migrate makes, here in another order, so their ids differ from the backup's."""
    if connection.vendor == "postgresql":
        # The world was written in this test's transaction: run its pending checks first.
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "postgresql":
        connection.cursor().execute("SET CONSTRAINTS ALL DEFERRED")
    ContentType.objects.clear_cache()
    ContentType.objects.filter(app_label="indicators").delete()
    call_command("migrate", "indicators", verbosity=0)  # post_migrate makes them again
    ContentType.objects.clear_cache()


def back_up(tmp_path: Path, name: str = "backup.zip") -> Path:
    path = tmp_path / name
    call_command("backup", "--output", str(path), stdout=io.StringIO())
    return path


def restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def test_a_restored_backup_has_every_row_and_history_record_as_before(
    transactional_db, world, tmp_path, media
):
    """Committed for real (a transactional test), as in use: the world, then the restore."""
    before = every_row()
    version = caching.current_version()
    path = back_up(tmp_path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # password hashes, audit findings
    assert [p.name for p in tmp_path.iterdir() if p.name != "media"] == ["backup.zip"]

    empty_the_database()
    (media / "packs" / "p.zip").unlink()
    assert not Observation.objects.exists() and not User.objects.exists()
    out = restore(path)

    after = every_row()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    rows = sum(len(r) for r in before.values())
    history = sum(len(r) for label, r in before.items() if ".historical" in label)
    assert rows > 1000 and history > 300 and "1 media files restored" in out
    print(f"round trip: {rows} rows compared, {history} of them history records")

    # What the round trip above proves, spelled out for the parts people will ask about.
    for obs in world["corrected"]:
        restored = Observation.objects.get(pk=obs.pk)
        assert (restored.value, restored.status) == (obs.value, "provisional")
        latest = restored.history.order_by("-history_date", "-history_id").first()
        assert (latest.history_type, latest.history_user) == ("~", world["users"]["rct.officer"])
        assert latest.history_change_reason.startswith("corrected from")
    assert Observation.history.filter(history_type="-").count() == 1
    ret = QuarterlyReturn.objects.get(pk=world["return"].pk)
    assert (ret.status, ret.figures, ret.approved_by.username) == (
        "approved",
        COUNTS,
        "rct.approver",
    )
    assert {
        (u.username, u.role, tuple(a.name for a in u.authorities.order_by("name")), u.password[:4])
        for u in User.objects.all()
    } == {
        ("rct.officer", "officer", ("Rhondda Cynon Taf",), "md5$"),
        ("caerphilly.officer", "officer", ("Caerphilly",), "md5$"),
        ("rct.approver", "approver", ("Rhondda Cynon Taf",), "md5$"),
        ("member", "member", (), "md5$"),
        ("author", "author", DEMO_COUNCILS, "md5$"),
        ("admin", "admin", (), "md5$"),
    }
    assert User.objects.get(username="member").check_password("a long demo passphrase 42")
    paper = Report.objects.get(pk=world["paper"].pk)
    assert paper.frozen == world["paper"].frozen and paper.is_published
    # Content types were made in another order: links through them still find their model.
    assert LogEntry.objects.get().get_edited_object() == Observation.objects.get(
        pk=world["corrected"][0].pk
    )
    assert (media / "packs" / "p.zip").read_bytes() == PACK
    # Dashboards drawn before the restore are never served again.
    assert version != "0" and caching.current_version() not in (version, "0")


def test_new_rows_get_fresh_ids_after_a_restore(world, tmp_path):
    path = back_up(tmp_path)
    empty_the_database()
    restore(path)
    highest_user = User.objects.order_by("-pk").first().pk
    obs = Observation.objects.filter(authority__isnull=False).first()
    highest_record = Observation.history.order_by("-history_id").first().history_id
    obs.pk = None
    obs.period = Observation.objects.exclude(period=obs.period).first().period
    obs.indicator = Observation.objects.exclude(indicator=obs.indicator).first().indicator
    Observation.objects.filter(
        authority=obs.authority, indicator=obs.indicator, period=obs.period
    ).delete()
    obs.save()  # with a history record
    assert User.objects.create(username="new.officer").pk > highest_user
    assert obs.history.get(history_type="+").history_id > highest_record


def test_restore_refuses_a_database_that_holds_data_and_changes_nothing(world, tmp_path):
    path = back_up(tmp_path)
    Observation.objects.filter(pk=world["corrected"][0].pk).update(value=Decimal("1.23"))
    before = every_row()
    with pytest.raises(CommandError, match="the database is not empty: it holds .* --replace"):
        restore(path)
    assert every_row() == before


def test_replace_asks_for_confirmation_and_then_puts_the_backup_in_place(world, tmp_path):
    path = back_up(tmp_path)
    before = every_row()
    Observation.objects.filter(pk=world["corrected"][0].pk).update(value=Decimal("1.23"))
    User.objects.create(username="made.after.the.backup")
    with pytest.raises(CommandError, match="add --noinput"):
        restore(path, "--replace")  # no terminal to ask at
    restore(path, "--replace", "--noinput")
    assert every_row() == before


def rewrite(path: Path, change) -> Path:
    """A copy of the backup with one member changed (a valid zip: only our checks see it)."""
    copy = path.with_name("changed.zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return copy


def with_manifest(**changes):
    def change(name, data):
        if name != backup.MANIFEST:
            return data
        return json.dumps({**json.loads(data), **changes}).encode()

    return change


def a_later_migration(name, data):
    if name != backup.MANIFEST:
        return data
    manifest = json.loads(data)
    manifest["migrations"]["indicators"].append("0099_future")
    return json.dumps(manifest).encode()


def edit_a_figure(name, data):
    if name != backup.DATA:
        return data
    return data.replace(b'"status": "provisional"', b'"status": "final"', 1)


def edit_the_pack_file(name, data):
    return data + b"tampered" if name == backup.MEDIA + "packs/p.zip" else data


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "corrupt or truncated"),
        (lambda p: p.write_bytes(p.read_bytes()[:-30]), "corrupt or truncated"),
        (lambda p: _flip_a_byte(p), "corrupt"),
        (lambda p: rewrite(p, edit_a_figure).replace(p), "do not match the manifest's checksum"),
        (
            lambda p: rewrite(p, edit_the_pack_file).replace(p),
            "media file packs/p.zip does not match its checksum",
        ),
        (
            lambda p: rewrite(p, with_manifest(models={"indicators.observation": 1})).replace(p),
            "rows differ from the manifest",
        ),
        (
            lambda p: rewrite(p, a_later_migration).replace(p),
            "migrations differ from the backup's(.|\n)*indicators: backup has 0099_future",
        ),
        (lambda p: p.write_bytes(b"not a backup at all"), "corrupt or truncated"),
    ],
    ids=["half", "end cut", "flipped byte", "edited", "media", "counts", "migrations", "not a zip"],
)
def test_a_bad_file_is_refused_before_anything_changes(world, tmp_path, spoil, message):
    path = back_up(tmp_path)
    spoil(path)
    before = every_row()
    with pytest.raises(CommandError, match=message):
        restore(path, "--replace", "--noinput")
    assert every_row() == before
    if "migrations" in message:  # the file itself is sound, but not for this database
        assert "indicators: backup has 0099_future" in restore(path, "--check")
    else:
        with pytest.raises(CommandError, match=message):
            restore(path, "--check")


def _flip_a_byte(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        data = archive.getinfo(backup.DATA)
        middle = data.header_offset + 100 + data.compress_size // 2
    raw = bytearray(path.read_bytes())
    raw[middle] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_check_describes_a_good_backup_and_changes_nothing(world, tmp_path):
    path = back_up(tmp_path)
    out = restore(path, "--check")
    assert "is a complete backup" in out
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(backup.MANIFEST))
    assert manifest["format_version"] == 1 and manifest["vendor"] == connection.vendor
    assert manifest["models"]["indicators.historicalobservation"] == (Observation.history.count())
    assert manifest["migrations"]["indicators"][0] == "0001_initial"
    assert manifest["media"]["packs/p.zip"]["bytes"] == len(PACK)


def test_rows_are_written_as_djangos_serializer_writes_them(world, tmp_path):
    """The big tables skip Django's serializer for speed; the file still says exactly what
    it would have written, so `loaddata` reads data.jsonl too (slowly)."""
    with zipfile.ZipFile(back_up(tmp_path)) as archive:
        lines = archive.read(backup.DATA).decode().splitlines()
    plain = [m for m in backup.backed_up_models() if backup._plain(m) and m.objects.exists()]
    assert Observation in plain and Observation.history.model in plain
    for model in plain:
        label = model._meta.label_lower
        ours = [json.loads(line) for line in lines if backup._model_of(line) == label]
        theirs = serializers.serialize(
            "python", model._base_manager.order_by("pk"), cls=backup.ExactJSONEncoder
        )
        assert ours == json.loads(json.dumps(theirs, cls=backup.ExactJSONEncoder)), label


def test_a_failed_backup_leaves_no_file(world, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(backup, "_write_media", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        back_up(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name != "media"] == []


def test_the_default_name_is_the_utc_time_in_a_folder(world, tmp_path):
    out = io.StringIO()
    call_command("backup", "--dir", str(tmp_path / "nightly"), stdout=out)
    (made,) = (tmp_path / "nightly").iterdir()
    assert made.name.startswith("council_reports-") and made.name.endswith("Z.zip")
    assert f"Backup written to {made}" in out.getvalue()


# ---------------------------------------------------------------------------------------
# Across databases: a backup of this database restored on the other kind, backed up there
# again, holds the same rows.


def other_database(tmp_path: Path):
    if connection.vendor == "postgresql":
        return f"sqlite:///{tmp_path / 'other.sqlite3'}", lambda: None
    psycopg2 = pytest.importorskip("psycopg2")
    host, port = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    name = f"council_reports_backup_test_{os.getpid()}"
    try:
        admin = psycopg2.connect(
            host=host, port=port, user=user, dbname="postgres", connect_timeout=3
        )
    except psycopg2.OperationalError:
        pytest.skip(f"PostgreSQL is not reachable on {host}:{port}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return f"postgres://{user}@{host}:{port}/{name}", drop


def manage(database_url: str, *args: str, media: Path) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "true",
        "DJANGO_MEDIA_ROOT": str(media),
    }
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def records(path: Path) -> dict:
    """The backup's rows by model and primary key, JSON parsed (PostgreSQL keeps a JSON
    field's keys in its own order)."""
    with zipfile.ZipFile(path) as archive, archive.open(backup.DATA) as data:
        rows = (json.loads(line) for line in data)
        return {
            (r["model"], r["pk"]): r["fields"]
            for r in rows
            if r["model"] != "indicators.figuresversion"
        }


def test_a_backup_restores_on_the_other_kind_of_database(world, tmp_path):
    first = back_up(tmp_path, "here.zip")
    url, drop = other_database(tmp_path)
    media = tmp_path / "other-media"
    try:
        manage(url, "migrate", "--noinput", "-v0", media=media)
        assert "Restored" in manage(url, "restore", str(first), media=media)
        manage(url, "backup", "--output", str(tmp_path / "there.zip"), media=media)
    finally:
        drop()
    there = records(tmp_path / "there.zip")
    here = records(first)
    assert len(here) > 1000
    assert there == here
    assert (media / "packs" / "p.zip").read_bytes() == PACK


def test_a_media_name_outside_media_root_is_refused_before_anything_changes(world, tmp_path):
    path = back_up(tmp_path)
    escaping = "../escaped.zip"
    copy = path.with_name("escaping.zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == backup.MANIFEST:
                manifest = json.loads(data)
                manifest["media"][escaping] = manifest["media"]["packs/p.zip"]
                data = json.dumps(manifest).encode()
            dst.writestr(info.filename, data)
        dst.writestr(backup.MEDIA + escaping, PACK)
    Observation.objects.filter(pk=world["corrected"][0].pk).update(value=Decimal("1.23"))
    before = every_row()
    with pytest.raises(CommandError, match="nothing restored: media file .* outside MEDIA_ROOT"):
        restore(copy, "--replace", "--noinput")
    assert every_row() == before
    assert not (tmp_path / "escaped.zip").exists()


def test_media_that_cannot_be_written_is_reported_and_leaves_no_partial_file(
    world, tmp_path, media, monkeypatch
):
    path = back_up(tmp_path)
    (media / "packs" / "p.zip").unlink()

    def disk_full(src, dst, length=0):
        dst.write(b"PK")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup.shutil, "copyfileobj", disk_full)
    with pytest.raises(CommandError, match="the rows are restored but the media files could not"):
        restore(path, "--replace", "--noinput")
    assert list((media / "packs").iterdir()) == []


def test_a_row_the_database_refuses_restores_nothing_and_says_so(world, tmp_path, monkeypatch):
    from django.db import DataError

    path = back_up(tmp_path)
    Observation.objects.filter(pk=world["corrected"][0].pk).update(value=Decimal("1.23"))
    before = every_row()
    insert = backup._insert

    def refuse_history(objs, using):
        if type(objs[0]) is Observation.history.model:
            raise DataError("value too long for type character varying(100)")
        insert(objs, using)

    monkeypatch.setattr(backup, "_insert", refuse_history)
    with pytest.raises(CommandError, match="nothing restored: the database refused .* too long"):
        restore(path, "--replace", "--noinput")
    assert every_row() == before


def test_backup_never_overwrites_a_file(world, tmp_path):
    path = tmp_path / "tonight.zip"
    path.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match="backup not written: .*tonight.zip already exists"):
        back_up(tmp_path, "tonight.zip")
    assert path.read_bytes() == b"an older backup"


def test_no_media_backs_up_the_rows_only(world, tmp_path):
    path = tmp_path / "rows.zip"
    call_command("backup", "--output", str(path), "--no-media", stdout=io.StringIO())
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [backup.DATA, backup.MANIFEST]
        assert json.loads(archive.read(backup.MANIFEST))["media"] == {}
    assert "0 media files" in restore(path, "--check")


def test_restoring_a_file_that_is_not_there_names_it(db, tmp_path):
    with pytest.raises(CommandError, match=r"nothing restored: .*missing.zip: no such file"):
        restore(tmp_path / "missing.zip")


def test_a_backup_on_sqlite_lets_the_app_keep_writing(transactional_db, tmp_path):
    """The settings begin transactions IMMEDIATE (taking SQLite's write lock); a backup's
    read transaction must not, or every save waits for the whole backup and then fails
    with 'database is locked'."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking")
    mode = connection.transaction_mode
    with CaptureQueriesContext(connection) as queries:
        back_up(tmp_path)
    begun = [q["sql"] for q in queries if q["sql"].startswith("BEGIN")]
    assert begun == ["BEGIN"] and connection.transaction_mode == mode == "IMMEDIATE"
