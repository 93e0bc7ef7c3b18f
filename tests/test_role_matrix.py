"""Every URL of the project, for every role: the answer the server gives (issue 3, item 7).

The table below is the contract. The URL patterns are read from the resolver, so a URL added
without a row here fails `test_every_url_pattern_has_expectations`, and each (url, role,
method) is its own test: `returns:return-officer_b-GET`.

Roles: anonymous; officer_a (officer of Rhondda Cynon Taf, council A); officer_b (officer of
Caerphilly, council B); approver (of council A); member; author (of council A: authors read
only their councils' audit findings); admin. Every object in a URL belongs to council A
unless a test says otherwise.

Answers:
  200 / 400 / 403 / 404 / 405  that status
  LOGIN     302 to /accounts/login/ (signed out; the API answers 403 in JSON instead)
  DONE      302 anywhere but the login page: the action was carried out

A POST answered with anything but DONE must change nothing: the rows of every model a view
writes, and their history, are counted before and after.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_tasks_db.models import DBTaskResult

from audits.models import AuditedCase, CaseAudit, Recommendation
from council_reports.accounts import provision_user
from indicators import importing, workflow
from indicators.models import (
    Authority,
    ImportLog,
    Nation,
    Observation,
    QuarterlyReturn,
    Region,
)
from reports.models import Block, Report, ReportPack, Section
from tests.conftest import RCT_ALLOCATIONS as ALLOCATIONS
from workforce.models import Role as WorkerRole
from workforce.models import WorkforceSnapshot

from .conftest import PASSWORD

LOGIN = "login"
DONE = "done"

ROLES = ("anonymous", "officer_a", "officer_b", "approver", "member", "author", "admin")


def _row(anonymous, officer_a, officer_b, approver, member, author, admin) -> dict:
    return dict(zip(ROLES, (anonymous, officer_a, officer_b, approver, member, author, admin)))


#                          anon   off_a off_b  appr  member author admin
EVERYONE = _row(LOGIN, 200, 200, 200, 200, 200, 200)
# Returns, workforce and audits of council A: read by A's officers and approver, authors
# (who write the papers) and admins; never by B's officer or by members (audit free text,
# draft returns).
STAFF_READ = _row(LOGIN, 200, 403, 200, 403, 200, 200)
# Changing council A's records: A's officer and approver, and admins; authors read only.
STAFF_EDIT = _row(LOGIN, 200, 403, 200, 403, 403, 200)
# Committee papers' builder: authors and administrators only.
AUTHORS = _row(LOGIN, 403, 403, 403, 403, 200, 200)
# A POST-only endpoint asked with GET: 405 before anything else (sign-in comes first).
POST_ONLY = _row(LOGIN, 405, 405, 405, 405, 405, 405)
# Importing: officers and approvers (of any council: rows are checked per council), admins.
IMPORTERS = _row(LOGIN, 200, 200, 200, 403, 403, 200)
# An upload's token only exists in the session that uploaded it; the matrix uses a
# well-formed token no session holds, so importers get 404 and everyone else 403.
NO_SUCH_UPLOAD = _row(LOGIN, 404, 404, 404, 403, 403, 404)

# GET, for every URL pattern of the project.
EXPECTED: dict[str, dict[str, object]] = {
    "home": EVERYONE,
    "healthz": _row(200, 200, 200, 200, 200, 200, 200),  # open: load balancers
    # Signed-in users are sent on from the sign-in page (redirect_authenticated_user).
    "login": _row(200, DONE, DONE, DONE, DONE, DONE, DONE),
    "logout": POST_ONLY,  # Django 5: logging out is a POST
    # Non-staff users are sent to the admin's own sign-in; admins are staff.
    "admin:index": _row(LOGIN, DONE, DONE, DONE, DONE, DONE, 200),
    # DRF answers a signed-out script 401 in JSON (a token challenge), never a login form.
    "api:observations": _row(401, 200, 200, 200, 200, 200, 200),
    # Everyone's own API tokens: each user sees and revokes only their own.
    "account:tokens": EVERYONE,
    "account:revoke_token": POST_ONLY,
    "returns:list": STAFF_READ,
    "returns:return": STAFF_READ,  # authors see the return read-only
    "returns:confirm": POST_ONLY,
    "returns:submit": POST_ONLY,
    "returns:approve": POST_ONLY,
    "returns:reopen": POST_ONLY,
    "returns:history": STAFF_READ,
    "returns:observation_history": STAFF_READ,
    "returns:observation_restore": POST_ONLY,
    "workforce:list": STAFF_READ,
    "workforce:new": STAFF_EDIT,
    "workforce:edit": STAFF_EDIT,
    # The workforce dashboard: aggregate staffing for everyone signed in, as the overview
    # (the snapshots' notes only for the council's staff; see tests/workforce).
    "workforce:dashboard": EVERYONE,
    "audits:list": STAFF_READ,
    # Counts only, no audit free text: for everyone signed in, members included.
    "audits:dashboard": EVERYONE,
    "audits:detail": STAFF_READ,
    "audits:new": STAFF_EDIT,
    "audits:edit": STAFF_EDIT,
    "audits:new_case": STAFF_EDIT,
    "audits:edit_case": STAFF_EDIT,
    "audits:new_recommendation": STAFF_EDIT,
    "audits:edit_recommendation": STAFF_EDIT,
    "audits:update_status": STAFF_EDIT,  # the form and the recommendation's history
    "figures:new": STAFF_EDIT,
    "imports:upload": IMPORTERS,
    # Only the user who ran an import (or an admin) sees its result: the approver of A
    # did not run it.
    "imports:result": _row(LOGIN, 200, 404, 404, 403, 403, 200),
    "imports:preview": NO_SUCH_UPLOAD,
    "imports:confirm": POST_ONLY,
    "imports:cancel": POST_ONLY,
    # The council overview: published figures, for everyone signed in (the council's staff
    # also see provisional ones; see test_provisional_figures_stay_with_the_council).
    "councils:overview": EVERYONE,
    # An indicator page: published figures for everyone signed in, as the overview.
    "indicators:indicator": EVERYONE,
    # Committee papers: everyone signed in sees the list (published papers; authors and
    # admins their drafts too).
    "reports:list": EVERYONE,
    "reports:new": AUTHORS,
    # The world's paper is a draft: authors' working copy (published papers: everyone).
    "reports:paper": AUTHORS,
    "reports:details": POST_ONLY,
    "reports:add_section": POST_ONLY,
    "reports:section": POST_ONLY,
    "reports:move_section": POST_ONLY,
    "reports:remove_section": POST_ONLY,
    "reports:add_block": POST_ONLY,
    "reports:block": POST_ONLY,
    "reports:move_block": POST_ONLY,
    "reports:remove_block": POST_ONLY,
    "reports:preview": AUTHORS,
    "reports:export_html": AUTHORS,
    "reports:export_pdf": AUTHORS,
    "reports:publish": AUTHORS,  # the confirmation page
    "reports:new_version": POST_ONLY,
    "reports:changes": AUTHORS,
    # Report packs: authors and administrators only (a pack may hold drafts). The world's
    # pack is still queued, so there is nothing to download yet.
    "packs:list": AUTHORS,
    "packs:new": AUTHORS,
    "packs:pack": AUTHORS,
    "packs:status": AUTHORS,
    "packs:download": _row(LOGIN, 403, 403, 403, 403, 404, 404),
}

# Patterns the table may name before they exist (being added concurrently).
OPTIONAL = {"councils:overview"}

# POST, for every endpoint that changes something. Bodies are minimal (see POST_BODY):
# enough to reach the permission check, never enough to pass validation, except for the
# workflow buttons whose only field is the version.
FORM_ERRORS = _row(LOGIN, 200, 403, 200, 403, 403, 200)  # allowed: the form, with errors
AUTHOR_DONE = _row(LOGIN, 403, 403, 403, 403, DONE, DONE)
AUTHOR_BAD = _row(LOGIN, 403, 403, 403, 403, 400, 400)
POSTS: dict[str, dict[str, object]] = {
    "logout": _row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "api:observations": _row(401, 405, 405, 405, 405, 405, 405),  # read-only API
    "account:tokens": _row(LOGIN, 200, 200, 200, 200, 200, 200),  # no name: the form again
    "account:revoke_token": _row(LOGIN, 404, 404, 404, 404, 404, 404),  # a token no one holds
    "returns:return": FORM_ERRORS,  # saving: counts missing, nothing saved
    "returns:confirm": FORM_ERRORS,
    # The return is a draft: A's officer, approver and admin may submit it; an author may not.
    "returns:submit": _row(LOGIN, DONE, 403, DONE, 403, 403, DONE),
    # Approving needs approver rights (403 for the officer); a draft cannot be approved
    # (400 for those who may approve).
    "returns:approve": _row(LOGIN, 403, 403, 400, 403, 403, 400),
    "returns:reopen": _row(LOGIN, 403, 403, 400, 403, 403, 400),  # it is not approved
    "returns:observation_restore": _row(LOGIN, 403, 403, 403, 403, 403, DONE),  # admins only
    "audits:dashboard": _row(LOGIN, 405, 405, 405, 405, 405, 405),  # a page to read
    "workforce:new": FORM_ERRORS,
    "workforce:edit": FORM_ERRORS,
    "workforce:dashboard": _row(LOGIN, 405, 405, 405, 405, 405, 405),  # a page to read only
    "audits:new": FORM_ERRORS,
    "audits:edit": FORM_ERRORS,
    "audits:new_case": FORM_ERRORS,
    "audits:edit_case": FORM_ERRORS,
    "audits:new_recommendation": FORM_ERRORS,
    "audits:edit_recommendation": FORM_ERRORS,
    "audits:update_status": FORM_ERRORS,
    "figures:new": FORM_ERRORS,
    "imports:upload": _row(LOGIN, 200, 200, 200, 403, 403, 200),  # no file: the form again
    "imports:confirm": NO_SUCH_UPLOAD,
    "imports:cancel": NO_SUCH_UPLOAD,
    "reports:new": AUTHORS,  # nothing filled in: the form with its errors
    "reports:details": AUTHORS,  # no title or committee: the builder with errors
    "reports:add_section": AUTHOR_DONE,  # a section headed "New section"
    "reports:section": AUTHORS,  # no heading: errors
    # Without the builder's buttons' direction or confirmation: 400, nothing moved.
    "reports:move_section": AUTHOR_BAD,
    "reports:remove_section": AUTHOR_BAD,
    "reports:add_block": AUTHOR_BAD,  # no type of block
    "reports:block": AUTHORS,  # no indicator ticked: errors
    "reports:move_block": AUTHOR_BAD,
    "reports:remove_block": AUTHOR_BAD,
    # Publishing without the stamp of the page confirmed on: 409, nothing published.
    "reports:publish": _row(LOGIN, 403, 403, 403, 403, 409, 409),
    "reports:new_version": AUTHOR_DONE,  # of a draft: back to the draft, nothing made
    "packs:new": AUTHORS,  # no paper or council chosen: the form with its errors, no pack
    "packs:list": _row(LOGIN, 405, 405, 405, 405, 405, 405),  # pages to read only
    "packs:pack": _row(LOGIN, 405, 405, 405, 405, 405, 405),
    "packs:status": _row(LOGIN, 405, 405, 405, 405, 405, 405),
    "packs:download": _row(LOGIN, 405, 405, 405, 405, 405, 405),
}

BAD_TOKEN = "n0-such-upload-t0ken-in-any-session"
FINDING = "Core group minutes missing for two meetings"
RECOMMENDATION = "Review supervision of ACM-held cases"
QUARTER = "2015-16 Q1"

# What a `pk` in a URL names, by namespace.
PK_OF = {
    "returns": "observation",
    "workforce": "snapshot",
    "audits": "audit",
    "imports": "log",
    "packs": "pack",
}
OBJECT_KWARGS = {"pk", "case_pk", "rec_pk", "history_id"}


# ---------------------------------------------------------------------------------------
# The URL patterns, from the resolver


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            if full_ns == "admin":
                yield "admin:index", prefix + str(p.pattern)  # its internals are Django's
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern), full_ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if route.startswith("static/") or "format" in p.pattern.converters:
                continue
            name = p.name or f"<unnamed {route}>"
            yield (f"{namespace}:{name}" if namespace else name), route


PATTERNS: dict[str, str] = dict(_walk(get_resolver().url_patterns))


def test_every_url_pattern_has_expectations():
    missing = sorted(set(PATTERNS) - set(EXPECTED))
    assert not missing, f"URL patterns without role expectations in {__name__}: {missing}"
    stale = sorted(set(EXPECTED) - set(PATTERNS) - OPTIONAL)
    assert not stale, f"expectations for URL names that no longer exist: {stale}"
    assert set(POSTS) <= set(EXPECTED)


def _kwarg_names(name: str) -> set[str]:
    """The kwargs a named URL takes, read from its full route."""
    return set(re.findall(r"<(?:\w+:)?(\w+)>", PATTERNS.get(name, "")))


# ---------------------------------------------------------------------------------------
# The data: one set for the module, rolled back at its end


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_indicators", verbosity=0)
        wales = Region.objects.create(name="South East Wales", nation=Nation.WALES)
        a = Authority.objects.create(
            name="Rhondda Cynon Taf", gss_code="W06000016", nation=Nation.WALES, region=wales
        )
        b = Authority.objects.create(
            name="Caerphilly", gss_code="W06000018", nation=Nation.WALES, region=wales
        )
        specs = {
            "officer_a": ("officer", [a.name]),
            "officer_b": ("officer", [b.name]),
            "approver": ("approver", [a.name]),
            "member": ("member", []),
            "author": ("author", [a.name]),
            "admin": ("admin", []),
        }
        users = {
            key: provision_user(key.replace("_", "."), role, names, PASSWORD)[0]
            for key, (role, names) in specs.items()
        }
        # A draft return saved twice, so its derived figures have an earlier value.
        ret = workflow.return_for(a, workflow.quarter_period(QUARTER), "allocations")
        workflow.save_return(
            ret,
            {**ALLOCATIONS, "lac_social_worker": 380},
            user=users["officer_a"],
            expected_version=ret.version,
        )
        workflow.save_return(
            ret, ALLOCATIONS, user=users["officer_a"], expected_version=ret.version
        )
        obs = Observation.objects.get(
            authority=a, indicator__code="SCC/013aii", period__code=QUARTER
        )
        first = obs.history.order_by("history_date", "history_id").first()
        assert obs.history.count() >= 2 and obs.status == Observation.Status.PROVISIONAL

        social_worker = WorkerRole.objects.create(name="Social Worker", short_name="SW")
        objects = {}
        for key, council in (("a", a), ("b", b)):
            snapshot = WorkforceSnapshot.objects.create(
                authority=council,
                role=social_worker,
                as_at=dt.date(2015, 3, 31),
                establishment_fte=32,
                filled_fte=24,
                vacancies_fte=8,
                agency_fte=3,
                absent_fte=0,
                average_caseload=23,
                recommended_caseload=22,
            )
            audit = CaseAudit.objects.create(
                authority=council, title=f"Audit of {council}", audit_date=dt.date(2015, 3, 27)
            )
            case = AuditedCase.objects.create(
                audit=audit, reference="Case 1", findings=f"{FINDING} ({key})", grade="good"
            )
            rec = Recommendation.objects.create(
                audit=audit, number=1, action=f"{RECOMMENDATION} ({key})", owner="Head of CP"
            )
            objects[key] = {"snapshot": snapshot, "audit": audit, "case": case, "rec": rec}
        paper = Report.objects.create(
            slug="rct-performance",
            title="Children's services performance indicators",
            committee="Corporate Parenting Board",
            authority=a,
        )
        section = paper.sections.create(position=1, heading="Looked after children")
        block = section.blocks.create(
            position=1,
            kind="indicator_table",
            settings={"indicators": ["SCC/013aii"], "periods": [QUARTER]},
        )
        pack = ReportPack.objects.create(
            report=paper, format="html", total=1, created_by=users["author"]
        )
        pack.councils.set([a])
        now = dt.datetime.now(dt.UTC)
        log = ImportLog.objects.create(
            command=importing.COMMAND,
            filename="figures.csv",
            user=users["officer_a"],
            started_at=now,
            finished_at=now,
        )
        yield {
            "a": a,
            "b": b,
            "users": users,
            "ret": ret,
            "obs": obs,
            "history_id": first.history_id,
            "log": log,
            "objects": objects,
            "paper": paper,
            "section": section,
            "block": block,
            "pack": pack,
        }
        transaction.set_rollback(True)


def _ids(world, council_key: str, name: str) -> dict:
    """The values of a URL's kwargs naming objects of council `a` or `b`."""
    objs = world["objects"][council_key]
    namespace = name.split(":")[0]
    pk = {
        "observation": world["obs"].pk,
        "snapshot": objs["snapshot"].pk,
        "audit": objs["audit"].pk,
        "log": world["log"].pk,
        "pack": world["pack"].pk,
    }.get(PK_OF.get(namespace, ""))
    return {
        "pk": pk,
        "case_pk": objs["case"].pk,
        "rec_pk": objs["rec"].pk,
        "history_id": world["history_id"],
    }


def _url(world, name: str, council: str = "a", ids: str = "a", inner: str | None = None) -> str:
    wanted = _kwarg_names(name)
    values = {
        "council": world[council].slug,
        "kind": "allocations",
        "period": QUARTER,
        "token": BAD_TOKEN,
        "uid": "00000000-0000-4000-8000-000000000000",  # an API token no one holds
        "indicator": "scc013aii",
        "slug": world["paper"].slug,
        "version": world["paper"].version,
        "section": world["section"].pk,
        "block": world["block"].pk,
        **_ids(world, ids, name),
    }
    if inner:  # the second id (case, recommendation) from another council
        other = _ids(world, inner, name)
        values.update(case_pk=other["case_pk"], rec_pk=other["rec_pk"])
    missing = wanted - set(values)
    assert not missing, f"{name}: no test value for {missing}; add one to _url"
    return reverse(name, kwargs={k: values[k] for k in wanted})


def _body(world, name: str) -> dict:
    """A minimal POST: the return's version where the view checks it first."""
    if name.startswith("returns:"):
        return {"version": str(world["ret"].version), "reason": "matrix"}
    return {}


def _client(world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def _fingerprint(world) -> dict:
    """Rows of everything a view may write, their history, and the return's state."""
    counts = {}
    for model in (
        Observation,
        QuarterlyReturn,
        WorkforceSnapshot,
        CaseAudit,
        AuditedCase,
        Recommendation,
        ImportLog,
        Report,
        Section,
        Block,
        ReportPack,
        DBTaskResult,
    ):
        counts[model.__name__] = model.objects.count()
        if hasattr(model, "history"):
            counts[f"{model.__name__} history"] = model.history.model.objects.count()
    ret = QuarterlyReturn.objects.get(pk=world["ret"].pk)
    obs = Observation.objects.get(pk=world["obs"].pk)
    rec = Recommendation.objects.get(pk=world["objects"]["a"]["rec"].pk)
    counts["return"] = (ret.status, ret.version, ret.figures)
    counts["observation"] = (obs.value, obs.status)
    counts["recommendation"] = (rec.status, rec.status_note)
    paper = Report.objects.get(pk=world["paper"].pk)
    counts["paper"] = (paper.status, paper.title, paper.updated_at)
    counts["blocks"] = list(Block.objects.values_list("pk", "position", "settings"))
    return counts


def _check(response, expected, path: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    shown = f"{path} answered {status} {location}".strip()
    if expected == LOGIN:
        assert status == 302 and location.startswith("/accounts/login/"), shown
    elif expected == DONE:
        assert status == 302 and not location.startswith("/accounts/login/"), shown
    else:
        assert status == expected, shown


# ---------------------------------------------------------------------------------------
# 1, 2: every URL, every role


def _cases(table: dict) -> list:
    return [
        pytest.param(name, role, expected, id=f"{name}-{role}")
        for name, row in table.items()
        for role, expected in row.items()
    ]


def _skip_if_absent(name: str) -> None:
    if name not in PATTERNS:
        pytest.skip(f"{name} is not in the URLconf yet")


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [pytest.param(*p.values, id=f"{p.id}-GET") for p in _cases(EXPECTED)],
)
def test_get(world, db, name, role, expected):
    _skip_if_absent(name)
    path = _url(world, name)
    response = _client(world, role).get(path)
    _check(response, expected, path)
    if response.status_code == 200 and role in ("member", "officer_b"):
        text = response.content.decode(errors="replace")
        assert FINDING not in text and RECOMMENDATION not in text  # audit free text


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [pytest.param(*p.values, id=f"{p.id}-POST") for p in _cases(POSTS)],
)
def test_post(world, db, name, role, expected):
    _skip_if_absent(name)
    path = _url(world, name)
    before = _fingerprint(world)
    response = _client(world, role).post(path, _body(world, name))
    _check(response, expected, path)
    if expected != DONE:
        assert _fingerprint(world) == before, f"{role} changed data with POST {path}"


# ---------------------------------------------------------------------------------------
# 3: changing an id in a URL never reaches another council's data


def _cross_cases() -> list:
    cases = []
    for name in sorted(EXPECTED):
        if name not in PATTERNS:
            continue
        kwargs = _kwarg_names(name)
        if "council" not in kwargs or not kwargs & OBJECT_KWARGS:
            continue
        variants = [("a", "b", None), ("b", "a", None)]  # (slug, ids, inner ids)
        if kwargs & {"case_pk", "rec_pk"}:
            variants += [("a", "a", "b"), ("b", "b", "a")]
        methods = ["GET", "POST"] if name in POSTS else ["GET"]
        for slug, ids, inner in variants:
            label = f"slug{slug.upper()}-ids{ids.upper()}" + (
                f"-inner{inner.upper()}" if inner else ""
            )
            for role in ("officer_a", "officer_b", "admin"):
                for method in methods:
                    cases.append(
                        pytest.param(
                            name,
                            slug,
                            ids,
                            inner,
                            role,
                            method,
                            id=f"{name}-{label}-{role}-{method}",
                        )
                    )
    return cases


@pytest.mark.parametrize(("name", "slug", "ids", "inner", "role", "method"), _cross_cases())
def test_another_councils_id_is_never_reached(world, db, name, slug, ids, inner, role, method):
    path = _url(world, name, council=slug, ids=ids, inner=inner)
    before = _fingerprint(world)
    client = _client(world, role)
    response = client.get(path) if method == "GET" else client.post(path, _body(world, name))
    # An admin acts for both councils, so only "not found" is right for them; an officer
    # may be refused at the council (403) before the id is looked up.
    allowed = {404} if role == "admin" else {403, 404}
    assert response.status_code in allowed, f"{role} {method} {path}: {response.status_code}"
    assert _fingerprint(world) == before


# ---------------------------------------------------------------------------------------
# Read pages that everyone may open must not show another council's provisional figures


@pytest.mark.parametrize("role", ["officer_b", "member"])
def test_provisional_figures_stay_with_the_council(world, db, role):
    client = _client(world, role)
    api = client.get(reverse("api:observations"), {"authority": world["a"].name})
    assert api.status_code == 200
    assert api.json()["results"] == []  # council A's figures are all provisional
    if "councils:overview" in PATTERNS:
        page = client.get(reverse("councils:overview", kwargs={"council": world["a"].slug}))
        assert page.status_code == 200
        assert "63.29" not in page.content.decode()  # SCC/013aii, provisional


def test_unknown_council_is_404_for_admin(world, db):
    client = _client(world, "admin")
    for name in sorted(PATTERNS):
        if "council" in _kwarg_names(name):
            path = _url(world, name).replace(f"/{world['a'].slug}/", "/no-such-council/", 1)
            response = client.get(path)
            assert response.status_code in (404, 405), f"{path}: {response.status_code}"


@pytest.mark.parametrize("role", ["officer_b", "approver", "admin"])
def test_an_upload_token_works_only_in_the_session_that_uploaded(
    world, db, settings, tmp_path, role
):
    """The matrix uses a token no session holds; here a real one, taken to another session."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    owner = _client(world, "officer_a")
    csv = SimpleUploadedFile(
        "figures.csv",
        b"authority,indicator,period,numerator,denominator\n"
        b"Rhondda Cynon Taf,SCC/013aii,2014-15,393,621\n",
        content_type="text/csv",
    )
    uploaded = owner.post(reverse("imports:upload"), {"file": csv})
    assert uploaded.status_code == 302, uploaded.content.decode()[:500]
    preview = uploaded["Location"]
    confirm = preview + "confirm/"
    assert owner.get(preview).status_code == 200
    before = _fingerprint(world)
    other = _client(world, role)
    assert other.get(preview).status_code == 404
    assert other.post(confirm).status_code == 404
    assert other.post(preview + "cancel/").status_code == 404
    assert _fingerprint(world) == before
    assert owner.get(preview).status_code == 200  # still waiting for its owner
