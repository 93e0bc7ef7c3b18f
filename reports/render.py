"""Paper (reports.paper) → HTML: the same template for the builder's live preview, the
standalone HTML export (plotly.js inlined, charts interactive) and the PDF (charts as vector
SVG through kaleido). Each indicator block's frame records become a DataFrame again and go
through indicators.charts, as the dashboards' do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import markdown
import nh3
import pandas as pd
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from indicators import charts
from reports.models import BlockType
from reports.paper import records_frame

Mode = Literal["preview", "html", "pdf"]

# What Markdown from an author may produce: text, emphasis, lists, links, simple tables.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "code",
}  # fmt: skip


def markdown_html(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS))  # noqa: S308 - cleaned by nh3  # nosec B308 B703


@dataclass
class ColumnGroup:
    title: str
    series: list[str]


@dataclass
class IndicatorTable:
    caption: str
    groups: list[ColumnGroup]
    rows: list[tuple[str, list[charts.TableCell]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return 1 + sum(len(g.series) for g in self.groups)


def indicator_table(block: dict[str, Any], council: str) -> IndicatorTable:
    """Periods down; for each indicator the council's column then each comparator's. A
    comparator with no figure at all for an indicator (no Wales average of a count) is
    left out rather than shown as a column of dashes."""
    labels = [p["label"] for p in block["periods"]]
    groups, columns = [], []
    for info in block["indicators"]:
        frame = records_frame(block["frames"][info["code"]])
        scale = charts.Scale(info["decimals"], info["unit_label"])
        table = charts.trend_table(frame, scale, info["title"])
        if not labels:
            labels = [label for label, _cells in table.rows]
        cells = {label: dict(zip(table.series, row, strict=True)) for label, row in table.rows}
        drawn = frame[frame["value"].notna() | (frame["withheld"] != "")]
        series = [s for s in table.series if s == council or s in set(drawn["series"])]
        if council not in series:
            series.insert(0, council)
        title = f"{info['code']} {info['title']}" if info["official"] else info["title"]
        groups.append(ColumnGroup(title, series))
        columns.append((series, cells))
    result = IndicatorTable(
        caption=block["settings"].get("caption")
        or "; ".join(i["title"] for i in block["indicators"]),
        groups=groups,
        missing=block.get("missing_periods", []),
        sources=list(dict.fromkeys(i["source"] for i in block["indicators"] if i["source"])),
    )
    for label in labels:
        row = []
        for series, cells in columns:
            for name in series:
                row.append(cells.get(label, {}).get(name, charts.TableCell(_("no data"))))
        result.rows.append((label, row))
    return result


def chart_frame(block: dict[str, Any]) -> tuple[pd.DataFrame, charts.Scale]:
    """One frame for the block's chart: with several indicators each series is named by
    its indicator's code as well ("SCC/013ai: Wales average")."""
    parts = []
    several = len(block["indicators"]) > 1
    for info in block["indicators"]:
        frame = records_frame(block["frames"][info["code"]])
        if several:
            frame["series"] = info["code"] + ": " + frame["series"]
        parts.append(frame)
    first = block["indicators"][0]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame, charts.Scale(first["decimals"], first["unit_label"])


def chart_title(block: dict[str, Any], council: str) -> str:
    if block["settings"].get("title"):
        return block["settings"]["title"]
    indicators = block["indicators"]
    if len(indicators) == 1:
        return f"{indicators[0]['title']}: {council}"
    # Several indicators: their codes, or their titles when they have no official code.
    names = [i["code"] if i["official"] else i["title"] for i in indicators]
    return f"{', '.join(names[:-1])} and {names[-1]}: {council}"


def render_paper(paper: dict[str, Any], mode: Mode = "preview", *, svg=None) -> str:
    """The paper as HTML. `svg` turns a plotly figure dict into SVG text (the PDF's vector
    charts); other modes draw charts with plotly.js in the page."""
    council = paper["authority"]
    sections = []
    chart_number = 0
    for section in paper["sections"]:
        blocks = []
        for block in section["blocks"]:
            item: dict[str, Any] = {"type": block["type"], "data": block}
            if block["type"] == BlockType.INDICATOR_TABLE:
                item["table"] = indicator_table(block, council)
            elif block["type"] == BlockType.INDICATOR_CHART:
                chart_number += 1
                frame, scale = chart_frame(block)
                title = chart_title(block, council)
                item["chart_id"] = f"chart-{chart_number}"
                item["data_id"] = f"chart-{chart_number}-data"
                item["title"] = title
                item["table"] = charts.trend_table(frame, scale, title)
                item["styles"] = charts.series_styles(frame) if not frame.empty else []
                figure = charts.trend_figure(frame, scale, title) if not frame.empty else None
                item["figure"] = figure
                if mode == "pdf" and figure is not None and svg is not None:
                    # As an <img> of SVG: still vector, and tagged as a figure with its
                    # alternative text in the PDF (inline SVG loses the alt text).
                    item["svg_src"] = svg(figure)
            elif block["type"] == BlockType.COMMENTARY:
                item["html"] = markdown_html(block["text"])
            blocks.append(item)
        sections.append({**section, "html": markdown_html(section["text"]), "items": blocks})
    # The preview is a page of the app, under its Content Security Policy: it links its
    # stylesheet and scripts. The HTML export and the PDF stand alone, so they carry them inline.
    plotly_js = charts_js = ""
    styles = {}
    if mode != "preview":
        styles["screen"] = _static_text("reports/paper.css")
    if mode == "pdf":
        styles["print"] = _static_text("reports/paper-print.css")
    if mode == "html":
        from plotly.offline import get_plotlyjs

        plotly_js = mark_safe(get_plotlyjs())  # noqa: S308 - the package's own file  # nosec B308 B703
        charts_js = _static_text("reports/paper-charts.js")
    return render_to_string(
        "reports/paper.html",
        {
            "paper": paper,
            "sections": sections,
            "mode": mode,
            "plotly_js": plotly_js,
            "charts_js": charts_js,
            "styles": styles,
        },
    )


def _static_text(path: str) -> SafeString:
    """A stylesheet's or script's text, inlined so that the standalone HTML and the PDF need no
    server."""
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    if not found:
        return mark_safe("")  # nosec B308
    with open(found, encoding="utf-8") as f:
        return mark_safe(f.read())  # noqa: S308 - the app's own stylesheet  # nosec B308 B703
