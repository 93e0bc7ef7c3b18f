"""Junk through the workforce snapshot form and the case-audit forms (audit, case,
recommendation, status update), posted by an officer of the council: no server error,
every refusal on the field it is about and naming it, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audits.models import AuditedCase, CaseAudit, Recommendation
from tests.security import junk
from tests.security.checks import examined
from tests.security.forms import accepted, client_for, refused_with_named_fields
from tests.security.settings import examples
from workforce.models import Role, Team, WorkforceSnapshot


@pytest.fixture
def officer(users):
    return client_for(users["officer_a"])


@pytest.fixture
def staffing(council_a):
    team = Team.objects.create(authority=council_a, name="Assessment and Care Planning")
    role = Role.objects.create(name="Social worker", short_name="SW")
    # A snapshot already stored, that junk may collide with or try to edit.
    snapshot = WorkforceSnapshot.objects.create(
        authority=council_a, team=team, role=role, as_at=dt.date(2015, 3, 31), establishment_fte=20
    )
    return team, role, snapshot


def _post_and_judge(client, url: str, data: dict, area: str) -> None:
    with examined(area) as case:
        response = client.post(url, data)
        case.answered(response)
        if accepted(response):
            return
        case.nothing_written()
        refused_with_named_fields(response)


@examples(60)
@given(data=st.data())
def test_workforce_snapshot(officer, council_a, staffing, data):
    team, role, snapshot = staffing
    fields = {
        "team": st.sampled_from([str(team.pk), ""]),
        "role": st.just(str(role.pk)),
        "as_at_day": st.sampled_from(["31", "30"]),
        "as_at_month": st.sampled_from(["3", "6"]),
        "as_at_year": st.sampled_from(["2015", "2014"]),
        **{
            name: st.sampled_from(["", "12.5", "0"])
            for name in ("establishment_fte", "filled_fte", "vacancies_fte", "agency_fte")
        },
        "headcount": st.sampled_from(["", "14"]),
        "average_caseload": st.sampled_from(["", "22"]),
        "source": st.just("HR return"),
        "note": st.just(""),
    }
    post = data.draw(junk.form_post(fields))
    url = data.draw(
        st.sampled_from(
            [
                reverse("workforce:new", kwargs={"council": council_a.slug}),
                reverse("workforce:edit", kwargs={"council": council_a.slug, "pk": snapshot.pk}),
            ]
        )
    )
    _post_and_judge(officer, url, post, "workforce snapshot form")


@pytest.fixture
def audit(council_a):
    audit = CaseAudit.objects.create(authority=council_a, title="CP cases held by ACMs")
    AuditedCase.objects.create(audit=audit, reference="Case 1")
    recommendation = Recommendation.objects.create(
        audit=audit, number=1, action="Allocate CP cases to qualified social workers"
    )
    return audit, recommendation


def _date(prefix: str) -> dict:
    return {
        f"{prefix}_day": st.sampled_from(["27", "1"]),
        f"{prefix}_month": st.sampled_from(["3", "12"]),
        f"{prefix}_year": st.sampled_from(["2015", "2014"]),
    }


@examples(40)
@given(data=st.data())
def test_audit_form(officer, council_a, audit, data):
    existing, _rec = audit
    fields = {
        "title": st.sampled_from(["Neglect audit 2015", "CP cases held by ACMs"]),
        "scope": st.just("Open CP cases"),
        "period_code": st.sampled_from(["", "2014-15", "2014-15 Q4"]),
        "auditor": st.just("Quality assurance team"),
        **_date("audit_date"),
        "summary": st.just(""),
    }
    post = data.draw(
        junk.form_post({**fields, "period_code": st.one_of(fields["period_code"], junk.periods)})
    )
    url = data.draw(
        st.sampled_from(
            [
                reverse("audits:new", kwargs={"council": council_a.slug}),
                reverse("audits:edit", kwargs={"council": council_a.slug, "pk": existing.pk}),
            ]
        )
    )
    _post_and_judge(officer, url, post, "audit form")


@examples(40)
@given(data=st.data())
def test_case_form(officer, council_a, audit, data):
    existing, _rec = audit
    fields = {
        "reference": st.sampled_from(["Case 2", "Case 1", "CP-0042"]),
        "children": st.sampled_from(["1", "3"]),
        "category": st.sampled_from(["neglect", "", "multiple"]),
        "worker_role": st.just(""),
        "meetings_examined": st.just("Initial case conference"),
        "findings": st.just(""),
        "compliant": st.sampled_from(["", "yes", "no"]),
        "grade": st.sampled_from(["good", "", "inadequate"]),
    }
    post = data.draw(junk.form_post(fields))
    url = reverse("audits:new_case", kwargs={"council": council_a.slug, "pk": existing.pk})
    _post_and_judge(officer, url, post, "audited case form")


@examples(40)
@given(data=st.data())
def test_recommendation_form(officer, council_a, audit, data):
    existing, rec = audit
    fields = {
        "number": st.sampled_from(["2", "1"]),
        "action": st.just("Review supervision of ACMs"),
        "owner": st.just("Head of Safeguarding"),
        **_date("due_date"),
        "status": st.sampled_from(["open", "done"]),
    }
    post = data.draw(junk.form_post(fields))
    url = data.draw(
        st.sampled_from(
            [
                reverse(
                    "audits:new_recommendation",
                    kwargs={"council": council_a.slug, "pk": existing.pk},
                ),
                reverse(
                    "audits:edit_recommendation",
                    kwargs={"council": council_a.slug, "pk": existing.pk, "rec_pk": rec.pk},
                ),
            ]
        )
    )
    _post_and_judge(officer, url, post, "recommendation form")


@examples(30)
@given(data=st.data())
def test_status_update_form(officer, council_a, audit, data):
    existing, rec = audit
    fields = {
        "status": st.sampled_from(["in_progress", "done"]),
        "status_note": st.just("Cases reallocated"),
    }
    post = data.draw(junk.form_post(fields))
    url = reverse(
        "audits:update_status",
        kwargs={"council": council_a.slug, "pk": existing.pk, "rec_pk": rec.pk},
    )
    _post_and_judge(officer, url, post, "recommendation status form")
