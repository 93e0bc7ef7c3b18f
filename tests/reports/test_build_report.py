"""build_report (CONTRACT.md, "Reports"): a spec or a saved paper → HTML, every figure as the
seed paper printed it; a bad spec names what is wrong, exits 1 and writes nothing."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

SEED_000 = Path(settings.BASE_DIR) / "fixtures" / "reports" / "seed000.json"


def build(spec, tmp_path, fmt="html") -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / f"paper.{fmt}"
    call_command(
        "build_report", str(path), "--format", fmt, "--out", str(out), stdout=io.StringIO()
    )
    return out.read_text(encoding="utf-8")


def text_of(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_seed_000_rebuilt_as_html_prints_its_five_tables_as_the_paper_did(demo, tmp_path):
    spec = json.loads(SEED_000.read_text(encoding="utf-8"))
    html = build(spec, tmp_path)
    text = text_of(html)
    # Child protection, looked after, in need, referrals, seen / seen alone: 2010/11 and 2014/15.
    for row in [
        "2010/11 97.79 99.60 2.21 0.28 339",
        "2014/15 99.50 100.00 0.49 0.00 449",
        "2010/11 75.83 94.40 24.17 5.30 553",
        "2014/15 63.28 96.00 36.49 4.00 621",
        "2010/11 61.70 68.70 27.42 26.30 1441",
        "2014/15 67.80 79.00 23.00 18.00 1588",
        "2010/11 45 44 34 11",
        "2014/15 77 73 19 8",
        "2010/11 48 64 13 30",
        "2014/15 75 78 37 45",
    ]:
        assert row in text, row
    assert "AGENDA ITEM 7" in text.upper() and "Corporate Parenting Board" in text
    assert "29 June 2015" in text
    # Sections numbered in order; plotly.js inlined, never fetched from elsewhere.
    assert re.findall(r'class="paper-section__number">(\d+)\.', html)[:3] == ["1", "2", "3"]
    outside_scripts = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert "<script src=" not in outside_scripts and 'href="http' not in outside_scripts
    assert "plotly.js v" in html  # inlined
    assert len(re.findall(r'data-figure="chart-\d+-data"', html)) == 5


def test_commentary_is_generated_from_the_figures_and_polarity(demo, tmp_path):
    spec = json.loads(SEED_000.read_text(encoding="utf-8"))
    text = text_of(build(spec, tmp_path))
    assert (
        "Rhondda Cynon Taf's figure was 63.28% in 2014/15. That is a decline on 68.70% in "
        "2013/14 (higher is better). Since 2010/11 (75.83%) it has fallen by 12.55 percentage "
        "points. It is 32.72 percentage points below the Wales average of 96.00%, which is worse."
    ) in text


def test_a_period_without_data_says_so_in_the_table(demo, tmp_path):
    spec = {
        "title": "Allocations",
        "committee": "Scrutiny",
        "authority": "Rhondda Cynon Taf",
        "comparators": ["wales-average"],
        "sections": [
            {
                "heading": "Looked after",
                "blocks": [
                    {
                        "type": "indicator_table",
                        "indicators": ["SCC/013aii"],
                        "periods": ["2014-15", "2019-20"],
                    }
                ],
            }
        ],
    }
    text = text_of(build(spec, tmp_path))
    assert "2014/15 63.28 96.00" in text
    assert "2019/20 no data no data" in text and "No data for 2019/20." in text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"authority": "Atlantis"}, 'authority: unknown council "Atlantis"'),
        ({"comparators": ["Moon average"]}, 'comparators: unknown comparator "Moon average"'),
        (
            {"sections": [{"heading": "A", "blocks": [{"type": "pie_chart"}]}]},
            'sections[0].blocks[0]: unknown block type "pie_chart"',
        ),
        (
            {
                "sections": [
                    {
                        "heading": "A",
                        "blocks": [{"type": "indicator_table", "indicators": ["SCC/999"]}],
                    }
                ]
            },
            'sections[0].blocks[0]: unknown indicator "SCC/999"',
        ),
        (
            {
                "sections": [
                    {
                        "heading": "A",
                        "blocks": [
                            {
                                "type": "indicator_chart",
                                "indicators": ["SCC/013ai"],
                                "periods": ["2014-16"],
                            }
                        ],
                    }
                ]
            },
            'sections[0].blocks[0].periods: "2014-16"',
        ),
        (
            {
                "sections": [
                    {"heading": "A", "blocks": [{"type": "workforce_table", "as_at": "31/3"}]}
                ]
            },
            'sections[0].blocks[0].as_at: "31/3" is not a date like 2015-03-31',
        ),
    ],
)
def test_a_bad_spec_names_the_problem_exits_1_and_writes_nothing(demo, tmp_path, change, message):
    spec = {"title": "T", "committee": "C", "authority": "Rhondda Cynon Taf", "sections": []}
    spec.update(change)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "paper.html"
    errors = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "build_report", str(path), "--format", "html", "--out", str(out), stderr=errors
        )
    assert message in errors.getvalue()
    assert "no file written" in str(raised.value)
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_an_unknown_saved_report_is_an_error(demo, tmp_path):
    with pytest.raises(CommandError, match='no saved report "nothing-here"'):
        call_command(
            "build_report",
            "--slug",
            "nothing-here",
            "--format",
            "html",
            "--out",
            str(tmp_path / "x.html"),
        )
    assert not (tmp_path / "x.html").exists()


@pytest.mark.skipif(not Path("/usr/bin/pdftotext").exists(), reason="needs poppler-utils")
def test_seed_000_as_a_pdf_has_its_figures_page_numbers_and_vector_charts(demo, tmp_path):
    import subprocess

    from pypdf import PdfReader

    spec = json.loads(SEED_000.read_text(encoding="utf-8"))
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "paper.pdf"
    call_command(
        "build_report", str(path), "--format", "pdf", "--out", str(out), stdout=io.StringIO()
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = " ".join(text.split())
    for figure in ["75.83", "94.40", "63.28", "96.00", "1588", "97.79", "99.60", "45 44 34 11"]:
        assert figure in words, figure
    pages = len(PdfReader(out).pages)
    assert f"Page 1 of {pages}" in words and f"Page {pages} of {pages}" in words
    # The charts are vector: their axis titles are text in the PDF, not pixels.
    assert words.count("Percent") >= 5 and words.count("Period") >= 5
    assert PdfReader(out).metadata.title.startswith("Children's services performance indicators")
