"""Build a committee paper as HTML or PDF (CONTRACT.md, "Reports").

    python manage.py build_report spec.json --format pdf --out paper.pdf
    python manage.py build_report --slug childrens-services-performance-indicators \
        --format html --out paper.html

A saved paper that is published is drawn from the figures it was published with; a draft
or a spec from the figures as they stand. Any unknown council, comparator, indicator,
period or block type is an error naming it: exit status 1 and no file written.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports import building
from reports.spec import SpecError


class Command(BaseCommand):
    help = "Build a committee paper from a JSON spec or a saved report, as HTML or PDF."
    # The system checks import every URLconf, view and form (about a second): `manage.py
    # check` and CI run them; a paper needs only the models.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("spec", nargs="?", help="a JSON spec file")
        parser.add_argument("--slug", help="a report saved in the app (its newest version)")
        parser.add_argument("--report-version", type=int, help="with --slug: that version")
        parser.add_argument("--format", choices=["html", "pdf"], required=True)
        parser.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args, **options):
        if bool(options["spec"]) == bool(options["slug"]):
            raise CommandError("give either a SPEC.json file or --slug SLUG")
        out = Path(options["out"])
        try:
            if options["spec"]:
                path = Path(options["spec"])
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except FileNotFoundError as exc:
                    raise CommandError(f"{path}: no such file") from exc
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise CommandError(f"{path}: not a JSON spec ({exc})") from exc
                paper = building.paper_from_spec(data)
            else:
                paper = building.paper_of_saved(options["slug"], options["report_version"])
            building.write(paper, options["format"], out)
        except SpecError as exc:
            for error in exc.errors:
                self.stderr.write(f"error: {error}")
            raise CommandError(f"{len(exc.errors)} error(s) in the spec: no file written") from exc
        except building.BuildError as exc:
            raise CommandError(f"{exc}: no file written") from exc
        self.stdout.write(f"wrote {out}")
