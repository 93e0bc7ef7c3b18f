"""Generated invalid report specs (what build_report and saved papers are drawn from) and
junk query parameters for the observations API, the indicator page and a paper's changes:
a clear error naming what is wrong, never a server error, nothing written."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from reports.models import BlockType, Report
from reports.spec import SpecError, parse_spec
from tests.factories import ObservationFactory, PeriodFactory
from tests.security import junk
from tests.security.checks import examined
from tests.security.forms import client_for
from tests.security.settings import examples

GOOD_SPEC = {
    "title": "Children's services performance indicators",
    "committee": "Corporate Parenting Board",
    "meeting_date": "2015-06-29",
    "authority": "Rhondda Cynon Taf",
    "comparators": ["Wales average"],
    "sections": [
        {"heading": "Purpose", "text": "Plain text."},
        {
            "heading": "Child protection",
            "blocks": [
                {"type": "indicator_table", "indicators": ["SCC/013aii"], "periods": ["2014-15"]},
                {"type": "commentary", "indicator": "SCC/013aii"},
            ],
        },
    ],
}

json_junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False),
        junk.text,
        junk.periods,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(junk.text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def bad_spec(draw):
    """The good spec with parts replaced, removed or added at every level."""
    spec = json.loads(json.dumps(GOOD_SPEC))
    key = draw(st.sampled_from([*GOOD_SPEC, "unknown", "slug"]))
    where = draw(st.sampled_from(["top", "section", "block"]))
    value = draw(
        st.one_of(
            json_junk,
            st.sampled_from(BlockType.values),
            st.lists(st.one_of(junk.periods, json_junk), max_size=4),
        )
    )
    if where == "top":
        if draw(st.booleans()):
            spec.pop(key, None)
        else:
            spec[key] = value
    elif where == "section":
        spec["sections"][draw(st.integers(0, 1))][
            draw(st.sampled_from(["heading", "text", "blocks", "x"]))
        ] = value
    else:
        block = spec["sections"][1]["blocks"][draw(st.integers(0, 1))]
        block[
            draw(
                st.sampled_from(
                    ["type", "indicators", "indicator", "periods", "as_at", "columns", "rows"]
                )
            )
        ] = value
    return draw(st.one_of(st.just(spec), json_junk)) if draw(st.integers(0, 9)) == 0 else spec


@pytest.fixture
def world(council_a, wales_average, lac_allocated):
    ObservationFactory(
        authority=council_a, indicator=lac_allocated, period=PeriodFactory(code="2014-15")
    )


@examples(250)
@given(spec=bad_spec())
@example(
    spec={
        **GOOD_SPEC,
        "sections": [
            {
                "heading": "x",
                "blocks": [
                    {
                        "type": "indicator_table",
                        "indicators": ["SCC/013aii"],
                        "periods": ["0000-05"],
                    }
                ],
            }
        ],
    }
)
@example(spec={**GOOD_SPEC, "authority": "Rhondda\x00"})
def test_parse_spec(world, spec):
    with examined("report spec") as case:
        try:
            parse_spec(spec)
        except SpecError as refused:
            assert refused.errors and all(error.strip() for error in refused.errors)
        case.nothing_written()


def _build_report(path: Path, out: Path) -> None:
    call_command(
        "build_report",
        str(path),
        format="html",
        out=str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


@examples(25)
@given(spec=bad_spec())
def test_build_report_command(world, spec):
    """build_report SPEC.json: exit 1 naming each error and no file, or a paper."""
    with tempfile.TemporaryDirectory() as folder, examined("build_report command") as case:
        path, out = Path(folder, "spec.json"), Path(folder, "paper.html")
        path.write_text(json.dumps(spec), encoding="utf-8")
        try:
            _build_report(path, out)
        except CommandError as refused:
            assert not out.exists()
            assert str(refused)
        case.nothing_written()


@examples(20)
@given(data=st.binary(max_size=300))
def test_build_report_reads_junk_files(world, data):
    with tempfile.TemporaryDirectory() as folder, examined("build_report command") as case:
        path, out = Path(folder, "spec.json"), Path(folder, "paper.html")
        path.write_bytes(data)
        try:
            _build_report(path, out)
        except CommandError as refused:
            assert not out.exists() and str(refused)
        case.nothing_written()


query_value = st.one_of(junk.text, junk.numbers, junk.periods)


@examples(120)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "authority",
                "indicator",
                "period",
                "limit",
                "offset",
                "ordering",
                "format",
                "page",
                "x",
            ]
        ),
        st.one_of(query_value, st.lists(query_value, min_size=2, max_size=3)),
        min_size=1,
    ),
)
@example(params={"limit": "99999999999999999999999"})
@example(params={"offset": "99999999999999999999999"})
@example(params={"authority": "Rhondda\x00"})
@example(params={"format": "xml"})
def test_api_observations(users, world, params):
    client = client_for(users["member"])
    with examined("API query") as case:
        response = client.get(reverse("api:observations"), params)
        case.answered(response)
        if response.status_code == 400:
            body = response.json()
            assert set(body) <= {"authority", "indicator", "period"}, body
        case.nothing_written()


@examples(40)
@given(
    params=st.dictionaries(
        st.sampled_from(["comparators", "period", "format"]),
        st.one_of(query_value, st.sampled_from(["csv", "xlsx", "wales-average,target", "quarter"])),
        min_size=1,
    )
)
def test_indicator_page_parameters(users, council_a, world, params):
    client = client_for(users["officer_a"])
    url = reverse(
        "indicators:indicator", kwargs={"council": council_a.slug, "indicator": "scc013aii"}
    )
    with examined("indicator page query") as case:
        case.answered(client.get(url, params))
        case.nothing_written()


@pytest.fixture
def paper(users, world, council_a):
    return Report.objects.create(
        slug="junk-paper", authority=council_a, title="t", committee="c", created_by=users["author"]
    )


@examples(30)
@given(against=st.one_of(junk.numbers, junk.text))
@example(against="²")
@example(against="99999999999999999999")
def test_paper_changes_against(users, paper, against):
    report = paper
    client = client_for(users["author"])
    url = reverse("reports:changes", kwargs={"slug": report.slug, "version": 1})
    with examined("paper changes query") as case:
        case.answered(client.get(url, {"against": against}))
