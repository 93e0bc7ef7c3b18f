"""PaperSpec → Paper: every figure a committee paper shows, gathered once into plain data.

The Paper is what the HTML and PDF are drawn from, and what publishing stores
(`Report.frozen`): a published paper is drawn from its stored Paper, never from the live
figures, so a later correction cannot change it and exporting it again gives the same
numbers. Indicator blocks keep the tidy frames of `indicators.frames` as records, so the
table, the chart and the commentary come from one path (frame → table, figure, text).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import partial
from typing import Any

import pandas as pd
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits import derive as audits_derive
from audits.dashboard import audit_figures
from audits.models import Recommendation
from indicators import codes, derive, frames
from indicators.models import Indicator, Observation, PeriodKind
from reports import commentary
from reports.models import BlockType
from reports.spec import BlockSpec, PaperSpec
from workforce import derive as workforce_derive
from workforce.frames import counted_snapshots, fte_text, post_costs
from workforce.models import WorkforceSnapshot

PAPER_FORMAT = 1  # bump when the shape below changes; old frozen papers say which they are
CP_REGISTER = "children_on_cp_register"


def build_paper(spec: PaperSpec, *, include_provisional: bool = True) -> dict[str, Any]:
    """Gather the paper's figures. Provisional figures are included and marked (an author
    writes before the quarter is approved); the paper says which they are."""
    authority = spec.authority
    options = {o.slug: o for o in frames.comparator_options(authority, any_target=True)}
    paper: dict[str, Any] = {
        "format": PAPER_FORMAT,
        "slug": spec.slug,
        "version": spec.version,
        "status": spec.status,
        "title": spec.title,
        "committee": spec.committee,
        "meeting_date": spec.meeting_date.isoformat() if spec.meeting_date else "",
        "meeting_date_label": date_format(spec.meeting_date, "j F Y") if spec.meeting_date else "",
        "agenda_item": spec.agenda_item,
        "report_of": spec.report_of,
        "author": spec.author,
        "contact": spec.contact,
        "authority": authority.name,
        "authority_slug": authority.slug,
        "nation": authority.nation,
        "comparators": [
            {
                "slug": slug,
                "label": options[slug].label if slug in options else str(frames.TARGET_LABEL),
            }
            for slug in spec.comparators
        ],
        "built_at": timezone.now().isoformat(timespec="seconds"),
        "sections": [],
    }
    for number, section in enumerate(spec.sections, start=1):
        paper["sections"].append(
            {
                "number": number,
                "heading": section.heading,
                "text": section.text,
                "blocks": [_block(block, spec, include_provisional) for block in section.blocks],
            }
        )
    return paper


def build_block(
    spec: PaperSpec, section: int, block: int, *, include_provisional: bool = True
) -> dict[str, Any]:
    """One block of the paper, drawn as build_paper draws it (the builder's commentary box
    needs one block's generated text, not the whole paper)."""
    return _block(spec.sections[section].blocks[block], spec, include_provisional)


def _block(block: BlockSpec, spec: PaperSpec, include_provisional: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"type": block.kind, "settings": block.settings}
    if block.kind in (BlockType.INDICATOR_TABLE, BlockType.INDICATOR_CHART, BlockType.COMMENTARY):
        data.update(_indicator_data(block, spec, include_provisional))
    if block.kind == BlockType.COMMENTARY:
        generated = commentary.generate(data, spec.authority.name)
        data["generated"] = generated
        data["edited"] = bool(block.edited and block.text)
        data["text"] = block.text if data["edited"] else generated
    elif block.kind == BlockType.WORKFORCE_TABLE:
        data.update(_workforce(spec, block.settings.get("as_at")))
    elif block.kind == BlockType.POST_COST_TABLE:
        data.update(_post_costs(spec, include_provisional))
    elif block.kind == BlockType.AUDIT_SUMMARY:
        data.update(_audits(spec, recommendations=False))
    elif block.kind == BlockType.RECOMMENDATIONS:
        data.update(_audits(spec, recommendations=True))
    elif block.kind == BlockType.CP_REGISTER:
        data.update(_cp_register(block, spec, include_provisional))
    elif block.kind == BlockType.FREE_TABLE:
        data.update(
            caption=str(block.settings.get("caption", "")),
            columns=[str(c) for c in block.settings["columns"]],
            rows=[[str(c) for c in row] for row in block.settings["rows"]],
        )
    return data


def indicator_info(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "official": indicator.official,
        "slug": indicator.slug,
        "title": indicator.title,
        "unit": indicator.unit,
        "unit_label": str(indicator.get_unit_display()),
        "decimals": indicator.decimals,
        "polarity": indicator.polarity,
        "polarity_label": str(indicator.get_polarity_display()),
        "source": indicator.source,
    }


def _indicator_data(block: BlockSpec, spec: PaperSpec, include_provisional: bool) -> dict:
    kind = block.periods[0].kind if block.periods else _kind_shown(block, spec, include_provisional)
    wanted = [p.code for p in block.periods]
    indicators, frames_by_code, ranks = [], {}, {}
    for indicator in block.indicators:
        frame = frames.indicator_frame(
            spec.authority,
            indicator,
            spec.comparators,
            include_provisional=include_provisional,
            period_kind=kind,
        )
        if wanted and not frame.empty:
            frame = frame[frame["period"].isin(wanted)]
        indicators.append(indicator_info(indicator))
        frames_by_code[indicator.code] = frame_records(frame)
        if block.kind == BlockType.COMMENTARY:
            ranks[indicator.code] = _rank(spec, indicator, frame)
    shown = {r["period"] for records in frames_by_code.values() for r in records}
    labels = {p.code: _period_label(p) for p in block.periods}
    return {
        "indicators": indicators,
        "frames": frames_by_code,
        "periods": [{"code": c, "label": labels[c]} for c in wanted],
        "missing_periods": [labels[c] for c in wanted if c not in shown],
        "ranks": ranks,
    }


def _kind_shown(block: BlockSpec, spec: PaperSpec, include_provisional: bool) -> str:
    """With no periods chosen, every period of the kind the council has figures of the
    first indicator for: years where it has them, else quarters, months or dates."""
    if not block.indicators:
        return PeriodKind.YEAR
    kinds = frames.period_kinds(
        spec.authority, block.indicators[0], include_provisional=include_provisional
    )
    return kinds[0] if kinds else PeriodKind.YEAR


def _period_label(spec: codes.PeriodSpec) -> str:
    return codes.period_label(spec.kind, spec.code, spec.start, spec.end)


def _rank(spec: PaperSpec, indicator: Indicator, frame: pd.DataFrame) -> dict | None:
    found = frames.standing(spec.authority, indicator, frame)
    if found is None or found.rank is None:
        return None
    return {
        "position": found.rank,
        "of": found.ranked,
        "period": found.period.label,
        "nation": str(spec.authority.get_nation_display()),
    }


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A tidy frame as JSON-able records: dates as ISO text, NaN as None."""
    records = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif isinstance(value, (dt.date, pd.Timestamp)):
                value = value.isoformat()
            clean[key] = value
        records.append(clean)
    return records


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Records (as frame_records gives, or as stored in a published paper) → tidy frame."""
    frame = pd.DataFrame(records, columns=frames.COLUMNS)
    for column in ("value", "numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    for column in ("withheld", "withheld_reason", "status", "source"):
        frame[column] = frame[column].fillna("")
    return frame


def _workforce(spec: PaperSpec, as_at: str | None) -> dict:
    """The staffing rows at a date (the latest unless given), counted as the workforce
    dashboard counts them: a role's whole-service row rather than its teams' where it has
    one, vacancies as reported before establishment less filled."""
    snapshots = WorkforceSnapshot.objects.filter(authority=spec.authority).select_related(
        "team", "role"
    )
    date = (
        dt.date.fromisoformat(str(as_at))
        if as_at
        else snapshots.order_by("-as_at").values_list("as_at", flat=True).first()
    )
    rows = []
    for s in counted_snapshots(snapshots.filter(as_at=date).order_by("team__name", "role__name")):
        vacant = workforce_derive.reported_vacancies(
            s.establishment_fte, s.filled_fte, s.vacancies_fte
        )
        rate = workforce_derive.vacancy_rate(s.establishment_fte, s.filled_fte, vacant=vacant)
        rows.append(
            [
                s.team.name if s.team else _("Whole service"),
                s.role.name,
                *(_fte(a) for a in (s.establishment_fte, s.filled_fte, vacant)),
                "" if rate is None else f"{rate}%",
                _fte(
                    workforce_derive.agency_fte(
                        s.agency_fte, s.filled_fte, agency_role=s.role.agency
                    )
                ),
            ]
        )
    return {
        "caption": _("Staffing at %(date)s") % {"date": date.strftime("%d/%m/%Y")}
        if date
        else _("Staffing"),
        "columns": [
            _("Team"),
            _("Role"),
            _("Posts (FTE)"),
            _("Filled"),
            _("Vacancies"),
            _("Vacancy rate"),
            _("Agency"),
        ],
        "rows": rows,
    }


def _fte(amount: Decimal | None) -> str:
    return "" if amount is None else fte_text(amount)


def _post_costs(spec: PaperSpec, include_provisional: bool) -> dict:
    """The newest year's post costs and the cost of converting its unqualified post, as the
    workforce dashboard computes it, with the paper's printed figure where one was stored."""
    lines, conversions, _unmatched = post_costs(
        spec.authority, include_provisional=include_provisional
    )
    year = max((line.post.financial_year for line in lines), default=None)
    lines = [line for line in lines if line.post.financial_year == year]
    money = partial(derive.as_printed, unit="gbp", decimals=0)
    variances = []
    for conversion in conversions:
        if conversion.current.post.financial_year != year:
            continue
        text = _("Converting %(current)s to %(proposed)s: %(variance)s") % {
            "current": conversion.current.post.post_title,
            "proposed": conversion.proposed.post.post_title,
            "variance": money(conversion.variance),
        }
        if conversion.printed_differs:
            text += " " + _("(the paper printed %(printed)s)") % {
                "printed": money(conversion.printed.value)  # type: ignore[union-attr]
            }
        variances.append(text)
    return {
        "caption": _("Yearly cost of a post"),
        "columns": [_("Post title"), _("Grade"), _("Salary"), _("NI"), _("Super"), _("Total")],
        "rows": [
            [
                line.post.post_title,
                line.post.grade,
                *(
                    money(a)
                    for a in (line.post.salary, line.post.employer_ni, line.post.superannuation)
                ),
                money(line.total),
            ]
            for line in lines
        ],
        "notes": variances,
    }


# The recommendations block's column holding each action: audit free text, which the
# council's staff alone may read (without_audit_text).
ACTION_COLUMN = 1


def holds_audit_text(paper: dict[str, Any]) -> bool:
    """Whether the paper prints audit free text: a recommendations block with rows."""
    return any(
        block["type"] == BlockType.RECOMMENDATIONS and block.get("rows")
        for section in paper["sections"]
        for block in section["blocks"]
    )


def without_audit_text(paper: dict[str, Any]) -> dict[str, Any]:
    """A copy of the paper with the recommendations' actions left out (number, owner, due
    date and status stay) and a note saying why: what a reader who may not read the
    council's audit findings sees. The paper given (perhaps a published paper's frozen
    figures) is not changed."""
    sections = []
    for section in paper["sections"]:
        blocks = []
        for block in section["blocks"]:
            if block["type"] == BlockType.RECOMMENDATIONS and block.get("rows"):
                keep = [i for i in range(len(block["columns"])) if i != ACTION_COLUMN]
                block = {
                    **block,
                    "columns": [block["columns"][i] for i in keep],
                    "rows": [[row[i] for i in keep] for row in block["rows"]],
                    "notes": [
                        *block.get("notes", []),
                        _(
                            "The recommendations' wording is shown only to %(council)s's "
                            "officers, approvers and authors."
                        )
                        % {"council": paper["authority"]},
                    ],
                }
            blocks.append(block)
        sections.append({**section, "blocks": blocks})
    return {**paper, "sections": sections}


def _audits(spec: PaperSpec, *, recommendations: bool) -> dict:
    """Grades per audit as the audit dashboard counts them; or the recommendations with
    their progress, overdue at the day the paper is built. The actions are audit free text:
    the views and packs pass the paper through without_audit_text for those who may not
    read them."""
    today = timezone.localdate()
    if recommendations:
        rows = []
        for rec in Recommendation.objects.filter(audit__authority=spec.authority).select_related(
            "audit"
        ):
            state = audits_derive.recommendation_state(rec.status, rec.due_date, today)
            status = str(rec.get_status_display())
            if state == audits_derive.RecommendationState.OVERDUE:
                status += f" ({_('overdue')})"
            rows.append(
                [
                    str(rec.number),
                    rec.action,  # ACTION_COLUMN
                    rec.owner,
                    rec.due_date.strftime("%d/%m/%Y") if rec.due_date else "",
                    status,
                ]
            )
        return {
            "caption": _("Recommendations and their progress"),
            "columns": [_("No."), _("Action"), _("Owner"), _("Due"), _("Status")],
            "rows": rows,
        }
    audits = audit_figures(spec.authority, today)
    shown = [o for o in audits_derive.CaseOutcome if any(a.outcomes[o] for a in audits)]
    return {
        "caption": _("Case audits: cases by grade"),
        "columns": [
            _("Audit"),
            *(str(audits_derive.OUTCOME_LABELS[o]) for o in shown),
            _("Cases"),
        ],
        "rows": [[a.title, *(str(a.outcomes[o]) for o in shown), str(a.cases)] for a in audits],
    }


def _cp_register(block: BlockSpec, spec: PaperSpec, include_provisional: bool) -> dict:
    """Children on the register at each date of the year, beside the same date a year
    earlier, and the difference (seed 000, appendix 2)."""
    code = block.indicators[0].code if block.indicators else CP_REGISTER
    observations = Observation.objects.filter(
        authority=spec.authority, indicator__code=code, period__kind=PeriodKind.AS_AT
    ).select_related("period")
    if not include_provisional:
        observations = observations.published()
    by_date = {o.period.end_date: o.value for o in observations}
    dates = sorted(by_date)
    if block.periods:
        year = block.periods[0]
        current = [d for d in dates if year.start <= d <= year.end]
    else:
        current = [d for d in dates if d > _year_before(dates[-1])] if dates else []
    rows = []
    for day in current:
        now, last = by_date[day], by_date.get(_year_before(day))
        difference = "" if now is None or last is None else f"{now - last:,.0f}"
        rows.append([day.strftime("%d/%m/%Y"), _count(now), _count(last), difference])
    return {
        "caption": _("Children on the child protection register: this year against last"),
        "columns": [_("Date"), _("This year"), _("A year earlier"), _("Difference")],
        "rows": rows,
    }


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _count(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.0f}"
