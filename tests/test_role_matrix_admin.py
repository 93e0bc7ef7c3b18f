"""The Django admin, for every role: administrators only (issue 7, items 1 and 2).

Django's own site lets in anyone with `is_staff`; council_reports.sites.CouncilAdminSite asks
for an administrator (council_reports.permissions.is_admin). Every URL of the admin is read
from the resolver: the site's own pages, and for every registered ModelAdmin its changelist,
add, change, history and delete pages (the last three for an object that exists), so a model
registered later is walked without a new row here. Each (url, role, method) is its own test:
`admin:indicators_observation_change-staff_officer-GET`.

Roles: those of tests/test_role_matrix.py, and `staff_officer`: an officer of council A with
`is_staff` ticked and every model permission granted, as a mistaken administrator might.

Answers, beyond test_role_matrix's:
  ADMIN_LOGIN  302 to the admin's own sign-in page: signed in, but not an administrator
  ADMIN_INDEX  302 to the admin's index (which refuses them in turn)
A refused POST changes nothing: every row of every model the admin edits is compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from council_reports.accounts import provision_user
from council_reports.sites import CouncilAdminSite
from council_reports.tokens import create_token
from indicators.models import Comparator, Indicator, NeighbourGroup, Period, Target, YearLock
from reports.tasks import build_pack
from workforce.models import PostCost, Team

from .conftest import PASSWORD
from .test_role_matrix import (
    DONE,
    LOGIN,
    ROLES,
    _check,
    world,  # noqa: F401 (a fixture this module's fixture builds on)
)

ADMIN_LOGIN = "admin login"
ADMIN_INDEX = "admin index"
ADMIN_ROLES = (*ROLES, "staff_officer")

# Everyone signed in but an administrator is sent to the admin's sign-in page.
REFUSED = {
    "anonymous": LOGIN,
    "officer_a": ADMIN_LOGIN,
    "officer_b": ADMIN_LOGIN,
    "approver": ADMIN_LOGIN,
    "member": ADMIN_LOGIN,
    "author": ADMIN_LOGIN,
    "admin": 200,
    "staff_officer": ADMIN_LOGIN,
}
assert set(REFUSED) == set(ADMIN_ROLES)


def _admin_answers(answer) -> dict:
    """Everyone but an administrator refused; an administrator gets `answer`."""
    return {**REFUSED, "admin": answer}


# The site's own pages (GET).
SITE_PAGES: dict[str, dict] = {
    "admin:index": REFUSED,
    "admin:app_list": REFUSED,  # one URL per app with a registered model
    # Signed in but not an administrator: the admin's sign-in page, saying this account may
    # not enter (and refusing it: see test_a_staff_officer_cannot_sign_in_to_the_admin); an
    # administrator is sent on to the index.
    "admin:login": {
        **dict.fromkeys(ADMIN_ROLES, 200),
        "anonymous": LOGIN,
        "admin": DONE,
    },
    # A POST in Django 5 (405); anyone else is sent to the index, which refuses them.
    "admin:logout": {**dict.fromkeys(ADMIN_ROLES, ADMIN_INDEX), "anonymous": LOGIN, "admin": 405},
    "admin:password_change": REFUSED,
    "admin:password_change_done": REFUSED,
    "admin:autocomplete": _admin_answers(403),  # no field asked for
    "admin:jsi18n": REFUSED,
    "admin:view_on_site": _admin_answers(404),  # a user has no page of their own
}

# A ModelAdmin's pages (GET), each for an object that exists where the page names one.
# simple_history's admins add a page per earlier version; UserAdmin a password page.
MODEL_PAGES = (
    "changelist",
    "add",
    "change",
    "history",
    "delete",
    "simple_history",
    "password_change",
)
# Import logs and returns are written by the app, never typed into the admin: their admins
# refuse adding (and show the record read-only on its change page).
ADMIN_GETS = {
    "admin:indicators_importlog_add": 403,
    "admin:indicators_quarterlyreturn_add": 403,
    # Task results are the worker's, and who was shown audit text is evidence: neither is
    # added or deleted by hand.
    "admin:django_tasks_database_dbtaskresult_add": 403,
    "admin:django_tasks_database_dbtaskresult_delete": 403,
    "admin:audits_audittextaccess_add": 403,
    "admin:audits_audittextaccess_delete": 403,
    # Sign-in throttling's records (django-axes) are kept by the app, never typed in.
    "admin:axes_accessattempt_add": 403,
    "admin:axes_accesslog_add": 403,
    "admin:axes_accessfailurelog_add": 403,
}
# POST, by every role that is refused: an empty add form, an empty change form and a
# confirmed delete. (An administrator's POSTs are Django's forms at work, not a permission.)
POST_PAGES = ("add", "change", "delete")


# ---------------------------------------------------------------------------------------
# The admin's URLs, from the resolver


def _admin_patterns() -> Iterator[tuple[str, str]]:
    def walk(patterns, prefix: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                yield f"admin:{p.name}", prefix + str(p.pattern)

    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver) and p.namespace == "admin":
            yield from walk(p.url_patterns, str(p.pattern))


ADMIN_PATTERNS = dict(_admin_patterns())
MODELS = {
    f"admin:{model._meta.app_label}_{model._meta.model_name}": model
    for model in admin.site._registry
}
# Django's UserAdmin names its password page after auth.User, whichever model it serves.
EXTRA_MODEL_PAGES = {"admin:auth_user_password_change": (get_user_model(), "password_change")}
APP_LABELS = sorted({model._meta.app_label for model in admin.site._registry})


def _model_page(name: str):
    """(model, page) for a ModelAdmin's URL name; None for the site's own pages."""
    if name in EXTRA_MODEL_PAGES:
        return EXTRA_MODEL_PAGES[name]
    for prefix, model in MODELS.items():
        if name.startswith(prefix + "_") and name[len(prefix) + 1 :] in MODEL_PAGES:
            return model, name[len(prefix) + 1 :]
    return None


def _urls() -> list[tuple[str, str]]:
    """(label, URL name) for every admin page: app_list once per app."""
    found = []
    for name in sorted(ADMIN_PATTERNS):
        if name == "admin:app_list":
            found += [(f"{name}:{label}", name) for label in APP_LABELS]
        else:
            found.append((name, name))
    return found


def _expected(name: str) -> dict:
    if name in SITE_PAGES:
        return SITE_PAGES[name]
    return _admin_answers(ADMIN_GETS.get(name, 200))


def test_every_admin_url_has_expectations():
    unknown = sorted(
        name for name in ADMIN_PATTERNS if name not in SITE_PAGES and not _model_page(name)
    )
    assert not unknown, f"admin URLs without role expectations: {unknown}"
    pages = {_model_page(name)[1] for name in ADMIN_PATTERNS if _model_page(name)}
    assert pages == set(MODEL_PAGES), f"ModelAdmin pages: {pages}"
    assert not set(SITE_PAGES) - set(ADMIN_PATTERNS), "expectations for admin URLs now gone"


def test_the_admin_is_the_council_site():
    """INSTALLED_APPS names council_reports.apps.AdminConfig instead of django.contrib.admin,
    so the default site (where every app's admin.py registers) is CouncilAdminSite."""
    assert isinstance(admin.site, CouncilAdminSite), (
        'INSTALLED_APPS: "council_reports.apps.AdminConfig" in place of "django.contrib.admin"'
    )


# ---------------------------------------------------------------------------------------
# The data: the matrix's world, a staff officer, and one object of every registered model


@pytest.fixture(scope="module")
def admin_world(world, django_db_blocker):  # noqa: F811
    """Rolled back with the world (this runs inside its transaction)."""
    with django_db_blocker.unblock():
        a = world["a"]
        staff_officer = provision_user("staff.officer", "officer", [a.name], PASSWORD)[0]
        staff_officer.is_staff = True
        staff_officer.save()
        staff_officer.user_permissions.set(Permission.objects.all())
        assert staff_officer.has_perm("indicators.change_observation")
        users = {**world["users"], "staff_officer": staff_officer}

        indicator = Indicator.objects.get(code="SCC/013aii")
        year = Period.objects.for_code("2014-15")
        NeighbourGroup.objects.create(authority=a)
        Comparator.objects.create(name="Wales average", kind="national", nation="wales")
        Target.objects.create(authority=a, indicator=indicator, period=year, value=Decimal(95))
        YearLock.objects.create(authority=a, financial_year=2013, locked_by=users["admin"])
        Team.objects.create(authority=a, name="Assessment and Care Planning")
        PostCost.objects.create(
            authority=a,
            post_title="Social worker",
            grade="GR11",
            financial_year=2015,
            salary=Decimal("34000"),
            employer_ni=Decimal("3400"),
            superannuation=Decimal("5300"),
        )
        Group.objects.create(name="Performance team")
        create_token(users["officer_a"], name="matrix", days=90, read_only=False)
        build_pack.enqueue(world["pack"].pk)  # a task result
        if apps.is_installed("axes"):  # sign-in throttling's records (issue 7, item 1)
            from axes.models import AccessAttempt, AccessFailureLog, AccessLog

            seen = {"user_agent": "matrix", "ip_address": "192.0.2.1", "username": "x"}
            AccessAttempt.objects.create(**seen, failures_since_start=1)
            AccessLog.objects.create(**seen)
            AccessFailureLog.objects.create(**seen)
        if any(m._meta.label == "audits.AuditTextAccess" for m in admin.site._registry):
            # Who was shown an audit's free text (issue 7, item 7): written by the audit pages.
            apps.get_model("audits", "AuditTextAccess").objects.create(
                username="officer.a", role="officer", page="detail"
            )
        objects = {}
        for model in admin.site._registry:
            obj = model._default_manager.order_by("pk").first()
            assert obj is not None, f"no {model._meta.label} for the admin's change page"
            objects[model] = obj
        # Signed in once for the module: each test's changes are rolled back, sessions stay.
        clients = {role: _client({"users": users}, role) for role in ADMIN_ROLES}
        yield {
            "clients": clients,
            "users": users,
            "objects": objects,
            "user_type": ContentType.objects.get_for_model(users["officer_a"]),
        }


def _url(admin_world, label: str, name: str) -> str:
    model_page = _model_page(name)
    if name == "admin:app_list":
        return reverse(name, kwargs={"app_label": label.rpartition(":")[2]})
    if name == "admin:view_on_site":
        user = admin_world["users"]["officer_a"]
        return reverse(
            name, kwargs={"content_type_id": admin_world["user_type"].pk, "object_id": user.pk}
        )
    if model_page is None or model_page[1] in ("changelist", "add"):
        return reverse(name)
    model, page = model_page
    obj = admin_world["objects"][model]
    if page == "simple_history":
        return reverse(name, args=[obj.pk, obj.history.order_by("history_id")[0].history_id])
    return reverse(name, args=[obj.pk])


def _client(admin_world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(admin_world["users"][role])
    return client


def _fingerprint() -> dict:
    """Every row of every model the admin edits (last sign-in times aside)."""
    rows = {}
    for model in admin.site._registry:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "last_login"]
        rows[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*fields))
    users_permissions = Permission.user_set.through.objects.order_by("pk")
    rows["users' permissions"] = list(users_permissions.values_list("user_id", "permission_id"))
    return rows


def _check_admin(response, expected, path: str) -> None:
    if expected == ADMIN_LOGIN:
        location = response.get("Location", "")
        admin_login = reverse("admin:login")
        assert response.status_code == 302 and location.startswith(admin_login), (
            f"{path} answered {response.status_code} {location}"
        )
    elif expected == ADMIN_INDEX:
        location = response.get("Location", "")
        assert response.status_code == 302 and location == reverse("admin:index"), (
            f"{path} answered {response.status_code} {location}"
        )
    else:
        _check(response, expected, path)


# ---------------------------------------------------------------------------------------
# Every admin page, every role


def _get_cases() -> list:
    return [
        pytest.param(label, name, role, expected, id=f"{label}-{role}-GET")
        for label, name in _urls()
        for role, expected in _expected(name).items()
    ]


def _post_cases() -> list:
    return [
        pytest.param(label, name, role, expected, id=f"{label}-{role}-POST")
        for label, name in _urls()
        if (_model_page(name) or (None, None))[1] in POST_PAGES
        for role, expected in _expected(name).items()
        if role != "admin"
    ]


@pytest.mark.parametrize(("label", "name", "role", "expected"), _get_cases())
def test_get(admin_world, db, label, name, role, expected):
    path = _url(admin_world, label, name)
    _check_admin(admin_world["clients"][role].get(path), expected, path)


@pytest.mark.parametrize(("label", "name", "role", "expected"), _post_cases())
def test_post(admin_world, db, label, name, role, expected):
    path = _url(admin_world, label, name)
    client = admin_world["clients"][role]
    before = _fingerprint()
    body = {"post": "yes"} if name.endswith("_delete") else {}
    _check_admin(client.post(path, body), expected, path)
    assert _fingerprint() == before, f"{role} changed data with POST {path}"


# ---------------------------------------------------------------------------------------
# Item 1: is_staff alone is not enough


def test_a_staff_officer_is_refused_the_admin(admin_world, db):
    client = _client(admin_world, "staff_officer")
    for path in (
        reverse("admin:index"),
        reverse("admin:indicators_observation_changelist"),
        reverse("admin:council_reports_user_changelist"),
        reverse("admin:council_reports_user_add"),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("admin:login")), path
    # The sign-in page says so, rather than showing the admin.
    page = client.get(reverse("admin:login"))
    assert "not authorized to access this page" in page.content.decode()


def test_an_administrator_gets_the_admin(admin_world, db):
    client = _client(admin_world, "admin")
    for path in (
        reverse("admin:index"),
        reverse("admin:indicators_observation_changelist"),
        reverse("admin:council_reports_user_changelist"),
    ):
        assert client.get(path).status_code == 200, path


def test_a_superuser_without_the_admin_role_gets_the_admin(admin_world, db):
    """A `createsuperuser` account (role left at its default) is an administrator too."""
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_staff_officer_cannot_sign_in_to_the_admin(admin_world, db):
    """Posting the staff officer's own password to the admin's sign-in page opens nothing."""
    client = _client(admin_world, "officer_a")  # signed in: the page is behind sign-in
    response = client.post(
        reverse("admin:login"), {"username": "staff.officer", "password": PASSWORD}
    )
    index = client.get(reverse("admin:index"))
    assert index.status_code == 302 and index["Location"].startswith(reverse("admin:login"))
    assert response.status_code in (200, 302)


def test_an_inactive_administrator_is_refused(admin_world, db):
    admin_user = admin_world["users"]["admin"]
    client = _client(admin_world, "admin")
    admin_user.is_active = False
    admin_user.save()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
