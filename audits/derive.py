"""Rules on audit figures: shares of cases by grade, children covered, and child protection
cases held by unqualified workers against the register.

Plain typed functions, no database access; they take grades and counts so that the same rule
serves an audit's stored cases and a paper's printed counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from audits.models import AuditedCase, Grade
from indicators.derive import value_from_counts


def grade_counts(grades: Iterable[str]) -> dict[str, int]:
    """Cases per grade, every grade present (0 when none); ungraded cases are left out."""
    found = Counter(g for g in grades if g)
    return {grade: found.get(grade, 0) for grade in Grade.values}


def share_graded(
    grades: Iterable[str], grade: str = Grade.GOOD, decimals: int = 0
) -> Decimal | None:
    """The percentage of graded cases given `grade`: 18 good of 27 is 67%.

    Ungraded cases are not in the denominator (an audit that grades none has no share).
    """
    counts = grade_counts(grades)
    graded = sum(counts.values())
    return value_from_counts(Decimal(counts[grade]), Decimal(graded), "percent", decimals)


def children_covered(cases: Iterable[AuditedCase]) -> int:
    """Children in the audited cases: a case can cover siblings (seed 000's 'Case 5 and 6')."""
    return sum(case.children for case in cases)


def cp_cases_held_by_acm_share(
    held_by_acm: Decimal, on_register: Decimal, decimals: int = 2
) -> Decimal | None:
    """Children on the child protection register whose case an Assessor Care Manager holds,
    as a percentage of the register: 2 of 509 is 0.39%. None for an empty register."""
    return value_from_counts(held_by_acm, on_register, "percent", decimals)
