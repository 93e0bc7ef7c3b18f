"""The bugs the generated cases found, each pinned by a plain test that failed before its
fix (server errors, a write left by a refused request, a workbook Excel cannot open)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from council_reports.date_input import DateInputField
from indicators import exporting, workflow
from indicators.models import Period, QuarterlyReturn, ReturnStatus
from reports.models import Report
from tests.security.checks import examined
from tests.security.forms import client_for

QUARTER = "2015-16 Q1"


def return_url(name: str, council, kind: str = "allocations") -> str:
    return reverse(
        f"returns:{name}", kwargs={"council": council.slug, "kind": kind, "period": QUARTER}
    )


def test_a_date_with_a_twenty_digit_day_is_refused_not_a_server_error():
    field = DateInputField(label="Due date")
    with pytest.raises(ValidationError) as refused:
        field.clean(["9" * 20, "3", "2015"])
    assert "Due date must be a real date" in str(refused.value)


def test_a_unicode_digit_as_the_returns_version_is_refused(users, council_a):
    client = client_for(users["officer_a"])
    with examined("found bugs") as case:
        response = client.post(return_url("confirm", council_a), {"version": "²"})
        case.answered(response)
        assert response.status_code == 400
        case.nothing_written()


def test_a_refused_workflow_step_leaves_no_period_behind(users, council_a):
    client = client_for(users["approver"])
    with examined("found bugs") as case:
        response = client.post(return_url("submit", council_a), {"version": "0"})
        assert response.status_code == 404
        case.nothing_written()
    assert not Period.objects.filter(code=QUARTER).exists()


def test_a_reopening_reason_with_a_nul_is_refused(users, council_a):
    ret = QuarterlyReturn.objects.create(
        authority=council_a,
        period=Period.objects.for_code(QUARTER),
        kind="allocations",
        status=ReturnStatus.APPROVED,
        version=3,
    )
    with pytest.raises(workflow.ReturnError, match="null characters"):
        workflow.reopen_return(ret, user=users["approver"], reason="x\x00", expected_version=3)


def test_a_section_heading_with_a_nul_is_stored_without_it(users, council_a):
    report = Report.objects.create(
        slug="paper", authority=council_a, title="t", committee="c", created_by=users["author"]
    )
    client = client_for(users["author"])
    url = reverse("reports:add_section", kwargs={"slug": report.slug, "version": 1})
    response = client.post(url, {"heading": "Purpose\x00"})
    assert response.status_code == 302
    assert report.sections.get().heading == "Purpose"


def test_a_paper_compared_against_a_unicode_digit_is_shown(users, council_a):
    report = Report.objects.create(
        slug="paper", authority=council_a, title="t", committee="c", created_by=users["author"]
    )
    client = client_for(users["author"])
    url = reverse("reports:changes", kwargs={"slug": report.slug, "version": 1})
    assert client.get(url, {"against": "²"}).status_code == 200


def test_a_pack_for_a_council_id_too_large_for_the_database_is_refused(users, council_a):
    client = client_for(users["author"])
    response = client.post(reverse("packs:new"), {"councils": "9" * 30, "format": "pdf"})
    assert response.status_code == 200
    assert "A council you chose was not found" in response.context["form"].errors["councils"][0]


@pytest.mark.parametrize("name", ["authority", "indicator", "period"])
def test_the_api_names_a_parameter_holding_a_nul(users, name):
    client = client_for(users["member"])
    response = client.get(reverse("api:observations"), {name: "Rhondda\x00"})
    assert response.status_code == 400
    assert response.json() == {name: "must not contain null characters"}


def test_text_xml_cannot_hold_is_left_out_of_a_workbook():
    data = io.BytesIO()
    exporting.write_xlsx([["note \uffff\ufffe end", "=1+2"]], data, header=["note", "formula"])
    sheet = load_workbook(io.BytesIO(data.getvalue())).worksheets[0]
    note, formula = sheet[2]
    assert note.value == "note  end"
    assert formula.value == "=1+2" and formula.data_type == "s" and formula.quotePrefix
