"""Uploads waiting for confirmation cannot fill the disk: at most 3 per user (a fourth
supersedes the oldest), at most 40 MB per user in all (beyond it an upload is refused), each
removed when confirmed, cancelled or superseded, and the task worker sweeps what is left
waiting for more than a day."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from council_reports.management.commands import worker
from indicators import uploads
from indicators.models import ImportLog, Observation, PendingImport
from tests import factories
from tests.indicators.test_import_views import ROW_A, csv_file, signed_in, token_of, upload

MB = 1024 * 1024
NBSP = "\xa0"


@pytest.fixture
def world(users, council_a, council_b, wales_average, lac_allocated):
    factories.IndicatorFactory(code="SCC/011a", unit="percent", decimals=1)
    return users


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def waiting_names(user) -> list[str]:
    return list(PendingImport.objects.filter(user=user).values_list("filename", flat=True))


def preview_url(token: str) -> str:
    return reverse("imports:preview", kwargs={"token": token})


def cancel_url(token: str) -> str:
    return reverse("imports:cancel", kwargs={"token": token})


def sized_file(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="text/csv")


def test_a_fourth_upload_supersedes_the_oldest_and_says_so(world, upload_dir):
    officer = world["officer_a"]
    client = signed_in(officer)
    tokens = [token_of(upload(client, csv_file([ROW_A], name=f"{n}.csv"))) for n in "abcd"]
    assert waiting_names(officer) == ["b.csv", "c.csv", "d.csv"]
    assert files_in(upload_dir) == sorted(f"{token}.csv" for token in tokens[1:])
    assert client.get(preview_url(tokens[0])).status_code == 404
    page = client.get(preview_url(tokens[3])).content.decode()
    assert (
        "Your oldest upload waiting for confirmation, a.csv, was removed: you may keep 3 at a "
        "time. Nothing from it was imported."
    ) in page
    # The others still wait and can be confirmed.
    assert client.get(preview_url(tokens[1])).status_code == 200


def test_uploads_past_40_mb_in_all_are_refused_naming_the_limit_and_change_nothing(
    world, upload_dir
):
    officer = world["officer_a"]
    client = signed_in(officer)
    first = token_of(upload(client, sized_file("big1.csv", 19 * MB)))
    token_of(upload(client, sized_file("big2.csv", 19 * MB)))
    before = files_in(upload_dir)
    response = upload(client, sized_file("small.csv", 3 * MB))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        f"Your uploads waiting for confirmation take 38.0{NBSP}MB; with this file (3.0{NBSP}MB) "
        f"they would take more than the 40.0{NBSP}MB you may keep. Confirm or cancel one of "
        "them first."
    ]
    assert files_in(upload_dir) == before
    assert waiting_names(officer) == ["big1.csv", "big2.csv"]
    # The page lists what waits, each with a Cancel button; cancelling one makes room.
    page = response.content.decode()
    assert page.count('class="button button--secondary">Cancel<') == 2
    client.post(cancel_url(first))
    token_of(upload(client, sized_file("small.csv", 3 * MB)))
    assert waiting_names(officer) == ["big2.csv", "small.csv"]
    assert len(files_in(upload_dir)) == 2


def test_a_confirmed_upload_leaves_no_file_or_record(world, upload_dir):
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A])))
    assert len(files_in(upload_dir)) == 1
    assert client.post(reverse("imports:confirm", kwargs={"token": token})).status_code == 302
    assert files_in(upload_dir) == []
    assert PendingImport.objects.count() == 0
    assert ImportLog.objects.count() == 1


def test_cancelling_on_the_preview_removes_the_file_the_record_and_the_session_entry(
    world, upload_dir
):
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A], name="rct.csv")))
    preview = client.get(preview_url(token)).content.decode()
    assert f'action="{cancel_url(token)}"' in preview
    response = client.post(cancel_url(token))
    assert response.status_code == 302 and response["Location"] == reverse("imports:upload")
    assert files_in(upload_dir) == []
    assert PendingImport.objects.count() == 0
    assert client.session[uploads.SESSION_KEY] == {}
    assert client.get(preview_url(token)).status_code == 404
    page = client.get(response["Location"]).content.decode()
    assert "The upload rct.csv was cancelled and removed; nothing from it was imported." in page
    assert Observation.objects.count() == 0


def test_a_refused_file_is_removed_when_previewed(world, upload_dir):
    client = signed_in(world["officer_a"])
    bad = ["Nowhere Council", "SCC/013aii", "2014-15", "393", "621", "", ""]
    token = token_of(upload(client, csv_file([bad])))
    assert len(files_in(upload_dir)) == 1
    preview = client.get(preview_url(token))
    assert "unknown authority &#x27;Nowhere Council&#x27;" in preview.content.decode()
    assert "The file was not kept. Correct it and upload it again." in preview.content.decode()
    assert cancel_url(token) not in preview.content.decode()
    assert client.post(cancel_url(token)).status_code == 404
    assert files_in(upload_dir) == []
    assert PendingImport.objects.count() == 0
    assert (Observation.objects.count(), ImportLog.objects.count()) == (0, 0)


def test_nobody_else_cancels_an_upload_and_cancelling_needs_a_post(world, upload_dir):
    token = token_of(upload(signed_in(world["officer_a"]), csv_file([ROW_A])))
    for user in (world["officer_b"], world["admin"]):
        assert signed_in(user).post(cancel_url(token)).status_code == 404
    assert signed_in(world["officer_a"]).get(cancel_url(token)).status_code == 405
    assert len(files_in(upload_dir)) == 1
    assert PendingImport.objects.count() == 1
    assert signed_in(world["member"]).post(cancel_url(token)).status_code == 403


def test_one_users_limits_leave_another_users_uploads_alone(world, upload_dir):
    officer_a, officer_b = world["officer_a"], world["officer_b"]
    client_a, client_b = signed_in(officer_a), signed_in(officer_b)
    for name in ("a1.csv", "a2.csv", "a3.csv"):
        token_of(upload(client_a, csv_file([ROW_A], name=name)))
    for name in ("b1.csv", "b2.csv", "b3.csv", "b4.csv"):
        token_of(upload(client_b, csv_file([ROW_A], name=name)))
    assert waiting_names(officer_a) == ["a1.csv", "a2.csv", "a3.csv"]
    assert waiting_names(officer_b) == ["b2.csv", "b3.csv", "b4.csv"]
    assert len(files_in(upload_dir)) == 6


def test_ten_uploads_at_once_keep_three_files(world, upload_dir):
    client = signed_in(world["officer_a"])
    for number in range(10):
        token_of(upload(client, sized_file(f"f{number}.csv", MB)))
    assert len(files_in(upload_dir)) == 3
    assert sum(p.stat().st_size for p in Path(upload_dir).iterdir()) == 3 * MB


def age(token: str, hours: float) -> None:
    PendingImport.objects.filter(token=token).update(
        created=timezone.now() - dt.timedelta(hours=hours)
    )


def orphan(folder: Path, name: str, hours: float) -> Path:
    path = folder / name
    path.write_bytes(b"authority,indicator\n")
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_the_sweep_removes_uploads_waiting_a_day_and_old_orphans_and_leaves_fresh_ones(
    world, upload_dir
):
    client_a, client_b = signed_in(world["officer_a"]), signed_in(world["officer_b"])
    old = token_of(upload(client_a, csv_file([ROW_A], name="old.csv")))
    fresh = token_of(upload(client_a, csv_file([ROW_A], name="fresh.csv")))
    others = token_of(upload(client_b, csv_file([ROW_A], name="b.csv")))
    age(old, 25)
    age(others, 23)
    orphan(upload_dir, "abandonedabandonedabandoned.xlsx", 2)
    young = orphan(upload_dir, "beingwrittenbeingwritten.csv", 0.5)
    out = io.StringIO()
    call_command("sweep_uploads", stdout=out)
    assert out.getvalue() == (
        "removed 1 upload(s) waiting too long and 1 file(s) no upload waits for\n"
    )
    assert sorted(PendingImport.objects.values_list("filename", flat=True)) == [
        "b.csv",
        "fresh.csv",
    ]
    assert files_in(upload_dir) == sorted([f"{fresh}.csv", f"{others}.csv", young.name])
    assert client_a.get(preview_url(old)).status_code == 404
    assert client_a.get(preview_url(fresh)).status_code == 200


def test_the_sweep_forgets_an_upload_whose_file_is_lost_so_it_no_longer_counts(world, upload_dir):
    officer = world["officer_a"]
    client = signed_in(officer)
    tokens = [token_of(upload(client, sized_file(f"{n}.csv", 19 * MB))) for n in "ab"]
    (upload_dir / f"{tokens[0]}.csv").unlink()  # e.g. the folder was cleared
    call_command("sweep_uploads", stdout=io.StringIO())
    assert waiting_names(officer) == ["b.csv"]
    token_of(upload(client, sized_file("c.csv", 19 * MB)))  # 38 MB waiting: within 40 MB
    assert waiting_names(officer) == ["b.csv", "c.csv"]


@pytest.mark.django_db(transaction=True)  # db_worker closes its connection as it ends
def test_the_worker_sweeps_when_it_runs_its_queue(users, council_a, lac_allocated, upload_dir):
    old = token_of(upload(signed_in(users["officer_a"]), csv_file([ROW_A])))
    age(old, 25)
    # The worker installs its own signal handlers; pytest gets its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", burst=True, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert PendingImport.objects.count() == 0
    assert files_in(upload_dir) == []


@pytest.mark.django_db(transaction=True)
def test_the_running_worker_sweeps_at_start_and_on_its_schedule(
    users, council_a, lac_allocated, upload_dir, monkeypatch
):
    """`make run` and `make serve` start `manage.py worker`: while it waits for tasks, a
    thread of it sweeps at once and then every --sweep-every seconds."""
    client = signed_in(users["officer_a"])
    first = token_of(upload(client, csv_file([ROW_A])))
    age(first, 25)
    seen: list[str] = []

    def wait_for_two_sweeps(self, options):
        until = time.monotonic() + 10
        while PendingImport.objects.filter(token=first).exists() and time.monotonic() < until:
            time.sleep(0.02)
        if not PendingImport.objects.filter(token=first).exists():
            seen.append("first swept")
        # A second upload, aged after the worker started: only a later sweep removes it.
        second = token_of(upload(client, csv_file([ROW_A])))
        age(second, 25)
        while PendingImport.objects.filter(token=second).exists() and time.monotonic() < until:
            time.sleep(0.02)
        if not PendingImport.objects.filter(token=second).exists():
            seen.append("second swept")

    monkeypatch.setattr(worker.Command, "_run_worker", wait_for_two_sweeps)
    call_command("worker", sweep_every=0.1, verbosity=0)
    assert seen == ["first swept", "second swept"]
    assert PendingImport.objects.count() == 0
    assert files_in(upload_dir) == []


def test_the_upload_page_states_the_limits(world):
    page = signed_in(world["officer_a"]).get(reverse("imports:upload")).content.decode()
    assert (
        # (split() takes the no-break space in 40.0 MB for a space)
        "Up to 3 uploads, 40.0 MB in all, wait for you to confirm or cancel them; a "
        "further upload replaces your oldest. An upload not confirmed is removed after a day."
    ) in " ".join(page.split())


def test_a_client_without_a_session_token_gets_404_even_with_the_record(world):
    client = signed_in(world["officer_a"])
    token = token_of(upload(client, csv_file([ROW_A])))
    other_session = Client()
    other_session.force_login(world["officer_a"])
    assert other_session.get(preview_url(token)).status_code == 404
    assert other_session.post(cancel_url(token)).status_code == 404
    assert PendingImport.objects.count() == 1


@pytest.mark.parametrize("every", ["0", "-5", "soon"])
def test_the_worker_refuses_a_sweep_interval_that_is_not_positive(every):
    with pytest.raises(CommandError, match="--sweep-every"):
        call_command("worker", "--sweep-every", every)
