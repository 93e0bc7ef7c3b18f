"""Bad input (issue 7, item 3): a small world to post junk into, and the line that sums up
the run: "bad input: N generated cases, 0 server errors, 0 partial writes"."""

from __future__ import annotations

from tests.security.tally import TALLY


def pytest_terminal_summary(terminalreporter):
    if not TALLY.cases:
        return
    terminalreporter.section("bad input")
    for area, count in sorted(TALLY.by_area.items()):
        terminalreporter.write_line(f"{area}: {count}")
    terminalreporter.write_line(TALLY.summary())
