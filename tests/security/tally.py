"""The count the bad-input suite reports: how many generated cases ran, how many answered
with a server error and how many wrote something though the input was refused.

Every test body calls `case()` once per generated example, so the total is the number of
examples hypothesis actually ran (explicit ones included), not the `max_examples` asked for.
A server error or a partial write also fails its test; they are counted as well so that the
summary line states them rather than implying them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    cases: int = 0
    server_errors: int = 0
    partial_writes: int = 0
    by_area: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"bad input: {self.cases} generated cases, {self.server_errors} server errors, "
            f"{self.partial_writes} partial writes"
        )


TALLY = Tally()


def case(area: str) -> None:
    TALLY.cases += 1
    TALLY.by_area[area] += 1
