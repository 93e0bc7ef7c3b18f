"""What a case reference may be. Audits hold pseudonymised cases only: the app must never
need a child's name or date of birth, so a reference that looks like either is refused."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DATE_PATTERNS = [
    re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}"),  # 12/03/2010, 12.3.10
    re.compile(r"\d{4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,2}"),  # 2010-03-12
    re.compile(rf"\d{{1,2}}(st|nd|rd|th)?\s*({_MONTHS})\b", re.IGNORECASE),  # 12 March
    re.compile(rf"\b({_MONTHS})\s*\d{{1,2}}(st|nd|rd|th)?\b[\s,]*\d{{2,4}}", re.IGNORECASE),
    re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(19|20)\d{2}(?!\d)"),  # 12032010
]


def looks_like_a_date(text: str) -> bool:
    return any(pattern.search(text) for pattern in _DATE_PATTERNS)


def check_case_reference(reference: str) -> None:
    """Refuse a reference that is or contains a date, or has no digit at all.

    A pseudonymised reference is a code ("Case 3", "A12", "CP-0042"). Requiring a digit
    keeps out names, which have none; refusing date shapes keeps out dates of birth.
    """
    text = reference.strip()
    if looks_like_a_date(text):
        raise ValidationError(
            _(
                "Case reference must not contain a date: never record a child's date of "
                "birth. Use a pseudonymised reference such as Case 3"
            ),
            code="date",
        )
    if not any(ch.isdigit() for ch in text):
        raise ValidationError(
            _("Case reference must include a number, such as Case 3: never record a child's name"),
            code="no_number",
        )
