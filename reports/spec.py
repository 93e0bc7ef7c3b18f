"""A paper's specification: what `build_report SPEC.json` reads (CONTRACT.md, "Reports") and
what a saved Report turns into, checked before anything is drawn.

    {"title": ..., "committee": ..., "meeting_date": "2015-06-29",
     "authority": "Rhondda Cynon Taf", "comparators": ["Wales average"],
     "agenda_item": "7", "report_of": ..., "author": ..., "contact": ...,
     "sections": [{"heading": "Purpose", "text": "Markdown", "blocks": [
         {"type": "indicator_table", "indicators": ["SCC/013ai"], "periods": ["2014-15"]},
         {"type": "commentary", "indicator": "SCC/013ai", "text": "an author's edit"}]}]}

Every unknown name (council, comparator, indicator, block type) and every malformed period
is an error naming where it is (`sections[2].blocks[0]: unknown indicator "SCC/999"`), all
of them at once, so nothing is drawn from a spec that is partly wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

from indicators import codes, frames
from indicators.models import Authority, Comparator, Indicator
from reports.models import BlockType, Report

# Where a block lists periods and indicators, and which block types draw indicators.
INDICATOR_BLOCKS = {BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART}


class SpecError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class BlockSpec:
    kind: str
    indicators: list[Indicator] = field(default_factory=list)
    periods: list[codes.PeriodSpec] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # a commentary's edited text; "" uses the generated one
    edited: bool = False


@dataclass
class SectionSpec:
    heading: str
    text: str = ""
    blocks: list[BlockSpec] = field(default_factory=list)


@dataclass
class PaperSpec:
    title: str
    committee: str
    authority: Authority
    comparators: list[str]  # slugs relative to the council (indicators.frames.SLUGS)
    meeting_date: dt.date | None = None
    agenda_item: str = ""
    report_of: str = ""
    author: str = ""
    contact: str = ""
    sections: list[SectionSpec] = field(default_factory=list)
    slug: str = ""
    version: int = 1
    status: str = Report.Status.DRAFT


def parse_spec(data: Any) -> PaperSpec:
    """A spec (decoded JSON) → PaperSpec, or SpecError listing every problem."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise SpecError(["the spec must be a JSON object with title, committee and authority"])
    known = {
        "title", "committee", "meeting_date", "authority", "comparators", "sections",
        "agenda_item", "report_of", "author", "contact", "slug",
    }  # fmt: skip
    for key in data:
        if key not in known:
            errors.append(f'unknown key "{key}" (expected {", ".join(sorted(known))})')
    title = _text(data, "title", "", errors, required=True)
    committee = _text(data, "committee", "", errors, required=True)
    authority = None
    name = _text(data, "authority", "", errors, required=True)
    if name:
        authority = find_authority(name)
        if authority is None:
            errors.append(f'authority: unknown council "{name}"')
    meeting_date = None
    if data.get("meeting_date"):
        try:
            meeting_date = dt.date.fromisoformat(str(data["meeting_date"]))
        except ValueError:
            errors.append(f'meeting_date: "{data["meeting_date"]}" is not a date like 2015-06-29')
    comparators: list[str] = []
    if authority is not None:
        comparators = comparator_slugs(authority, data.get("comparators", []), errors)
    sections = []
    raw_sections = data.get("sections", [])
    if not isinstance(raw_sections, list):
        errors.append("sections: expected a list of sections")
        raw_sections = []
    for i, raw in enumerate(raw_sections):
        sections.append(_section(raw, f"sections[{i}]", errors))
    if errors:
        raise SpecError(errors)
    assert authority is not None
    return PaperSpec(
        title=title,
        committee=committee,
        authority=authority,
        comparators=comparators,
        meeting_date=meeting_date,
        agenda_item=str(data.get("agenda_item", "")),
        report_of=str(data.get("report_of", "")),
        author=str(data.get("author", "")),
        contact=str(data.get("contact", "")),
        sections=sections,
        slug=str(data.get("slug", "")) or slugify(title)[:80],
    )


def find_authority(name: str) -> Authority | None:
    return Authority.objects.matching(name)


def comparator_slugs(authority: Authority, names: Any, errors: list[str]) -> list[str]:
    """Comparators by slug (`wales-average`, `sn-median`, `target`) or by name (`Wales
    average`, `Halton statistical neighbours (median)`), as slugs relative to the council."""
    if not isinstance(names, list):
        errors.append("comparators: expected a list of comparator names")
        return []
    options = frames.comparator_options(authority)
    by_name = {codes.normalise_name(o.label): o.slug for o in options}
    slugs = []
    for name in names:
        text = str(name)
        if text in frames.SLUGS and (text == frames.TARGET or any(o.slug == text for o in options)):
            slugs.append(text)
        elif codes.normalise_name(text) in by_name:
            slugs.append(by_name[codes.normalise_name(text)])
        elif codes.normalise_name(text) == "target":
            slugs.append(frames.TARGET)
        else:
            stored = Comparator.objects.filter(name_key=codes.normalise_name(text)).exists()
            errors.append(
                f'comparators: "{text}" is not a comparator of {authority.name}'
                if stored
                else f'comparators: unknown comparator "{text}"'
            )
    return list(dict.fromkeys(slugs))


def _text(data: dict, key: str, default: str, errors: list[str], *, required=False) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        errors.append(f"{key}: expected text")
        return default
    if required and not value.strip():
        errors.append(f"{key}: required")
    return value.strip()


def _section(raw: Any, where: str, errors: list[str]) -> SectionSpec:
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected an object with a heading")
        return SectionSpec(heading="")
    heading = _text(raw, "heading", "", [], required=False)
    if not heading:
        errors.append(f"{where}.heading: required")
    text = raw.get("text", "")
    if not isinstance(text, str):
        errors.append(f"{where}.text: expected text")
        text = ""
    blocks = []
    raw_blocks = raw.get("blocks", [])
    if not isinstance(raw_blocks, list):
        errors.append(f"{where}.blocks: expected a list of blocks")
        raw_blocks = []
    for j, block in enumerate(raw_blocks):
        parsed = _block(block, f"{where}.blocks[{j}]", errors)
        if parsed is not None:
            blocks.append(parsed)
    return SectionSpec(heading=heading, text=text, blocks=blocks)


def _block(raw: Any, where: str, errors: list[str]) -> BlockSpec | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected an object with a type")
        return None
    kind = str(raw.get("type", ""))
    if kind not in BlockType.values:
        errors.append(
            f'{where}: unknown block type "{kind}" (expected one of {", ".join(BlockType.values)})'
        )
        return None
    block = BlockSpec(kind=kind)
    wanted = raw.get("indicators", []) or []
    if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
        errors.append(f"{where}.indicators: expected a list of indicator codes")
        wanted = []
    if isinstance(raw.get("indicator"), str) and raw["indicator"]:
        wanted = [raw["indicator"], *wanted]
    for code in dict.fromkeys(wanted):
        indicator = find_indicator(code)
        if indicator is None:
            errors.append(f'{where}: unknown indicator "{code}"')
        else:
            block.indicators.append(indicator)
    if kind in INDICATOR_BLOCKS | {BlockType.COMMENTARY} and not wanted:
        errors.append(f"{where}: a {kind} block needs at least one indicator")
    periods = raw.get("periods", []) or []
    if not isinstance(periods, list):
        errors.append(f"{where}.periods: expected a list of periods like 2014-15")
        periods = []
    for text in periods:
        try:
            block.periods.append(codes.parse_period(str(text)))
        except codes.PeriodError as exc:
            errors.append(f'{where}.periods: "{text}": {exc}')
    if len({p.kind for p in block.periods}) > 1:
        errors.append(f"{where}.periods: mix years, quarters and dates in separate blocks")
    if kind == BlockType.FREE_TABLE:
        _free_table(raw, where, errors)
    if raw.get("as_at"):
        try:
            dt.date.fromisoformat(str(raw["as_at"]))
        except ValueError:
            errors.append(f'{where}.as_at: "{raw["as_at"]}" is not a date like 2015-03-31')
    block.settings = {
        key: value
        for key, value in raw.items()
        if key not in ("type", "indicators", "indicator", "periods", "text", "edited")
    }
    text = raw.get("text", "")
    block.text = text if isinstance(text, str) else ""
    block.edited = bool(raw.get("edited", bool(block.text)))
    return block


def _free_table(raw: dict, where: str, errors: list[str]) -> None:
    columns, rows = raw.get("columns"), raw.get("rows")
    if not isinstance(columns, list) or not columns:
        errors.append(f"{where}.columns: a free table needs a list of column headings")
        return
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        errors.append(f"{where}.rows: expected a list of rows, each a list of cells")
        return
    for k, row in enumerate(rows):
        if len(row) != len(columns):
            errors.append(f"{where}.rows[{k}]: {len(row)} cells for {len(columns)} columns")


def find_indicator(code: str) -> Indicator | None:
    if "\x00" in code:  # no code holds a NUL, and PostgreSQL refuses one in a query
        return None
    normalised = codes.normalise_indicator_code(code)
    return (
        Indicator.objects.filter(normalised_code=normalised).first()
        or Indicator.objects.filter(slug=code.strip().lower()).first()
    )


def spec_of(report: Report) -> dict[str, Any]:
    """A saved report as a spec (the same shape build_report reads)."""
    return {
        "slug": report.slug,
        "title": report.title,
        "committee": report.committee,
        "meeting_date": report.meeting_date.isoformat() if report.meeting_date else "",
        "authority": report.authority.name,
        "comparators": list(report.comparators),
        "agenda_item": report.agenda_item,
        "report_of": report.report_of,
        "author": report.author_name,
        "contact": report.contact,
        "sections": [
            {
                "heading": section.heading,
                "text": section.text,
                "blocks": [
                    {
                        "type": block.kind,
                        **block.settings,
                        "text": block.text,
                        "edited": block.edited,
                    }
                    for block in section.blocks.all()
                ],
            }
            for section in report.sections.prefetch_related("blocks")
        ],
    }
