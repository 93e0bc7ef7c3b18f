"""Changing a committee paper: starting one from a template, adding, moving and removing
sections and blocks, publishing (freezing its figures) and drafting the next version.

Every change goes through the models, so django-simple-history keeps each step; each
operation is one transaction, so a failure leaves the paper as it was. Every change to a
draft's details, sections and blocks, and publishing, first takes the paper's row lock
(`locked_draft`; on SQLite, BEGIN IMMEDIATE serialises them the same way): an edit made
while the paper is being published either lands before publishing reads the paper (and the
author, who did not review it, is asked to look again) or is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from indicators import codes, frames
from indicators.models import Authority, Observation, PeriodKind
from reports.models import Block, BlockType, Report, ReportTemplate, Section
from reports.paper import build_paper
from reports.spec import find_indicator, parse_spec, spec_of

TEMPLATE_FILES = {
    ReportTemplate.PERFORMANCE: "seed000.json",  # seed 000's structure
    ReportTemplate.CASEWORK: "casework.json",  # seed 001's
}
# Years a new paper's indicator blocks show when the template names no number of periods.
DEFAULT_PERIODS = {PeriodKind.YEAR: 5, PeriodKind.QUARTER: 8, PeriodKind.MONTH: 12}


class StaleReport(Exception):
    """The paper changed since the author looked at it (publishing asks for what was seen)."""


class PublishedReport(Exception):
    """A change to a paper that is no longer a draft (published, perhaps a moment ago)."""

    def __init__(self, report: Report):
        super().__init__(report)
        self.report = report


def template_spec(template: str) -> dict[str, Any]:
    name = TEMPLATE_FILES.get(template)
    if name is None:
        return {"sections": [], "comparators": []}
    path = Path(settings.BASE_DIR) / "fixtures" / "reports" / name
    return json.loads(path.read_text(encoding="utf-8"))


def template_comparators(authority: Authority, names: list[str]) -> list[str]:
    """The template's comparators ("Wales average" in seed 000) for this council: a
    national average becomes its own nation's, one it does not have is left out."""
    slugs = [slugify(name) for name in names]
    kept, _left_out = frames.mapped_comparators([s for s in slugs if s in frames.SLUGS], authority)
    return kept


def unique_slug(text: str) -> str:
    base = slugify(text)[:72].strip("-") or "paper"
    slug, n = base, 1
    while Report.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def start_report(template: str, *, authority: Authority, user, **details) -> Report:
    """A new draft from a template: its sections, text and blocks, each indicator block
    showing the council's latest periods with figures (as many as the template showed)."""
    year = details["meeting_date"].year if details.get("meeting_date") else dt.date.today().year
    spec = template_spec(template)
    comparators = (
        template_comparators(authority, spec["comparators"])
        if spec["comparators"] or template != ReportTemplate.BLANK
        else frames.default_comparators(authority)
    )
    report = Report.objects.create(
        slug=unique_slug(f"{authority.name} {details['title']} {year}"),
        authority=authority,
        template=template,
        comparators=comparators,
        created_by=user,
        **details,
    )
    _add_sections(report, spec["sections"], latest_for=authority)
    return report


def _add_sections(report: Report, sections: list[dict], *, latest_for=None) -> None:
    """A spec's sections and blocks (as spec_of writes them) added to a paper; with
    `latest_for`, each block's periods become that council's latest (latest_periods)."""
    for position, raw in enumerate(sections, start=1):
        section = report.sections.create(
            position=position, heading=raw["heading"], text=raw.get("text", "")
        )
        for number, block in enumerate(raw.get("blocks", []), start=1):
            settings_ = {k: v for k, v in block.items() if k not in ("type", "text", "edited")}
            if latest_for is not None and "periods" in settings_:
                settings_["periods"] = latest_periods(latest_for, settings_, block["periods"])
            section.blocks.create(
                position=number,
                kind=block["type"],
                settings=settings_,
                text=block.get("text", ""),
                edited=bool(block.get("edited", bool(block.get("text")))),
            )


def latest_periods(authority: Authority, settings_: dict, shown: list[str]) -> list[str]:
    """The council's latest periods with figures for a block's indicators, of the kind the
    template shows (or the kind the council has), as many as it shows."""
    wanted = [settings_["indicator"]] if settings_.get("indicator") else []
    indicators = [i for i in map(find_indicator, wanted + settings_.get("indicators", [])) if i]
    if not indicators:
        return list(shown)
    if shown:
        kind = codes.parse_period(shown[0]).kind
    else:
        kinds = frames.period_kinds(authority, indicators[0], include_provisional=True)
        if not kinds:
            return []
        kind = kinds[0]
    count = len(shown) or DEFAULT_PERIODS.get(kind, 5)
    found = (
        Observation.objects.filter(
            authority=authority, indicator__in=indicators, period__kind=kind, value__isnull=False
        )
        .values_list("period__code", "period__start_date")
        .distinct()
        .order_by("-period__start_date")[:count]
    )
    return [code for code, _start in reversed(found)] or list(shown)


@transaction.atomic
def save_spec(data: dict[str, Any], *, user=None) -> Report:
    """A spec (as build_report reads it) saved as a draft paper under the spec's slug, its
    sections and blocks as written. The spec is checked whole first (SpecError)."""
    spec = parse_spec(data)
    report = Report.objects.create(
        slug=spec.slug,
        title=spec.title,
        committee=spec.committee,
        meeting_date=spec.meeting_date,
        agenda_item=spec.agenda_item,
        report_of=spec.report_of,
        author_name=spec.author,
        contact=spec.contact,
        authority=spec.authority,
        comparators=spec.comparators,
        created_by=user,
    )
    _add_sections(report, data.get("sections", []))
    return report


# ---------------------------------------------------------------------------------------
# Sections and blocks


def locked_draft(report: Report) -> Report:
    """The paper's row, locked until the transaction ends, or PublishedReport. Every change
    to a draft and publishing take this lock first, so a change checked against a draft is
    written to a draft, never to a paper published meanwhile."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.is_published:
        raise PublishedReport(locked)
    return locked


def touch(report: Report) -> None:
    """Mark the paper changed (its last-changed time) without a history row of its own: the
    section's or block's history records what changed."""
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())


def _report_of(item: Section | Block) -> Report:
    return item.report if isinstance(item, Section) else item.section.report


def _locked_draft_of(item: Section | Block) -> Report:
    """The paper of a section or block, locked as by `locked_draft`, once the item is found
    still in it; DoesNotExist when it was removed meanwhile (nothing is written to or beside
    a removed item)."""
    report = locked_draft(_report_of(item))
    if not type(item).objects.filter(pk=item.pk).exists():
        raise type(item).DoesNotExist
    return report


def _renumber(items) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


@transaction.atomic
def save_details(report: Report, details: dict[str, Any]) -> None:
    """The paper's details (title, committee, meeting date ..., comparators) as given."""
    locked = locked_draft(report)
    for name, value in details.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*details, "updated_at"])


@transaction.atomic
def add_section(report: Report, heading: str) -> Section:
    report = locked_draft(report)
    last = report.sections.aggregate(last=Max("position"))["last"] or 0
    section = report.sections.create(position=last + 1, heading=heading)
    touch(report)
    return section


@transaction.atomic
def save_section(section: Section, *, heading: str, text: str) -> None:
    report = _locked_draft_of(section)
    section.heading, section.text = heading, text
    section.save(update_fields=["heading", "text"])
    touch(report)


@transaction.atomic
def move(item: Section | Block, step: int) -> None:
    """Swap with the neighbour above (step -1) or below (+1); at either end nothing moves."""
    report = _locked_draft_of(item)
    siblings = list(
        report.sections.all() if isinstance(item, Section) else item.section.blocks.all()
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
        _renumber(siblings)
    touch(report)


@transaction.atomic
def remove(item: Section | Block) -> None:
    report = _locked_draft_of(item)
    parent = item.report if isinstance(item, Section) else item.section
    item.delete()
    _renumber(parent.sections.all() if isinstance(parent, Report) else parent.blocks.all())
    touch(report)


@transaction.atomic
def add_block(section: Section, kind: str) -> Block:
    """A new block, ready to draw: an indicator block or a commentary takes the indicators
    and periods of the section's last indicator block (a commentary on the table above it);
    the first in a section takes the council's first indicator with figures."""
    report = _locked_draft_of(section)
    settings_: dict[str, Any] = {}
    if kind in (BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART, BlockType.COMMENTARY):
        settings_ = _indicator_defaults(section)
        if kind == BlockType.COMMENTARY and settings_.get("indicators"):
            settings_ = {"indicator": settings_["indicators"][0], "periods": settings_["periods"]}
    elif kind == BlockType.FREE_TABLE:
        settings_ = {"caption": "", "columns": ["", ""], "rows": [["", ""]]}
    last = section.blocks.aggregate(last=Max("position"))["last"] or 0
    block = section.blocks.create(position=last + 1, kind=kind, settings=settings_)
    touch(report)
    return block


@transaction.atomic
def save_block(block: Block, *, settings_: dict[str, Any], text: str, edited: bool) -> None:
    report = _locked_draft_of(block)
    block.settings, block.text, block.edited = settings_, text, edited
    block.save(update_fields=["settings", "text", "edited"])
    touch(report)


def _indicator_defaults(section: Section) -> dict[str, Any]:
    for block in reversed(list(section.blocks.all())):
        chosen = block.settings.get("indicators") or (
            [block.settings["indicator"]] if block.settings.get("indicator") else []
        )
        if chosen:
            return {"indicators": list(chosen), "periods": list(block.settings.get("periods", []))}
    authority = section.report.authority
    first = (
        Observation.objects.filter(authority=authority, value__isnull=False)
        .order_by("indicator__theme", "indicator__code")
        .values_list("indicator__code", flat=True)
        .first()
    )
    if first is None:
        return {"indicators": [], "periods": []}
    chosen = {"indicators": [first]}
    return {**chosen, "periods": latest_periods(authority, chosen, [])}


# ---------------------------------------------------------------------------------------
# Publishing and versions


def edit_stamp(report: Report) -> str:
    """What the author saw, carried by the publish form: a digest of the paper as it stands
    (its details, sections and blocks, as spec_of reads them)."""
    return _digest(spec_of(report))


def _digest(spec: dict[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def publish(report: Report, user, *, seen: str) -> Report:
    """Freeze the paper with the exact figures it uses now (Report.frozen) and mark it
    published. `seen` is the edit stamp of the page the author confirmed on: a paper
    changed since then, by anyone, is not published (StaleReport). A spec error
    (SpecError) publishes nothing. The paper is read, checked, frozen and marked under its
    row lock, so what is frozen is what its rows hold, and what the author reviewed."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.is_published:
        return locked
    rows = spec_of(locked)
    if seen != _digest(rows):
        raise StaleReport
    spec = parse_spec(rows)
    spec.slug, spec.version = locked.slug, locked.version
    spec.status = Report.Status.PUBLISHED
    locked.frozen = build_paper(spec)
    locked.status = Report.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = user
    locked.save()
    return locked


def draft_next_version(report: Report, user) -> Report:
    """A new draft from a published paper: the same details, sections and blocks (the
    author's commentary edits kept), version one more than the latest. Where a later
    draft already exists, that draft (also when two authors press the button at once: the
    second finds the first's draft, as the slug and version are unique together)."""
    try:
        return _draft_next_version(report, user)
    except IntegrityError:
        return _later_draft(report)


def _later_draft(report: Report) -> Report | None:
    return (
        Report.objects.filter(
            slug=report.slug, status=Report.Status.DRAFT, version__gt=report.version
        )
        .order_by("version")
        .first()
    )


@transaction.atomic
def _draft_next_version(report: Report, user) -> Report:
    existing = _later_draft(report)
    if existing is not None:
        return existing
    latest = Report.objects.filter(slug=report.slug).aggregate(v=Max("version"))["v"]
    sections = spec_of(report)["sections"]
    draft = Report.objects.get(pk=report.pk)
    draft.pk = None
    draft.version = latest + 1
    draft.status = Report.Status.DRAFT
    draft.previous = report
    draft.frozen = None
    draft.published_at = None
    draft.published_by = None
    draft.created_by = user
    draft.save()
    _add_sections(draft, sections)
    return draft


@dataclass(frozen=True)
class Change:
    where: str  # the table or indicator: "SCC/013ai Child protection ..."
    series: str  # the council or comparator, or the column
    period: str  # the period, or the row
    before: str
    after: str


def printed_figures(paper: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """Every figure a paper prints, keyed by (indicator or table, series or column, period
    or row): indicator blocks' figures as printed (their decimals and unit), and the
    cells of its other tables."""
    from reports.render import indicator_table

    figures: dict[tuple[str, str, str], str] = {}
    for section in paper["sections"]:
        for block in section["blocks"]:
            if block["type"] in (BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART):
                for info in block["indicators"]:
                    table = indicator_table(
                        {**block, "indicators": [info], "settings": {}}, paper["authority"]
                    )
                    title = table.groups[0].title
                    for label, cells in table.rows:
                        for name, cell in zip(table.groups[0].series, cells, strict=True):
                            figures[(title, name, label)] = cell.text
            elif "columns" in block and "rows" in block:
                columns = block["columns"]
                for row in block["rows"]:
                    for column, cell in zip(columns[1:], row[1:], strict=False):
                        figures[(block.get("caption", ""), str(column), str(row[0]))] = str(cell)
    return figures


def changed_figures(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The figures two versions of a paper print differently, added or dropped included
    (shown as "" on the side without them), in the order of the later version."""
    old, new = printed_figures(before), printed_figures(after)
    keys = list(new) + [k for k in old if k not in new]
    return [
        Change(*key, before=old.get(key, ""), after=new.get(key, ""))
        for key in keys
        if old.get(key, "") != new.get(key, "")
    ]
