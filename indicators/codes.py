"""How people write codes, names and periods, and what the app keys them by.

Pure functions with no database access, so that imports can validate a whole file before
touching a row.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.text import slugify

_PREFIXED_CODE = re.compile(r"^([A-Za-z]+)\s*/\s*(.*)$")


def normalise_indicator_code(code: str) -> str:
    """`SCC/013aii`, `SCC013aii` and ` scc/013AII ` are one indicator: `SCC013AII`.

    Case, spaces and a `/` after the letter prefix are ignored (CONTRACT.md); any other
    character is kept so that snake_case local codes stay distinct.
    """
    text = code.strip()
    match = _PREFIXED_CODE.match(text)
    if match:
        text = match.group(1) + match.group(2)
    return re.sub(r"\s+", "", text).upper()


# Django's `slug` path converter, which the indicator URLs use (indicators/indicator_urls.py).
_URL_SAFE_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_NOT_SLUG = re.compile(r"[^a-z0-9_]+")
# A code has at most 60 characters, but folding accents can lengthen it (`㎒` is `MHz`); the
# slug column holds 80, which leaves room for a `-2` suffix.
SLUG_BASE_LENGTH = 60


def indicator_slug(code: str) -> str:
    """URL form: the normalised code in lower case (`scc013aii`), or the snake_case name.

    A code that is not already URL-safe (`NI 62.1`, `../x`, `Ŵ<1>`) has its accents folded
    and every other run of characters outside a-z, 0-9 and `_` made one `-` (`ni62-1`); a
    code with nothing left (`Показатель`) becomes `indicator-` and a short hash of it. Two
    codes can share this base: `Indicator.save` makes the stored slug unique.
    """
    normalised = normalise_indicator_code(code)
    lowered = normalised.lower()
    if _URL_SAFE_SLUG.match(lowered) and len(lowered) <= SLUG_BASE_LENGTH:
        return lowered
    folded = unicodedata.normalize("NFKD", normalised).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", folded)[:SLUG_BASE_LENGTH].strip("-")
    if slug:
        return slug
    return "indicator-" + hashlib.sha256(normalised.encode()).hexdigest()[:8]


def is_url_safe_slug(slug: str) -> bool:
    return bool(_URL_SAFE_SLUG.match(slug))


def unique_slug(base: str, taken: Callable[[str], bool], current: str = "") -> str:
    """`base`, or `base-2`, `base-3` … whichever is first not `taken` by another row.

    A row's `current` slug is kept while it is one of these, so that saving it again never
    moves its URL (the slug of a removed indicator is not taken back)."""
    if current and (current == base or re.fullmatch(re.escape(base) + r"-[0-9]+", current)):
        return current
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def normalise_name(name: str) -> str:
    """Match key for council and comparator names: case, spacing and '&'/'and' ignored."""
    text = name.strip().lower().replace("&", " and ")
    text = re.sub(r"[’'`]", "", text)
    text = re.sub(r"[^\w]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def authority_slug(name: str) -> str:
    """`Rhondda Cynon Taf` -> `rhondda-cynon-taf`: the name in lower case with hyphens."""
    return slugify(name.replace("&", "and"))


def financial_year_code(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class PeriodSpec:
    code: str
    kind: str
    start: dt.date
    end: dt.date
    financial_year: int
    quarter: int | None = None


class PeriodError(ValueError):
    pass


_YEAR = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NAMED_MONTH = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")
_MONTH_NAMES = {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}


def month_spec(year: int, month: int) -> PeriodSpec:
    """A calendar month. Its code is `2014-07`, or `Nov 2010` where `2010-11` would be read
    as a financial year."""
    start = dt.date(year, month, 1)
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    code = f"{year:04d}-{month:02d}"
    if month == (year + 1) % 100:
        code = f"{calendar.month_abbr[month]} {year}"
    return PeriodSpec(code, "month", start, end, _financial_year_of(start))


def _financial_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _fy_start(first: str, second: str, text: str) -> int:
    start = int(first)
    end = int(second)
    expected = (start + 1) % 100 if len(second) == 2 else start + 1
    if end != expected:
        raise PeriodError(
            f"'{text}' is not a financial year: the second year must follow the first "
            f"(e.g. {financial_year_code(start)})"
        )
    return start


def parse_period(text: str) -> PeriodSpec:
    """Parse `2014-15`, `2014-15 Q1`, `2014-07` or `2014-07-31` (CONTRACT.md).

    Quarters are of the financial year: Q1 is April to June.
    """
    raw = (text or "").strip()
    if not raw:
        raise PeriodError("period is blank")
    if m := _QUARTER.match(raw):
        fy = _in_range(_fy_start(m.group(1), m.group(2), raw))
        q = int(m.group(3))
        first_month = 4 + 3 * (q - 1)
        year = fy if first_month <= 12 else fy + 1
        first_month = (first_month - 1) % 12 + 1
        last_month = first_month + 2
        start = dt.date(year, first_month, 1)
        end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        return PeriodSpec(f"{financial_year_code(fy)} Q{q}", "quarter", start, end, fy, q)
    if m := _MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
        # `2010-11` is both November 2010 and the financial year 2010-11. Reporting speaks
        # in financial years, so a second part that is the next year means the year; such a
        # month is written `Nov 2010`. Any other second part above 12 is a bad year.
        if m.group(2) == f"{(year + 1) % 100:02d}" or not 1 <= month <= 12:
            return _year_spec(_fy_start(m.group(1), m.group(2), raw))
        return month_spec(_in_range(year), month)
    if m := _NAMED_MONTH.match(raw):
        month = _MONTH_NAMES.get(m.group(1).lower()[:3])
        if month is None:
            raise PeriodError(f"'{raw}' is not a month: write it like Nov 2010 or 2014-07")
        return month_spec(_in_range(int(m.group(2))), month)
    if m := _YEAR.match(raw):
        return _year_spec(_fy_start(m.group(1), m.group(2), raw))
    if m := _DATE.match(raw):
        try:
            day = dt.date(_in_range(int(m.group(1))), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise PeriodError(f"'{raw}' is not a real date") from exc
        return PeriodSpec(day.isoformat(), "as_at", day, day, _financial_year_of(day))
    raise PeriodError(
        f"'{raw}' is not a period: use 2014-15 (financial year), 2014-15 Q1 (quarter), "
        "2014-07 or Jul 2014 (month) or 2014-07-31 (as at a date)"
    )


def _in_range(year: int) -> int:
    """Years from 1900 to 2999: beyond them a quarter or month would run past the calendar's
    year 9999 (or before year 1) and is a typing slip in any case."""
    if not 1900 <= year <= 2999:
        raise PeriodError(f"the year {year} is out of range (1900 to 2999)")
    return year


def _year_spec(start_year: int) -> PeriodSpec:
    _in_range(start_year)
    return PeriodSpec(
        financial_year_code(start_year),
        "year",
        dt.date(start_year, 4, 1),
        dt.date(start_year + 1, 3, 31),
        start_year,
    )


def period_label(kind: str, code: str, start: dt.date, end: dt.date) -> str:
    if kind == "year":
        return code.replace("-", "/")
    if kind == "quarter":
        year, quarter = code.split(" ")
        return f"{year.replace('-', '/')} {quarter}"
    if kind == "month":
        return start.strftime("%b %Y")
    return end.strftime("%d/%m/%Y")
