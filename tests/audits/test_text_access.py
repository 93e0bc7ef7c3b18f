"""Audit free text (issue 7, item 7): only signed-in staff of that council with an officer,
approver, author or administrator role see it, and every page that shows it is recorded.

Each (page, role) is its own test: a 200 carries the text and writes exactly one access
record naming the user and the audit; a refusal (403, or the sign-in page) carries no text
and writes none. The dashboard never shows the text and writes nothing; the records cannot
be changed through the admin or the ORM.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audits.models import AuditedCase, AuditTextAccess, CaseAudit, Recommendation
from council_reports.accounts import provision_user
from reports import editing
from reports.models import Report
from reports.paper import without_audit_text
from tests.conftest import PASSWORD

SCOPE = "Ten cases on the register for neglect, picked at random"
SUMMARY = "Supervision of ACM-held cases was not recorded consistently"
MEETINGS = "Initial case conference; two core groups"
FINDING = "Core group minutes missing for two meetings"
ACTION = "Review supervision of ACM-held cases"
NOTE = "Supervision audit booked for July"
ADDRESS = "203.0.113.9"

ROLES = [
    "anonymous",
    "officer_a",
    "officer_b",
    "approver",
    "member",
    "author",  # of council A (tests/conftest.py)
    "author_b",
    "author_none",
    "admin",
    "staff_officer",  # an officer of A with Django's staff flag and every audits permission
]
# Who is shown council A's audit text: its own staff, and administrators.
READERS = {"officer_a", "approver", "author", "admin", "staff_officer"}
# Of those, who may also change it (authors read only).
EDITORS = {"officer_a", "approver", "admin", "staff_officer"}


@pytest.fixture
def people(users, council_a, council_b) -> dict:
    everyone = dict(users)
    everyone["author_b"] = provision_user("author.b", "author", [council_b.name], PASSWORD)[0]
    everyone["author_none"] = provision_user("author.none", "author", [], PASSWORD)[0]
    staff = provision_user("staff.officer", "officer", [council_a.name], PASSWORD)[0]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="audits"))
    everyone["staff_officer"] = staff
    return everyone


@pytest.fixture
def audit(council_a) -> CaseAudit:
    audit = CaseAudit.objects.create(
        authority=council_a,
        title="CP cases held by ACMs 2014-15",
        scope=SCOPE,
        audit_date=dt.date(2015, 3, 27),
        summary=SUMMARY,
    )
    AuditedCase.objects.create(
        audit=audit, reference="Case 1", meetings_examined=MEETINGS, findings=FINDING
    )
    Recommendation.objects.create(
        audit=audit, number=1, action=ACTION, owner="Head of CP", status_note=NOTE
    )
    return audit


def client_for(people, role: str) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    if role != "anonymous":
        client.force_login(people[role])
    return client


def refused(response) -> bool:
    """403, or sent to a sign-in page (the site's or the admin's)."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and "login/" in response["Location"]


# ---------------------------------------------------------------------------------------
# The app's pages

# name, who may open it, the texts it shows, the AuditTextAccess.page it records, and
# what it names besides the audit.
PAGES = {
    "detail": (READERS, [SCOPE, SUMMARY, MEETINGS, FINDING, ACTION, NOTE], "detail", None),
    "edit": (EDITORS, [SCOPE, SUMMARY], "audit_form", None),
    "edit_case": (EDITORS, [MEETINGS, FINDING], "case_form", "case"),
    "edit_recommendation": (EDITORS, [ACTION], "recommendation_form", "recommendation"),
    "update_status": (EDITORS, [ACTION, NOTE], "status", "recommendation"),
}
ALL_TEXT = [SCOPE, SUMMARY, MEETINGS, FINDING, ACTION, NOTE]


def page_url(name: str, audit: CaseAudit) -> str:
    kwargs = {"council": audit.authority.slug, "pk": audit.pk}
    if name == "edit_case":
        kwargs["case_pk"] = audit.cases.get().pk
    if name in ("edit_recommendation", "update_status"):
        kwargs["rec_pk"] = audit.recommendations.get().pk
    return reverse(f"audits:{name}", kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(PAGES))
def test_audit_text_only_for_the_councils_staff_and_every_view_recorded(people, audit, name, role):
    allowed, texts, page, names = PAGES[name]
    path = page_url(name, audit)
    response = client_for(people, role).get(path)
    content = response.content.decode()
    records = AuditTextAccess.objects.all()
    if role in allowed:
        assert response.status_code == 200, path
        for text in texts:
            assert text in content
        record = records.get()  # exactly one
        assert (record.user, record.username, record.role) == (
            people[role],
            people[role].username,
            people[role].role,
        )
        assert (record.audit, record.audit_title, record.authority) == (
            audit,
            audit.title,
            audit.authority,
        )
        assert (record.page, record.path, record.ip_address) == (page, path, ADDRESS)
        assert record.case == (audit.cases.get() if names == "case" else None)
        expected_rec = audit.recommendations.get() if names == "recommendation" else None
        assert record.recommendation == expected_rec
    else:
        assert refused(response), f"{role} {path}: {response.status_code}"
        for text in ALL_TEXT:
            assert text not in content
        assert not records.exists()


def test_a_form_with_errors_shown_again_is_a_view(people, audit):
    client = client_for(people, "officer_a")
    response = client.post(page_url("edit", audit), {"title": ""})
    assert response.status_code == 200
    assert AuditTextAccess.objects.get().page == "audit_form"


def test_a_saved_form_redirects_and_records_nothing_until_the_page_is_drawn(people, audit):
    client = client_for(people, "officer_a")
    response = client.post(
        page_url("update_status", audit), {"status": "done", "status_note": "Done in June"}
    )
    assert response.status_code == 302
    assert not AuditTextAccess.objects.exists()


def test_adding_shows_no_text_and_records_nothing(people, audit):
    client = client_for(people, "officer_a")
    for name in ("new", "new_case", "new_recommendation"):
        kwargs = {"council": audit.authority.slug}
        if name != "new":
            kwargs["pk"] = audit.pk
        assert client.get(reverse(f"audits:{name}", kwargs=kwargs)).status_code == 200
    assert not AuditTextAccess.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_titles_only_to_readers_and_records_nothing(people, audit, role):
    response = client_for(people, role).get(
        reverse("audits:list", kwargs={"council": audit.authority.slug})
    )
    if role in READERS:
        assert response.status_code == 200
        assert audit.title in response.content.decode()
    else:
        assert refused(response)
    for text in ALL_TEXT:
        assert text not in response.content.decode()
    assert not AuditTextAccess.objects.exists()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_dashboard_shows_counts_only_and_records_nothing(people, audit, role):
    response = client_for(people, role).get(
        reverse("audits:dashboard", kwargs={"council": audit.authority.slug})
    )
    assert response.status_code == 200
    content = response.content.decode()
    for text in ALL_TEXT:
        assert text not in content
    detail = reverse("audits:detail", kwargs={"council": audit.authority.slug, "pk": audit.pk})
    # The link to the findings only for those who may follow it.
    assert (detail in content) == (role in READERS)
    assert not AuditTextAccess.objects.exists()


def test_each_view_is_a_line_on_the_audit_access_logger(people, audit, caplog):
    with caplog.at_level(logging.INFO, logger="council_reports.audit_access"):
        client_for(people, "author").get(page_url("detail", audit))
    [line] = [r for r in caplog.records if r.name == "council_reports.audit_access"]
    message = line.getMessage()
    assert f"user={people['author'].username} role=author" in message
    assert f"council={audit.authority.slug} audit={audit.pk}" in message
    assert f"ip={ADDRESS}" in message
    for text in ALL_TEXT:
        assert text not in message  # the log says who read what, never the text


# ---------------------------------------------------------------------------------------
# The admin: administrators only, and recorded too


def admin_pages(audit: CaseAudit) -> list[tuple[str, str, dict]]:
    """(url, AuditTextAccess.page, what the record names) for every admin page about the
    audit models."""
    case, rec = audit.cases.get(), audit.recommendations.get()
    version = audit.history.latest("history_date").history_id
    pages = []
    for model, obj, names in (
        ("caseaudit", audit, {}),
        ("auditedcase", case, {"case": case}),
        ("recommendation", rec, {"recommendation": rec}),
    ):
        pages += [
            (reverse(f"admin:audits_{model}_changelist"), "admin_list", None),
            (reverse(f"admin:audits_{model}_change", args=[obj.pk]), "admin_change", names),
            (reverse(f"admin:audits_{model}_history", args=[obj.pk]), "admin_history", names),
            (reverse(f"admin:audits_{model}_delete", args=[obj.pk]), "admin_delete", names),
        ]
    pages.append(
        (
            reverse("admin:audits_caseaudit_simple_history", args=[audit.pk, version]),
            "admin_history",
            {},
        )
    )
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_admin_audit_pages_are_for_administrators_and_every_one_recorded(people, audit, role):
    client = client_for(people, role)
    for path, page, names in admin_pages(audit):
        before = AuditTextAccess.objects.count()
        response = client.get(path)
        if role != "admin":
            assert refused(response), f"{role} {path}: {response.status_code}"
            assert AuditTextAccess.objects.count() == before == 0
            continue
        assert response.status_code == 200, path
        record = AuditTextAccess.objects.order_by("-id").first()
        assert AuditTextAccess.objects.count() == before + 1, path
        assert (record.user, record.page, record.path) == (people["admin"], page, path)
        if names is None:  # a list: no one audit
            assert record.audit is None
        else:
            assert (record.audit, record.authority) == (audit, audit.authority)
            assert record.case == names.get("case")
            assert record.recommendation == names.get("recommendation")


def test_the_admins_audit_page_shows_the_text(people, audit):
    response = client_for(people, "admin").get(
        reverse("admin:audits_caseaudit_change", args=[audit.pk])
    )
    content = response.content.decode()
    for text in (SUMMARY, FINDING, ACTION):
        assert text in content


# ---------------------------------------------------------------------------------------
# The records: read-only for administrators, never changed or deleted


@pytest.fixture
def record(people, audit) -> AuditTextAccess:
    client_for(people, "officer_a").get(page_url("detail", audit))
    return AuditTextAccess.objects.get()


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_read_the_records_in_the_admin(people, record, role):
    response = client_for(people, role).get(reverse("admin:audits_audittextaccess_changelist"))
    if role == "admin":
        assert response.status_code == 200
        assert people["officer_a"].username in response.content.decode()
    else:
        assert refused(response)


def test_records_cannot_be_changed_added_or_deleted_through_the_admin(people, record):
    client = client_for(people, "admin")
    change = reverse("admin:audits_audittextaccess_change", args=[record.pk])
    page = client.get(change)
    assert page.status_code == 200  # read only: no form fields, no save button
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change, {"username": "someone.else", "page": "detail"}).status_code == 403
    delete = reverse("admin:audits_audittextaccess_delete", args=[record.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:audits_audittextaccess_add")).status_code == 403
    bulk = client.post(
        reverse("admin:audits_audittextaccess_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    record.refresh_from_db()
    assert record.username == people["officer_a"].username
    assert AuditTextAccess.objects.count() == 1


def test_records_cannot_be_changed_or_deleted_through_the_orm(record):
    record.username = "someone.else"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        AuditTextAccess.objects.update(username="someone.else")
    with pytest.raises(TypeError):
        AuditTextAccess.objects.all().delete()
    assert AuditTextAccess.objects.get().username == "officer.a"


def test_records_outlive_the_audit(record, audit):
    audit.delete()
    record.refresh_from_db()
    assert record.audit is None
    assert record.audit_title == "CP cases held by ACMs 2014-15"


def test_the_admin_searches_records_by_address(people, record):
    response = client_for(people, "admin").get(
        reverse("admin:audits_audittextaccess_changelist"), {"q": ADDRESS}
    )
    assert response.status_code == 200
    assert "1 audit text access" in response.content.decode()


# ---------------------------------------------------------------------------------------
# Committee papers: a recommendations block prints the actions


@pytest.fixture
def paper(people, audit, council_a) -> Report:
    return editing.save_spec(
        {
            "slug": "rct-audit-follow-up",
            "title": "Case audit follow-up",
            "committee": "Corporate Parenting Board",
            "authority": council_a.name,
            "sections": [{"heading": "Recommendations", "blocks": [{"type": "recommendations"}]}],
        },
        user=people["author"],
    )


def paper_urls(report: Report) -> list[str]:
    kwargs = {"slug": report.slug, "version": report.version}
    return [reverse(f"reports:{name}", kwargs=kwargs) for name in ("preview", "export_html")]


@pytest.mark.parametrize("role", ["author", "admin", "author_b", "author_none"])
def test_a_drafts_recommendations_print_their_actions_only_for_the_councils_staff(
    people, paper, audit, role
):
    client = client_for(people, role)
    for number, path in enumerate(paper_urls(paper), start=1):
        response = client.get(path)
        assert response.status_code == 200
        content = response.content.decode()
        assert "Head of CP" in content  # the owner, due date and status stay
        if role in READERS:
            assert ACTION in content
            assert AuditTextAccess.objects.count() == number
            record = AuditTextAccess.objects.order_by("-id").first()
            assert (record.user, record.page, record.path) == (people[role], "paper", path)
            assert record.authority == audit.authority
        else:
            assert ACTION not in content
            assert "shown only to Rhondda Cynon Taf" in content
            assert not AuditTextAccess.objects.exists()


@pytest.mark.parametrize("role", ["member", "officer_b", "officer_a", "author_b"])
def test_a_published_papers_actions_stay_with_the_councils_staff(people, paper, role):
    published = editing.publish(paper, people["author"], seen=editing.edit_stamp(paper))
    assert ACTION in str(published.frozen)  # frozen as the author saw it
    response = client_for(people, role).get(paper_urls(published)[0])
    assert response.status_code == 200
    assert (ACTION in response.content.decode()) == (role in READERS)
    assert AuditTextAccess.objects.count() == (1 if role in READERS else 0)


def test_without_audit_text_leaves_the_paper_given_alone(paper):
    from reports.building import paper_of

    drawn = paper_of(paper)
    withheld = without_audit_text(drawn)
    [block] = withheld["sections"][0]["blocks"]
    assert "Action" not in block["columns"]
    assert all(ACTION not in row for row in block["rows"])
    assert ACTION in str(drawn)


def test_a_report_pack_leaves_the_actions_out(people, paper, council_a, settings, tmp_path):
    from reports import packs

    settings.MEDIA_ROOT = tmp_path
    pack = packs.start(paper, [council_a], fmt="html", user=people["author"])
    assert packs.build(pack.pk) == "done"
    pack.refresh_from_db()
    with zipfile.ZipFile(pack.file.path) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".html")]
        document = archive.read(name).decode()
    assert "Head of CP" in document
    assert ACTION not in document
    assert not AuditTextAccess.objects.exists()


# ---------------------------------------------------------------------------------------
# The demo: its author writes for the seed councils and reads their audits


def test_the_demo_author_reads_every_demo_audit(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a long enough demo passphrase 7")
    call_command("load_demo", stdout=io.StringIO())
    client = Client()
    client.force_login(get_user_model().objects.get(username="author"))
    audits = CaseAudit.objects.select_related("authority")
    assert audits.count() == 2
    for audit in audits:
        url = reverse("audits:detail", kwargs={"council": audit.authority.slug, "pk": audit.pk})
        assert client.get(url).status_code == 200
    assert AuditTextAccess.objects.count() == 2
