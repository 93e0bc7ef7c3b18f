"""Remove browser uploads nobody confirmed or cancelled (indicators.uploads.sweep).

    python manage.py sweep_uploads

Uploads waiting for confirmation for more than a day go, with their files, and so do files in
the upload folder that no upload waits for. The task worker (`manage.py worker`, started by
`make run` and `make serve`) runs the same sweep when it starts and every 15 minutes; this
command is for a server that runs no worker (from cron) or for a sweep now.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from indicators import uploads


class Command(BaseCommand):
    help = "Remove uploads left waiting for confirmation for more than a day."

    def handle(self, *args, **options):
        swept = uploads.sweep()
        self.stdout.write(
            f"removed {swept.uploads} upload(s) waiting too long and "
            f"{swept.orphans} file(s) no upload waits for"
        )
