"""Papers from specs or saved reports, written as HTML or PDF: what build_report, the
builder's exports and report packs share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reports.models import Report
from reports.paper import build_paper
from reports.render import render_paper
from reports.spec import parse_spec, spec_of


class BuildError(Exception):
    pass


def paper_from_spec(data: Any) -> dict[str, Any]:
    return build_paper(parse_spec(data))


def paper_of(report: Report) -> dict[str, Any]:
    """A published report's frozen paper; a draft's built from the figures as they stand."""
    if report.is_published and report.frozen:
        return report.frozen
    spec = parse_spec(spec_of(report))
    spec.slug, spec.version, spec.status = report.slug, report.version, report.status
    return build_paper(spec)


def paper_of_saved(slug: str, version: int | None = None) -> dict[str, Any]:
    reports = Report.objects.filter(slug=slug).select_related("authority")
    if version is not None:
        reports = reports.filter(version=version)
    report = reports.order_by("-version").first()
    if report is None:
        raise BuildError(
            f'no saved report "{slug}"' + (f" version {version}" if version is not None else "")
        )
    return paper_of(report)


def html_bytes(paper: dict[str, Any]) -> bytes:
    return render_paper(paper, "html").encode("utf-8")


def pdf_bytes(paper: dict[str, Any]) -> bytes:
    from reports.chart_export import figure_to_svg, svg_data_url
    from reports.pdf import html_to_pdf

    def chart(figure: dict) -> str:
        # 640 px across A4's text width prints plotly's 12 px labels at about 9 pt.
        return svg_data_url(figure_to_svg(figure, width=640, height=360))

    return html_to_pdf(render_paper(paper, "pdf", svg=chart))


def write(paper: dict[str, Any], fmt: str, out: Path) -> None:
    """Render first, then write atomically (reports.pdf.write_atomically): a failure (no
    Chromium, a bad figure) leaves no file, never half of one."""
    from reports.errors import ReportError
    from reports.pdf import write_atomically

    try:
        data = html_bytes(paper) if fmt == "html" else pdf_bytes(paper)
    except ReportError as exc:
        raise BuildError(str(exc)) from exc
    write_atomically(data, out)
