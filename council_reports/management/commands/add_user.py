"""Create or update a user for scripts and provisioning.

    NEW_USER_PASSWORD='a long passphrase' python manage.py add_user jsmith \\
        --role officer --authority "Rhondda Cynon Taf"

An author needs --authority for each council whose case audit findings they are to read.

The password is read from the environment variable NEW_USER_PASSWORD, never from the
command line (where it would land in shell history and process lists). Without it, a new
user gets no usable password and an existing user keeps theirs.
"""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from council_reports.accounts import ProvisioningError, provision_user
from council_reports.models import Role


class Command(BaseCommand):
    help = "Create or update a user with a role and the authorities they act for."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--authority",
            action="append",
            default=[],
            metavar="NAME",
            help="An authority the user acts for (name or GSS code); repeat for several.",
        )
        parser.add_argument("--email", default=None)

    def handle(self, *args, **options):
        password = os.environ.get("NEW_USER_PASSWORD") or None
        try:
            user, created = provision_user(
                options["username"], options["role"], options["authority"], password
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("NEW_USER_PASSWORD: " + " ".join(exc.messages)) from exc
        if options["email"] is not None:
            user.email = options["email"]
            user.save(update_fields=["email"])
        councils = ", ".join(a.name for a in user.authorities.order_by("name")) or "none"
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {user.username} ({user.role}); authorities: {councils}")
        if user.role == Role.AUTHOR and not options["authority"]:
            self.stdout.write(
                "No --authority given: the author writes papers for any council but reads "
                "no council's case audit findings."
            )
        if password is None and created:
            self.stdout.write(
                "No NEW_USER_PASSWORD given: the user cannot sign in until one is set."
            )
