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
from typing import Any

import pandas as pd
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.models import AuditedCase, CaseAudit, Recommendation
from indicators import frames
from indicators.models import Indicator, Observation, PeriodKind
from reports import commentary
from reports.models import BlockType
from reports.spec import BlockSpec, PaperSpec
from workforce import derive as workforce_derive
from workforce.models import PostCost, WorkforceSnapshot

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
        data.update(_post_costs(spec))
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
    kind = block.periods[0].kind if block.periods else PeriodKind.YEAR
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


def _period_label(spec) -> str:
    from indicators.codes import period_label

    return period_label(spec.kind, spec.code, spec.start, spec.end)


def _rank(spec: PaperSpec, indicator: Indicator, frame: pd.DataFrame) -> dict | None:
    from indicators.models import Period

    code = frames.latest_period(frame, spec.authority)
    if code is None:
        return None
    period = Period.objects.filter(code=code).first()
    if period is None:
        return None
    councils = frames.councils_frame(indicator, period, spec.authority.nation)
    own = councils.loc[councils["slug"] == spec.authority.slug, "rank"]
    if own.empty or pd.isna(own.iloc[0]) or len(councils) < 2:
        return None
    return {
        "position": int(own.iloc[0]),
        "of": int(councils["rank"].notna().sum()),
        "period": period.label,
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


def _money(amount: Decimal) -> str:
    return f"£{amount:,.0f}"


def _workforce(spec: PaperSpec, as_at: str | None) -> dict:
    snapshots = WorkforceSnapshot.objects.filter(authority=spec.authority).select_related(
        "team", "role"
    )
    if as_at:
        snapshots = snapshots.filter(as_at=as_at)
    else:
        last = snapshots.order_by("-as_at").values_list("as_at", flat=True).first()
        snapshots = snapshots.filter(as_at=last) if last else snapshots.none()
    rows = []
    date = None
    for s in snapshots.order_by("team__name", "role__name"):
        date = s.as_at
        rate = workforce_derive.vacancy_rate(s.establishment_fte, s.filled_fte)
        rows.append(
            [
                s.team.name if s.team else _("Whole service"),
                s.role.name,
                _fte(s.establishment_fte),
                _fte(s.filled_fte),
                _fte(s.vacancies_fte),
                "" if rate is None else f"{rate}%",
                _fte(s.agency_fte),
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
    if amount is None:
        return ""
    return f"{amount.normalize():f}"


def _post_costs(spec: PaperSpec) -> dict:
    posts = list(
        PostCost.objects.filter(authority=spec.authority)
        .select_related("role")
        .order_by("-financial_year", "salary")
    )
    if posts:
        year = posts[0].financial_year
        posts = [p for p in posts if p.financial_year == year]
    rows = [
        [
            p.post_title,
            p.grade,
            _money(p.salary),
            _money(p.employer_ni),
            _money(p.superannuation),
            _money(workforce_derive.total_cost(p)),
        ]
        for p in posts
    ]
    variance = None
    if len(posts) == 2:
        variance = _money(workforce_derive.cost_variance(posts[0], posts[1]))
    return {
        "caption": _("Yearly cost of a post"),
        "columns": [_("Post title"), _("Grade"), _("Salary"), _("NI"), _("Super"), _("Total")],
        "rows": rows,
        "variance": variance,
    }


def _audits(spec: PaperSpec, *, recommendations: bool) -> dict:
    audits = list(
        CaseAudit.objects.filter(authority=spec.authority).order_by("-audit_date", "title")
    )
    if recommendations:
        today = timezone.localdate()
        rows = []
        for rec in Recommendation.objects.filter(audit__in=audits).select_related("audit"):
            overdue = (
                rec.status != Recommendation.Status.DONE and rec.due_date and rec.due_date < today
            )
            rows.append(
                [
                    str(rec.number),
                    rec.action,
                    rec.owner,
                    rec.due_date.strftime("%d/%m/%Y") if rec.due_date else "",
                    str(rec.get_status_display()) + (f" ({_('overdue')})" if overdue else ""),
                ]
            )
        return {
            "caption": _("Recommendations and their progress"),
            "columns": [_("No."), _("Action"), _("Owner"), _("Due"), _("Status")],
            "rows": rows,
        }
    counts: dict[int, dict[str, int]] = {}
    for audit_id, grade in AuditedCase.objects.filter(audit__in=audits).values_list(
        "audit_id", "grade"
    ):
        key = grade or "not graded"
        counts.setdefault(audit_id, {})
        counts[audit_id][key] = counts[audit_id].get(key, 0) + 1
    grades = sorted({g for c in counts.values() for g in c})
    return {
        "caption": _("Case audits: cases by grade"),
        "columns": [_("Audit"), *[g.replace("_", " ").capitalize() for g in grades], _("Cases")],
        "rows": [
            [
                a.title,
                *[str(counts.get(a.pk, {}).get(g, 0)) for g in grades],
                str(sum(counts.get(a.pk, {}).values())),
            ]
            for a in audits
        ],
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
        current = [d for d in dates if dates and d > _year_before(dates[-1])]
    rows = []
    for day in current:
        last = by_date.get(_year_before(day))
        now = by_date[day]
        variance = None if now is None or last is None else now - last
        rows.append(
            [
                day.strftime("%d/%m/%Y"),
                _count(now),
                _count(last),
                "" if variance is None else f"{variance:+,.0f}".replace("+", ""),
            ]
        )
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
