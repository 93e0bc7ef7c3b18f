"""Import observations from a CSV or XLSX file (layout: CONTRACT.md, "Observations in files").

    python manage.py import_observations FILE [--dry-run] [--create-missing]
                                              [--provisional] [--user USERNAME]

    python manage.py import_observations rct-2014-15.csv --dry-run   # check, write nothing
    python manage.py import_observations rct-2014-15.csv             # write

Every row is checked before anything is written. With any error the command prints each as
`row N: message` on stderr, writes nothing and exits with status 1 (row 0 is the file as a
whole). Otherwise it writes all rows in one transaction, records an import log, prints
`created N, updated N, unchanged N, warnings N` and each data-quality warning as
`row N: warning: ...`, and exits 0. A database connection lost while writing rolls the
transaction back: the command says so and exits with status 1, and can simply be run again.

--create-missing adds indicators the app does not know (the file's unit column is then
required); --provisional marks the file's observations provisional; --user records a user of
the app as the importer instead of the operating-system user.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from indicators.importing import ImportInterrupted, import_observations_file
from indicators.models import Observation


class Command(BaseCommand):
    help = "Import observations from a CSV or XLSX file; all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, but write nothing"
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create indicators the app does not know (needs the unit column)",
        )
        parser.add_argument(
            "--provisional",
            action="store_true",
            help="mark the observations provisional (default: final, or as stored)",
        )
        parser.add_argument("--user", help="username to record as the importer")

    def handle(self, *args, **options):
        user = _user(options["user"]) if options["user"] else None
        progress = _TerminalProgress(self.stdout) if self.stdout.isatty() else None
        try:
            report = import_observations_file(
                options["file"],
                user=user,
                dry_run=options["dry_run"],
                create_missing=options["create_missing"],
                default_status=Observation.Status.PROVISIONAL if options["provisional"] else None,
                progress=progress,
            )
        except ImportInterrupted as exc:
            raise CommandError(str(exc), returncode=1) from exc
        finally:
            if progress:
                progress.finish()
        if not report.ok:
            for row, message in report.errors:
                self.stderr.write(f"row {row}: {message}")
            count = len(report.errors)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''} in {options['file']}; nothing was written",
                returncode=1,
            )
        result = report.result
        assert result is not None  # an ok report always has a result
        for code in report.new_indicators:
            self.stdout.write(f"new indicator: {code}")
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, warnings {len(result.warnings)}"
        )
        for row, message in result.warnings:
            self.stdout.write(f"row {row}: warning: {message}")
        if report.dry_run:
            self.stdout.write("dry run: nothing was written")


def _user(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None


class _TerminalProgress:
    """A counter rewritten in place with a carriage return, for people watching a big file."""

    def __init__(self, out) -> None:
        self.out = out
        self.shown = False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        # Padded so a shorter line fully covers the one before it. The total is unknown
        # (None) while the file is still being read.
        of = "" if total is None else f" of {total:,}"
        self.out.write(f"\r{stage} {done:,}{of} rows".ljust(50), ending="")
        self.out.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.out.write("")
