"""The demo data say what the seed papers print.

The expected figures below are typed from the papers in ../shared/seeds (not from the
fixture CSVs), table by table as the papers lay them out. Each is looked up after
`load_demo` and formatted to its indicator's decimals, which must give the printed text:
97.90 stays 97.90, 100.00 stays 100.00, 45 stays 45.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audits import derive as audit_derive
from audits.models import AuditedCase, CaseAudit, Recommendation
from indicators.derive import round_half_up
from indicators.models import ImportLog, Indicator, Observation, Target
from workforce import derive as workforce_derive
from workforce.models import PostCost, WorkforceSnapshot

RCT = "Rhondda Cynon Taf"
WALES = "Wales average"
YEARS = ["2010-11", "2011-12", "2012-13", "2013-14", "2014-15"]

# Seed 000's five tables of Welsh indicators, one line per year as printed. A column is
# (subject, indicator); the Wales average columns are the comparator's.
SEED_000_TABLES: dict[str, tuple[list[tuple[str, str]], dict[str, str]]] = {
    "Child Protection Allocations (SCCO13ai and SCCO13bi)": (
        [
            (RCT, "SCC/013ai"),
            (WALES, "SCC/013ai"),
            (RCT, "SCC/013bi"),
            (WALES, "SCC/013bi"),
            (RCT, "children_on_cp_register"),
        ],
        {
            "2010/11": "97.79 99.60 2.21 0.28 339",
            "2011/12": "98.50 99.60 1.50 0.10 420",
            "2012/13": "97.90 99.70 1.70 0.20 363",
            "2013/14": "99.20 99.90 0.20 0.00 471",
            "2014/15": "99.50 100.00 0.49 0.00 449",
        },
    ),
    "LAC Allocations SCCO13aai -SCCO13bii": (
        [
            (RCT, "SCC/013aii"),
            (WALES, "SCC/013aii"),
            (RCT, "SCC/013bii"),
            (WALES, "SCC/013bii"),
            (RCT, "looked_after_children"),
        ],
        {
            "2010/11": "75.83 94.40 24.17 5.30 553",
            "2011/12": "71.60 94.00 28.20 4.50 594",
            "2012/13": "69.80 94.90 29.70 4.40 621",
            "2013/14": "68.70 94.80 30.00 5.00 651",
            "2014/15": "63.28 96.00 36.49 4.00 621",
        },
    ),
    "CIN Allocations SCCO13aiii- SCCO13biii": (
        [
            (RCT, "SCC/013aiii"),
            (WALES, "SCC/013aiii"),
            (RCT, "SCC/013biii"),
            (WALES, "SCC/013biii"),
            (RCT, "children_in_need"),
        ],
        {
            "2010/11": "61.70 68.70 27.42 26.30 1441",
            "2011/12": "63.80 71.70 25.70 22.80 1498",
            "2012/13": "69.80 74.50 21.40 21.00 1454",
            "2013/14": "65.70 76.40 20.00 19.50 1526",
            "2014/15": "67.80 79.00 23.00 18.00 1588",
        },
    ),
    "% of Referrals Allocated to a Social Worker/Unqualified Worker": (
        [(RCT, "SCC/007a"), (WALES, "SCC/007a"), (RCT, "SCC/007b"), (WALES, "SCC/007b")],
        {
            "2010/11": "45 44 34 11",
            "2011/12": "64 51 31 10",
            "2012/13": "67 63 25 8",
            "2013/14": "69 75 28 8",
            "2014/15": "77 73 19 8",
        },
    ),
    # The last column's header is garbled in the PDF ("Seen" for "Seen Alone").
    "% of Children Seen/Seen Alone by a Social Worker": (
        [(RCT, "SCC/011a"), (WALES, "SCC/011a"), (RCT, "SCC/011b"), (WALES, "SCC/011b")],
        {
            "2010/11": "48 64 13 30",
            "2011/12": "58 68 21 33",
            "2012/13": "68 75 23 38",
            "2013/14": "69 79 28 43",
            "2014/15": "75 78 37 45",
        },
    ),
}

# Seed 000, appendix 2: the CP register month by month (27th of each month), May to April.
CPR_CURRENT_YEAR = "479 505 502 529 520 510 522 517 472 483 448 459"  # 27/05/2014-27/04/2015
CPR_LAST_YEAR = "395 410 401 423 429 430 454 456 476 480 470 495"  # 27/05/2013-27/04/2014
CPR_VARIANCE = "84 95 101 106 91 80 68 61 -4 3 -22 -36"


def _months(first_year: int) -> list[str]:
    return [f"{first_year + (month > 12)}-{(month - 1) % 12 + 1:02d}-27" for month in range(5, 17)]


# (subject, indicator, period, printed value)
SEED_000_OTHER: list[tuple[str, str, str, str]] = [
    # "Quarter 1- 30/06/14 - 2 out of 509 cases, equalling 0.39%" ...
    (RCT, "cp_cases_held_by_acm", "2014-06-30", "0.39"),
    (RCT, "cp_cases_held_by_acm", "2014-09-30", "0.58"),
    (RCT, "cp_cases_held_by_acm", "2014-12-31", "0.19"),
    (RCT, "children_on_cp_register", "2014-06-30", "509"),
    (RCT, "children_on_cp_register", "2014-09-30", "519"),
    (RCT, "children_on_cp_register", "2014-12-31", "528"),
    (RCT, "children_on_cp_register", "2015-03-31", "449"),
    # Children held by ACMs per year, 2008 ... 2014 (read as 2008-09 ... 2014-15).
    (RCT, "cp_children_held_by_acm_count", "2008-09", "10"),
    (RCT, "cp_children_held_by_acm_count", "2009-10", "9"),
    (RCT, "cp_children_held_by_acm_count", "2010-11", "8"),
    (RCT, "cp_children_held_by_acm_count", "2011-12", "10"),
    (RCT, "cp_children_held_by_acm_count", "2012-13", "9"),
    (RCT, "cp_children_held_by_acm_count", "2013-14", "5"),
    (RCT, "cp_children_held_by_acm_count", "2014-15", "6"),
    # "To convert an ACM post to a qualified social work post costs only £7,368."
    (RCT, "acm_post_conversion_cost", "2015-16", "7368"),
]
SEED_000_OTHER += [
    (RCT, "children_on_cp_register", day, count)
    for day, count in zip(_months(2014), CPR_CURRENT_YEAR.split())
]
SEED_000_OTHER += [
    (RCT, "children_on_cp_register", day, count)
    for day, count in zip(_months(2013), CPR_LAST_YEAR.split())
]

SEEDS_001_TO_004: list[tuple[str, str, str, str]] = [
    # 001 Caerphilly, October 2012
    ("Caerphilly", "referrals", "2011-01", "194"),
    ("Caerphilly", "referrals", "2011-03", "331"),
    ("Caerphilly", "referrals", "Dec 2011", "180"),  # a month: "2011-12" is a year
    ("Caerphilly", "referrals", "2012-01", "286"),
    ("Caerphilly", "children_on_cp_register", "2011-11", "288"),
    ("Caerphilly", "children_on_cp_register", "2012-08", "219"),
    ("Caerphilly", "unallocated_cases", "2012-08-31", "9"),
    # 002 Halton, February 2013 ("at the end of September" 2012)
    ("Halton", "children_on_cp_plan", "2012-09-30", "106"),
    ("Halton", "looked_after_children", "2012-09-30", "133"),
    # 003 Walsall, March 2011
    ("Walsall", "looked_after_children", "2010-03", "508"),
    ("Walsall", "children_on_cp_plan", "2010-03", "279"),
    ("Walsall", "unallocated_cin_cases", "2010-08", "141"),
    ("Walsall", "referrals_via_dart", "2008-09", "4.5"),
    ("Walsall", "referrals_via_dart", "2009-10", "8.7"),
    ("Walsall", "agency_social_worker_spend", "2009-10", "1500000"),  # printed "£1.5m"
    # 004 Herefordshire, January 2016
    ("Herefordshire", "contacts_screened_same_day", "2015-10", "98.2"),
    ("Herefordshire", "contact_referral_conversion", "2015-10", "48"),
    ("Herefordshire", "re_referral_rate", "2015-10", "21.4"),
    ("Herefordshire", "initial_assessments_within_timescale", "2015-10", "73"),
    ("Herefordshire", "strategy_discussions", "2015-10", "131"),
    ("Herefordshire", "strategy_discussions_not_leading_to_s47", "2015-10", "41"),
    ("Herefordshire", "children_on_cp_plan", "2015-10-31", "246"),
    ("Herefordshire", "cp_children_on_subsequent_plan", "2015-10", "2"),
    ("England", "cp_subsequent_plan_percent", "2013-14", "15.8"),
    ("Herefordshire", "agency_social_worker_share", "2015-11-30", "39"),  # 61:39
    ("Herefordshire", "agency_social_worker_share", "2014-09-30", "57"),  # 43:57
]


def seed_000_table_figures() -> list[tuple[str, str, str, str]]:
    figures = []
    for columns, rows in SEED_000_TABLES.values():
        for year, line in rows.items():
            values = line.split()
            assert len(values) == len(columns), year
            period = year.replace("/", "-")
            figures += [
                (subject, code, period, value)
                for (subject, code), value in zip(columns, values, strict=True)
            ]
    return figures


PRINTED = seed_000_table_figures() + SEED_000_OTHER + SEEDS_001_TO_004


def stored(subject: str, code: str, period: str) -> Observation:
    return Observation.objects.select_related("indicator").get(
        indicator__code=code,
        period__code=period,
        **(
            {"comparator__name": subject}
            if subject in (WALES, "England")
            else {"authority__name": subject}
        ),
    )


def as_printed(observation: Observation) -> str:
    return str(round_half_up(observation.value, observation.indicator.decimals))


@pytest.fixture
def demo(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a long enough demo passphrase 7")
    call_command("load_demo", stdout=io.StringIO())


def test_the_seed_tables_are_typed_in_full():
    # 5 tables x 5 years: 25 + 25 + 25 + 20 + 20 figures.
    assert len(seed_000_table_figures()) == 115
    assert len(PRINTED) == len({(s, c, p) for s, c, p, _ in PRINTED})


def test_every_printed_figure_is_stored_as_printed(demo):
    mismatches = []
    for subject, code, period, printed in PRINTED:
        shown = as_printed(stored(subject, code, period))
        if shown != printed:
            mismatches.append(f"{subject} {code} {period}: stored {shown}, printed {printed}")
    assert mismatches == []


def test_nothing_is_stored_that_the_papers_do_not_print(demo):
    expected = {(s, c, p) for s, c, p, _ in PRINTED}
    # Seed 000's 31/03/15 quarter prints counts only ("0 out of 449 cases"): tested below.
    expected.add((RCT, "cp_cases_held_by_acm", "2015-03-31"))
    loaded = {
        (str(o.subject), o.indicator.code, o.period.code)
        for o in Observation.objects.select_related(
            "authority", "comparator", "indicator", "period"
        )
    }
    assert loaded == expected


def test_acm_quarterly_counts_are_kept_with_the_register_they_are_out_of(demo):
    counts = {
        period: (o.numerator, o.denominator, as_printed(o))
        for period in ("2014-06-30", "2014-09-30", "2014-12-31", "2015-03-31")
        for o in [stored(RCT, "cp_cases_held_by_acm", period)]
    }
    assert counts == {
        "2014-06-30": (2, 509, "0.39"),
        "2014-09-30": (3, 519, "0.58"),
        "2014-12-31": (1, 528, "0.19"),
        "2015-03-31": (0, 449, "0.00"),  # no percentage printed: derived from 0 of 449
    }
    herefordshire = stored("Herefordshire", "initial_assessments_within_timescale", "2015-10")
    assert (herefordshire.numerator, herefordshire.denominator) == (140, 192)


def test_the_acm_target_is_one_percent_for_2014_15(demo):
    target = Target.objects.get(
        authority__name=RCT, indicator__code="cp_cases_held_by_acm", period__code="2014-15"
    )
    assert target.value == Decimal(1)


def test_the_register_variance_row_is_current_year_less_last_year(demo):
    current = [stored(RCT, "children_on_cp_register", d).value for d in _months(2014)]
    last = [stored(RCT, "children_on_cp_register", d).value for d in _months(2013)]
    assert [int(c - p) for c, p in zip(current, last)] == [int(v) for v in CPR_VARIANCE.split()]


def test_the_papers_derived_statements_follow_from_the_stored_figures(demo):
    # "Overall, RCT allocated 96% of all referrals ... compared to a Wales Average of 81%"
    for subject, printed in ((RCT, 96), (WALES, 81)):
        both = sum(stored(subject, code, "2014-15").value for code in ("SCC/007a", "SCC/007b"))
        assert both == printed
    # "32% increase in the numbers [on the register] between 2010 and 2015", "12%" for LAC.
    for code, printed in (("children_on_cp_register", 32), ("looked_after_children", 12)):
        first, last = (stored(RCT, code, year).value for year in ("2010-11", "2014-15"))
        assert round_half_up(100 * (last - first) / first, 0) == printed


def test_load_demo_twice_changes_nothing(demo, monkeypatch):
    def state():
        return (
            Observation.objects.count(),
            Observation.history.count(),
            Target.history.count(),
            Indicator.history.count(),
            WorkforceSnapshot.history.count(),
            PostCost.history.count(),
            CaseAudit.history.count(),
            AuditedCase.history.count(),
            Recommendation.history.count(),
            ImportLog.objects.count(),
            get_user_model().objects.count(),
        )

    before = state()
    password_hashes = list(
        get_user_model().objects.order_by("username").values_list("password", flat=True)
    )
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert state() == before
    assert (
        list(get_user_model().objects.order_by("username").values_list("password", flat=True))
        == password_hashes
    )


def test_post_costs_add_up_to_the_printed_totals(demo):
    acm = PostCost.objects.get(grade="GR9", post_title="Assessor Care Manager")
    social_worker = PostCost.objects.get(grade="GR11", post_title="Social Worker")
    assert workforce_derive.total_cost(acm) == Decimal(35341)
    assert workforce_derive.total_cost(social_worker) == Decimal(42710)
    # The paper prints £7,368; its own totals differ by £7,369. Both are kept.
    assert workforce_derive.cost_variance(acm, social_worker) == Decimal(7369)
    assert as_printed(stored(RCT, "acm_post_conversion_cost", "2015-16")) == "7368"


def test_rct_has_32_acm_posts_of_which_24_are_filled(demo):
    posts = WorkforceSnapshot.objects.get(
        authority__name=RCT, team=None, role__short_name="ACM", as_at="2015-06-29"
    )
    assert (posts.establishment_fte, posts.filled_fte) == (32, 24)
    assert workforce_derive.vacancy_rate(posts.establishment_fte, posts.filled_fte) == Decimal(
        "25.0"
    )


def test_acm_headcount_by_team_and_year_is_as_printed(demo):
    printed = {  # year: Assessment Care Planning, Disabled Children Team, After Care
        2015: (27, 4, 1),
        2014: (28, 6, 1),
        2013: (26, 5, 2),
        2012: (27, 4, 0),
        2011: (33, 5, 0),
    }
    teams = ("Assessment and Care Planning", "Disabled Children's Team", "After Care")
    for year, counts in printed.items():
        stored_counts = tuple(
            WorkforceSnapshot.objects.get(
                authority__name=RCT, team__name=team, role__short_name="ACM", as_at=f"{year}-03-31"
            ).headcount
            for team in teams
        )
        assert stored_counts == counts, year


def test_staff_ratio_and_caseloads_are_as_printed(demo):
    fte = {
        s.role.short_name: s.filled_fte
        for s in WorkforceSnapshot.objects.filter(
            authority__name=RCT, team=None, as_at="2015-03-31"
        )
    }
    assert fte == {"ACM": Decimal("31.4"), "SW": Decimal("63.8"), "SP": Decimal("26.5")}
    halton = WorkforceSnapshot.objects.get(authority__name="Halton", as_at="2012-09-30")
    assert (halton.establishment_fte, halton.vacancies_fte, halton.absent_fte) == (29, 2, 5)
    assert (halton.average_caseload, halton.recommended_caseload) == (32, 23)
    walsall = WorkforceSnapshot.objects.get(
        authority__name="Walsall", role__short_name="SW", as_at="2010-08-31"
    )
    assert (walsall.vacancies_fte, walsall.recommended_caseload) == (40, 22)


def test_rct_audit_has_eight_open_recommendations_and_six_children_in_five_cases(demo):
    audit = CaseAudit.objects.get(authority__name=RCT)
    assert audit.auditor == "Julie Clark, Head of Assessment and Care Planning"
    recommendations = list(audit.recommendations.all())
    assert [r.number for r in recommendations] == list(range(1, 9))
    assert {(r.status, r.owner, r.due_date) for r in recommendations} == {("open", "", None)}
    cases = list(audit.cases.all())
    # "This equates to 6 children from 5 families"
    assert (len(cases), audit_derive.children_covered(cases)) == (5, 6)
    assert {c.worker_role.short_name for c in cases} == {"ACM"}


def test_audited_cases_have_pseudonymised_references_only(demo):
    pseudonym = re.compile(r"^(Case \d+( and \d+)?|MASH-\d{2})$")
    assert all(
        pseudonym.match(ref) for ref in AuditedCase.objects.values_list("reference", flat=True)
    )
    personal = re.compile(r"date of birth|\bDOB\b|\bborn\b|\bnamed?\b", re.IGNORECASE)
    for case in AuditedCase.objects.all():
        assert not personal.search(case.findings), case.reference


def test_herefordshire_mash_audit_grades_give_the_printed_shares(demo):
    grades = list(
        AuditedCase.objects.filter(audit__authority__name="Herefordshire").values_list(
            "grade", flat=True
        )
    )
    assert audit_derive.grade_counts(grades) == {
        "good": 18,
        "requires_improvement": 8,
        "inadequate": 1,
    }
    # "18 of the 27 (67%) assessed as 'good' and 8 (30%) 'requires improvement'"
    assert audit_derive.share_graded(grades, "good") == Decimal(67)
    assert audit_derive.share_graded(grades, "requires_improvement") == Decimal(30)


def test_herefordshire_agency_shares_read_back_as_the_printed_ratios(demo):
    for period, printed in (("2015-11-30", "61:39"), ("2014-09-30", "43:57")):
        agency = stored("Herefordshire", "agency_social_worker_share", period).value
        assert workforce_derive.permanent_agency_ratio(100 - agency, agency) == printed


def test_without_demo_password_a_random_one_is_printed_once_and_kept(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    printed = re.search(r"password \(shown once.*\): (\S+)", first.getvalue())
    assert printed is not None
    User = get_user_model()
    assert User.objects.get(username="rct.officer").check_password(printed.group(1))
    assert sorted(User.objects.values_list("username", "role")) == [
        ("admin", "admin"),
        ("author", "author"),
        ("caerphilly.officer", "officer"),
        ("member", "member"),
        ("rct.approver", "approver"),
        ("rct.officer", "officer"),
    ]
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert printed.group(1) not in again.getvalue()
    assert User.objects.get(username="admin").check_password(printed.group(1))
