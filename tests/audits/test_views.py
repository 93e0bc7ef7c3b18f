"""The case-audit pages: audits, cases, recommendations and status updates; who may use them
(members never: audit findings are sensitive); pseudonymised references only; bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.models import AuditedCase, CaseAudit, Recommendation
from audits.validators import check_case_reference, looks_like_a_date

FINDING = "Core group minutes missing for two meetings"


@pytest.fixture
def audit_a(council_a) -> CaseAudit:
    return CaseAudit.objects.create(
        authority=council_a, title="CP cases held by ACMs 2014-15", audit_date=dt.date(2015, 3, 27)
    )


@pytest.fixture
def audit_b(council_b) -> CaseAudit:
    return CaseAudit.objects.create(authority=council_b, title="Caerphilly audit")


@pytest.fixture
def case_a(audit_a) -> AuditedCase:
    return AuditedCase.objects.create(
        audit=audit_a, reference="Case 1", findings=FINDING, grade="good"
    )


@pytest.fixture
def recommendation_a(audit_a) -> Recommendation:
    return Recommendation.objects.create(
        audit=audit_a, number=1, action="Review supervision of ACM-held cases", owner="Head of CP"
    )


def url(name: str, council, **kwargs) -> str:
    return reverse(f"audits:{name}", kwargs={"council": council.slug, **kwargs})


def case_data(**changes) -> dict:
    data = {
        "reference": "Case 3",
        "children": "1",
        "category": "neglect",
        "worker_role": "",
        "meetings_examined": "Initial case conference; two core groups",
        "findings": FINDING,
        "compliant": "no",
        "grade": "requires_improvement",
    }
    data.update(changes)
    return data


def audit_data(**changes) -> dict:
    data = {
        "title": "Neglect cases 2015-16 Q1",
        "scope": "Ten cases on the register for neglect",
        "period_code": "2015-16 Q1",
        "auditor": "Safeguarding Unit",
        "audit_date_day": "30",
        "audit_date_month": "6",
        "audit_date_year": "2015",
        "summary": "",
    }
    data.update(changes)
    return data


def recommendation_data(**changes) -> dict:
    data = {
        "number": "2",
        "action": "Core group minutes on file within 10 days",
        "owner": "Team managers",
        "due_date_day": "30",
        "due_date_month": "9",
        "due_date_year": "2015",
        "status": "open",
    }
    data.update(changes)
    return data


# --- Domain rule ------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["Case 3", "A12", "CP-0042", "Case 5 and 6", "2015/7"])
def test_pseudonymised_references_are_accepted(reference):
    check_case_reference(reference)


@pytest.mark.parametrize(
    "reference",
    [
        "12/03/2010",
        "Case 12.3.10",
        "2010-03-12",
        "born 12 March 2010",
        "March 12, 2010",
        "12032010",
    ],
)
def test_a_reference_with_a_date_is_refused(reference):
    assert looks_like_a_date(reference)
    with pytest.raises(Exception, match="must not contain a date"):
        check_case_reference(reference)


def test_a_reference_without_a_number_is_refused_as_possibly_a_name():
    with pytest.raises(Exception, match="must include a number"):
        check_case_reference("Child Bee")


# --- Happy paths ------------------------------------------------------------------------


def test_officer_creates_an_audit_with_its_period(client, users, council_a):
    client.force_login(users["officer_a"])
    response = client.post(url("new", council_a), audit_data())
    assert response.status_code == 302
    audit = CaseAudit.objects.get()
    assert audit.authority == council_a
    assert audit.period.code == "2015-16 Q1"
    assert audit.audit_date == dt.date(2015, 6, 30)
    assert audit.history.get().history_user == users["officer_a"]


def test_officer_adds_a_case_and_the_detail_page_shows_it(client, users, council_a, audit_a):
    client.force_login(users["officer_a"])
    response = client.post(url("new_case", council_a, pk=audit_a.pk), case_data())
    assert response.status_code == 302
    case = AuditedCase.objects.get()
    assert case.compliant is False
    assert case.history.count() == 1
    page = client.get(url("detail", council_a, pk=audit_a.pk))
    assert "Case 3" in page.text and FINDING in page.text


def test_compliance_not_known_is_stored_as_unknown(client, users, council_a, audit_a):
    client.force_login(users["officer_a"])
    client.post(url("new_case", council_a, pk=audit_a.pk), case_data(compliant=""))
    assert AuditedCase.objects.get().compliant is None


def test_officer_edits_a_case(client, users, council_a, audit_a, case_a):
    client.force_login(users["officer_a"])
    edit = url("edit_case", council_a, pk=audit_a.pk, case_pk=case_a.pk)
    assert client.get(edit).status_code == 200
    response = client.post(edit, case_data(reference="Case 1", grade="good", compliant="yes"))
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.compliant is True
    assert case_a.history.count() == 2


def test_officer_adds_a_recommendation(client, users, council_a, audit_a):
    client.force_login(users["approver"])
    response = client.post(
        url("new_recommendation", council_a, pk=audit_a.pk), recommendation_data()
    )
    assert response.status_code == 302
    rec = Recommendation.objects.get()
    assert rec.due_date == dt.date(2015, 9, 30)


def test_status_update_is_kept_in_history(client, users, council_a, audit_a, recommendation_a):
    client.force_login(users["officer_a"])
    status_url = url("update_status", council_a, pk=audit_a.pk, rec_pk=recommendation_a.pk)
    client.post(status_url, {"status": "in_progress", "status_note": "Audit tool agreed"})
    client.post(status_url, {"status": "done", "status_note": "Re-audit found all minutes on file"})
    recommendation_a.refresh_from_db()
    assert recommendation_a.status == "done"
    versions = list(recommendation_a.history.order_by("history_date"))
    assert [v.status for v in versions] == ["open", "in_progress", "done"]
    assert versions[1].status_note == "Audit tool agreed"
    assert "In progress" in versions[2].history_change_reason
    assert versions[2].history_user == users["officer_a"]
    page = client.get(status_url)
    assert "Audit tool agreed" in page.text  # earlier notes stay visible


def test_a_status_update_needs_a_progress_note(client, users, council_a, audit_a, recommendation_a):
    client.force_login(users["officer_a"])
    status_url = url("update_status", council_a, pk=audit_a.pk, rec_pk=recommendation_a.pk)
    response = client.post(status_url, {"status": "done", "status_note": ""})
    assert response.status_code == 200
    assert 'href="#id_status_note"' in response.text
    recommendation_a.refresh_from_db()
    assert recommendation_a.status == "open"


# --- Bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": "12/03/2010"}, "reference"),
        ({"reference": "Case 2010-03-12"}, "reference"),
        ({"reference": "Child Bee"}, "reference"),
        ({"reference": ""}, "reference"),
        ({"children": "0"}, "children"),
        ({"category": "bruising"}, "category"),
        ({"grade": "excellent"}, "grade"),
        ({"compliant": "maybe"}, "compliant"),
        ({"worker_role": "999999"}, "worker_role"),
    ],
)
def test_bad_case_names_its_field_and_writes_nothing(
    client, users, council_a, audit_a, changes, field
):
    client.force_login(users["officer_a"])
    response = client.post(url("new_case", council_a, pk=audit_a.pk), case_data(**changes))
    assert response.status_code == 200
    assert f'href="#id_{field}"' in response.text
    assert not AuditedCase.objects.exists()


def test_reference_hint_says_never_a_name(client, users, council_a, audit_a):
    client.force_login(users["officer_a"])
    page = client.get(url("new_case", council_a, pk=audit_a.pk))
    assert "Never a child&#x27;s name" in page.text


def test_a_duplicate_case_reference_is_an_error_on_the_reference(
    client, users, council_a, audit_a, case_a
):
    client.force_login(users["officer_a"])
    response = client.post(url("new_case", council_a, pk=audit_a.pk), case_data(reference="Case 1"))
    assert response.status_code == 200
    assert 'href="#id_reference"' in response.text
    assert AuditedCase.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "CP cases held by ACMs 2014-15"}, "title"),  # taken
        ({"period_code": "2015-17"}, "period_code"),
        ({"audit_date_day": "31", "audit_date_month": "6"}, "audit_date_day"),
        ({"audit_date_year": "2999"}, "audit_date_day"),
    ],
)
def test_bad_audit_names_its_field(client, users, council_a, audit_a, changes, field):
    client.force_login(users["officer_a"])
    response = client.post(url("new", council_a), audit_data(**changes))
    assert response.status_code == 200
    assert f'href="#id_{field}"' in response.text
    assert CaseAudit.objects.count() == 1


def test_a_duplicate_recommendation_number_is_refused(
    client, users, council_a, audit_a, recommendation_a
):
    client.force_login(users["officer_a"])
    response = client.post(
        url("new_recommendation", council_a, pk=audit_a.pk), recommendation_data(number="1")
    )
    assert response.status_code == 200
    assert 'href="#id_number"' in response.text
    assert Recommendation.objects.count() == 1


# --- Who may ----------------------------------------------------------------------------


def every_page(council, audit, case, rec) -> list[str]:
    return [
        url("list", council),
        url("new", council),
        url("detail", council, pk=audit.pk),
        url("edit", council, pk=audit.pk),
        url("new_case", council, pk=audit.pk),
        url("edit_case", council, pk=audit.pk, case_pk=case.pk),
        url("new_recommendation", council, pk=audit.pk),
        url("edit_recommendation", council, pk=audit.pk, rec_pk=rec.pk),
        url("update_status", council, pk=audit.pk, rec_pk=rec.pk),
    ]


@pytest.mark.parametrize("who", ["member", "officer_b"])
def test_members_and_other_councils_get_403_on_every_audit_page(
    client, users, council_a, audit_a, case_a, recommendation_a, who
):
    client.force_login(users[who])
    for page in every_page(council_a, audit_a, case_a, recommendation_a):
        assert client.get(page).status_code == 403, page
        assert client.post(page, case_data(status="done", status_note="x")).status_code == 403
    case_a.refresh_from_db()
    recommendation_a.refresh_from_db()
    assert recommendation_a.status == "open"
    assert CaseAudit.objects.count() == 1 and AuditedCase.objects.count() == 1


def test_member_never_sees_findings(client, users, council_a, audit_a, case_a):
    client.force_login(users["member"])
    response = client.get(url("detail", council_a, pk=audit_a.pk))
    assert response.status_code == 403
    assert FINDING not in response.text


def test_author_reads_but_may_not_edit(client, users, council_a, audit_a, case_a, recommendation_a):
    client.force_login(users["author"])
    assert client.get(url("list", council_a)).status_code == 200
    detail = client.get(url("detail", council_a, pk=audit_a.pk))
    assert detail.status_code == 200
    assert "Add a case" not in detail.text
    for page in every_page(council_a, audit_a, case_a, recommendation_a)[3:]:
        assert client.get(page).status_code == 403, page
        assert client.post(page, case_data()).status_code == 403, page
    assert client.post(url("new", council_a), audit_data()).status_code == 403


def test_ids_from_another_council_are_404(client, users, council_a, council_b, audit_a, audit_b):
    theirs_case = AuditedCase.objects.create(audit=audit_b, reference="Case 9", findings="x")
    theirs_rec = Recommendation.objects.create(audit=audit_b, number=1, action="Act")
    client.force_login(users["officer_a"])
    for page in every_page(council_a, audit_b, theirs_case, theirs_rec)[2:]:
        assert client.get(page).status_code == 404, page
        assert client.post(page, case_data()).status_code == 404, page
    # Their case reached through my audit's URL is not found either.
    mine_then_theirs = url("edit_case", council_a, pk=audit_a.pk, case_pk=theirs_case.pk)
    assert client.get(mine_then_theirs).status_code == 404
    assert not audit_a.cases.exists()


def test_unknown_council_is_404(client, users):
    client.force_login(users["admin"])
    assert client.get("/councils/nowhere/audits/").status_code == 404


# --- Generated bad input ----------------------------------------------------------------

date_shaped = st.builds(
    lambda d, m, y, sep, prefix: f"{prefix}{d:02d}{sep}{m:02d}{sep}{y}",
    st.integers(1, 28),
    st.integers(1, 12),
    st.integers(1990, 2025),
    st.sampled_from(["/", "-", "."]),
    st.sampled_from(["", "Case ", "ref "]),
)
iso_date = st.dates(dt.date(1990, 1, 1), dt.date(2025, 12, 31)).map(
    lambda d: f"Case {d.isoformat()}"
)
letters_only = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=30
).map(lambda t: t.strip() or "x")


@st.composite
def invalid_case(draw) -> dict:
    kind = draw(st.sampled_from(["date", "name", "children", "choice", "blank"]))
    if kind == "date":
        return {"reference": draw(st.one_of(date_shaped, iso_date))}
    if kind == "name":
        return {"reference": draw(letters_only)}
    if kind == "children":
        return {"children": draw(st.one_of(st.integers(-1000, 0).map(str), st.just("two")))}
    if kind == "blank":
        return {"reference": draw(st.sampled_from(["", "   "]))}
    field = draw(st.sampled_from(["category", "grade", "compliant"]))
    return {
        field: draw(
            st.text(min_size=1, max_size=10).filter(
                lambda t: (
                    t.strip()
                    not in {
                        "neglect",
                        "emotional",
                        "physical",
                        "sexual",
                        "multiple",
                        "good",
                        "requires_improvement",
                        "inadequate",
                        "yes",
                        "no",
                        "",
                    }
                )
            )
        )
    }


@settings(
    max_examples=90, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=invalid_case())
def test_generated_bad_cases_are_refused_by_field(client, users, council_a, audit_a, changes):
    client.force_login(users["officer_a"])
    response = client.post(url("new_case", council_a, pk=audit_a.pk), case_data(**changes))
    assert response.status_code == 200
    assert 'href="#id_' in response.text
    assert not AuditedCase.objects.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.one_of(
        st.fixed_dictionaries({"number": st.one_of(st.integers(-50, 0).map(str), st.just("one"))}),
        st.fixed_dictionaries({"action": st.sampled_from(["", "  "])}),
        st.fixed_dictionaries(
            {
                "status": st.text(max_size=8).filter(
                    lambda t: t not in {"open", "in_progress", "done"}
                )
            }
        ),
        st.fixed_dictionaries({"due_date_month": st.integers(13, 99).map(str)}),
    )
)
def test_generated_bad_recommendations_are_refused_by_field(
    client, users, council_a, audit_a, changes
):
    client.force_login(users["officer_a"])
    response = client.post(
        url("new_recommendation", council_a, pk=audit_a.pk), recommendation_data(**changes)
    )
    assert response.status_code == 200
    assert 'href="#id_' in response.text
    assert not Recommendation.objects.exists()
