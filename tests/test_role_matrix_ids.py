"""Ids in URLs that name no council: changing one never reaches another council's, paper's or
user's data (issue 7, item 2).

tests/test_role_matrix.py swaps the ids of URLs under /councils/<council>/; these URLs carry
an id alone (an observation, a version in its history, an import log, a paper's section or
block, a pack), so each is asked here with the id of something its neighbour owns: council
B's observation, a version of another figure, officer B's import, another paper's section.
Each (url, case, role, method) is its own test, as in the matrix, and a refused POST changes
nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from indicators import workflow
from indicators.models import ImportLog, Observation
from reports.models import Report, ReportPack

from .test_role_matrix import (
    ALLOCATIONS,
    DONE,
    LOGIN,
    QUARTER,
    _check,
    _fingerprint,
    world,  # noqa: F401 (the fixture this module's builds on)
)


@pytest.fixture(scope="module")
def ids_world(world, django_db_blocker):  # noqa: F811
    """Council B's return (saved twice, so its figures have history), officer B's import,
    a second draft paper with a section and a block, and a pack an administrator made.
    Rolled back with the world (this runs inside its transaction)."""
    with django_db_blocker.unblock():
        users = world["users"]
        ret = workflow.return_for(world["b"], workflow.quarter_period(QUARTER), "allocations")
        for figures in ({**ALLOCATIONS, "cp_social_worker": 440}, ALLOCATIONS):
            workflow.save_return(
                ret, figures, user=users["officer_b"], expected_version=ret.version
            )
        obs_b = Observation.objects.get(
            authority=world["b"], indicator__code="SCC/013ai", period__code=QUARTER
        )
        # Another figure of council A, and of B, each with a version of its own.
        other_a = Observation.objects.filter(authority=world["a"]).exclude(pk=world["obs"].pk)[0]
        log_b = ImportLog.objects.create(
            command=world["log"].command,
            filename="caerphilly.csv",
            user=users["officer_b"],
            started_at=world["log"].started_at,
            finished_at=world["log"].finished_at,
        )
        other_paper = Report.objects.create(
            slug="caerphilly-performance",
            title="Performance of children's services",
            committee="Scrutiny Committee",
            authority=world["b"],
        )
        other_section = other_paper.sections.create(position=1, heading="Referrals")
        other_block = other_section.blocks.create(
            position=1, kind="commentary", settings={"indicator": "SCC/013ai"}
        )
        admins_pack = ReportPack.objects.create(
            report=world["paper"], format="html", total=1, created_by=users["admin"]
        )
        admins_pack.councils.set([world["a"]])
        yield {
            **world,
            "obs_b": obs_b,
            "history_b": obs_b.history.order_by("history_id")[0].history_id,
            "history_other_a": other_a.history.order_by("history_id")[0].history_id,
            "log_b": log_b,
            "other_section": other_section,
            "other_block": other_block,
            "admins_pack": admins_pack,
        }


def _paper(w) -> dict:
    return {"slug": w["paper"].slug, "version": w["paper"].version}


# (label, URL name, kwargs from the world, {role: answer}, method). Roles not named are not
# asked; each case names who may reach the object and who may not.
CASES = [
    # Council B's figure: its own officer reads its history; A's staff, members and authors
    # of A do not.
    (
        "B's observation",
        "returns:observation_history",
        lambda w: {"pk": w["obs_b"].pk},
        {"officer_b": 200, "officer_a": 403, "approver": 403, "member": 403, "admin": 200},
        "GET",
    ),
    (
        "B's observation, A's version",
        "returns:observation_restore",
        lambda w: {"pk": w["obs_b"].pk, "history_id": w["history_id"]},
        # Restoring is for administrators; even they cannot put A's figures into B's.
        {"officer_b": 403, "officer_a": 403, "admin": 400},
        "POST",
    ),
    (
        "A's observation, B's version",
        "returns:observation_restore",
        lambda w: {"pk": w["obs"].pk, "history_id": w["history_b"]},
        {"officer_a": 403, "officer_b": 403, "admin": 400},
        "POST",
    ),
    (
        "A's observation, another figure's version",
        "returns:observation_restore",
        lambda w: {"pk": w["obs"].pk, "history_id": w["history_other_a"]},
        {"admin": 400},
        "POST",
    ),
    (
        "A's observation, no such version",
        "returns:observation_restore",
        lambda w: {"pk": w["obs"].pk, "history_id": 2**31 - 1},
        {"admin": 400},
        "POST",
    ),
    # Officer B's import: only officer B (who ran it) and administrators see its result.
    (
        "B's import",
        "imports:result",
        lambda w: {"pk": w["log_b"].pk},
        {"officer_b": 200, "officer_a": 404, "approver": 404, "admin": 200},
        "GET",
    ),
    # Another paper's section or block, named under this paper's URL: not found, for the
    # authors and administrators who may edit both papers.
    *[
        (
            "another paper's section",
            name,
            lambda w: {**_paper(w), "section": w["other_section"].pk},
            {"author": 404, "admin": 404, "officer_a": 403},
            "POST",
        )
        for name in (
            "reports:section",
            "reports:move_section",
            "reports:remove_section",
            "reports:add_block",
        )
    ],
    *[
        (
            "another paper's block",
            name,
            lambda w: {**_paper(w), "block": w["other_block"].pk},
            {"author": 404, "admin": 404, "officer_a": 403},
            "POST",
        )
        for name in ("reports:block", "reports:move_block", "reports:remove_block")
    ],
    # A pack someone else made: packs are shared among authors and administrators (a pack is
    # of papers every author may read), and never open to anyone else.
    *[
        (
            "an administrator's pack",
            name,
            lambda w: {"pk": w["admins_pack"].pk},
            {
                "author": 200,
                "admin": 200,
                "officer_a": 403,
                "officer_b": 403,
                "approver": 403,
                "member": 403,
                "anonymous": LOGIN,
            },
            "GET",
        )
        for name in ("packs:pack", "packs:status")
    ],
]


def _cases() -> list:
    return [
        pytest.param(name, kwargs, role, method, expected, id=f"{name}-{label}-{role}-{method}")
        for label, name, kwargs, answers, method in CASES
        for role, expected in answers.items()
    ]


@pytest.mark.parametrize(("name", "kwargs", "role", "method", "expected"), _cases())
def test_an_id_from_elsewhere(ids_world, db, name, kwargs, role, method, expected):
    path = reverse(name, kwargs=kwargs(ids_world))
    client = Client()
    if role != "anonymous":
        client.force_login(ids_world["users"][role])
    before = _fingerprint(ids_world)
    body = {"version": "1", "reason": "matrix", "direction": "up", "confirm": "remove"}
    response = client.get(path) if method == "GET" else client.post(path, body)
    _check(response, expected, path)
    if method == "POST" and expected != DONE:
        assert _fingerprint(ids_world) == before, f"{role} changed data with POST {path}"


def test_another_papers_version_is_never_compared(ids_world, db):
    """?against= names a version of this paper only: another paper's number finds nothing."""
    client = Client()
    client.force_login(ids_world["users"]["author"])
    other = ids_world["other_section"].report
    path = reverse("reports:changes", kwargs=_paper(ids_world))
    response = client.get(path, {"against": other.version})
    assert response.status_code == 200
    assert response.context["other"] is None
    for silly in ("²", "٣", "9" * 40, "-1"):
        assert client.get(path, {"against": silly}).status_code == 200, silly
