"""Indicator definitions as reviewed data: the TOML files in `fixtures/indicators/`.

Each file is an array of tables, one per indicator:

    [[indicator]]
    code = "cin_rereferral_percent"       # official code (SCC/013aii) or a snake_case name
    title = "Re-referrals within 12 months"
    definition = "..."                    # plain English; also numerator, denominator
    unit = "percent"                      # percent | count | rate_per_10k | days | ratio | gbp | fte
    decimals = 1                          # default 1
    polarity = "lower"                    # higher | lower | neither
    measure = "flow"                      # flow | stock
    framework = "england"                 # wales | england | local
    theme = "referrals"                   # see indicators.models.Theme
    source = "DfE: Children in need"
    official = false                      # default: false for snake_case codes, else true

Sub-tables (such as `[indicator.dfe]`, which tells `import_dfe` where the figures are) belong
to whoever reads them and are ignored here; any other unknown key is an error, so that a
misspelt `polarty` is caught in review rather than silently dropped.

`read_definitions` only reads and validates (no database); `load_definitions` upserts the
rows, idempotently and with history.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from indicators import codes
from indicators.models import Framework, Indicator, Measure, Polarity, Theme, Unit

# TOML key -> Indicator field. Texts are blank when left out.
TEXT_KEYS = {
    "title": "title",
    "definition": "definition",
    "numerator": "numerator_definition",
    "denominator": "denominator_definition",
    "source": "source",
}
CHOICE_KEYS: dict[str, list[str]] = {
    "unit": list(Unit.values),
    "polarity": list(Polarity.values),
    "measure": list(Measure.values),
    "framework": list(Framework.values),
    "theme": list(Theme.values),
}
REQUIRED_KEYS = ("code", "title", *CHOICE_KEYS)
KNOWN_KEYS = {"code", "decimals", "official", *TEXT_KEYS, *CHOICE_KEYS}
MAX_DECIMALS = 6
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


class DefinitionError(ValueError):
    """A definitions file that cannot be loaded; `problems` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class IndicatorDefinition:
    """One `[[indicator]]` table: the Indicator's field values and the sub-tables that other
    readers (e.g. the DfE import's `dfe`) use."""

    code: str
    fields: dict[str, Any]
    tables: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Indicator:
        """An unsaved Indicator with these fields (for validating figures before writing)."""
        return Indicator(code=self.code, **self.fields)


@dataclass
class DefinitionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    indicators: dict[str, Indicator] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def read_definitions(path: Path | str) -> list[IndicatorDefinition]:
    """Read and validate a definitions file; raises DefinitionError naming every problem
    (the indicator's code and the key) rather than stopping at the first."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise DefinitionError([f"{path}: no such file"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError([f"{path.name}: not valid TOML: {exc}"]) from exc
    tables = data.get("indicator")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise DefinitionError([f"{path.name}: expected an array of [[indicator]] tables"])

    problems: list[str] = []
    definitions: list[IndicatorDefinition] = []
    seen: dict[str, str] = {}
    for number, table in enumerate(tables, start=1):
        definition = _read_one(table, path.name, number, problems)
        if definition is None:
            continue
        key = codes.normalise_indicator_code(definition.code)
        if key in seen:
            problems.append(
                f"{path.name}: indicator '{definition.code}': code given twice "
                f"(also as '{seen[key]}')"
            )
            continue
        seen[key] = definition.code
        definitions.append(definition)
    if problems:
        raise DefinitionError(problems)
    return definitions


def _read_one(
    table: Mapping[str, Any], filename: str, number: int, problems: list[str]
) -> IndicatorDefinition | None:
    code = table.get("code")
    if not isinstance(code, str) or not code.strip():
        problems.append(f"{filename}: indicator {number} (of the file's tables): 'code' is missing")
        return None
    code = code.strip()
    where = f"{filename}: indicator '{code}'"
    before = len(problems)
    if len(code) > Indicator._meta.get_field("code").max_length:
        problems.append(f"{where}: 'code' is longer than 60 characters")

    fields: dict[str, Any] = {}
    sub_tables: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            sub_tables[key] = value
        elif key not in KNOWN_KEYS:
            problems.append(
                f"{where}: unknown key '{key}' (known keys: {', '.join(sorted(KNOWN_KEYS))})"
            )
    for key in REQUIRED_KEYS:
        if key not in table:
            problems.append(f"{where}: '{key}' is missing")

    for key, field_name in TEXT_KEYS.items():
        value = table.get(key, "")
        if not isinstance(value, str):
            problems.append(f"{where}: '{key}' must be text, not {value!r}")
            continue
        max_length = getattr(Indicator._meta.get_field(field_name), "max_length", None)
        if max_length and len(value.strip()) > max_length:
            problems.append(f"{where}: '{key}' is longer than {max_length} characters")
        fields[field_name] = value.strip()
    if "title" in table and not fields.get("title"):
        problems.append(f"{where}: 'title' is blank")

    for key, allowed in CHOICE_KEYS.items():
        if key not in table:
            continue
        value = table[key]
        if value not in allowed:
            problems.append(f"{where}: {key} {value!r} is not one of: {', '.join(allowed)}")
        fields[key] = value

    decimals = table.get("decimals", 1)
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        problems.append(f"{where}: 'decimals' must be a whole number, not {decimals!r}")
    elif not 0 <= decimals <= MAX_DECIMALS:
        problems.append(f"{where}: 'decimals' must be between 0 and {MAX_DECIMALS}")
    fields["decimals"] = decimals

    # A snake_case name is the app's own label for a measure without an official code.
    official = table.get("official", not _SNAKE_CASE.match(code))
    if not isinstance(official, bool):
        problems.append(f"{where}: 'official' must be true or false, not {official!r}")
    fields["official"] = official

    if len(problems) > before:
        return None
    return IndicatorDefinition(code=code, fields=fields, tables=sub_tables)


def load_definitions(path: Path | str, *, change_reason: str = "") -> DefinitionCounts:
    """Create or update an Indicator for each definition in the file, in one transaction.

    Indicators are matched by normalised code (`SCC/013aii` is `SCC013AII`); an unchanged
    definition is not saved again, so loading a file twice records no history the second
    time. Indicators absent from the file are left alone. Raises DefinitionError.
    """
    path = Path(path)
    definitions = read_definitions(path)
    reason = change_reason or f"load_definitions {path.name}"
    counts = DefinitionCounts()
    wanted = {codes.normalise_indicator_code(d.code): d for d in definitions}
    existing = {i.normalised_code: i for i in Indicator.objects.filter(normalised_code__in=wanted)}
    with transaction.atomic():
        for key, definition in wanted.items():
            indicator = existing.get(key)
            if indicator is None:
                indicator = definition.build()
                counts.created += 1
            else:
                changed = [
                    name
                    for name, value in {"code": definition.code, **definition.fields}.items()
                    if getattr(indicator, name) != value
                ]
                if not changed:
                    counts.unchanged += 1
                    counts.indicators[definition.code] = indicator
                    continue
                indicator.code = definition.code
                for name, value in definition.fields.items():
                    setattr(indicator, name, value)
                counts.updated += 1
            indicator._change_reason = reason  # type: ignore[attr-defined]
            indicator.save()
            counts.indicators[definition.code] = indicator
    return counts
