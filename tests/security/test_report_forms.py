"""Junk through the report builder's forms (a new paper, its details and comparators, a
section, each kind of block) and the report pack form, posted by an author: no server
error, every refusal on the field it is about, nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from reports.models import BlockType, Report
from tests.factories import ObservationFactory, PeriodFactory
from tests.security import junk
from tests.security.checks import examined
from tests.security.forms import accepted, client_for, refused_with_named_fields
from tests.security.settings import examples

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def author(users):
    return client_for(users["author"])


@pytest.fixture
def paper(users, council_a, wales_average, lac_allocated):
    """A draft with one section holding a block of every kind."""
    ObservationFactory(
        authority=council_a, indicator=lac_allocated, period=PeriodFactory(code="2014-15")
    )
    report = Report.objects.create(
        slug="junk-paper",
        authority=council_a,
        title="Children's services performance indicators",
        committee="Corporate Parenting Board",
        comparators=["wales-average"],
        created_by=users["author"],
    )
    section = report.sections.create(position=1, heading="Child protection")
    settings = {
        BlockType.INDICATOR_TABLE: {"indicators": ["SCC/013aii"], "periods": ["2014-15"]},
        BlockType.INDICATOR_CHART: {"indicators": ["SCC/013aii"], "periods": ["2014-15"]},
        BlockType.COMMENTARY: {"indicator": "SCC/013aii", "periods": ["2014-15"]},
        BlockType.FREE_TABLE: {"caption": "", "columns": ["Team", "Posts"], "rows": [["A", "1"]]},
        BlockType.CP_REGISTER: {"periods": []},
        BlockType.WORKFORCE_TABLE: {},
    }
    blocks = {
        kind: section.blocks.create(position=n, kind=kind, settings=value)
        for n, (kind, value) in enumerate(settings.items(), start=1)
    }
    return report, section, blocks


def url(name: str, report: Report, **kwargs) -> str:
    return reverse(f"reports:{name}", kwargs={"slug": report.slug, "version": 1, **kwargs})


def _judge(case, response, *, form_key: str | None = "form") -> None:
    case.answered(response)
    if accepted(response) or (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("application/json")
    ):
        return
    case.nothing_written()
    if response.get("Content-Type", "").startswith("application/json"):
        errors = response.json()["errors"]
        assert errors and all(messages for messages in errors.values())
    elif form_key and response.context and form_key in response.context:
        refused_with_named_fields(response, form_key)


DATE = {
    "meeting_date_day": st.sampled_from(["29", "1"]),
    "meeting_date_month": st.sampled_from(["6", "12"]),
    "meeting_date_year": st.sampled_from(["2015", "2016"]),
}
DETAILS = {
    "title": st.just("Performance indicators"),
    "committee": st.just("Corporate Parenting Board"),
    **DATE,
    "agenda_item": st.just("7"),
    "report_of": st.just("Group Director"),
    "author_name": st.just("Head of Service"),
    "contact": st.just("01443 000000"),
}


@examples(25)
@given(data=st.data())
def test_new_report_form(author, council_a, data):
    post = data.draw(
        junk.form_post(
            {
                "template": st.sampled_from(["blank", "performance"]),
                "authority": st.just(str(council_a.pk)),
                **DETAILS,
            }
        )
    )
    with examined("new report form") as case:
        _judge(case, author.post(reverse("reports:new"), post))


@examples(40)
@given(data=st.data(), as_json=st.booleans())
def test_details_form(author, paper, data, as_json):
    report, _section, _blocks = paper
    fields = {
        **{f"details-{k}": v for k, v in DETAILS.items()},
        "details-comparators": st.sampled_from(["wales-average", "target"]),
    }
    post = data.draw(junk.form_post(fields))
    with examined("report details form") as case:
        response = author.post(url("details", report), post, **(JSON if as_json else {}))
        _judge(case, response, form_key=None)
        if not as_json and not accepted(response):
            assert response.context["details"].errors or response.context["comparators"].errors


@examples(40)
@given(data=st.data(), as_json=st.booleans())
def test_section_forms(author, paper, data, as_json):
    report, section, _blocks = paper
    prefix = f"s{section.pk}"
    post = data.draw(
        junk.form_post({f"{prefix}-heading": st.just("Purpose"), f"{prefix}-text": st.just("")})
    )
    target = data.draw(
        st.sampled_from(
            [
                url("section", report, section=section.pk),
                url("add_section", report),
                url("move_section", report, section=section.pk),
                url("remove_section", report, section=section.pk),
            ]
        )
    )
    post = {
        **post,
        "heading": post.get(f"{prefix}-heading", ""),
        "direction": data.draw(junk.posted()),
        "confirm": data.draw(junk.posted()),
    }
    with examined("report section forms") as case:
        _judge(case, author.post(target, post, **(JSON if as_json else {})), form_key=None)


BLOCK_FIELDS = {
    BlockType.INDICATOR_TABLE: {
        "indicators": st.just("SCC/013aii"),
        "periods": st.sampled_from(["2014-15", "2013-14, 2014-15"]),
        "caption": st.just("Looked after children"),
    },
    BlockType.INDICATOR_CHART: {
        "indicators": st.just("SCC/013aii"),
        "periods": st.just("2014-15"),
        "title": st.just(""),
    },
    BlockType.COMMENTARY: {
        "indicator": st.just("SCC/013aii"),
        "periods": st.just("2014-15"),
        "text": st.just("Fewer cases were allocated."),
        "regenerate": st.sampled_from(["", "on"]),
    },
    BlockType.FREE_TABLE: {
        "caption": st.just("Vacancies"),
        "columns": st.just("Team | Posts"),
        "rows": st.just("Assessment | 12"),
    },
    BlockType.CP_REGISTER: {"periods": st.sampled_from(["", "2014-15"])},
    BlockType.WORKFORCE_TABLE: {"as_at": st.sampled_from(["", "2015-03-31", "31/03/2015"])},
}


@examples(80)
@given(data=st.data(), kind=st.sampled_from(sorted(BLOCK_FIELDS)), as_json=st.booleans())
def test_block_forms(author, paper, data, kind, as_json):
    report, section, blocks = paper
    block = blocks[kind]
    fields = {k: (junk.periods if k == "periods" else v) for k, v in BLOCK_FIELDS[kind].items()}
    fields = {
        name: st.one_of(BLOCK_FIELDS[kind][name], strategy) for name, strategy in fields.items()
    }
    post = data.draw(junk.form_post(fields))
    post = {f"block-{block.pk}-{name}": value for name, value in post.items()}
    target = data.draw(
        st.sampled_from(
            [
                url("block", report, block=block.pk),
                url("add_block", report, section=section.pk),
                url("move_block", report, block=block.pk),
                url("remove_block", report, block=block.pk),
            ]
        )
    )
    post.update(kind=data.draw(junk.posted()), direction=data.draw(junk.posted()))
    with examined("report block forms") as case:
        _judge(case, author.post(target, post, **(JSON if as_json else {})), form_key=None)


@examples(30)
@given(data=st.data())
def test_pack_form(author, paper, council_b, data):
    report, _section, _blocks = paper
    post = data.draw(
        junk.form_post(
            {
                "report": st.just(str(report.pk)),
                "nation": st.sampled_from(["", "wales"]),
                "region": st.just(""),
                "councils": st.just(str(council_b.pk)),
                "format": st.sampled_from(["pdf", "html"]),
            }
        )
    )
    with examined("report pack form") as case:
        _judge(case, author.post(reverse("packs:new"), post))
