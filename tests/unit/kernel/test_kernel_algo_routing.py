"""``Kernel.register_algo``: the events of an algo's children go to the algo, not the strategy."""

from __future__ import annotations

import pytest
from kernel_helpers import Harness

from kernel.enums import OrderType, Side
from kernel.events import OrderCanceled, OrderDenied, OrderFilled
from kernel.kernel import RISK_ID
from kernel.orders import Order
from kernel.strategy import Strategy


class Seen(Strategy):
    strategy_id = "s"

    def __init__(self) -> None:
        super().__init__()
        self.events: list = []

    def on_order_event(self, event) -> None:
        self.events.append(event)


def _setup(risk: dict | None = None):
    h = Harness(risk=risk)
    s = Seen()
    h.kernel.add_strategy(s)
    got: list = []
    h.kernel.register_algo("P1", got.append)
    return h, s, got


def _child(h: Harness, algo_id: str | None = "P1", **kw) -> Order:
    k = h.kernel
    return Order(
        k.next_order_id("s"),
        "s",
        "X",
        Side.BUY,
        kw.pop("order_type", OrderType.MARKET),
        kw.pop("qty", 5),
        algo_id=algo_id,
        ts_init=h.clock.now_ns(),
        **kw,
    )


def test_register_algo_venue_events_of_children_reach_algo_not_strategy():
    h, s, got = _setup()
    child = _child(h)
    assert h.kernel.submit_order(child)
    h.accept(child.client_order_id)
    h.fill(child.client_order_id, 100, 5)
    assert [type(e).__name__ for e in got] == ["OrderAccepted", "OrderFilled"]
    assert s.events == []
    assert h.kernel.portfolio.position_qty("X", "s") == 5  # positions stay the strategy's


def test_register_algo_other_orders_of_the_strategy_still_reach_it():
    h, s, got = _setup()
    plain = _child(h, algo_id=None)
    h.kernel.submit_order(plain)
    h.fill(plain.client_order_id, 100, 5)
    assert [type(e) for e in s.events] == [OrderFilled]
    assert got == []


def test_register_algo_risk_denial_of_child_reaches_algo():
    h, s, got = _setup(risk={"max_order_value": 1})
    child = _child(h, qty=5, order_type=OrderType.LIMIT, limit_ticks=100)
    assert not h.kernel.submit_order(child)
    assert [type(e) for e in got] == [OrderDenied]
    assert got[0].reason == "MAX_ORDER_VALUE"
    assert s.events == []


def test_register_algo_local_cancel_of_held_child_reaches_algo():
    h, s, got = _setup()
    entry = _child(h, algo_id=None)
    child = _child(h, order_type=OrderType.LIMIT, limit_ticks=90)
    h.kernel.oms.link_oto(entry, [child])
    h.kernel.submit_order(entry)
    h.kernel.submit_order(child)  # held until the entry is done
    h.kernel.cancel_order(child.client_order_id)
    assert [type(e) for e in got] == [OrderCanceled]
    assert all(type(e) is not OrderCanceled for e in s.events)


def test_unregister_algo_events_go_back_to_the_strategy():
    h, s, got = _setup()
    child = _child(h)
    h.kernel.submit_order(child)
    h.kernel.unregister_algo("P1")
    h.fill(child.client_order_id, 100, 5)
    assert got == []
    assert [type(e) for e in s.events] == [OrderFilled]


def test_register_algo_twice_or_as_risk_raises():
    h, _s, _got = _setup()
    with pytest.raises(ValueError):
        h.kernel.register_algo("P1", print)
    with pytest.raises(ValueError):
        h.kernel.register_algo(RISK_ID, print)


def test_register_algo_flattening_orders_are_never_rerouted():
    h, _s, got = _setup()
    h.kernel.register_algo("P2", got.append)
    plain = _child(h, algo_id=None)
    h.kernel.submit_order(plain)
    h.fill(plain.client_order_id, 100, 5)
    h.quote(99, 101)
    h.kernel.kill_switch()
    flat = [o for o in h.kernel.oms.open_orders() if o.algo_id == RISK_ID]
    assert len(flat) == 1
    h.fill(flat[0].client_order_id, 99, 5)
    assert got == []
    assert h.kernel.portfolio.position_qty("X", "s") == 0
