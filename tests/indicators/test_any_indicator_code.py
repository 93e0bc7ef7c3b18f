"""Any indicator code a file can bring in with "Add indicators" (`--create-missing`) is kept as
given, shown escaped, and every page about it answers: its URL slug is URL-safe and unique
whatever the code holds (dots, slashes, `../`, `<`, `%`, spaces, letters outside Latin)."""

from __future__ import annotations

import csv
import html
import io
import re
import tempfile
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from indicators import codes, importing
from indicators.models import Indicator, Observation
from reports.models import Block, Report, Section

HEADER = ["authority", "indicator", "period", "value", "unit"]
# Django's `slug` path converter, which /councils/<council>/indicators/<indicator>/ uses.
URL_SAFE = re.compile(r"[-a-zA-Z0-9_]+")
ACCEPTANCE_CODES = [
    "NI 62.1",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "100% of cases",
    "CP plans at year end",
    "Показатель 7",
    "指标",
]


@pytest.fixture
def admin_client(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def write_file(folder: Path, code: str) -> Path:
    path = folder / "figures.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerow(["Caerphilly", code, "2015-16", "5", "count"])
    return path


def import_with_create_missing(code: str, user) -> Indicator:
    """As `import_observations --create-missing` and the browser's "Add indicators" do."""
    with tempfile.TemporaryDirectory() as folder:
        report = importing.import_observations_file(
            write_file(Path(folder), code), user=user, create_missing=True
        )
    assert report.ok, report.errors
    return Indicator.objects.get(code=code)


def paper_for(indicator: Indicator, council, user) -> Report:
    report = Report.objects.create(
        slug="any-code",
        title="Performance",
        committee="Scrutiny",
        authority=council,
        created_by=user,
    )
    section = Section.objects.create(report=report, position=1, heading="Figures")
    for position, kind in enumerate(("indicator_table", "indicator_chart"), start=1):
        Block.objects.create(
            section=section,
            position=position,
            kind=kind,
            settings={"indicators": [indicator.code], "periods": ["2015-16"]},
        )
    Block.objects.create(
        section=section,
        position=3,
        kind="commentary",
        settings={"indicator": indicator.code, "periods": ["2015-16"]},
    )
    return report


def pages_about(indicator: Indicator, council, report: Report) -> dict[str, str]:
    page = reverse(
        "indicators:indicator", kwargs={"council": council.slug, "indicator": indicator.slug}
    )
    return {
        "overview": reverse("councils:overview", kwargs={"council": council.slug}),
        "indicator page": page,
        "csv download": page + "?format=csv",
        "xlsx download": page + "?format=xlsx",
        "figure entry": reverse("figures:new", kwargs={"council": council.slug}),
        "API": reverse("api:observations"),
        "paper preview": reverse("reports:preview", kwargs={"slug": report.slug, "version": 1}),
        "paper builder": reverse("reports:paper", kwargs={"slug": report.slug, "version": 1}),
    }


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def check_every_page(client: Client, indicator: Indicator, council, report: Report) -> None:
    code = indicator.code
    for name, url in pages_about(indicator, council, report).items():
        response = client.get(url, {"indicator": code} if name == "API" else {})
        assert response.status_code == 200, (name, url, response.content[:500])
        body = response.content
        if name == "API":
            assert [r["indicator"] for r in response.json()["results"]] == [code]
        elif name == "xlsx download":
            sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
            assert any(code in str(cell) for row in sheet.values for cell in row if cell)
        elif name == "csv download":
            header, row = csv.reader(io.StringIO(body.decode("utf-8-sig")))
            # A code a spreadsheet could take for a formula is written after an apostrophe.
            assert row[header.index("indicator")] in (code, "'" + code)
        elif name != "figure entry":
            page = body.decode()
            # Shown as text: an HTML parser reads the code back whole, not as markup.
            assert code in text_of(page), name
            if code.startswith("<script>"):
                assert code not in page, f"{name} shows the code unescaped"


@pytest.mark.parametrize("code", ACCEPTANCE_CODES)
def test_a_code_imported_with_create_missing_gets_a_url_safe_slug_and_every_page_answers(
    users, council_b, admin_client, tmp_path, code
):
    stdout = io.StringIO()
    call_command(
        "import_observations", str(write_file(tmp_path, code)), "--create-missing", stdout=stdout
    )
    indicator = Indicator.objects.get(code=code)
    assert URL_SAFE.fullmatch(indicator.slug), indicator.slug
    assert Observation.objects.get(indicator=indicator).value == 5
    check_every_page(
        admin_client, indicator, council_b, paper_for(indicator, council_b, users["admin"])
    )


def test_caerphillys_overview_answers_for_every_role_after_ni_62_1_is_imported(
    users, council_b, tmp_path
):
    call_command(
        "import_observations",
        str(write_file(tmp_path, "NI 62.1")),
        "--create-missing",
        stdout=io.StringIO(),
    )
    indicator = Indicator.objects.get(code="NI 62.1")
    assert indicator.slug == "ni62-1"
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        response = client.get("/councils/caerphilly/")
        assert response.status_code == 200, role
        assert "/councils/caerphilly/indicators/ni62-1/" in response.content.decode()
        assert client.get("/councils/caerphilly/indicators/ni62-1/").status_code == 200, role


@pytest.mark.parametrize("code", ACCEPTANCE_CODES)
def test_a_code_added_in_the_browser_import_gets_a_url_safe_slug_and_every_page_answers(
    users, council_b, admin_client, settings, tmp_path, code
):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, ["Caerphilly", code, "2015-16", "5", "count"]])
    upload = SimpleUploadedFile("figures.csv", text.getvalue().encode(), content_type="text/csv")
    response = admin_client.post(
        reverse("imports:upload"), {"file": upload, "create_missing": "on"}
    )
    assert response.status_code == 302
    preview = admin_client.get(response["Location"])
    assert preview.status_code == 200
    assert html.escape(code) in preview.content.decode()
    confirmed = admin_client.post(response["Location"] + "confirm/")
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    indicator = Indicator.objects.get(code=code)
    assert URL_SAFE.fullmatch(indicator.slug), indicator.slug
    check_every_page(
        admin_client, indicator, council_b, paper_for(indicator, council_b, users["admin"])
    )


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("SCC/013aii", "scc013aii"),
        ("cp_cases_held_by_acm", "cp_cases_held_by_acm"),
        ("NI 62.1", "ni62-1"),
        ("../../etc/passwd", "etc-passwd"),
        ("<b>x</b>", "b-x-b"),
        ("100% of cases", "100-ofcases"),
        ("Ŵyn (Conwy)", "wyn-conwy"),
        ("Показатель", "indicator-e12a2238"),
    ],
)
def test_the_slug_of_a_code_is_url_safe_and_keeps_good_slugs_as_they_were(code, slug):
    assert codes.indicator_slug(code) == slug


def test_codes_with_the_same_slug_get_numbered_slugs_that_survive_saving_again(db):
    made = [
        Indicator.objects.create(code=code, title=code, unit="count", polarity="neither",
                                 measure="stock", framework="local", theme="")
        for code in ("NI 62.1", "NI 62-1", "NI 62(1)")
    ]  # fmt: skip
    assert [indicator.slug for indicator in made] == ["ni62-1", "ni62-1-2", "ni62-1-3"]
    made[0].delete()
    made[2].title = "Renamed"
    made[2].save()
    made[2].refresh_from_db()
    assert made[2].slug == "ni62-1-3"


def test_the_migration_makes_unsafe_stored_slugs_url_safe_and_leaves_good_ones(db):
    migration = import_module("indicators.migrations.0007_indicator_url_safe_slugs")
    good = Indicator.objects.create(code="SCC/013aii", title="x", unit="percent",
                                    polarity="higher", measure="stock", framework="wales",
                                    theme="allocations")  # fmt: skip
    bad = Indicator.objects.create(code="NI 62.1", title="x", unit="count", polarity="neither",
                                   measure="stock", framework="local", theme="")  # fmt: skip
    other = Indicator.objects.create(code="../x", title="x", unit="count", polarity="neither",
                                     measure="stock", framework="local", theme="")  # fmt: skip
    # As the old rule stored them.
    Indicator.objects.filter(pk=bad.pk).update(slug="ni62.1")
    Indicator.objects.filter(pk=other.pk).update(slug="../x")
    migration.url_safe_slugs(apps, None)
    slugs = dict(Indicator.objects.values_list("code", "slug"))
    assert slugs == {"SCC/013aii": "scc013aii", "NI 62.1": "ni62-1", "../x": "x"}
    assert Indicator.objects.get(pk=good.pk).slug == "scc013aii"


ODD = st.sampled_from(
    [".", "/", "../", "<", ">", "%", "%2F", " ", "(", ")", "=", "&", "#", "?", "'", '"', "\\",
     "Ŵ", "é", "指", "Ж", "ß", "㎒", "ﷺ", "-", "_", "0", "a"]
)  # fmt: skip
ANY_CODE = (
    st.lists(
        st.one_of(ODD, st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8)),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .map(str.strip)
    .map(lambda text: text[:60].strip())
    .filter(bool)
    .filter(lambda code: not code.startswith("'"))  # an apostrophe there is a formula guard
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(code=ANY_CODE)
@example(code="NI 62.1")
@example(code="../../etc/passwd")
@example(code="<i>NI</i> 62")
@example(code="Показатель")
@example(code="x" * 60)
@example(code="㎒" * 60)
@example(code="ß" * 60)  # upper case doubles it: SS
def test_every_page_answers_for_any_imported_code(users, council_b, admin_client, code):
    note(f"code={code!r}")
    cache.clear()
    with transaction.atomic():
        indicator = import_with_create_missing(code, users["admin"])
        assert indicator.code == code
        assert URL_SAFE.fullmatch(indicator.slug), indicator.slug
        assert len(indicator.slug) <= 80
        report = paper_for(indicator, council_b, users["admin"])
        check_every_page(admin_client, indicator, council_b, report)
        transaction.set_rollback(True)
