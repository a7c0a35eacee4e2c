"""The exchange engine's reduce-only orders (contingent orders are the kernel's)."""

from __future__ import annotations

import pytest
from matching_helpers import names, of

from kernel.events import OrderCanceled, OrderModified, OrderRejected
from sim.exchange import MatchingEngine
from sim.exchange_orders import LIMIT

B, S = 1, -1


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine("XYZ")


def _sub(
    e: MatchingEngine, oid: str, side: int, otype: int, qty: int, t: int = 1, owner="me", **kw
):
    out = e.submit_order(oid, owner, side, otype, qty, t, **kw)
    e._check()
    return out


def _canceled(events: list) -> list[str]:
    return [e.client_order_id for e in of(events, OrderCanceled)]


# --- reduce-only ---------------------------------------------------------------------------------
def _long(e: MatchingEngine, qty: int, owner: str = "me") -> None:
    e.submit_limit(f"lp{qty}", "lp", S, qty, 100, 1)
    e.submit_market(f"buy{qty}", owner, B, qty, 1)
    assert e.positions[owner] == qty


def test_reduce_only_with_a_flat_position_is_rejected(eng: MatchingEngine) -> None:
    out = _sub(eng, "r", S, LIMIT, 1, limit_ticks=101, reduce_only=True)
    assert of(out, OrderRejected)[0].reason == "REDUCE_ONLY_WOULD_INCREASE"


def test_reduce_only_on_the_position_side_is_rejected(eng: MatchingEngine) -> None:
    _long(eng, 3)
    out = _sub(eng, "r", B, LIMIT, 1, limit_ticks=99, reduce_only=True)
    assert of(out, OrderRejected)[0].reason == "REDUCE_ONLY_WOULD_INCREASE"


def test_reduce_only_larger_than_the_position_is_trimmed(eng: MatchingEngine) -> None:
    _long(eng, 3)
    out = _sub(eng, "r", S, LIMIT, 5, limit_ticks=101, reduce_only=True)
    assert names(out) == ["OrderAccepted", "OrderModified"] and out[1].quantity_lots == 3
    assert eng.depth()[1] == [(101, 3)]


def test_reduce_only_is_canceled_when_the_position_closes_elsewhere(eng: MatchingEngine) -> None:
    _long(eng, 3)
    _sub(eng, "r", S, LIMIT, 3, limit_ticks=105, reduce_only=True)
    eng.submit_limit("bid", "other", B, 3, 99, 2)
    out = eng.submit_market("flat", "me", S, 3, 3)
    eng._check()
    assert _canceled(out) == ["r"] and eng.positions["me"] == 0


def test_reduce_only_is_trimmed_when_the_position_shrinks(eng: MatchingEngine) -> None:
    _long(eng, 3)
    _sub(eng, "r", S, LIMIT, 3, limit_ticks=105, reduce_only=True)
    eng.submit_limit("bid", "other", B, 1, 99, 2)
    out = eng.submit_market("part", "me", S, 1, 3)
    eng._check()
    assert of(out, OrderModified)[0].quantity_lots == 2 and eng.depth()[1] == [(105, 2)]
