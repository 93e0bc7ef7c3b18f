"""Load the demo data: the five seed councils' published figures, staffing and audits, the
councils and comparators they need, the indicator definitions, and one demo user per role.

    python manage.py load_demo
    DEMO_PASSWORD='a long passphrase' python manage.py load_demo
    python manage.py load_demo --if-empty --dfe ../shared/data/dfe     # what `make run` does

Sources are the reviewed files under fixtures/: indicators/*.toml, authorities.toml,
demo/observations/<council>.csv (imported exactly as `import_observations` would),
demo/workforce.toml and demo/audits.toml.

Everything is written in one transaction; any bad row writes nothing and the command exits 1.
Running it twice changes nothing: the second run reports 0 created and 0 updated.

Demo users: rct.officer, caerphilly.officer (officers of those councils), rct.approver,
member, author (of the five seed councils, so it reads their audits' findings) and admin. They get the password in DEMO_PASSWORD; without it, users created
by this run share one random password, printed once, and users that already exist keep theirs.

--if-empty does nothing when the database already holds councils. --dfe PATH then imports
DfE statistics with `import_dfe PATH` (its own all-or-nothing transaction).
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from council_reports.demo import DemoError, demo_password_from_environment, load_demo
from indicators.models import Authority


class Command(BaseCommand):
    help = "Load the seed papers' figures, councils, comparators and demo users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds councils.",
        )
        parser.add_argument(
            "--dfe",
            metavar="PATH",
            help="Afterwards, import DfE statistics from this file or folder with import_dfe.",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Authority.objects.exists():
            self.stdout.write("The database already holds councils: demo data not loaded.")
            return
        try:
            report = load_demo(password=demo_password_from_environment())
        # The loaders' own errors (bad definitions, unknown council ...) are ValueErrors.
        except (DemoError, ValueError) as exc:
            raise CommandError(f"demo data not loaded, nothing written:\n{exc}") from exc

        for line in report.lines():
            self.stdout.write(line)
        for name, counts in report.observations.items():
            for warning in counts.warnings:
                self.stdout.write(self.style.WARNING(f"{name}: {warning}"))
        if report.password_warning:
            self.stdout.write(self.style.WARNING(report.password_warning))
        if report.generated_password:
            self.stdout.write(
                "Demo users created with this password (shown once; set DEMO_PASSWORD "
                f"to choose it): {report.generated_password}"
            )
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded.")
            if report.changed
            else "Demo data already up to date: nothing changed."
        )

        if options["dfe"]:
            call_command("import_dfe", options["dfe"], stdout=self.stdout, stderr=self.stderr)
