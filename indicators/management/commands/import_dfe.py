"""Import DfE statistics for English councils (Explore Education Statistics layout).

Usage:

    python manage.py import_dfe ../shared/data/dfe
    python manage.py import_dfe c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv \\
        sn_model_2025_wide.csv
    python manage.py import_dfe ../shared/data/dfe --dry-run
    python manage.py import_dfe FILES --definitions fixtures/indicators/england_dfe.toml

PATH is an EES "tidy" CSV (time_period, geographic_level, ... one column per measure), a DfE
statistical-neighbour model (`sn_model_2025_wide.csv`), or a folder of them. Which column is
which indicator, and how `time_period` becomes a period, is set in the `[indicator.dfe]`
tables of fixtures/indicators/england_dfe.toml; the command also loads those indicator
definitions (idempotently) so that it can run on an empty database.

England's rows become the comparator "England", regional rows a region and its comparator,
local-authority rows the councils' own figures (councils are created when missing and
matched by old LA code, GSS code, name or alias otherwise). The neighbour model makes each
council's neighbour group and its "statistical neighbours (mean)" and "(median)" comparators,
whose values are derived from the members' figures (indicators/neighbours.py), not stored.

All or nothing: any error and every error is printed as `file:row N: message`, nothing is
written and the exit status is 1. Success prints per-file counts (created, updated,
unchanged, warnings) and the rate, and exits 0; running it twice changes nothing. Each file
gets an ImportLog. --dry-run does everything and rolls it back.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators import dfe


class Command(BaseCommand):
    help = "Import DfE statistics (EES tidy CSV files, a statistical-neighbour model, or a folder)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument(
            "--definitions",
            default=str(dfe.DEFAULT_DEFINITIONS),
            help="indicator definitions with [indicator.dfe] tables (default: %(default)s)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, then write nothing"
        )

    def handle(self, *args, paths: list[str], definitions: str, dry_run: bool, **options):
        self._interactive = self.stdout.isatty()
        try:
            report = dfe.run_import(
                paths,
                definitions=definitions,
                dry_run=dry_run,
                progress=self.progress if self._interactive else None,
            )
        except dfe.DfeImportError as exc:
            self.clear_progress()
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} error{'s' if len(exc.problems) != 1 else ''}; "
                "nothing was written",
                returncode=1,
            ) from exc
        self.clear_progress()
        self.print_report(report)

    def progress(self, stage: str, done: int, total: int) -> None:
        counter = f"{done:,}/{total:,}" if total else f"{done:,}"
        self.stdout.write(f"\r\033[K{stage}: {counter}", ending="")
        self.stdout.flush()

    def clear_progress(self) -> None:
        if self._interactive:
            self.stdout.write("\r\033[K", ending="")

    def print_report(self, report: dfe.ImportReport) -> None:
        write = self.stdout.write
        plan = report.plan
        for row_file, row, message in report.warnings:
            write(f"warning: {row_file}:row {row}: {message}")
        for file in report.files:
            for notice in file.notices:
                write(f"note: {file.name}: {notice}")
        if report.definitions is not None:
            write(f"indicators ({plan.definitions_path.name}): {report.definitions}")
        counts = plan.counts
        places = ", ".join(f"{counts[k]:,} {k}" for k in sorted(counts) if counts[k])
        write(f"places: {places or 'nothing new'}")
        for file in report.files:
            if file.kind == "figures" and file.result:
                r = file.result
                write(
                    f"{file.name}: {file.rows:,} rows, {len(file.figures):,} figures: "
                    f"{r.created:,} created, {r.updated:,} updated, {r.unchanged:,} unchanged, "
                    f"{len(r.warnings):,} warnings"
                )
            elif file.kind == "neighbours":
                g = file.groups
                write(
                    f"{file.name}: {file.rows:,} rows, neighbour groups: {g['created']:,} "
                    f"created, {g['updated']:,} updated, {g['unchanged']:,} unchanged"
                )
            else:
                write(f"{file.name}: skipped")
        rate = report.figures / report.seconds if report.seconds else 0.0
        write(
            f"total: {report.figures:,} figures: {report.total('created'):,} created, "
            f"{report.total('updated'):,} updated, {report.total('unchanged'):,} unchanged, "
            f"{len(report.warnings):,} warnings in {report.seconds:.1f} s "
            f"({rate:,.0f} rows/s)"
        )
        if report.dry_run:
            write(self.style.WARNING("dry run: nothing was written"))
