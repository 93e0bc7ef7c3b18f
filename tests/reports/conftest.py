"""A chart as the reports app draws one (indicators.charts.trend_figure) and an A4 page to put
it on, with the print stylesheet inlined as reports.render does."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from indicators import charts
from indicators.frames import COLUMNS
from reports.chart_export import svg_data_url

PRINT_CSS = Path(settings.BASE_DIR, "static", "reports", "paper-print.css").read_text()
PERIODS = ["2010-11", "2011-12", "2012-13", "2013-14", "2014-15"]
RCT = [88.14, 90.02, 75.55, 70.10, 63.28]
WALES = [93.90, 94.70, 95.40, 95.60, 96.00]


def trend_frame(title_suffix: str = "") -> pd.DataFrame:
    rows = []
    for series, values in (("Rhondda Cynon Taf" + title_suffix, RCT), ("Wales average", WALES)):
        for year, (label, value) in enumerate(zip(PERIODS, values, strict=True), start=2011):
            rows.append(
                {
                    "series": series,
                    "series_slug": series.lower().replace(" ", "-"),
                    "period": label,
                    "period_label": label,
                    "period_end": pd.Timestamp(f"{year}-03-31"),
                    "value": value,
                    "numerator": float("nan"),
                    "denominator": float("nan"),
                    "withheld": False,
                    "withheld_reason": "",
                    "status": "final",
                    "source": "Welsh Government",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def trend_figure(title: str = "Child protection reviews carried out in time") -> dict:
    return charts.trend_figure(trend_frame(), charts.Scale(2, "Percentage"), title)


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def figures_table(caption: str = "SCC/014: initial child protection conferences") -> str:
    rows = "".join(
        f'<tr><th scope="row">{p}</th><td class="numeric">{r:.2f}</td>'
        f'<td class="numeric">{w:.2f}</td></tr>'
        for p, r, w in zip(PERIODS, RCT, WALES, strict=True)
    )
    return (
        f'<figure class="paper-table"><table class="paper-figures"><caption>{caption}</caption>'
        '<thead><tr><th scope="col">Period</th><th scope="col" class="numeric">Rhondda Cynon Taf</th>'
        f'<th scope="col" class="numeric">Wales average</th></tr></thead><tbody>{rows}</tbody></table></figure>'
    )


def chart(svg: str, embedding: str = "inline", alt: str = "Line chart of the figures") -> str:
    if embedding == "inline":
        body = f'<div class="paper-chart__svg" role="img" aria-label="{alt}">{svg}</div>'
    else:
        body = f'<img src="{svg_data_url(svg)}" alt="{alt}">'
    return f'<figure class="paper-chart">{body}</figure>'


def paper(*sections: str, title: str = "Children's services performance indicators") -> str:
    """A committee paper's HTML: the cover, then each section's body under a numbered h2."""
    body = "".join(
        f'<section class="paper-section"><h2>Section {n}</h2>{s}</section>'
        for n, s in enumerate(sections, start=1)
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>
<style>{PRINT_CSS}</style></head>
<body class="paper"><header class="paper-cover">
<p class="paper-cover__item">Agenda item 7</p>
<p class="paper-cover__council">Rhondda Cynon Taf County Borough Council</p>
<p class="paper-cover__committee">Corporate Parenting Board</p>
<p class="paper-cover__date">29 June 2015</p>
<h1 class="paper-title">{title}</h1></header>
<main>{body}</main></body></html>"""


@pytest.fixture
def demo(db):
    """The demo data: seed 000's Rhondda Cynon Taf, seed 001's Caerphilly and the others."""
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
