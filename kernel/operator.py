"""Operators' commands to the kernel (``OperatorAction``, journaled as inputs by
``Kernel.on_operator``): halt, resume, the kill switch, cancel all, cancel one order, signal
rows (``kernel.signals``), and manual orders (a JSON object with the fields of an ``orders:`` entry), built like scripted orders and
owned by the ``manual`` strategy id, through the same risk checks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kernel.enums import TradingState
from kernel.events import OperatorAction
from kernel.orders import Order, make_order
from kernel.signals import SIGNALS_ID, SignalFollower

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.units import Instrument

MANUAL_ID = "manual"  # the strategy id of operators' manual orders
# the keys a manual order's JSON may hold (one plain order: no timing, links, algos or venue)
MANUAL_KEYS = ("id", "symbol", "side", "quantity", "type", "limit_price", "stop_price",
               "time_in_force")  # fmt: skip


def apply_operator(k: Kernel, event: OperatorAction) -> None:
    """Carry out ``event`` (already journaled); an unknown action or a refused one is a notice."""
    action = event.action
    if action == "halt":
        k.set_trading_state(TradingState.HALTED, event.reason)
    elif action == "resume":
        k.set_trading_state(TradingState.ACTIVE, event.reason)
    elif action == "kill_switch":
        k.kill_switch(event.reason)
    elif action == "cancel_all":
        k.cancel_all()
    elif action == "cancel":
        order = k.oms.get(event.reason)
        if order is None or not order.is_open:
            k.notice("OPERATOR_CANCEL_REFUSED", f"{event.reason}: no such open order")
        else:
            k.cancel_order(event.reason)
    elif action == "order":
        manual_order(k, event.reason)
    elif action == "signal":
        follower = k.strategies.get(SIGNALS_ID)
        if not isinstance(follower, SignalFollower):
            # why: rows with no signals: configured (the dashboard's /api/signals): targets
            # in instrument units, market orders
            follower = SignalFollower()
            k.add_strategy(follower)
        follower.apply_json(event.reason)
    else:
        k.notice("UNKNOWN_OPERATOR_ACTION", action)


def build_manual(
    inst: Instrument, entry: dict[str, Any], client_order_id: str, default_tif: Any, ts: int = 0
) -> Order:
    """The order a manual entry describes (``MANUAL_KEYS``), owned by ``manual``; raises
    ``InvalidOrder`` naming the field (the dashboard checks entries with it too)."""
    return make_order(
        inst,
        client_order_id,
        MANUAL_ID,
        entry.get("side", ""),
        entry.get("type", "market"),
        entry.get("quantity", 0),
        limit_price=entry.get("limit_price"),
        stop_price=entry.get("stop_price"),
        time_in_force=entry.get("time_in_force", default_tif),
        ts_init=ts,
    )


def manual_order(k: Kernel, text: str) -> None:
    """A manual order from its JSON text: refused with a ``MANUAL_ORDER_REFUSED`` notice when it
    cannot be built; ``MANUAL_ORDER`` maps the operator's ``id`` to the client order id."""
    try:
        entry = json.loads(text)
        if not isinstance(entry, dict):
            raise ValueError("expected a JSON object")
        inst = k.instruments.get(str(entry.get("symbol")))
        if inst is None:
            raise ValueError(f"unknown symbol {entry.get('symbol')!r}")
        order = build_manual(
            inst, entry, k.next_order_id(MANUAL_ID), k.default_tif, k.clock.now_ns()
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        k.notice("MANUAL_ORDER_REFUSED", str(exc)[:300])
        return
    label = entry.get("id")
    if label:
        k.notice("MANUAL_ORDER", f"{label}: {order.client_order_id}")
    k.submit_order(order)
