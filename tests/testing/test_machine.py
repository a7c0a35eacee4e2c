"""The stateful base: random sequences of order API calls against a moving market, with every
built-in invariant checked after each step (OrderApiMachine), and a planted kernel-side bug
that the machine must catch."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule, run_state_machine_as_test

from executioncore.testing import OrderApiMachine

SETTINGS = settings(max_examples=25, stateful_step_count=25, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))  # fmt: skip


def test_order_api_holds_every_invariant() -> None:
    run_state_machine_as_test(OrderApiMachine, settings=SETTINGS)


class SlowVenue(OrderApiMachine):
    venue = {"latency": {"order_ms": 20, "response_ms": 20, "jitter_ms": 5}}
    risk = {"max_position_pct": 0.05, "max_daily_orders": 15}


def test_with_latency_and_limits() -> None:
    run_state_machine_as_test(SlowVenue, settings=SETTINGS)


class Overfiller(OrderApiMachine):
    """Books a fill the venue never made: the position stops being the sum of the fills."""

    @rule()
    def phantom_fill(self) -> None:
        self.kernel.portfolio.positions[self.symbol].qty += 1


def test_a_broken_book_is_caught() -> None:
    with pytest.raises(AssertionError, match="position_is_sum_of_fills"):
        run_state_machine_as_test(Overfiller, settings=SETTINGS)
