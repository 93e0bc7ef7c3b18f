"""Restore a backup made by `manage.py backup`, all or nothing, into a migrated database.

    python manage.py migrate && python manage.py restore backups/council_reports-....zip
    python manage.py restore FILE --check                 # check the file, change nothing
    python manage.py restore FILE --replace               # asks before deleting current data
    python manage.py restore FILE --replace --noinput     # for scripts

Refused, with nothing changed, when the file is corrupt or truncated (checksums and row
counts are checked before the database is touched), when the database's migrations differ
from the backup's, or when the database holds data and --replace is not given. After a
restore, new rows get fresh ids and every cached dashboard is retired. docs/backup.md.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from council_reports.backup import (
    BackupError,
    MediaNotRestored,
    check_backup,
    migration_differences,
    restore_backup,
    rows_present,
)


class Command(BaseCommand):
    help = "Restore a backup file into this database, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check the file (checksums, rows, manifest); change nothing.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the data this database holds and restore the backup in its place.",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="With --replace, do not ask for confirmation.",
        )

    def handle(self, *args, **options):
        path = options["file"]
        started = time.monotonic()
        try:
            if options["check"]:
                manifest = check_backup(path)
                self._describe(manifest)
                self.stdout.write(self.style.SUCCESS(f"{path} is a complete backup."))
                differences = migration_differences(manifest)
                if differences:
                    self.stdout.write(
                        "It does not restore into this database until their migrations "
                        "match:\n  " + "\n  ".join(differences)
                    )
                return
            if options["replace"] and rows_present():
                self._confirm(options["interactive"])

            def progress(label: str, rows: int) -> None:
                if options["verbosity"] >= 2:
                    self.stdout.write(f"  {label}: {rows} rows")

            result = restore_backup(path, replace=options["replace"], progress=progress)
        except MediaNotRestored as exc:
            raise CommandError(str(exc)) from exc
        except BackupError as exc:
            raise CommandError(f"nothing restored: {exc}") from exc
        self._describe(result.manifest)
        self.stdout.write(
            f"{result.rows} rows and {result.media_files} media files restored "
            f"in {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(self.style.SUCCESS(f"Restored {path}"))

    def _describe(self, manifest) -> None:
        app = manifest.app
        made_by = " ".join(
            part
            for part in (
                app.get("version", ""),
                f"commit {app['commit'][:12]}" if app.get("commit") else "",
                "(with uncommitted changes)" if app.get("uncommitted_changes") else "",
            )
            if part
        )
        self.stdout.write(
            f"Backup of {manifest.created_at} from {manifest.vendor}"
            + (f", app {made_by}" if made_by else "")
            + f": {manifest.rows} rows, {len(manifest.media)} media files"
        )

    def _confirm(self, interactive: bool) -> None:
        if not interactive:
            return
        if not sys.stdin.isatty():
            raise CommandError(
                "nothing restored: --replace deletes this database's data; "
                "add --noinput to confirm when not at a terminal"
            )
        answer = input(
            "This deletes every row in this database and restores the backup in its place.\n"
            "Type 'yes' to continue: "
        )
        if answer.strip().lower() != "yes":
            raise CommandError("nothing restored: not confirmed")
