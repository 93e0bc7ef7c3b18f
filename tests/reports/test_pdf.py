"""Committee papers as PDF: tested by their text (pdftotext, pypdf), their tags and metadata,
and a rendered page."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import pdf as reports_pdf
from reports.chart_export import figure_to_svg
from reports.pdf import html_to_pdf, write_pdf_atomically
from tests.reports.conftest import chart, figures_table, paper, trend_figure

pytestmark = pytest.mark.usefixtures("empty_cache")


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def raster_images(path: Path) -> list[str]:
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return listing.splitlines()[2:]  # after the two header lines


def structure_types(reader: PdfReader) -> list[tuple[str, str | None]]:
    """(tag, alt text) of every element in the PDF's structure tree."""
    found = []

    def walk(node):
        node = node.get_object()
        if "/S" in node:
            found.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.fixture(scope="module")
def chart_svg() -> str:
    return figure_to_svg(trend_figure())


def test_two_page_paper_has_its_figures_page_numbers_title_language_and_tags(chart_svg, tmp_path):
    html = paper(
        "<p>Figures for the board.</p>"
        + figures_table()
        + chart(chart_svg, "img", alt="SCC/014 over five years against the Wales average"),
        '<p style="break-before: page">Second page.</p>' + figures_table("Second table"),
    )
    out = tmp_path / "paper.pdf"
    out.write_bytes(html_to_pdf(html))

    text = pdftotext(out)
    assert "63.28" in text
    assert "96.00" in text
    assert "Corporate Parenting Board" in text
    assert "1. Section 1" in text
    assert "2. Section 2" in text
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    # The running header (the paper's title) is on page 2, not on the cover.
    first, second = text.split("\f")[:2]
    assert first.count("Children's services performance indicators") == 1
    assert "Children's services performance indicators" in second

    reader = PdfReader(out)
    assert reader.metadata.title == "Children's services performance indicators"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    tags = structure_types(reader)
    assert {"/H1", "/H2", "/Table", "/Caption", "/TH", "/TD"} <= {tag for tag, _alt in tags}
    assert ("/Figure", "SCC/014 over five years against the Wales average") in tags


@pytest.mark.parametrize("embedding", ["inline", "img"])
def test_svg_chart_stays_vector_with_its_labels_as_text(chart_svg, embedding, tmp_path):
    """Both an inline <svg> and an <img src="data:image/svg+xml;base64,..."> are drawn as
    vectors by WeasyPrint: no raster image, the axis labels extractable as text."""
    out = tmp_path / "chart.pdf"
    out.write_bytes(html_to_pdf(paper(chart(chart_svg, embedding))))

    text = pdftotext(out)
    assert "Percentage" in text
    assert "Period" in text
    assert "2014-15" in text
    assert raster_images(out) == []


def test_svg_chart_as_an_img_is_a_tagged_figure_with_its_alt_text(chart_svg, caplog):
    """Unlike an inline <svg> (tagged without alt text, and a warning for each plotly style
    property WeasyPrint's HTML styles do not know)."""
    html = paper(chart(chart_svg, "img", alt="SCC/014 against the Wales average"))

    reader = PdfReader(io.BytesIO(html_to_pdf(html)))

    assert ("/Figure", "SCC/014 against the Wales average") in structure_types(reader)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_first_page_renders_as_an_image(chart_svg, tmp_path):
    out = tmp_path / "paper.pdf"
    write_pdf_atomically(paper(figures_table() + chart(chart_svg, "img")), out)

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")],
        check=True,
    )

    png = tmp_path / "page-1.png"
    assert png.exists()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _pages_with(pdf: bytes, *needles: str) -> list[int | None]:
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return [next((i for i, t in enumerate(texts) if needle in t), None) for needle in needles]


@pytest.mark.parametrize(("rows", "heights"), [(5, range(156, 240, 6)), (45, range(160, 240, 10))])
def test_caption_is_never_on_another_page_than_its_tables_first_row(rows, heights):
    """The table is pushed down the page a little further each time, so that the page break
    falls just before, inside and just after it; a table longer than a page breaks too."""
    body = "".join(f'<tr><th scope="row">row {i}:</th><td>{i}.00</td></tr>' for i in range(rows))
    table = (
        '<figure class="paper-table"><table><caption>Caption of the table</caption>'
        f'<thead><tr><th scope="col">Row</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{body}</tbody></table></figure>"
    )
    for height in heights:
        pdf = html_to_pdf(paper(f'<div style="height: {height}mm"></div>{table}'))
        caption_page, first_row_page = _pages_with(pdf, "Caption of the table", "row 0:")
        assert caption_page is not None
        assert caption_page == first_row_page, f"split at a {height} mm spacer"


def test_static_stylesheet_links_resolve_without_a_base_url():
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Linked</title>'
        '<link rel="stylesheet" href="/static/reports/paper-print.css"></head>'
        "<body><p>One page.</p></body></html>"
    )

    text = PdfReader(io.BytesIO(html_to_pdf(html))).pages[0].extract_text()

    assert "Page 1 of 1" in text


def test_files_outside_the_papers_folder_are_never_embedded(tmp_path):
    (tmp_path / "paper").mkdir()
    (tmp_path / "paper" / "notes.txt").write_text("allowed")
    (tmp_path / "secret.txt").write_text("not for the paper")
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Attachments</title></head><body>'
        '<a rel="attachment" href="notes.txt">notes</a>'
        '<a rel="attachment" href="../secret.txt">secret</a>'
        '<a rel="attachment" href="file:///etc/passwd">passwd</a></body></html>'
    )

    reader = PdfReader(io.BytesIO(html_to_pdf(html, base_url=str(tmp_path / "paper"))))

    attached = {
        name: data for page in reader.pages for name, data in _link_attachments(page).items()
    }
    assert attached == {"notes.txt": b"allowed"}


def _link_attachments(page) -> dict[str, bytes]:
    found = {}
    for annotation in page.get("/Annots") or []:
        annotation = annotation.get_object()
        if annotation.get("/Subtype") == "/FileAttachment":
            spec = annotation["/FS"].get_object()
            found[str(spec["/F"])] = spec["/EF"]["/F"].get_object().get_data()
    return found


def test_write_pdf_atomically_writes_a_complete_pdf_and_no_temporary_file(tmp_path):
    out = tmp_path / "papers" / "paper.pdf"

    write_pdf_atomically(paper("<p>Text.</p>"), out)

    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in out.parent.iterdir()] == ["paper.pdf"]
    assert out.stat().st_mode & 0o044 == 0o044  # readable like any other file, not 0600


def test_failed_render_leaves_no_file_and_keeps_the_previous_one(monkeypatch, tmp_path):
    out = tmp_path / "paper.pdf"
    out.write_bytes(b"%PDF- the previous paper")

    def failing_render(html, *, base_url=None):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(reports_pdf, "html_to_pdf", failing_render)
    with pytest.raises(RuntimeError):
        write_pdf_atomically(paper("<p>Text.</p>"), out)
    with pytest.raises(RuntimeError):
        write_pdf_atomically(paper("<p>Text.</p>"), tmp_path / "new.pdf")

    assert out.read_bytes() == b"%PDF- the previous paper"
    assert [p.name for p in tmp_path.iterdir()] == ["paper.pdf"]
