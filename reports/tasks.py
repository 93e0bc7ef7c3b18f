"""Background tasks of the reports app, on django-tasks (TASKS in settings: the database
backend by default). The task worker runs them:

    python manage.py db_worker            # waits for tasks; `make run` starts one
    python manage.py db_worker --batch    # runs what is queued, then exits
"""

from __future__ import annotations

from django_tasks import task

from reports import packs


@task()
def build_pack(pack_id: int) -> str:
    """Draw a report pack's papers and zip them (reports.packs.build); returns the pack's
    status afterwards."""
    return packs.build(pack_id)
