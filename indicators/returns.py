"""The quarterly returns: which counts an officer enters, the rules they must obey, and the
indicators derived from them.

Pure functions with no database access. Officers think in counts; every percentage comes
from here via `derive`, so nobody types a figure that a count already implies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from indicators import derive


@dataclass(frozen=True)
class Line:
    """One count on a return. `indicator` names the indicator whose definition gives the
    hint text; `stock` lines are counted at the quarter's end and may be prefilled."""

    name: str
    label: str
    hint: str = ""
    stock: bool = False
    # How messages name the line out of its group ("of which allocated to a social worker"
    # reads well under its heading, not in an error summary).
    called: str = ""

    @property
    def message_name(self) -> str:
        return str(self.called or self.label)


@dataclass(frozen=True)
class Derivation:
    """An indicator derived as numerator line / denominator line (a percentage), or, with
    no denominator, a count taken straight from one line."""

    indicator: str
    numerator: str
    denominator: str | None = None


@dataclass(frozen=True)
class AtMost:
    """The sum of `parts` may not exceed `whole`: allocated cases cannot outnumber open ones."""

    parts: tuple[str, ...]
    whole: str
    message: str


@dataclass(frozen=True)
class ReturnSpec:
    kind: str
    title: str
    measure: str  # "stock": the year is its last quarter; "flow": the year sums its quarters
    lines: tuple[Line, ...]
    derivations: tuple[Derivation, ...]
    rules: tuple[AtMost, ...]

    @property
    def line_names(self) -> list[str]:
        return [line.name for line in self.lines]

    def line(self, name: str) -> Line:
        return next(line for line in self.lines if line.name == name)


ALLOCATIONS = ReturnSpec(
    kind="allocations",
    title=_("Allocations return"),
    measure="stock",
    lines=(
        Line(
            "cp_open",
            _("Open child protection cases at the quarter's end"),
            _("Children on the child protection register."),
            stock=True,
        ),
        Line(
            "cp_social_worker",
            _("of which allocated to a social worker"),
            stock=True,
            called=_("child protection cases allocated to a social worker"),
        ),
        Line(
            "cp_other",
            _("of which allocated to someone else, with a service per plan"),
            stock=True,
            called=_("child protection cases allocated to someone else with a service per plan"),
        ),
        Line("lac_open", _("Open looked after cases at the quarter's end"), stock=True),
        Line(
            "lac_social_worker",
            _("of which allocated to a social worker"),
            stock=True,
            called=_("looked after cases allocated to a social worker"),
        ),
        Line(
            "lac_other",
            _("of which allocated to someone else, with a service per plan"),
            stock=True,
            called=_("looked after cases allocated to someone else with a service per plan"),
        ),
        Line("cin_open", _("Open children in need cases at the quarter's end"), stock=True),
        Line(
            "cin_social_worker",
            _("of which allocated to a social worker"),
            stock=True,
            called=_("children in need cases allocated to a social worker"),
        ),
        Line(
            "cin_other",
            _("of which allocated to someone else, with a service per plan"),
            stock=True,
            called=_("children in need cases allocated to someone else with a service per plan"),
        ),
    ),
    derivations=(
        Derivation("SCC/013ai", "cp_social_worker", "cp_open"),
        Derivation("SCC/013aii", "lac_social_worker", "lac_open"),
        Derivation("SCC/013aiii", "cin_social_worker", "cin_open"),
        Derivation("SCC/013bi", "cp_other", "cp_open"),
        Derivation("SCC/013bii", "lac_other", "lac_open"),
        Derivation("SCC/013biii", "cin_other", "cin_open"),
        Derivation("children_on_cp_register", "cp_open"),
        Derivation("looked_after_children", "lac_open"),
        Derivation("children_in_need", "cin_open"),
    ),
    rules=tuple(
        AtMost(
            (f"{group}_social_worker", f"{group}_other"),
            f"{group}_open",
            _(
                "Cases allocated to a social worker and to someone else cannot add up to more "
                "than the open cases"
            ),
        )
        for group in ("cp", "lac", "cin")
    ),
)

REFERRALS = ReturnSpec(
    kind="referrals",
    title=_("Referrals and initial assessments return"),
    measure="flow",
    lines=(
        Line("referrals", _("Referrals received in the quarter")),
        Line(
            "referrals_social_worker",
            _("of which allocated to a social worker for initial assessment"),
            called=_("referrals allocated to a social worker for initial assessment"),
        ),
        Line(
            "referrals_other",
            _("of which allocated to someone other than a social worker for initial assessment"),
        ),
        Line("assessments", _("Initial assessments completed in the quarter")),
        Line(
            "seen",
            _("of which the child was seen by the social worker"),
            called=_("assessments where the child was seen"),
        ),
        Line(
            "seen_alone",
            _("of which the child was seen alone by the social worker"),
            called=_("assessments where the child was seen alone"),
        ),
    ),
    derivations=(
        Derivation("SCC/007a", "referrals_social_worker", "referrals"),
        Derivation("SCC/007b", "referrals_other", "referrals"),
        Derivation("SCC/011a", "seen", "assessments"),
        Derivation("SCC/011b", "seen_alone", "assessments"),
        Derivation("referrals", "referrals"),
    ),
    rules=(
        AtMost(
            ("referrals_social_worker", "referrals_other"),
            "referrals",
            _(
                "Referrals allocated to a social worker and to someone else cannot add up to "
                "more than the referrals received"
            ),
        ),
        AtMost(
            ("seen",), "assessments", _("Children seen cannot outnumber the initial assessments")
        ),
        AtMost(
            ("seen_alone",), "seen", _("Children seen alone cannot outnumber the children seen")
        ),
    ),
)

SPECS: dict[str, ReturnSpec] = {spec.kind: spec for spec in (ALLOCATIONS, REFERRALS)}

# A stock that moves by more than half since last quarter is worth a second look, but only
# where there are enough cases for a percentage change to mean something.
JUMP_SHARE = Decimal("0.5")
JUMP_MINIMUM = 20


def read_counts(
    spec: ReturnSpec, raw: Mapping[str, object]
) -> tuple[dict[str, int], dict[str, str]]:
    """Parse every line as a whole number of zero or more. Returns (counts, errors by line).

    Every line is required: a blank is not zero, and a return with gaps derives nothing.
    """
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    for line in spec.lines:
        value = raw.get(line.name)
        text = "" if value is None else str(value).strip().replace(",", "")
        if text == "":
            errors[line.name] = str(
                _("Enter %(label)s") % {"label": _lower_first(line.message_name)}
            )
            continue
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            errors[line.name] = str(
                _("%(label)s must be a whole number, like 12")
                % {"label": _upper_first(line.message_name)}
            )
        elif number != number.to_integral_value():
            errors[line.name] = str(
                _("%(label)s must be a whole number of cases, not %(text)s")
                % {"label": _upper_first(line.message_name), "text": text}
            )
        elif number < 0:
            errors[line.name] = str(
                _("%(label)s must be 0 or more") % {"label": _upper_first(line.message_name)}
            )
        elif number > 10_000_000:
            errors[line.name] = str(
                _("%(label)s is too large to be a count of cases")
                % {"label": _upper_first(line.message_name)}
            )
        else:
            counts[line.name] = int(number)
    return counts, errors


def _upper_first(text) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def _lower_first(text) -> str:
    text = str(text)
    return text[:1].lower() + text[1:]


def check_rules(spec: ReturnSpec, counts: Mapping[str, int]) -> dict[str, str]:
    """Errors by line where counts break a rule; reported on the first part of the sum."""
    errors: dict[str, str] = {}
    for rule in spec.rules:
        if rule.whole not in counts or any(p not in counts for p in rule.parts):
            continue
        total = sum(counts[p] for p in rule.parts)
        if total > counts[rule.whole]:
            errors.setdefault(
                rule.parts[0],
                f"{rule.message}: {total} is more than {counts[rule.whole]}",
            )
    return errors


def validate(spec: ReturnSpec, raw: Mapping[str, object]) -> tuple[dict[str, int], dict[str, str]]:
    """The counts of a submitted form and every error by line, in the spec's line order."""
    counts, errors = read_counts(spec, raw)
    for name, message in check_rules(spec, counts).items():
        errors.setdefault(name, message)
    ordered = {name: errors[name] for name in spec.line_names if name in errors}
    return counts, ordered


def jump_warnings(
    spec: ReturnSpec, counts: Mapping[str, int], previous: Mapping[str, int] | None
) -> dict[str, str]:
    """Stock lines that moved by more than 50% since last quarter, on a base of 20 or more.

    A warning, not an error: the officer confirms the figure with a reason.
    """
    if not previous:
        return {}
    warnings: dict[str, str] = {}
    for line in spec.lines:
        if not line.stock or line.name not in counts or line.name not in previous:
            continue
        before, now = previous[line.name], counts[line.name]
        base = max(before, now)
        if base < JUMP_MINIMUM or before == 0:
            continue
        change = Decimal(now - before) / Decimal(before)
        if abs(change) > JUMP_SHARE:
            warnings[line.name] = str(
                _(
                    "%(label)s changed from %(before)s last quarter to %(now)s (%(change)s%%). "
                    "Check the figure, and give a reason if it is right."
                )
                % {
                    "label": _upper_first(line.message_name),
                    "before": before,
                    "now": now,
                    "change": f"{change * 100:+.0f}",
                }
            )
    return warnings


@dataclass(frozen=True)
class DerivedFigure:
    indicator: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None


def derive_quarter(
    spec: ReturnSpec, counts: Mapping[str, int], units: Mapping[str, tuple[str, int]]
) -> list[DerivedFigure]:
    """The indicators one quarter's counts imply. `units` maps indicator code to
    (unit, decimals) as defined; indicators not defined are skipped."""
    figures: list[DerivedFigure] = []
    for d in spec.derivations:
        if d.indicator not in units or d.numerator not in counts:
            continue
        unit, decimals = units[d.indicator]
        if d.denominator is None:
            figures.append(DerivedFigure(d.indicator, None, None, Decimal(counts[d.numerator])))
            continue
        if d.denominator not in counts:
            continue
        n, den = Decimal(counts[d.numerator]), Decimal(counts[d.denominator])
        figures.append(
            DerivedFigure(d.indicator, n, den, derive.value_from_counts(n, den, unit, decimals))
        )
    return figures


def derive_year(
    spec: ReturnSpec,
    quarters: Sequence[Mapping[str, int]],
    units: Mapping[str, tuple[str, int]],
) -> list[DerivedFigure]:
    """The year's (or year to date's) indicators from its quarters' counts, in order.

    Allocations are a stock: the year is its last quarter. Referrals are a flow: counts are
    summed and the percentage is the sum of numerators over the sum of denominators, never
    the mean of the quarterly percentages.
    """
    if not quarters:
        return []
    if spec.measure == "stock":
        return derive_quarter(spec, quarters[-1], units)
    names = spec.line_names
    totals = {
        name: sum(q[name] for q in quarters) for name in names if all(name in q for q in quarters)
    }
    return derive_quarter(spec, totals, units)
