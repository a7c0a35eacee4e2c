"""``SimBroker``: the simulated venue behind the same port a live adapter implements.

Commands travel to the venue through a latency queue and the venue's answers travel back through
another, so the kernel sees acknowledgements and fills late, as in life. Both queues are FIFO
(a later message never overtakes an earlier one, whatever the jitter) and hold
``(due_ns, seq, kind, payload)`` entries in one heap, which the driver drains in time order.

Each symbol the venue trades is a ``RecordedMarket`` (our orders against the recorded data) or,
in exchange mode, an ``ExchangeMarket`` (our orders in an L3 book seeded from the data).
Faults come from the venue's seeded stream: a reject probability per order, a probability that a
fill report is delivered again 1-500 ms later (a duplicate, late report), and outage windows
in which orders are refused, the venue's market data stops, and the kernel sees the venue
disconnect (``VenueStatus``) and, at the end, come back reconciled.

Disconnect windows are the live failure: the order connection is lost while the venue trades on.
Its answers in the window are lost (acknowledgements, fills, cancels), commands sent meanwhile
are refused at once (``VENUE_DISCONNECTED``, as an adapter refuses what it cannot send), the
kernel sees ``VenueStatus`` down; at the end the venue reports what it knows (order status,
the fills of the window) and the shared reconciler (``kernel.reconcile``, the code every live
adapter uses) decides what the kernel missed, through the host-bound ``OrderView``.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import deque
from collections.abc import Iterable
from typing import Any

from kernel.clock import Clock
from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.events import (
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    VenueNotice,
    VenueStatus,
)
from kernel.orders import Order
from kernel.units import Instrument
from sim.models import BpsFees, ConstantLatency, Faults
from sim.recorded import RecordedMarket
from sim.session import Session

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

ARRIVE_SUBMIT = 0
ARRIVE_CANCEL = 1
ARRIVE_MODIFY = 2
DELIVER = 3
NEVER = 1 << 62


class SimBroker:
    """A simulated venue. Port side: ``submit``/``cancel``/``modify``. Driver side: ``queue``
    (the message heap), ``process(entry)``, ``wake_ns`` and ``wake(now)``, and the market-data
    entry points ``on_quote``/``on_trade``/``on_bar``/``on_book``.

    Parameters: ``name``; ``instruments`` it trades with the ``kinds`` of data each has
    (quotes, book, trades, bars); ``clock``; ``fees``, ``latency``, ``faults`` models;
    ``queue_position`` tracking; ``session`` for DAY/OPG/CLS; ``mode``: ``"recorded"`` (the
    default: ``sim.recorded``) or ``"exchange"`` (``sim.exchange_market``), chosen once here.
    """

    __slots__ = (
        "_fixed",
        "_last_in",
        "_last_out",
        "_link_marks",
        "_lost",
        "_n",
        "_outage_marks",
        "_outages",
        "_resent",
        "_resent_arrived",
        "_seq",
        "clock",
        "cmd_md",
        "down",
        "faults",
        "fees",
        "fifo",
        "has_outages",
        "latency",
        "link_down",
        "markets",
        "md_stats",
        "mode",
        "name",
        "queue",
        "session",
        "view",
        "wake_ns",
    )

    def __init__(
        self,
        name: str,
        instruments: Iterable[Instrument],
        kinds: dict[str, str],
        clock: Clock,
        *,
        fees: BpsFees | None = None,
        latency: ConstantLatency | None = None,
        faults: Faults | None = None,
        queue_position: bool = False,
        queue_ahead_default: int | dict[str, int] = 0,
        session: Session | None = None,
        mode: str = "recorded",
        stp: str = "cancel_newest",
    ) -> None:
        market_cls: Any = RecordedMarket
        extra: dict[str, Any] = {}
        if mode == "exchange":
            extra["stp"] = stp
            from sim.exchange_market import ExchangeMarket

            market_cls = ExchangeMarket
        elif mode != "recorded":
            raise ValueError(f"venue mode must be 'recorded' or 'exchange', got {mode!r}")
        self.mode = mode
        self.name = name
        self.clock = clock
        self.fees = fees or BpsFees()
        self.latency = latency or ConstantLatency()
        self.faults = faults or Faults()
        self.session = session
        self.queue: list[tuple[int, int, int, Any]] | deque[tuple[int, int, int, Any]] = []
        self.fifo = False  # the queue is a deque in due order (see ``use_fifo``)
        self._seq = 0
        self._last_in = 0
        self._last_out = 0
        self._n = {"o": 0, "t": 0}
        self.markets: dict[str, Any] = {}  # RecordedMarket or ExchangeMarket: one protocol
        for inst in instruments:
            self.markets[inst.symbol] = market_cls(
                inst,
                name,
                kinds.get(inst.symbol, "quotes"),
                fee=self.fees.commission,
                next_id=self._next_id,
                queue_position=queue_position,
                queue_ahead_default=(
                    queue_ahead_default.get(inst.symbol, 0)
                    if isinstance(queue_ahead_default, dict)
                    else queue_ahead_default
                ),
                session=session,
                **extra,
            )
        self._outages = sorted(self.faults.outages)
        self._outage_marks: list[tuple[int, bool]] = []
        for start, end in self._outages:
            self._outage_marks += [(start, False), (end, True)]
        self._outage_marks.sort()
        self.down = False
        self.has_outages = bool(self._outage_marks)
        self._link_marks: list[tuple[int, bool]] = sorted(
            [(s, False) for s, _ in self.faults.disconnects]
            + [(e, True) for _, e in self.faults.disconnects]
        )
        self.link_down = False
        self._lost: list[Any] = []  # answers lost while the order connection was down
        # orders the reconciler sent again at a reconnect: the copy that arrives second (the
        # first submit was still on its way) is dropped, as a live venue's duplicate client id
        # answer is taken as "already there" by the adapters
        self._resent: set[str] = set()
        self._resent_arrived: set[str] = set()
        self.view: Any = None  # the kernel's OrderView, bound by the host (reconciliation)
        # the kernel's stats, bound by the host (the driver): on every command the kernel sends,
        # ``cmd_md`` notes how many data events the kernel had seen (where its data marks go)
        self.md_stats: Any = None
        self.cmd_md = 0
        # why: without jitter the latencies are constants: no model call per message
        self._fixed: tuple[int, int] | None = getattr(self.latency, "fixed", None)
        self.wake_ns = NEVER
        self._refresh_wake()

    def use_fifo(self) -> bool:
        """Make the message queue a plain FIFO when that is the same order as the heap's.

        With one constant latency for commands and answers (no jitter) and the clock only
        moving forward (the sim driver), every message is due at the time it was sent plus the
        same constant, so due times never decrease and arrival order is ``(due, seq)`` order:
        a deque gives the same sequence as the heap without its cost (not with duplicated fill
        reports: they come late). Call before anything is queued; returns whether the queue is
        now a FIFO."""
        fixed = self._fixed
        if (
            not self.fifo
            and not self.queue
            and fixed is not None
            and fixed[0] == fixed[1]
            and not self.faults.duplicate_probability  # why: a late duplicate breaks due order
        ):
            self.queue = deque()
            self.fifo = True
        return self.fifo

    def pop(self) -> tuple[int, int, int, Any]:
        """The next message (the earliest due; ties in the order they were sent)."""
        q = self.queue
        return q.popleft() if self.fifo else heapq.heappop(q)  # type: ignore[union-attr,arg-type]

    def _next_id(self, kind: str) -> str:
        n = self._n[kind] + 1
        self._n[kind] = n
        return f"{self.name}-{kind}{n}"

    # --- the venue port (called by the kernel) -------------------------------------------------
    def submit(self, cmd: SubmitOrder) -> None:
        self._send(ARRIVE_SUBMIT, cmd)

    def cancel(self, cmd: CancelOrder) -> None:
        self._send(ARRIVE_CANCEL, cmd)

    def modify(self, cmd: ModifyOrder) -> None:
        self._send(ARRIVE_MODIFY, cmd)

    def _send(self, kind: int, cmd: Any) -> None:
        if self.md_stats is not None:
            self.cmd_md = self.md_stats.md_events  # compiled: both typed fields (broker.pxd)
        if self.link_down:
            self._refuse(kind, cmd)
            return
        self._queue(kind, cmd)

    def _queue(self, kind: int, cmd: Any) -> None:
        fixed = self._fixed
        due = self.clock.now_ns() + (fixed[0] if fixed is not None else self.latency.order_ns())
        if due < self._last_in:
            due = self._last_in  # why: FIFO: a later command never overtakes an earlier one
        self._last_in = due
        self._seq += 1
        if self.fifo:
            self.queue.append((due, self._seq, kind, cmd))
        else:
            heapq.heappush(self.queue, (due, self._seq, kind, cmd))  # type: ignore[arg-type]

    # --- the driver's side ----------------------------------------------------------------------
    @cython.locals(order=Order)
    def process(self, entry: tuple[int, int, int, Any]) -> Any:
        """Handle a popped queue entry at its due time; return an event to deliver, or None."""
        due, _, kind, payload = entry
        if kind == DELIVER:
            return payload
        if kind == ARRIVE_SUBMIT:
            order = payload.order
            market = self.markets.get(order.symbol)
            coid = order.client_order_id
            if self._resent and coid in self._resent:
                if coid in self._resent_arrived:
                    return None  # the second of two copies (see ``_resent``)
                self._resent_arrived.add(coid)
            reason = "UNKNOWN_SYMBOL" if market is None else self.faults.reject(due)
            if reason is not None:
                self._answer([OrderRejected(order.client_order_id, reason, due, due)], due)
                return None
            reports = market.arrive(order, due)  # type: ignore[union-attr]
        elif kind == ARRIVE_CANCEL:
            market = self.markets.get(payload.symbol)
            if market is None:
                return None
            reports = market.cancel(payload.client_order_id, due)
        else:
            market = self.markets.get(payload.symbol)
            if market is None:
                return None
            reports = market.modify(
                payload.client_order_id,
                payload.quantity_lots,
                payload.limit_ticks,
                payload.stop_ticks,
                due,
            )
        if reports:
            self.take(reports, due)
        return None

    def take(self, reports: list, now: int) -> None:
        """Reports a market returned at ``now``: send them back through the response latency
        (the driver calls this for the reports of market data it fed to a market)."""
        if self.link_down:
            self._lost.extend(reports)  # why: the connection is down: these answers are lost
        else:
            self._answer(reports, now)
        self._refresh_wake()

    def _answer(self, events: list, now: int) -> None:
        latency = self.latency
        fixed = self._fixed
        faults = self.faults
        dup_p = faults.duplicate_probability
        for ev in events:
            due = now + (fixed[1] if fixed is not None else latency.response_ns())
            if due < self._last_out:
                due = self._last_out
            self._last_out = due
            ev.ts_init = due
            self._seq += 1
            if self.fifo:
                self.queue.append((due, self._seq, DELIVER, ev))
            else:
                heapq.heappush(self.queue, (due, self._seq, DELIVER, ev))  # type: ignore[arg-type]
            if dup_p and type(ev) is OrderFilled:
                later = faults.duplicate()
                if later is not None:
                    # why: a duplicate, late execution report (same trade id): later answers
                    # may overtake it and it delays none (``_last_out`` stays); the heap orders
                    late = due + later
                    self._seq += 1
                    entry = (late, self._seq, DELIVER, dataclasses.replace(ev, ts_init=late))
                    heapq.heappush(self.queue, entry)  # type: ignore[arg-type]

    def wake(self, now: int) -> None:
        """Expiries, closing auctions, outage and disconnect boundaries due at ``now``."""
        marks = self._outage_marks
        while marks and marks[0][0] <= now:
            at, up = marks.pop(0)
            self.down = not up
            self._answer([VenueStatus(self.name, up, up, at, at)], at)
        links = self._link_marks
        while links and links[0][0] <= now:
            at, up = links.pop(0)
            if up:
                self.link_down = False
                self._reconnect(at)
            else:
                self.link_down = True
                self._drop_in_flight()
                self._answer([VenueStatus(self.name, False, False, at, at)], at)
        for market in self.markets.values():
            w = market.next_wakeup()
            if w is not None and w <= now:
                reports = market.wake(now)
                if reports:
                    self.take(reports, now)
        self._refresh_wake()

    def _refresh_wake(self) -> None:
        wake = NEVER
        if self._outage_marks:
            wake = self._outage_marks[0][0]
        if self._link_marks and self._link_marks[0][0] < wake:
            wake = self._link_marks[0][0]
        for market in self.markets.values():
            if not market.expiries:
                continue
            w = market.next_wakeup()
            if w is not None and w < wake:
                wake = w
        self.wake_ns = wake

    # --- market data at the venue ------------------------------------------------------------------
    def handler(self, kind: str, symbol: str):  # type: ignore[no-untyped-def]
        """The entry point for data of ``kind`` on ``symbol`` (None if not traded here).

        It returns the reports the data caused (None: none); the caller hands them to
        ``take`` with the data's time. Bars take ``(bar, open_ns)``."""
        market = self.markets.get(symbol)
        if market is None:
            return None
        if kind == "bars":
            from sim.bars import on_bar

            def bar(b, open_ns: int) -> list | None:  # type: ignore[no-untyped-def]
                if market.idle:
                    # why: nothing of ours in this market: the bar only moves its clock
                    market.now = b.ts_event
                    market.last_bar_close = b.close_ticks
                    return None
                return on_bar(
                    market,
                    open_ns,
                    b.open_ticks,
                    b.high_ticks,
                    b.low_ticks,
                    b.close_ticks,
                    b.ts_event,
                )

            return bar
        return {"quotes": market.on_quote, "trades": market.on_trade, "book": market.on_book}[kind]

    def _check(self) -> None:
        for market in self.markets.values():
            market._check()

    # --- disconnects: the live failure, recovered by the shared reconciler --------------------------
    def set_disconnects(self, windows: list[tuple[int, int]]) -> None:
        """``[start, end)`` windows in which the order connection is lost (before the run)."""
        self.faults.disconnects = list(windows)
        self._link_marks = sorted(
            [(s, False) for s, _ in windows] + [(e, True) for _, e in windows]
        )
        self._refresh_wake()

    def _refuse(self, kind: int, cmd: Any) -> None:
        """A command while the order connection is down: refused at once (not sent)."""
        now = self.clock.now_ns()
        if kind == ARRIVE_SUBMIT:
            ev: Any = OrderRejected(cmd.order.client_order_id, "VENUE_DISCONNECTED", now, now)
        elif kind == ARRIVE_CANCEL:
            ev = OrderCancelRejected(cmd.client_order_id, "VENUE_DISCONNECTED", now, now)
        else:
            ev = OrderModifyRejected(cmd.client_order_id, "VENUE_DISCONNECTED", now, now)
        self._answer([ev], now)

    def _drop_in_flight(self) -> None:
        """The connection is lost: answers on their way are lost with it (the reconciliation at
        the reconnect recovers them, as it recovers the ones the venue sends meanwhile)."""
        kept = [e for e in self.queue if e[2] != DELIVER]
        if len(kept) == len(self.queue):
            return
        self._lost.extend(e[3] for e in sorted(e for e in self.queue if e[2] == DELIVER))
        if self.fifo:
            self.queue.clear()
            self.queue.extend(kept)
        else:
            heapq.heapify(kept)
            self.queue[:] = kept

    def _reconnect(self, at: int) -> None:
        """Back up: report what the venue knows; the shared reconciler decides what the kernel
        missed (fills first, then acknowledgements and terminal events); then reconciled."""
        from kernel.reconcile import FillReport, OrderStatusReport, Reconciler

        lost, self._lost = self._lost, []
        fills = [
            FillReport(
                e.venue_order_id,
                e.trade_id,
                e.symbol,
                e.side,
                e.price_ticks,
                e.qty_lots,
                e.ts_event,
                e.client_order_id,
                e.commission,
                e.liquidity,
            )
            for e in lost
            if type(e) is OrderFilled
        ]
        ended = {
            e.client_order_id: e
            for e in lost
            if type(e) in (OrderCanceled, OrderExpired, OrderRejected)
        }
        view = self.view
        opens = view.open_orders(self.name) if view is not None else []
        reports: dict[str, Any] = {}
        for o in opens:
            coid = o.client_order_id
            market = self.markets.get(o.symbol)
            vo = market.orders.get(coid) if market is not None else None
            filled = o.filled_lots + sum(
                f.qty_lots
                for f in fills
                if f.client_order_id == coid and f.trade_id not in o.trade_ids
            )
            vid = o.venue_order_id or (vo.vid if vo is not None else "") or ""
            if vo is not None and not vo.closed:
                reports[coid] = OrderStatusReport(coid, vo.vid, "working", vo.filled, at)
            elif coid in ended:
                e = ended[coid]
                status = {OrderCanceled: "canceled", OrderExpired: "expired"}.get(
                    type(e), "rejected"
                )
                reason = getattr(e, "reason", "")
                reports[coid] = OrderStatusReport(coid, vid, status, filled, e.ts_event, reason)
            elif filled >= o.quantity:
                reports[coid] = OrderStatusReport(coid, vid, "filled", filled, at)
            else:
                reports[coid] = None
        rec = Reconciler(self.name)
        if view is not None:
            rec.learn(view.orders(self.name))
        plan = rec.plan(opens, reports, fills, at)
        out: list[Any] = [e for e in plan.events if rec.admit(e)]
        out += [VenueNotice(self.name, code, detail, at, at) for code, detail in plan.notices]
        out.append(VenueStatus(self.name, True, True, at, at))
        self._answer(out, at)
        # why: a submit refused while the link was down has its refusal on its way to the
        # kernel; sending it again would leave it working here and rejected there
        refused = (
            {e[3].client_order_id for e in self.queue if type(e[3]) is OrderRejected}
            if plan.resend
            else set()
        )
        for coid in plan.resend:
            order = view.sent_order(coid) if view is not None else None
            if order is not None and coid not in refused:
                self._resent.add(coid)
                self._queue(ARRIVE_SUBMIT, SubmitOrder(order, self.name, at))
