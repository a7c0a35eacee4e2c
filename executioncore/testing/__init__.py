"""Property-based testing of order logic (docs/TESTING.md).

- ``check_strategy(StrategyClass, params, examples=200, invariants=(), seed=None)``: run a
  strategy on generated markets and venue behaviours through the real kernel, risk guard and
  simulated venue; every built-in invariant (``BUILTINS``), the strategy's ``@invariant``
  methods and the given functions ``f(view)`` are checked after every event. A failure is
  shrunk and written as a scenario that ``executioncore run`` reproduces (exit 1), and raised
  as ``AssertionError`` naming the invariant, the step and the scenario's path.
- ``invariant``: the decorator for a strategy's own invariant methods.
- ``markets``, ``behaviours``, ``example_strategy``: the Hypothesis strategies, for your own
  ``@given`` tests; ``StrategyMachine``: a ``RuleBasedStateMachine`` base that drives the order
  API step by step against the simulated venue with the invariants checked after each step.

Hypothesis is one of the project's dependencies (it generates and shrinks the examples).
"""

from executioncore.invariants import BUILTINS, KernelView, invariant
from executioncore.testing.check import FuzzResult, check_strategy, example_strategy, fuzz
from executioncore.testing.machine import OrderApiMachine, StrategyMachine
from executioncore.testing.markets import markets
from executioncore.testing.venue import behaviours

__all__ = [
    "BUILTINS",
    "FuzzResult",
    "KernelView",
    "OrderApiMachine",
    "StrategyMachine",
    "behaviours",
    "check_strategy",
    "example_strategy",
    "fuzz",
    "invariant",
    "markets",
]
