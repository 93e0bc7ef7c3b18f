from decimal import Decimal

from audits import derive
from audits.models import AuditedCase

HEREFORDSHIRE_MASH = ["good"] * 18 + ["requires_improvement"] * 8 + ["inadequate"]


def test_grade_counts_name_every_grade():
    assert derive.grade_counts(["good", "good", ""]) == {
        "good": 2,
        "requires_improvement": 0,
        "inadequate": 0,
    }


def test_share_graded_good_is_18_of_27_or_67_percent():
    assert derive.share_graded(HEREFORDSHIRE_MASH) == Decimal(67)
    assert derive.share_graded(HEREFORDSHIRE_MASH, "requires_improvement") == Decimal(30)
    assert derive.share_graded(HEREFORDSHIRE_MASH, "inadequate", decimals=1) == Decimal("3.7")


def test_ungraded_cases_are_not_in_the_denominator():
    assert derive.share_graded(["good", "", "inadequate"]) == Decimal(50)
    assert derive.share_graded(["", ""]) is None


def test_children_covered_counts_siblings_in_one_case():
    cases = [AuditedCase(reference=f"Case {n}") for n in range(1, 5)]
    cases.append(AuditedCase(reference="Case 5 and 6", children=2))
    assert derive.children_covered(cases) == 6  # "6 children from 5 families"


def test_cp_cases_held_by_acms_as_a_share_of_the_register():
    # Seed 000, appendix 2: the four quarter ends of 2014-15.
    quarters = [(2, 509, "0.39"), (3, 519, "0.58"), (1, 528, "0.19"), (0, 449, "0.00")]
    for held, register, printed in quarters:
        share = derive.cp_cases_held_by_acm_share(Decimal(held), Decimal(register))
        assert share == Decimal(printed)
    assert derive.cp_cases_held_by_acm_share(Decimal(0), Decimal(0)) is None
