"""Hypothesis settings shared by the bad-input tests: examples per test, no deadline (a page
may take a while on a busy machine), function-scoped fixtures allowed (each example runs in
a savepoint rolled back afterwards, so the fixtures' rows are the same for every one)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def examples(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
