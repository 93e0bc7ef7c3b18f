"""Any text as a period: a PeriodSpec or a PeriodError naming the problem, never another
exception (a quarter or month in year 0 or 9999 used to raise the calendar's ValueError,
a server error on every form and file that takes a period)."""

from __future__ import annotations

import pytest
from hypothesis import example, given

from indicators import codes
from tests.security import junk
from tests.security.checks import examined
from tests.security.settings import examples


@examples(150)
@given(text=junk.periods)
@example(text="9999-00 Q4")
@example(text="0000-05")
@example(text="May 0000")
def test_parse_period(db, text):
    with examined("period text"):
        try:
            spec = codes.parse_period(text)
        except codes.PeriodError as refused:
            assert str(refused)
        else:
            assert 1900 <= spec.start.year <= 3000


@pytest.mark.parametrize("text", ["9999-00 Q4", "0000-01 Q1", "0000-05", "May 0000", "9999-12"])
def test_years_beyond_the_calendar_are_out_of_range(text):
    with pytest.raises(codes.PeriodError, match="out of range"):
        codes.parse_period(text)
