"""Report packs: one saved paper drawn for several councils at once (say, for every council of
a region) and zipped, as a background task.

    pack = packs.start(report, councils, fmt="pdf", user=request.user, region=region)
    # When the request's transaction commits, reports.tasks.build_pack is queued; the task
    # worker (`python manage.py db_worker`) runs it, which calls packs.build(pack.pk).

Each council's paper is the saved report's spec with that council as its authority and the
comparators mapped to it (`indicators.frames.mapped_comparators`): a national average becomes the council's own
nation's (wales-average ↔ england), and a comparator the council does not have (no
statistical neighbours, no region) is left out, with a note saying so. Commentary an author
edited was written about the report's own council's figures, so other councils get the text
generated from theirs. Section text (Markdown) is copied as written. The report's own council
gets exactly what exporting the report gives: a published paper its frozen figures.

The zip holds `<report-slug>-<council-slug>.pdf` (or `.html`) per council and manifest.csv
(council, GSS code, file, version, when its figures were drawn, comparators, notes). It is
written under MEDIA_ROOT/packs/ through a temporary file renamed into place only when
complete, so a pack that fails leaves no zip. A council whose paper cannot be drawn is
recorded with the reason and the other councils are still drawn, so one run names every
failure; then the pack fails, since a committee pack with a council missing is not what was
asked for. Without Chromium a PDF pack stops at the first chart, with the message saying how
to install it.

Only one worker builds a pack: the one whose conditional update moves it from queued to
running. Progress is saved to the pack's row after each council.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from indicators import frames
from indicators.exporting import write_csv
from indicators.models import Authority, Region
from reports.building import BuildError, html_bytes, paper_of, pdf_bytes
from reports.chart_export import ChromiumMissing
from reports.errors import ReportError
from reports.models import BlockType, Report, ReportPack
from reports.paper import build_paper, without_audit_text
from reports.spec import SpecError, parse_spec, spec_of

logger = logging.getLogger(__name__)

Status = ReportPack.Status
PACKS_FOLDER = "packs"
MANIFEST = "manifest.csv"
MANIFEST_HEADER = [
    "council", "gss_code", "file", "report", "version", "figures", "comparators", "notes",
]  # fmt: skip

# What a left-out comparator is called in a note, whichever council's it would have been.
COMPARATOR_KINDS = {
    **{slug: gettext_lazy("the national average") for slug in frames.NATIONAL_SLUGS.values()},
    frames.REGION: gettext_lazy("the regional average"),
    frames.SN_MEAN: gettext_lazy("the statistical neighbours' mean"),
    frames.SN_MEDIAN: gettext_lazy("the statistical neighbours' median"),
    frames.TARGET: gettext_lazy("the targets"),
}


class PackFailed(Exception):
    """The pack cannot be finished; the message says why (and is shown to the author)."""


class _Abandoned(Exception):
    """Another worker or an administrator changed the pack's status while this one built it."""


# ---------------------------------------------------------------------------------------
# Starting a pack


def start(
    report: Report,
    councils: Iterable[Authority],
    *,
    fmt: str,
    user,
    region: Region | None = None,
    nation: str = "",
) -> ReportPack:
    """Save the pack and queue its task once the transaction commits, so a worker never
    looks for a pack that is not saved (or was rolled back)."""
    councils = list(councils)
    with transaction.atomic():
        pack = ReportPack.objects.create(
            report=report,
            format=fmt,
            region=region,
            nation=nation,
            total=len(councils),
            created_by=user,
        )
        pack.councils.set(councils)
        transaction.on_commit(partial(enqueue, pack.pk))
    return pack


def enqueue(pack_id: int) -> None:
    """Queue the build and keep the task's id; a queue that refuses fails the pack."""
    from reports.tasks import build_pack

    try:
        result = build_pack.enqueue(pack_id)
    except Exception as exc:
        logger.exception("report pack %s could not be queued", pack_id)
        ReportPack.objects.filter(pk=pack_id, status=Status.QUEUED).update(
            status=Status.FAILED,
            error=_("The pack could not be queued for the task worker: %(error)s") % {"error": exc},
            finished_at=timezone.now(),
        )
        return
    ReportPack.objects.filter(pk=pack_id).update(task_id=str(result.id))


def councils_of(*, region: Region | None = None, nation: str = "") -> list[Authority]:
    """A region's or a nation's councils as a pack takes them: those still in existence."""
    councils = Authority.objects.filter(active=True).order_by("name")
    if region is not None:
        councils = councils.filter(region=region)
    if nation:
        councils = councils.filter(nation=nation)
    return list(councils)


# ---------------------------------------------------------------------------------------
# Comparators and specs per council


def council_spec(base: dict[str, Any], slugs: list[str], council: Authority) -> dict[str, Any]:
    """The report's spec (spec_of) drawn for another council: its authority, its comparators
    (what was left out under "left_out") and generated commentary where the author's was
    edited (how many under "regenerated")."""
    data = copy.deepcopy(base)
    data["authority"] = council.name
    data["comparators"], left_out = frames.mapped_comparators(slugs, council)
    regenerated = 0
    for section in data["sections"]:
        for block in section["blocks"]:
            if block["type"] == BlockType.COMMENTARY and block.get("edited") and block.get("text"):
                block["text"], block["edited"] = "", False
                regenerated += 1
    return {"spec": data, "left_out": left_out, "regenerated": regenerated}


def file_name(report: Report, council: Authority, fmt: str) -> str:
    return f"{report.slug}-{council.slug}.{fmt}"


def download_name(pack: ReportPack) -> str:
    """The zip's name for the person downloading it."""
    scope = pack.region.slug if pack.region else pack.nation or f"{pack.total}-councils"
    return f"{pack.report.slug}-v{pack.report.version}-{scope}.zip"


def notes_of(outcome: dict[str, Any]) -> list[str]:
    """What a reader of the pack should know about one council's paper, in words."""
    notes = [
        _("Left out %(comparator)s: %(council)s has none.")
        % {"comparator": COMPARATOR_KINDS.get(slug, slug), "council": outcome["council"]}
        for slug in outcome.get("left_out", [])
    ]
    regenerated = outcome.get("regenerated", 0)
    if regenerated:
        notes.append(
            ngettext(
                "%(count)d commentary edited for %(base)s replaced by the text generated "
                "from %(council)s's figures.",
                "%(count)d commentaries edited for %(base)s replaced by the text generated "
                "from %(council)s's figures.",
                regenerated,
            )
            % {"count": regenerated, "base": outcome["base"], "council": outcome["council"]}
        )
    return notes


# ---------------------------------------------------------------------------------------
# Building a pack (the task's body)


def build(pack_id: int) -> str:
    """Build the pack if it is still queued; returns its status afterwards. A handled
    failure (a council's paper, Chromium) is recorded on the pack; anything else is
    recorded too, then raised so the task's result keeps the traceback."""
    claimed = ReportPack.objects.filter(pk=pack_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        pack = ReportPack.objects.filter(pk=pack_id).first()
        logger.info("report pack %s not built: it is %s", pack_id, pack and pack.status)
        return pack.status if pack else "missing"
    pack = ReportPack.objects.select_related("report__authority").get(pk=pack_id)
    try:
        _build(pack)
    except _Abandoned:
        logger.warning("report pack %s changed status while it was built; left as it is", pack_id)
    except PackFailed as exc:
        _finish(pack, status=Status.FAILED, error=str(exc))
    except Exception as exc:
        _finish(
            pack,
            status=Status.FAILED,
            error=_("The pack stopped on an unexpected error (%(kind)s): %(error)s")
            % {"kind": type(exc).__name__, "error": exc},
        )
        raise
    return ReportPack.objects.values_list("status", flat=True).get(pk=pack_id)


def _build(pack: ReportPack) -> None:
    report = pack.report
    councils = list(pack.councils.order_by("name"))
    base = spec_of(report)
    try:
        slugs = parse_spec(base).comparators
    except SpecError as exc:
        raise PackFailed(
            _("The paper itself cannot be drawn: %(problems)s") % {"problems": exc}
        ) from exc
    outcomes: list[dict[str, Any]] = []
    target = Path(settings.MEDIA_ROOT) / PACKS_FOLDER / f"{report.slug}-pack-{pack.pk}.zip"
    with _atomic_zip(target) as archive:
        for council in councils:
            _save_progress(pack, current_council=council.name)
            outcome = _council(pack, base, slugs, council, archive)
            outcomes.append(outcome)
            _save_progress(pack, processed=len(outcomes), outcomes=outcomes)
        failed = [o for o in outcomes if o["error"]]
        if failed:
            raise PackFailed(
                ngettext(
                    "The paper for %(count)d council could not be drawn, so no zip was "
                    "written: %(problems)s",
                    "The papers for %(count)d councils could not be drawn, so no zip was "
                    "written: %(problems)s",
                    len(failed),
                )
                % {
                    "count": len(failed),
                    "problems": "; ".join(f"{o['council']}: {o['error']}" for o in failed),
                }
            )
        archive.writestr(MANIFEST, manifest(report, outcomes))
    _finish(pack, status=Status.DONE, file=f"{PACKS_FOLDER}/{target.name}")


def _council(
    pack: ReportPack,
    base: dict[str, Any],
    slugs: list[str],
    council: Authority,
    archive: zipfile.ZipFile,
) -> dict[str, Any]:
    """Draw one council's paper into the zip; its outcome, with the error if it failed."""
    report = pack.report
    outcome: dict[str, Any] = {
        "council": council.name,
        "slug": council.slug,
        "gss_code": council.gss_code or "",
        "base": report.authority.name,
        "file": "",
        "figures": "",
        "comparators": [],
        "left_out": [],
        "regenerated": 0,
        "error": "",
    }
    try:
        if council.pk == report.authority_id:
            # The report's own council: what exporting the report gives (frozen if published).
            paper = paper_of(report)
        else:
            drawn = council_spec(base, slugs, council)
            outcome.update(left_out=drawn["left_out"], regenerated=drawn["regenerated"])
            spec = parse_spec(drawn["spec"])
            # Never "published": this council's paper was not.
            spec.slug, spec.version, spec.status = report.slug, report.version, Report.Status.DRAFT
            paper = build_paper(spec)
        # A pack is bulk output any author may download, whichever councils they write
        # for: the recommendations' actions (audit free text) stay out of it.
        paper = without_audit_text(paper)
        data = pdf_bytes(paper) if pack.format == ReportPack.Format.PDF else html_bytes(paper)
    except ChromiumMissing as exc:
        raise PackFailed(str(exc)) from exc
    except (SpecError, ReportError, BuildError) as exc:
        outcome["error"] = str(exc)
        return outcome
    except Exception as exc:
        logger.exception("report pack %s: %s's paper failed", pack.pk, council.name)
        outcome["error"] = _("an unexpected error (%(kind)s): %(error)s") % {
            "kind": type(exc).__name__,
            "error": exc,
        }
        return outcome
    name = file_name(report, council, pack.format)
    archive.writestr(name, data)
    outcome.update(
        file=name,
        comparators=[c["label"] for c in paper.get("comparators", [])],
        figures=_figures_drawn(report, paper, own=council.pk == report.authority_id),
    )
    return outcome


def _figures_drawn(report: Report, paper: dict[str, Any], *, own: bool) -> str:
    if own and report.is_published and report.published_at:
        return _("as published on %(date)s") % {
            "date": date_format(timezone.localtime(report.published_at), "j F Y")
        }
    built = timezone.localtime(dt.datetime.fromisoformat(paper["built_at"]))
    return _("as they stood on %(date)s") % {"date": date_format(built, "j F Y, H:i")}


def manifest(report: Report, outcomes: list[dict[str, Any]]) -> str:
    """manifest.csv: a row per council, in the pack's order."""
    out = io.StringIO()
    rows = [
        [
            str(outcome["council"]),
            str(outcome["gss_code"]),
            str(outcome["file"]),
            report.slug,
            str(report.version),
            str(outcome["figures"]),
            "; ".join(outcome["comparators"]),
            " ".join(notes_of(outcome)),
        ]
        for outcome in outcomes
    ]
    # The exports' writer: text a spreadsheet would run as a formula (a council, comparator
    # or error message beginning with = + - @) is neutralised, as in every CSV the app writes.
    write_csv(rows, out, header=MANIFEST_HEADER)
    # A byte-order mark, so Excel reads the council names' accents as UTF-8.
    return "\ufeff" + out.getvalue()


def _save_progress(pack: ReportPack, **fields: Any) -> None:
    """Write progress only while this worker still holds the pack (it is running)."""
    if not ReportPack.objects.filter(pk=pack.pk, status=Status.RUNNING).update(**fields):
        raise _Abandoned
    for name, value in fields.items():
        setattr(pack, name, value)


def _finish(pack: ReportPack, *, status: str, error: str = "", file: str = "") -> None:
    ReportPack.objects.filter(pk=pack.pk, status=Status.RUNNING).update(
        status=status, error=error, file=file, current_council="", finished_at=timezone.now()
    )


@contextlib.contextmanager
def _atomic_zip(out: Path) -> Iterator[zipfile.ZipFile]:
    """A zip written to a temporary file beside `out` and renamed into place only when the
    block completes: a reader never sees half a pack, and a failure leaves no file. (Papers
    go in one at a time, so a large pack is never held in memory; reports.pdf's
    write_atomically takes bytes.)"""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            yield zf
        # mkstemp makes the file private to its owner; a pack is an ordinary file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------
# Progress, as the pack's page and its JSON show it


def progress(pack: ReportPack) -> dict[str, Any]:
    """The pack's state for its page and for packs:status (JSON): one place for both."""
    status, error = pack.status, pack.error
    stopped = _worker_stopped(pack)
    if stopped:
        # The worker may have finished the pack between the two reads.
        pack.refresh_from_db()
        status, error = (pack.status, pack.error) if pack.is_finished else (Status.FAILED, stopped)
    label = str(Status(status).label)
    counts = _("%(processed)d of %(total)d councils") % {
        "processed": pack.processed,
        "total": pack.total,
    }
    if status == Status.QUEUED:
        message = _(
            "Waiting for the task worker to start the pack. If it keeps waiting, the worker "
            "may not be running (python manage.py db_worker)."
        )
    elif status == Status.RUNNING:
        message = (
            _("%(counts)s done. Drawing %(council)s's paper.")
            % {"counts": counts, "council": pack.current_council}
            if pack.current_council
            else _("%(counts)s done.") % {"counts": counts}
        )
    elif status == Status.DONE:
        message = _("The pack is ready: %(counts)s. Download it below.") % {"counts": counts}
    else:
        message = _("The pack failed and no zip was written.")
    return {
        "status": status,
        "status_label": label,
        "finished": status in (Status.DONE, Status.FAILED),
        "processed": pack.processed,
        "total": pack.total,
        "counts": counts,
        "current_council": pack.current_council if status == Status.RUNNING else "",
        "message": message,
        "error": error,
        "councils": [
            {
                "council": outcome["council"],
                "file": outcome["file"],
                "error": outcome["error"],
                "notes": notes_of(outcome),
            }
            for outcome in pack.outcomes
        ],
        "download_url": (
            reverse("packs:download", kwargs={"pk": pack.pk}) if status == Status.DONE else None
        ),
    }


def _worker_stopped(pack: ReportPack) -> str:
    """Why the pack will not finish although its row says it is waiting or building: its
    task ended without recording the pack (say, the task could not be imported)."""
    if pack.is_finished or not pack.task_id:
        return ""
    from reports.tasks import build_pack

    try:
        result = build_pack.get_result(pack.task_id)
    except Exception:  # no such result (pruned), or another backend's id
        return ""
    if not result.is_finished:
        return ""
    failure = result.errors[-1].exception_class_path if result.errors else ""
    return _(
        "The task worker stopped without finishing the pack%(failure)s. Start the pack again."
    ) % {"failure": f" ({failure})" if failure else ""}
