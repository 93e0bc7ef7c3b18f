"""Back up the whole database (every app's rows, their history, users, published papers,
task results, report packs' files) into one file that restores into SQLite or PostgreSQL.

    python manage.py backup                        # backups/council_reports-<UTC time>.zip
    python manage.py backup --output /srv/backups/tonight.zip
    python manage.py backup --dir /srv/backups --no-media

The file appears only when complete (written beside its name, then renamed) and is readable
by its owner only: it holds password hashes and audit findings. What is inside, how to check
it and how to restore it: docs/backup.md.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from council_reports.backup import BackupError, default_backup_path, write_backup


class Command(BaseCommand):
    help = "Back up the database into one checksummed file (restore it with `restore`)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", metavar="PATH", help="The file to write (must not exist)."
        )
        parser.add_argument(
            "--dir",
            metavar="DIR",
            default=str(Path(settings.BASE_DIR) / "backups"),
            help="Folder for a file named by the time, when --output is not given "
            "(default: backups/ in the project).",
        )
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="Leave out the files rows name (report packs' zips), keeping only the rows.",
        )

    def handle(self, *args, **options):
        path = Path(options["output"]) if options["output"] else default_backup_path(options["dir"])
        started = time.monotonic()

        def progress(label: str, rows: int) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {label}: {rows} rows")

        try:
            manifest = write_backup(path, media=not options["no_media"], progress=progress)
        except BackupError as exc:
            raise CommandError(f"backup not written: {exc}") from exc
        with path.open("rb") as written:
            digest = hashlib.file_digest(written, "sha256")
        self.stdout.write(
            f"{manifest.rows} rows of {sum(1 for n in manifest.models.values() if n)} models "
            f"and {len(manifest.media)} media files from {manifest.vendor} "
            f"in {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(f"{path.stat().st_size} bytes, sha256 {digest.hexdigest()}")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
