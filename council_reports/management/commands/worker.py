"""`python manage.py worker [--burst] [--sweep-every SECONDS]`: the background-task worker for
whichever backend the settings chose: django-tasks-db's `db_worker` (tasks queued in the
database), or RQ's `rqworker` with django-tasks-rq's job class when REDIS_URL is set.

Beside the tasks it runs the app's housekeeping on a schedule, which django-tasks has no
scheduler for: uploads left waiting for confirmation are swept (indicators.uploads.sweep) when
the worker starts and every 15 minutes while it runs, in a thread of the worker's process.
`make run` and `make serve` start this command, so a running app sweeps.
"""

from __future__ import annotations

import argparse
import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from indicators import uploads

RQ_BACKEND = "django_tasks_rq.RQBackend"
SWEEP_EVERY_SECONDS = 15 * 60
SWEEP_FINISH_SECONDS = 30

logger = logging.getLogger(__name__)


def sweep_uploads() -> None:
    """One sweep; a failure is logged and the next sweep tries again."""
    try:
        swept = uploads.sweep()
        if swept.uploads or swept.orphans:
            logger.info("swept %d upload(s) and %d orphaned file(s)", swept.uploads, swept.orphans)
    except Exception:
        logger.exception("sweeping uploads failed")


def sweep_uploads_until(stop: threading.Event, every: float) -> None:
    """Sweep now, then every `every` seconds until `stop` is set (in a thread of its own)."""
    while True:
        sweep_uploads()
        # This thread's own database connection, not held open between sweeps.
        connections.close_all()
        if stop.wait(every):
            return


def _seconds(text: str) -> float:
    seconds = float(text)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    return seconds


class Command(BaseCommand):
    help = (
        "Run the background-task worker (report packs) for the configured task backend, and "
        "sweep abandoned uploads on a schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--burst", action="store_true", help="sweep once, run the tasks queued now, then exit"
        )
        parser.add_argument(
            "--sweep-every",
            type=_seconds,
            default=SWEEP_EVERY_SECONDS,
            metavar="SECONDS",
            help="how often to sweep abandoned uploads (default: %(default)s)",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        sweeper = None
        if options["burst"]:
            sweep_uploads()
        else:
            sweeper = threading.Thread(
                target=sweep_uploads_until,
                args=(stop, options["sweep_every"]),
                name="sweep-uploads",
                daemon=True,
            )
            sweeper.start()
        try:
            self._run_worker(options)
        finally:
            stop.set()
            if sweeper is not None:
                # A sweep under way finishes (its rows and their files go together) before
                # the worker exits; a sweep is a few queries and file removals.
                sweeper.join(timeout=SWEEP_FINISH_SECONDS)

    def _run_worker(self, options) -> None:
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
