"""`python manage.py worker [--burst]`: the background-task worker for whichever backend the
settings chose: django-tasks-db's `db_worker` (tasks queued in the database), or RQ's
`rqworker` with django-tasks-rq's job class when REDIS_URL is set."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

RQ_BACKEND = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = "Run the background-task worker (report packs) for the configured task backend."

    def add_arguments(self, parser):
        parser.add_argument(
            "--burst", action="store_true", help="run the tasks queued now, then exit"
        )

    def handle(self, *args, **options):
        if settings.TASKS["default"]["BACKEND"] == RQ_BACKEND:
            queues = settings.TASKS["default"].get("QUEUES", ["default"])
            call_command(
                "rqworker", *queues, job_class="django_tasks_rq.Job", burst=options["burst"]
            )
        else:
            # A burst starts at once; a long-running worker keeps db_worker's random start-up
            # delay, which spreads several workers' polling.
            call_command(
                "db_worker",
                reload=False,
                batch=options["burst"],
                startup_delay=not options["burst"],
                verbosity=options["verbosity"],
            )
