"""The dashboard's view of a session: ``snapshot(kernel, adapters)`` is ``GET /api/state``.

It must stay cheap with many orders in the session (CONTRACT.md: the page polls nothing, but
every push and every ``/api/state`` builds one), so nothing here scans every order per call:

- fills: a fill listener (``kernel.fill_listeners``) keeps the last ``MAX_FILLS`` as rows;
- orders: the open ones (the kernel's open index, their rows cached until the order changes),
  plus a window of the last ``MAX_CLOSED`` closed ones. Orders that closed since the last look
  are found among the orders that were open then and those created since (a cursor into the
  order manager's insertion-ordered table), so a call costs O(open + new), not O(all);
- the equity curve: ``sample()`` (the server calls it about once a second) keeps at most
  ``MAX_HISTORY`` points, halving their density when full.

Quantities are in instrument units, prices as floats, money in the account currency (kernel
units / ``MONEY_SCALE``). The rows handed out are shared with the cache: read them, do not
change them. The kernel is not thread-safe: call from the thread that drives it (the live
runner's event loop).
"""

from __future__ import annotations

import weakref
from collections import deque
from decimal import Decimal
from itertools import islice
from typing import Any

from kernel.enums import Side
from kernel.fsm import CLOSED_STATUSES
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.units import MONEY_SCALE, Instrument

MAX_CLOSED = 1_000  # closed orders kept for the page and /api/state
MAX_FILLS = 1_000  # fills kept
MAX_ALERTS = 200  # the latest alerts shown
MAX_RISK_EVENTS = 50  # the latest risk notices shown (why a halt happened)
MAX_HISTORY = 1_000  # points of the equity and drawdown curves

_LIQUIDITY = {0: "none", 1: "maker", 2: "taker"}
_STATES: weakref.WeakKeyDictionary[Kernel, DashboardState] = weakref.WeakKeyDictionary()


def snapshot(kernel: Kernel, adapters: list[Any] | None = None) -> dict[str, Any]:
    """The ``GET /api/state`` document for ``kernel`` (attaches a ``DashboardState`` on the
    first call: fills before that are not in ``fills``; hosts attach at session start)."""
    return attach(kernel, adapters).snapshot()


def attach(kernel: Kernel, adapters: list[Any] | None = None) -> DashboardState:
    """The kernel's ``DashboardState``, created (and its fill listener installed) once."""
    state = _STATES.get(kernel)
    if state is None:
        state = _STATES[kernel] = DashboardState(kernel, adapters)
    elif adapters is not None:
        state.adapters = list(adapters)
    return state


def _number(d: Any) -> int | float:
    """A Decimal as a JSON number: an int when whole."""
    return int(d) if d == d.to_integral_value() else float(d)


def _qty(inst: Instrument | None, lots: int) -> int | float:
    return lots if inst is None else _number(inst.lots_to_qty(lots))


def _price(inst: Instrument | None, ticks: int | None) -> float | None:
    if ticks is None:
        return None
    return float(ticks) if inst is None else inst.ticks_to_float(ticks)


class DashboardState:
    """Incremental structures over one kernel (see the module docstring)."""

    def __init__(self, kernel: Kernel, adapters: list[Any] | None = None) -> None:
        self.kernel = kernel
        self.adapters: list[Any] = list(adapters or [])
        self.fills: deque[dict[str, Any]] = deque(maxlen=MAX_FILLS)
        self.fill_counts: dict[str, int] = {}  # venue -> fills seen since attached
        self.closed: deque[dict[str, Any]] = deque(maxlen=MAX_CLOSED)
        self._watch: dict[str, Order] = {}  # orders not closed at the last look
        self._seen = 0  # orders registered (``oms.added``) looked at so far
        self._rows: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}  # open rows
        self.history: list[list[float]] = []  # [ts_ms, equity, drawdown]
        self._history_step_ns = 0  # the least time between two points (doubles when full)
        self._last_sample_ns: int | None = None
        self.peak_equity: float | None = None
        kernel.fill_listeners.append(self._on_fill)

    # --- incremental inputs -------------------------------------------------------------------
    def _on_fill(self, order: Order, event: Any, realized: int) -> None:
        inst = self.kernel.instruments.get(order.symbol)
        venue = order.venue or ""
        self.fill_counts[venue] = self.fill_counts.get(venue, 0) + 1
        self.fills.append(
            {
                "ts": event.ts_init,
                "order_id": order.client_order_id,
                "trade_id": event.trade_id,
                "symbol": order.symbol,
                "side": "buy" if event.side > 0 else "sell",
                "price": _price(inst, event.price_ticks),
                "qty": _qty(inst, event.qty_lots),
                "venue": venue,
                "liquidity": _LIQUIDITY.get(event.liquidity, str(event.liquidity)),
                "commission": event.commission / MONEY_SCALE,
                "realized": realized / MONEY_SCALE,
            }
        )

    def _scan(self) -> None:
        """Move the orders that closed since the last look into ``closed`` (by close time)."""
        orders = self.kernel.oms.orders
        closed_now: list[Order] = []
        watch = self._watch
        if self._watch:
            for oid, o in list(watch.items()):
                if o.status in CLOSED_STATUSES:
                    closed_now.append(o)
                    del watch[oid]
                    self._rows.pop(oid, None)
        added = self.kernel.oms.added
        if added > self._seen:
            # why: the new orders are the newest in ``oms.orders``; with ``retain_closed`` the
            # OMS lets old closed ones go, so positions in it are no count of the orders seen
            new = min(added - self._seen, len(orders))
            for o in islice(orders.values(), len(orders) - new, None):
                if o.status in CLOSED_STATUSES:
                    closed_now.append(o)
                else:
                    watch[o.client_order_id] = o
            self._seen = added
        if closed_now:
            closed_now.sort(key=lambda o: o.ts_last)
            self.closed.extend(self._order_row(o) for o in closed_now[-MAX_CLOSED:])

    def _order_row(self, o: Order) -> dict[str, Any]:
        inst = self.kernel.instruments.get(o.symbol)
        avg = o.avg_price_ticks()
        return {
            "id": o.client_order_id,
            "strategy": o.strategy_id,
            "symbol": o.symbol,
            "side": "buy" if o.side == Side.BUY else "sell",
            "type": o.order_type.name.lower(),
            "tif": o.time_in_force.name.lower(),
            "status": o.status.name.lower(),
            "open": o.status not in CLOSED_STATUSES,
            "quantity": _qty(inst, o.quantity),
            "filled": _qty(inst, o.filled_lots),
            "limit_price": _price(inst, o.limit_ticks),
            "stop_price": _price(inst, o.stop_ticks),
            "avg_price": None if avg is None or inst is None else float(inst.tick_size) * avg,
            "venue": o.venue,
            "reason": o.reason,
            "ts": o.ts_init,
            "updated": o.ts_last,
        }

    def _open_rows(self) -> list[dict[str, Any]]:
        rows = []
        cache = self._rows
        for o in self.kernel.oms.open_orders():
            key = (o.event_count, o.status, o.quantity, o.filled_lots, o.limit_ticks, o.stop_ticks)
            hit = cache.get(o.client_order_id)
            if hit is None or hit[0] != key:
                hit = cache[o.client_order_id] = (key, self._order_row(o))
            rows.append(hit[1])
        return rows

    # --- money ---------------------------------------------------------------------------------
    def money(self) -> tuple[float, float, float]:
        """``(equity, realized_pnl, unrealized_pnl)`` in the account currency."""
        pf = self.kernel.portfolio
        if pf.multi_currency:
            assets = pf.assets()
            realized = pf.converted(pf.realized)
            unrealized = pf.converted({c: pf.unrealized_total(c) for c in assets})
            equity = pf.equity()
        else:
            cur = pf.currency
            realized = pf.realized.get(cur, 0)
            unrealized = pf.unrealized_total(cur)
            equity = pf.equity(cur)
        return equity / MONEY_SCALE, realized / MONEY_SCALE, unrealized / MONEY_SCALE

    def drawdown(self, equity: float) -> float:
        """The kernel monitor's drawdown when it has one, else from the equity seen here."""
        monitor = getattr(self.kernel, "monitor", None)
        if monitor is not None:
            return float(monitor.drawdown)
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        peak = self.peak_equity
        return (peak - equity) / peak if peak > 0 else 0.0

    def sample(self) -> None:
        """Add a point to the equity and drawdown curves (at most one per step; when
        ``MAX_HISTORY`` points are kept, every other one goes and the step doubles)."""
        now = self.kernel.clock.now_ns()
        hist = self.history
        last = self._last_sample_ns
        if last is not None and (now <= last or now - last < self._history_step_ns):
            return  # why: the kernel's time moves with its inputs only: nothing new since
        self._last_sample_ns = now
        equity = self.money()[0]
        hist.append([now / 1e6, equity, self.drawdown(equity)])
        if len(hist) >= MAX_HISTORY:
            span_ns = (hist[-1][0] - hist[0][0]) * 1e6
            del hist[1:-1:2]
            self._history_step_ns = max(self._history_step_ns * 2, int(span_ns / len(hist)))

    # --- the document -------------------------------------------------------------------------
    def version(self) -> tuple[Any, ...]:
        """Changes whenever something the page shows may have changed (cheap: counters)."""
        k = self.kernel
        monitor = getattr(k, "monitor", None)
        return (
            k.oms.events_applied,
            k.oms.added,
            k.stats.fills,
            k.stats.md_events,
            k.risk.state,
            len(k.risk_events),
            len(k.guard.disconnected),
            len(k.accounts.latest),
            None if monitor is None else len(monitor.alerts),
            self.history[-1][0] if self.history else None,
        )

    def brokers(self) -> dict[str, dict[str, Any]]:
        k = self.kernel
        names = [a.name for a in self.adapters] or list(k.venues)
        kinds = {a.name: getattr(a, "kind", None) for a in self.adapters}
        open_by_venue: dict[str, int] = {}
        for o in k.oms.open_orders():
            v = o.venue or ""
            open_by_venue[v] = open_by_venue.get(v, 0) + 1
        monitor = getattr(k, "monitor", None)
        fill_counts = getattr(monitor, "fill_counts", None) or self.fill_counts
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            entry: dict[str, Any] = {
                "connected": name not in k.guard.disconnected,
                "kind": kinds.get(name),
                "open_orders": open_by_venue.get(name, 0),
                "fills": fill_counts.get(name, 0),
            }
            realized = getattr(monitor, "realized_by_venue", {}).get(name)
            if realized is not None:
                entry["realized_pnl"] = realized / MONEY_SCALE
            report = k.accounts.latest.get(name)
            if report is not None:
                entry["cash"] = report.cash / MONEY_SCALE
                entry["equity"] = report.equity / MONEY_SCALE
                entry["buying_power"] = report.buying_power / MONEY_SCALE
                entry["currency"] = report.currency
            out[name] = entry
        return out

    def strategies(self) -> dict[str, dict[str, Any]]:
        """Per strategy: realized P&L (before commissions), commissions and positions."""
        k = self.kernel
        out: dict[str, dict[str, Any]] = {}
        for (sym, sid), pos in sorted(k.portfolio.strategy_positions.items()):
            entry = out.setdefault(sid, {"realized_pnl": 0.0, "commissions": 0.0, "positions": {}})
            entry["realized_pnl"] += pos.realized / MONEY_SCALE
            entry["commissions"] += pos.commission / MONEY_SCALE
            if pos.qty:
                entry["positions"][sym] = _qty(k.instruments.get(sym), pos.qty)
        return out

    def positions(self) -> dict[str, int | float]:
        k = self.kernel
        pf = k.portfolio
        out: dict[str, int | float] = {}
        for sym, inst in k.instruments.items():
            if pf.multi_currency and inst.base is not None:
                out[sym] = _number(Decimal(pf.held(sym)) / MONEY_SCALE)  # units of 1e-9
            else:
                out[sym] = _qty(inst, pf.positions[sym].qty)
        return out

    def snapshot(self) -> dict[str, Any]:
        k = self.kernel
        self._scan()
        equity, realized, unrealized = self.money()
        monitor = getattr(k, "monitor", None)
        alerts = [] if monitor is None else [a.as_dict() for a in monitor.alerts[-MAX_ALERTS:]]
        st = k.stats
        return {
            "ts": k.clock.now_ns(),
            "currency": k.portfolio.currency,
            "trading_state": k.risk.state.name,
            "positions": self.positions(),
            "orders": [*self._open_rows(), *self.closed],
            "fills": list(self.fills),
            "equity": equity,
            "realized_pnl": realized,
            "unrealized_pnl": unrealized,
            "drawdown": self.drawdown(equity),
            "brokers": self.brokers(),
            "strategies": self.strategies(),
            "alerts": alerts,
            "risk_events": [
                {"ts": ts, "code": code, "detail": detail}
                for ts, code, detail in k.risk_events[-MAX_RISK_EVENTS:]
            ],
            "counts": {
                "orders": k.oms.added,
                "open_orders": len(k.oms.open_orders()),
                "fills": st.fills,
                "cancels": st.cancels,
                "rejects": st.rejects + st.denied,
            },
            "history": list(self.history),
        }
