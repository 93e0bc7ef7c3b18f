"""Generators of bad input: text, numbers, dates and whole form posts that a careless,
confused or hostile user (or a broken spreadsheet) might send.

Nothing here names a child or a date of birth: text is generated, and the fixed samples are
formula payloads, control characters and odd Unicode.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Text that spreadsheets run as a formula (OWASP "CSV injection"), with and without the
# characters that hide the first one.
FORMULAS = [
    "=1+2",
    '=HYPERLINK("http://example.invalid","x")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "-2",
    "@SUM(A1:A9)",
    "\t=1+2",
    "\r=1+2",
    "'=1+2",
    "''@x",
    "=cmd|'/c notepad'!A1",
    " =1+2",
]

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 5,
    "\u202eevil",  # right-to-left override
    "\ufeff",  # a byte-order mark
    "\u200b",  # zero-width space
    "𝟘𝟙𝟚",  # mathematical digits
    "١٢٣",  # Arabic-Indic digits
    "²",  # a digit to str.isdigit, not to int()
    "Ⅻ",
    "ǅ ß ﬁ",
    "<script>alert(1)</script>",
    "'; DROP TABLE indicators_observation; --",
    "%(field)s %s {0}",
    "{{ request }}",
    "\\",
    "\r\n\r\n",
    "\x1b[31m",
    "\ud7ff\ue000\uffff",
    "🙂" * 20,
]

ODD_NUMBERS = [
    "-1",
    "-0",
    "−5",  # a minus sign, not a hyphen
    "0",
    "1e308",
    "1e999999",
    "-1e999999",
    "1E+1000000000",
    "1e-999999999",
    "NaN",
    "nan",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1_000",
    "0x10",
    "0b11",
    "١٢",
    "²",
    "9" * 40,
    "0." + "9" * 30,
    "1,5",
    "1,,000",
    " 12 ",
    "12abc",
    "1.2.3",
    "+7",
    "£12",
    "12%",
    "1 000",
    "99999999999999999999999999999999",
    "18446744073709551616",
    "-9223372036854775809",
    "32768",
    "65536",
    "2147483648",
]


def huge_text(minimum: int = 1_000, maximum: int = 100_000) -> st.SearchStrategy[str]:
    return st.builds(
        lambda n, ch: ch * n,
        st.integers(minimum, maximum),
        st.sampled_from(["x", "é", "\x00", "9", "=", "\u202e", "🙂"]),
    )


text = st.one_of(
    st.sampled_from(ODD_TEXT + FORMULAS),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    huge_text(),
)

numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.integers(-(10**40), 10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

date_parts = st.one_of(
    st.sampled_from(["", "0", "00", "-1", "31", "32", "13", "29", "1899", "0000", "9999", "²"]),
    st.integers(-(10**30), 10**30).map(str),
    st.just("9" * 30),
    st.text(max_size=6),
)

any_value = st.one_of(text, numbers, date_parts)


def posted(value: st.SearchStrategy[str] = any_value) -> st.SearchStrategy:
    """A value as a form post carries it: one string, or several under the same name."""
    return st.one_of(value, value, value, st.lists(value, min_size=2, max_size=3))


def form_post(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict]:
    """A post of a form whose good values are `fields`: each field kept good, replaced with
    junk, sent as a list, or left out; at least one is junk or missing."""

    def one(good: st.SearchStrategy[str]) -> st.SearchStrategy:
        return st.one_of(
            good.map(lambda v: ("good", v)),
            posted().map(lambda v: ("junk", v)),
            st.just(("missing", None)),
        )

    def build(choices: dict) -> dict:
        return {name: value for name, (how, value) in choices.items() if how != "missing"}

    return (
        st.fixed_dictionaries({name: one(good) for name, good in fields.items()})
        .filter(lambda choices: any(how != "good" for how, _ in choices.values()))
        .map(build)
    )


# Text shaped like a period, with years and parts out of range.
ODD_PERIODS = [
    "9999-00 Q4",
    "0000-01 Q1",
    "0000-05",
    "May 0000",
    "9999-12",
    "1899-00",
    "2014-16",
    "2014-15 Q5",
    "2014-15 Q0",
    "2014-13",
    "2015-02-29",
    "2014-15 q1",
    "٢٠١٤-١٥",
    "2014/15",
    "2099-00",
    "2999-00 Q4",
]

periods = st.one_of(
    st.sampled_from(ODD_PERIODS),
    st.from_regex(r"\A[0-9]{4}[-/][0-9]{2,4}( ?[Qq][0-9])?\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}(-[0-9]{2})?\Z"),
    text,
)
