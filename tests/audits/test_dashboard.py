"""The audit dashboard for scrutiny members (issue 4, item 4): grades per audit, the share of
the child protection register held by ACMs against the 1% target, recommendations open,
overdue and done; counts only, so members may read it and never see an audit's free text."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import views
from audits.models import AuditedCase, CaseAudit, Recommendation
from indicators.models import Observation
from tests import factories

RCT = "rhondda-cynon-taf"
RCT_AUDIT = "Audit of child protection cases held by Assessor Care Managers during 2014/2015"
MASH_AUDIT = "Audit of cases progressed through the MASH, September 2015"
# Free text from fixtures/demo/audits.toml that only the council's staff may read: a
# finding, the meetings examined, the audit's summary and auditor, a recommendation.
FREE_TEXT = [
    "Could only find 2 sets of minutes on the system",
    "only 2 sets of core group minutes could be found",
    "as the teams have become better staffed",
    "Julie Clark",
    "The conversion of ACM posts to Social Work posts continues to be prioritised",
]
DETAIL_LINK = re.compile(r'href="/councils/[\w-]+/audits/\d+/')


def dashboard_url(council: str = RCT) -> str:
    return reverse("audits:dashboard", kwargs={"council": council})


class Tables(HTMLParser):
    """Every table of a page as its caption and rows of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "span" and ("class", "hint") in attrs and self._caption is not None:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            rows = self.tables[-1][1]
            self.tables[-1] = (" ".join("".join(self._caption).split()), rows)
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None and not self._skip:
            self._caption.append(data)

    def rows(self, caption_start: str) -> list[list[str]]:
        found = [rows for caption, rows in self.tables if caption.startswith(caption_start)]
        assert len(found) == 1, [caption for caption, _rows in self.tables]
        return [row for row in found[0] if row]


# ---------------------------------------------------------------------------------------
# The page, on the demo data


@pytest.fixture
def demo(users):
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    return users


def test_grade_counts_of_the_demo_audits_are_shown_as_printed(client, demo):
    client.force_login(demo["member"])
    page = client.get(dashboard_url("herefordshire")).content.decode()
    herefordshire = Tables(page)
    assert herefordshire.rows(f"Cases audited in “{MASH_AUDIT}”") == [
        ["Grade", "Cases"],
        ["Good", "18"],
        ["Requires improvement", "8"],
        ["Inadequate", "1"],
        ["Not graded: compliant", "0"],
        ["Not graded: not compliant", "0"],
        ["Not graded, compliance not recorded", "0"],
        ["Cases audited", "27"],
    ]
    # The chart's table: the same counts, an audit a row, outcomes no audit has left out.
    assert herefordshire.rows("Audited cases by grade: Herefordshire") == [
        ["Audit", "Good", "Requires improvement", "Inadequate"],
        [MASH_AUDIT, "18", "8", "1"],
    ]
    assert "18 of 27 graded cases (67%) were graded good." in page  # seed 004's words
    assert 'id="grades-data"' in page  # the bar chart's figure
    page = client.get(dashboard_url()).content.decode()
    rct = Tables(page)
    # The RCT paper grades no case and leaves compliance unmarked (audits.toml says why).
    assert rct.rows(f"Cases audited in “{RCT_AUDIT}”")[-2:] == [
        ["Not graded, compliance not recorded", "5"],
        ["Cases audited", "5"],
    ]
    assert "No case in this audit was graded." in page


def test_the_grade_chart_tells_its_bars_apart_without_colour(client, demo):
    client.force_login(demo["member"])
    response = client.get(dashboard_url("herefordshire"))
    bars = response.context["grades_figure"]["data"]
    assert [bar["type"] for bar in bars] == ["bar"] * 3
    assert [bar["name"] for bar in bars] == ["Good", "Requires improvement", "Inadequate"]
    patterns = [bar["marker"]["pattern"]["shape"] for bar in bars]
    assert len(set(patterns)) == 3  # a fill pattern each
    assert [bar["text"] for bar in bars] == [["18"], ["8"], ["1"]]  # the count on each bar
    assert [line for _name, line in response.context["grades_styles"]] == [
        "solid bars",
        "bars hatched with diagonal lines",
        "cross-hatched bars",
    ]


def test_cp_cases_held_by_acms_are_shown_against_the_1_percent_target(client, demo):
    client.force_login(demo["member"])
    page = client.get(dashboard_url()).content.decode()
    tables = Tables(page)
    ((year, at_dates, the_year, target, status),) = tables.rows(
        "Each financial year against its target"
    )[1:]
    assert year == "2014/15"
    assert at_dates == (
        "30/06/2014: 2 of 509 = 0.39% 30/09/2014: 3 of 519 = 0.58% "
        "31/12/2014: 1 of 528 = 0.19% 31/03/2015: 0 of 449 = 0.00%"
    )
    assert the_year == "0.00% the latest, at 31/03/2015"
    assert target == "at most 1%"
    assert status == "within target"
    # The chart's table: each date, and the target beside it.
    assert tables.rows("Children on the child protection register allocated")[1:] == [
        ["30/06/2014", "0.39", "1.00"],
        ["30/09/2014", "0.58", "1.00"],
        ["31/12/2014", "0.19", "1.00"],
        ["31/03/2015", "0.00", "1.00"],
    ]
    assert 'id="acm-data"' in page


def test_a_member_sees_the_dashboard_but_no_free_text_and_no_audit_links(client, demo):
    client.force_login(demo["member"])
    for council in (RCT, "herefordshire"):
        response = client.get(dashboard_url(council))
        assert response.status_code == 200
        page = response.content.decode()
        for text in FREE_TEXT:
            assert text not in page
        assert "Case 5 and 6" not in page and "MASH-01" not in page  # case references
        assert not DETAIL_LINK.search(page)
        assert reverse("audits:list", kwargs={"council": council}) not in page
    # The pages with the free text stay refused to members.
    audit = CaseAudit.objects.get(title=RCT_AUDIT)
    assert client.get(reverse("audits:list", kwargs={"council": RCT})).status_code == 403
    detail = reverse("audits:detail", kwargs={"council": RCT, "pk": audit.pk})
    assert client.get(detail).status_code == 403


def test_the_councils_officer_gets_a_link_to_each_audits_details(client, demo):
    client.force_login(demo["officer_a"])
    page = client.get(dashboard_url()).content.decode()
    audit = CaseAudit.objects.get(title=RCT_AUDIT)
    detail = reverse("audits:detail", kwargs={"council": RCT, "pk": audit.pk})
    assert f'href="{detail}"' in page
    for text in FREE_TEXT:  # still counts only: the text is one click away
        assert text not in page
    # Another council's officer may not read RCT's audits, so gets no link either.
    client.force_login(demo["officer_b"])
    assert not DETAIL_LINK.search(client.get(dashboard_url()).content.decode())


# ---------------------------------------------------------------------------------------
# The page, on small made-up data


def _audit(council, number: int, *, cases: int = 3, recommendations: int = 2) -> CaseAudit:
    audit = CaseAudit.objects.create(
        authority=council,
        title=f"Audit {number}",
        audit_date=dt.date(2015, 1, 1) + dt.timedelta(days=number),
        summary="Sensitive summary",
    )
    AuditedCase.objects.bulk_create(
        AuditedCase(
            audit=audit,
            reference=f"Case {n}",
            grade=("good", "requires_improvement", "")[n % 3],
            findings="Sensitive finding",
        )
        for n in range(cases)
    )
    Recommendation.objects.bulk_create(
        Recommendation(audit=audit, number=n + 1, action="Sensitive action")
        for n in range(recommendations)
    )
    return audit


def test_overdue_is_counted_at_the_day_the_view_is_given(council_a, users):
    audit = _audit(council_a, 1, recommendations=0)
    due = dt.date(2015, 9, 30)
    Recommendation.objects.bulk_create(
        [
            Recommendation(audit=audit, number=1, action="a", due_date=due),
            Recommendation(audit=audit, number=2, action="b", due_date=due, status="in_progress"),
            Recommendation(audit=audit, number=3, action="c", due_date=due, status="done"),
            Recommendation(audit=audit, number=4, action="d"),
        ]
    )

    def totals(today: dt.date) -> list[str]:
        request = RequestFactory().get(dashboard_url())
        request.user = users["member"]
        response = views.audit_dashboard(request, council=council_a.slug, today=today)
        rows = Tables(response.content.decode()).rows("Recommendations of each audit")
        assert rows[0] == ["Audit", "Open", "Overdue", "Done", "Total"]
        return rows[-1]

    assert totals(dt.date(2015, 9, 30)) == ["All audits", "3", "0", "1", "4"]
    assert totals(dt.date(2015, 10, 1)) == ["All audits", "1", "2", "1", "4"]


def test_a_council_without_audits_is_told_so(client, council_b, users):
    client.force_login(users["member"])
    response = client.get(dashboard_url(council_b.slug))
    assert response.status_code == 200
    assert "No case audits of Caerphilly have been recorded." in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, council_a):
    response = client.get(dashboard_url(council_a.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_council_is_404(client, users):
    client.force_login(users["member"])
    assert client.get(dashboard_url("no-such-council")).status_code == 404


def test_members_see_final_acm_figures_only_and_staff_see_provisional_ones_marked(
    client, council_a, users
):
    indicator = factories.IndicatorFactory(
        code="cp_cases_held_by_acm", polarity="lower", decimals=2
    )
    for code, status in (("2015-06-30", "final"), ("2015-09-30", "provisional")):
        factories.ObservationFactory(
            authority=council_a,
            indicator=indicator,
            period=factories.PeriodFactory(code=code),
            numerator=Decimal(3),
            denominator=Decimal(519) if status == "final" else Decimal(400),
            value=Decimal("0.58") if status == "final" else Decimal("0.75"),
            status=status,
        )
    client.force_login(users["member"])
    page = client.get(dashboard_url(council_a.slug)).content.decode()
    assert "3 of 519 = 0.58%" in page and "3 of 400" not in page
    client.force_login(users["officer_a"])
    page = client.get(dashboard_url(council_a.slug)).content.decode()
    assert "3 of 400 = 0.75%" in page and "Provisional" in page


def test_the_audit_list_links_to_the_dashboard(client, council_a, users):
    client.force_login(users["officer_a"])
    page = client.get(reverse("audits:list", kwargs={"council": council_a.slug}))
    assert f'href="{dashboard_url(council_a.slug)}"' in page.content.decode()


@pytest.mark.parametrize("role", ["member", "officer_a"])
def test_the_number_of_queries_does_not_grow_with_audits_cases_or_recommendations(
    client, council_a, users, role
):
    indicator = factories.IndicatorFactory(
        code="cp_cases_held_by_acm", polarity="lower", decimals=2
    )
    for code in ("2014-06-30", "2014-09-30", "2015-06-30"):
        factories.ObservationFactory(
            authority=council_a,
            indicator=indicator,
            period=factories.PeriodFactory(code=code),
            numerator=Decimal(2),
            denominator=Decimal(509),
            value=Decimal("0.39"),
            status=Observation.Status.FINAL,
        )
    factories.TargetFactory(
        authority=council_a, indicator=indicator, period=factories.PeriodFactory(code="2014-15")
    )
    client.force_login(users[role])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(dashboard_url(council_a.slug))
        assert response.status_code == 200
        assert "Sensitive" not in response.content.decode()  # counts only, even for staff
        return len(captured)

    for number in (1, 2):
        _audit(council_a, number)
    few = queries()
    for number in range(3, 13):
        _audit(council_a, number, cases=number, recommendations=number)
    assert CaseAudit.objects.filter(authority=council_a).count() == 12
    assert queries() == few
    # Session and user, council, audits, cases, recommendations, indicator, observations,
    # targets (9); and for an officer its two permission checks (staff links, provisional).
    assert few <= 11, few
