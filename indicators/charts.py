"""DataFrame → table, figure and download. Each takes the tidy frame of `indicators.frames`,
so the chart, its table (the chart's text alternative) and the CSV show the same figures.

Comparator lines differ in dash and marker as well as colour; a withheld figure is a gap in
the line with a note, and a cell reading "withheld" with its reason in the table, never 0.
"""

from __future__ import annotations

import functools
import json
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import derive
from indicators.exporting import Cell, Figure, Row
from indicators.frames import display_value
from indicators.models import Indicator, Observation

# GOV.UK colours; a dash and a marker of its own tell each series apart without colour.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#0b0c0c")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star")
DASH_WORDS = {
    "solid": gettext_lazy("solid line"),
    "dash": gettext_lazy("dashed line"),
    "dot": gettext_lazy("dotted line"),
    "dashdot": gettext_lazy("dash-dot line"),
    "longdash": gettext_lazy("long-dashed line"),
    "longdashdot": gettext_lazy("long-dash-dot line"),
}
MARKER_WORDS = {
    "circle": gettext_lazy("circles"),
    "square": gettext_lazy("squares"),
    "diamond": gettext_lazy("diamonds"),
    "triangle-up": gettext_lazy("triangles"),
    "x": gettext_lazy("crosses"),
    "star": gettext_lazy("stars"),
}


@dataclass(frozen=True)
class Scale:
    """How a series' figures print: decimals and the unit's words. An indicator gives both;
    a dashboard figure that is not a stored indicator (a vacancy rate worked out from
    snapshots) gives its own."""

    decimals: int
    unit_label: str

    @classmethod
    def of(cls, indicator: Indicator) -> Scale:
        return cls(indicator.decimals, str(indicator.get_unit_display()))


@dataclass(frozen=True)
class TableCell:
    text: str
    withheld_reason: str = ""
    provisional: bool = False

    @property
    def withheld(self) -> bool:
        return bool(self.withheld_reason)


@dataclass
class TrendTable:
    caption: str
    series: list[str]
    rows: list[tuple[str, list[TableCell]]] = field(default_factory=list)
    unit: str = ""

    @property
    def has_withheld(self) -> bool:
        return any(cell.withheld for _label, cells in self.rows for cell in cells)


def _series_order(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["series"]))


def _period_order(frame: pd.DataFrame) -> list[str]:
    ordered = frame.drop_duplicates("period_label").sort_values("period_end", kind="stable")
    return list(ordered["period_label"])


def _cell(row, decimals: int) -> TableCell:
    if row.withheld:
        return TableCell(_("withheld"), withheld_reason=row.withheld_reason)
    text = display_value(row.value, decimals)
    if not text:
        return TableCell(_("no figure"))
    return TableCell(text, provisional=row.status == Observation.Status.PROVISIONAL)


def trend_table(frame: pd.DataFrame, scale: Scale, caption: str) -> TrendTable:
    """Periods down, series across."""
    table = TrendTable(caption=caption, series=_series_order(frame), unit=scale.unit_label)
    cells = {
        (row.series, row.period_label): _cell(row, scale.decimals)
        for row in frame.itertuples(index=False)
    }
    for label in _period_order(frame):
        table.rows.append(
            (label, [cells.get((name, label), TableCell("–")) for name in table.series])
        )
    return table


TEMPLATE = "simple_white"


@functools.cache
def _template_json() -> str:
    import plotly.graph_objects as go

    figure = json.loads(go.Figure(layout={"template": TEMPLATE}).to_json())
    return json.dumps(figure["layout"]["template"])


def _with_template(figure) -> dict:
    """The figure as JSON-ready data, with the plotly template every chart shares. Giving
    the template to the figure makes plotly validate its hundreds of properties again for
    each chart (about 80 ms); it is resolved once and attached instead, the same data."""
    data = json.loads(figure.to_json())
    data["layout"]["template"] = json.loads(_template_json())
    return data


def trend_figure(frame: pd.DataFrame, scale: Scale, title: str, *, x_title: str = "") -> dict:
    """A plotly figure (as JSON-ready data) with one line per series over the periods;
    `x_title` names the axis when its points are not periods ("Date")."""
    import plotly.graph_objects as go

    periods = _period_order(frame)
    figure = go.Figure()
    withheld_notes = []
    for index, name in enumerate(_series_order(frame)):
        series = frame[frame["series"] == name]
        dash, marker = DASHES[index % len(DASHES)], MARKERS[index % len(MARKERS)]
        values = [None if pd.isna(v) else round(float(v), scale.decimals) for v in series["value"]]
        provisional = [status == Observation.Status.PROVISIONAL for status in series["status"]]
        hover = [_("provisional") if is_provisional else "" for is_provisional in provisional]
        figure.add_trace(
            go.Scatter(
                x=list(series["period_label"]),
                y=values,
                name=name,
                mode="lines+markers",
                connectgaps=False,
                line={"dash": dash, "color": COLOURS[index % len(COLOURS)], "width": 3},
                marker={
                    "symbol": [marker + ("-open" if p else "") for p in provisional],
                    "size": 10,
                },
                customdata=hover,
                hovertemplate="%{x}: %{y}" + " %{customdata}<extra>" + name + "</extra>",
            )
        )
        for row in series.itertuples(index=False):
            if row.withheld:
                withheld_notes.append(f"{name} {row.period_label}: {row.withheld_reason.lower()}")
    annotations = []
    if withheld_notes:
        annotations.append(
            {
                "text": _("Gaps are withheld figures: %(list)s")
                % {"list": "; ".join(withheld_notes)},
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.32,
                "yanchor": "top",
                "showarrow": False,
                "align": "left",
                "font": {"size": 12},
            }
        )
    figure.update_layout(
        title={"text": title},
        xaxis={
            "title": {"text": x_title or _("Period")},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": periods,
        },
        yaxis={"title": {"text": scale.unit_label}, "rangemode": "tozero"},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 60, "r": 20, "t": 110, "b": 130 if annotations else 70},
        annotations=annotations,
        font={"family": "Arial, sans-serif"},
    )
    return _with_template(figure)


# Bars differ in fill pattern as well as colour, and carry their value as text.
PATTERNS = ("", "/", "x", ".", "\\", "+")
PATTERN_WORDS = {
    "": gettext_lazy("solid bars"),
    "/": gettext_lazy("bars hatched with diagonal lines"),
    "x": gettext_lazy("cross-hatched bars"),
    ".": gettext_lazy("dotted bars"),
    "\\": gettext_lazy("bars hatched with back-diagonal lines"),
    "+": gettext_lazy("bars with a grid"),
}
# Category labels longer than this are broken over lines under the axis.
TICK_WIDTH = 30


def bar_figure(frame: pd.DataFrame, scale: Scale, title: str, *, category_title: str = "") -> dict:
    """A plotly figure of grouped bars: a group per period (or whatever the frame's period
    columns name: an audit, on the audit dashboard) and a bar per series. Each series has a
    fill pattern of its own and each bar its value written above it, so that bars are told
    apart without colour; the legend shows the patterns. A figure without a value has no
    bar (the table beside the chart says why)."""
    import plotly.graph_objects as go

    periods = _period_order(frame)
    figure = go.Figure()
    for index, name in enumerate(_series_order(frame)):
        series = frame[frame["series"] == name]
        values = [None if pd.isna(v) else round(float(v), scale.decimals) for v in series["value"]]
        figure.add_trace(
            go.Bar(
                x=list(series["period_label"]),
                y=values,
                name=name,
                text=["" if v is None else f"{v:.{scale.decimals}f}" for v in values],
                textposition="outside",
                cliponaxis=False,
                marker={
                    "color": COLOURS[index % len(COLOURS)],
                    "line": {"color": "#0b0c0c", "width": 1},
                    "pattern": {"shape": PATTERNS[index % len(PATTERNS)], "solidity": 0.4},
                },
                hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        title={"text": title},
        barmode="group",
        xaxis={
            "title": {"text": category_title or _("Period")},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": periods,
            "tickvals": periods,
            "ticktext": ["<br>".join(textwrap.wrap(p, TICK_WIDTH)) for p in periods],
        },
        yaxis={"title": {"text": scale.unit_label}, "rangemode": "tozero"},
        # The legend shows each series' pattern, even when there is one series.
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 60, "r": 20, "t": 110, "b": 110},
        font={"family": "Arial, sans-serif"},
    )
    return _with_template(figure)


def bar_styles(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Each series and the bars that draw it, in words for the page's key."""
    return [
        (name, str(PATTERN_WORDS[PATTERNS[i % len(PATTERNS)]]))
        for i, name in enumerate(_series_order(frame))
    ]


def series_styles(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Each series and the line that draws it, in words for the page's key."""
    return [
        (
            name,
            _("%(line)s with %(markers)s")
            % {
                "line": DASH_WORDS[DASHES[i % len(DASHES)]],
                "markers": MARKER_WORDS[MARKERS[i % len(MARKERS)]],
            },
        )
        for i, name in enumerate(_series_order(frame))
    ]


DOWNLOAD_HEADER = [
    "council",
    "indicator",
    "series",
    "period",
    "value",
    "numerator",
    "denominator",
    "withheld",
    "withheld_reason",
    "status",
    "source",
]


def download_rows(frame: pd.DataFrame, indicator: Indicator, council: str) -> list[Row]:
    """The table's figures, one row per series and period: values to the indicator's
    decimals as the table prints them, withheld as the marker plus its reason."""
    rows: list[Row] = []
    for row in frame.itertuples(index=False):
        text = display_value(row.value, indicator.decimals)
        value: Cell = Figure(Decimal(text), indicator.decimals) if text else ""
        rows.append(
            [
                council,
                indicator.code,
                row.series,
                row.period,
                value,
                _count(row.numerator),
                _count(row.denominator),
                row.withheld,
                row.withheld_reason,
                row.status,
                row.source,
            ]
        )
    return rows


def _count(amount: float) -> Cell:
    if pd.isna(amount):
        return ""
    number = Decimal(repr(amount))
    places = 0 if number == number.to_integral_value() else 2
    return Figure(derive.round_half_up(number, places), places)


@dataclass
class CouncilsTable:
    caption: str
    unit: str
    rows: list[tuple[str, str, TableCell, bool]] = field(
        default_factory=list
    )  # rank, name, cell, this council


def councils_table(
    frame: pd.DataFrame, scale: Scale, caption: str, highlight: str
) -> CouncilsTable:
    """Every council's figure, best first, with its rank: the text alternative of the
    all-councils chart."""
    table = CouncilsTable(caption=caption, unit=scale.unit_label)
    for row in frame.itertuples(index=False):
        if row.withheld:
            cell = TableCell(_("withheld"), withheld_reason=row.withheld_reason)
        else:
            cell = TableCell(display_value(row.value, scale.decimals) or _("no figure"))
        rank = "" if pd.isna(row.rank) else str(int(row.rank))
        table.rows.append((rank, row.council, cell, row.slug == highlight))
    return table


def councils_figure(
    frame: pd.DataFrame,
    scale: Scale,
    title: str,
    highlight: str,
    reference: tuple[str, float] | None = None,
) -> dict:
    """A column per council, best on the left, this council's column in another colour and
    with a diagonal pattern and its name written above it (never colour alone); the
    national average, where given, as a dashed line labelled with its name."""
    import plotly.graph_objects as go

    shown = frame[frame["value"].notna()]
    mine = (shown["slug"] == highlight).tolist()
    values = [round(float(v), scale.decimals) for v in shown["value"]]
    figure = go.Figure(
        go.Bar(
            x=list(shown["council"]),
            y=values,
            marker={
                "color": [COLOURS[1] if m else "#b1b4b6" for m in mine],
                "pattern": {"shape": ["/" if m else "" for m in mine]},
                "line": {"color": ["#0b0c0c" if m else "#b1b4b6" for m in mine], "width": 1},
            },
            hovertemplate="%{x}: %{y}<extra></extra>",
            showlegend=False,
        )
    )
    annotations = []
    for name, value, is_mine in zip(shown["council"], values, mine, strict=True):
        if is_mine:
            annotations.append(
                {
                    "x": name,
                    "y": value,
                    "text": f"<b>{name}</b>: {value:.{scale.decimals}f}",
                    "showarrow": True,
                    "arrowhead": 2,
                    "ay": -40,
                    "font": {"size": 14},
                }
            )
    shapes = []
    if reference is not None and not pd.isna(reference[1]):
        label, value = reference
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": value,
                "y1": value,
                "line": {"dash": "dash", "color": "#0b0c0c", "width": 2},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 1,
                "y": value,
                "xanchor": "right",
                "yanchor": "bottom",
                "text": f"{label}: {value:.{scale.decimals}f}",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
    figure.update_layout(
        title={"text": title},
        xaxis={"title": {"text": _("Councils, best first")}, "showticklabels": False},
        yaxis={"title": {"text": scale.unit_label}, "rangemode": "tozero"},
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        annotations=annotations,
        shapes=shapes,
        bargap=0.15,
        font={"family": "Arial, sans-serif"},
    )
    return _with_template(figure)
