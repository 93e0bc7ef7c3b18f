"""The blocks of a paper other than indicator tables and charts, a saved paper built by its
slug, a published paper drawn from its frozen figures, and authors' Markdown made safe."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from indicators.models import Observation
from reports.building import paper_from_spec, paper_of, paper_of_saved
from reports.models import Block, BlockType, Report, Section
from reports.render import render_paper


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def paper_text(authority: str, *blocks: dict, text: str = "") -> str:
    spec = {
        "title": "Blocks",
        "committee": "Scrutiny",
        "authority": authority,
        "sections": [{"heading": "One", "text": text, "blocks": list(blocks)}],
    }
    return text_of(render_paper(paper_from_spec(spec), "preview"))


def test_post_costs_and_the_conversion_as_the_dashboard_computes_them(demo):
    text = paper_text("Rhondda Cynon Taf", {"type": "post_cost_table"})
    assert "Assessor Care Manager GR9 £27,123 £2,441 £5,777 £35,341" in text
    assert "Social Worker GR11 £32,778 £2,950 £6,982 £42,710" in text
    assert (
        "Converting Assessor Care Manager to Social Worker: £7,369 (the paper printed £7,368)"
        in text
    )


def test_staffing_at_the_latest_date_with_its_vacancy_rate(demo):
    text = paper_text("Rhondda Cynon Taf", {"type": "workforce_table"})
    assert "Staffing at 29/06/2015" in text
    assert "Whole service Assessor Care Manager 32 24 8 25.0%" in text


def test_cp_register_this_year_against_last_with_the_difference(demo):
    text = paper_text(
        "Rhondda Cynon Taf",
        {"type": "cp_register", "indicator": "children_on_cp_register", "periods": ["2014-15"]},
    )
    assert "27/05/2014 479 395 84" in text
    assert "27/03/2015 448 470 -22" in text


def test_audit_grades_and_recommendations(demo):
    text = paper_text("Herefordshire", {"type": "audit_summary"}, {"type": "recommendations"})
    assert re.search(r"Good Requires improvement Inadequate Cases .*? 18 8 1 27", text)
    assert "Recommendations and their progress" in text


def test_free_table_and_markdown_without_scripts(demo):
    text = paper_text(
        "Rhondda Cynon Taf",
        {
            "type": "free_table",
            "caption": "Teams",
            "columns": ["Team", "Posts"],
            "rows": [["MASH", "4"]],
        },
    )
    assert "Teams Team Posts MASH 4" in text
    spec = {
        "title": "T",
        "committee": "C",
        "authority": "Rhondda Cynon Taf",
        "sections": [
            {
                "heading": "H",
                "text": "**Bold** <script>alert('x')</script><img src=x onerror=alert(1)>",
            }
        ],
    }
    html = render_paper(paper_from_spec(spec))
    assert "<strong>Bold</strong>" in html
    assert "alert('x')" not in html and "onerror" not in html


def _saved_report() -> Report:
    from indicators.models import Authority

    report = Report.objects.create(
        slug="rct-lac",
        title="Looked after children",
        committee="Corporate Parenting Board",
        authority=Authority.objects.get(name="Rhondda Cynon Taf"),
        comparators=["wales-average"],
    )
    section = Section.objects.create(report=report, position=1, heading="Allocations")
    Block.objects.create(
        section=section,
        position=1,
        kind=BlockType.INDICATOR_TABLE,
        settings={"indicators": ["SCC/013aii"], "periods": ["2013-14", "2014-15"]},
    )
    Block.objects.create(
        section=section,
        position=2,
        kind=BlockType.COMMENTARY,
        settings={"indicator": "SCC/013aii", "periods": ["2013-14", "2014-15"]},
        text="Our own words on 63.28.",
        edited=True,
    )
    return report


def test_a_saved_paper_builds_by_slug_with_the_authors_edited_commentary(demo, tmp_path):
    _saved_report()
    out = tmp_path / "paper.html"
    call_command(
        "build_report", "--slug", "rct-lac", "--format", "html", "--out", str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    text = text_of(out.read_text(encoding="utf-8"))
    assert "2014/15 63.28 96.00" in text
    assert "Our own words on 63.28." in text


def test_a_published_paper_keeps_its_figures_when_the_data_are_corrected(demo):
    report = _saved_report()
    report.frozen = paper_of(report)
    report.status = Report.Status.PUBLISHED
    report.save()
    Observation.objects.filter(
        authority__name="Rhondda Cynon Taf", indicator__code="SCC/013aii", period__code="2014-15"
    ).update(value="64.00")
    published = text_of(render_paper(paper_of_saved("rct-lac")))
    assert "2014/15 63.28 96.00" in published
    report.status, report.frozen = Report.Status.DRAFT, None
    report.save()
    assert "2014/15 64.00 96.00" in text_of(render_paper(paper_of_saved("rct-lac")))
