"""Parent orders: the state machine every execution algo shares, and its child-order plumbing.

An execution algo is a *parent order* that works by sending *child orders* through
``Kernel.submit_order`` (so the risk guard sees every one), in its owner strategy's name (so
positions stay per strategy) and with ``algo_id = <parent id>``; the kernel routes the children's
events back to the parent (``Kernel.register_algo``). All the parent knows of its progress comes
from those real events: ``filled_lots`` is the sum of its children's fills, and what it wants to
send is always recomputed from it, so a partial fill, a rejected child or a cancel it did not
ask for only leaves quantity to be sent at the next decision point (a slice, a print, a retry
timer). It never sleeps and never assumes a fill. After every event
``filled_lots + working_lots() <= quantity`` (working: the open children's leaves, those with a
cancel in flight included), so children can never overfill the parent. (A fill that a live venue
reports after confirming the child's cancel is still counted, as a position must be; such a race
is the one way past the quantity, recorded in ``overfill_lots``.)

Parent states move by the literal table in ``kernel.algos.states``. At the horizon, with
``at_end=leave`` the children are canceled and the parent EXPIRES with the rest unfilled; with
``at_end=market`` passive children are canceled and, once they have ended, one marketable child
sends the rest (a market order, or an IOC at the parent's limit). Canceling the parent cancels
its children; it ends when they all have. ``max_rejects`` children rejected or denied in a row
stop it the same way.

What the owner strategy hears (its ``on_order_event``): every child fill (an ``OrderFilled``,
as for its own orders; ``ctx.order(e.client_order_id).algo_id`` names the parent) and one
``AlgoFinished`` when the parent ends. Child acks, rejects and cancels are the algo's business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.algos.states import (
    CLOSING,
    FG,
    TERMINAL,
    TRANSITIONS,
    AlgoFinished,
    AlgoStatus,
    Trigger,
)
from kernel.enums import OrderStatus, OrderType, Side, TimeInForce
from kernel.events import K_ACCEPTED, K_CANCEL_REJECTED, K_DENIED, K_FILL, K_REJECTED
from kernel.orders import Order
from kernel.rng import named_stream

if TYPE_CHECKING:
    import numpy as np

    from kernel.algos.engine import AlgoEngine
    from kernel.algos.params import AlgoParams
    from kernel.algos.tape import TapeMark


T_HORIZON, T_RETRY = "h", "r"
MAX_CANCELS = 3


class ExecAlgo:
    """A parent order. Subclasses decide *when* and *how much* through the hooks ``on_start``,
    ``on_data`` (market data of the symbol), ``on_algo_timer``, ``on_child_fill``,
    ``on_child_closed`` and ``top_up``; this class keeps the books and the states.
    """

    NAME = "algo"
    WANTS_DATA = False  # whether ``on_data`` is called with the symbol's market data
    __slots__ = (
        "_canceling",
        "_final_sent",
        "_rejects_in_row",
        "_rng",
        "_timers",
        "arrival_mark2",
        "child_count",
        "child_ids",
        "commission",
        "engine",
        "fill_cost",
        "fill_count",
        "filled_lots",
        "kernel",
        "open_children",
        "overfill_lots",
        "p",
        "parent_id",
        "quantity",
        "reason",
        "reject_count",
        "side",
        "start_md",
        "status",
        "strategy_id",
        "symbol",
        "tape_end",
        "tape_start",
        "ts_end",
        "ts_last_fill",
        "ts_start",
    )

    def __init__(
        self,
        engine: AlgoEngine,
        parent_id: str,
        strategy_id: str,
        symbol: str,
        side: Side,
        quantity: int,
        params: AlgoParams,
    ) -> None:
        self.engine = engine
        self.kernel = engine.kernel
        self.parent_id = parent_id
        self.strategy_id = strategy_id
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.p = params
        self.status = AlgoStatus.WORKING
        self.filled_lots = 0
        self.fill_cost = 0  # sum of price_ticks x qty_lots of the child fills
        self.commission = 0
        self.fill_count = 0
        self.child_count = 0
        self.child_ids: list[str] = []
        self.reject_count = 0
        self.overfill_lots = 0
        self.reason: str | None = None
        self.open_children: dict[str, Order] = {}  # in the order they were sent
        self._canceling: dict[str, int] = {}  # children we asked to cancel -> attempts
        self._timers: dict[str, int] = {}  # tag -> timer handle
        self._rejects_in_row = 0
        self._final_sent = False
        self._rng: np.random.Generator | None = None
        now = self.kernel.clock.now_ns()
        self.ts_start = now
        self.ts_end: int | None = None
        self.ts_last_fill: int | None = None
        self.start_md = self.kernel.stats.md_events
        self.arrival_mark2: int | None = self.market.mark2
        self.tape_start: TapeMark = engine.tapes[symbol].mark(now)
        self.tape_end: TapeMark | None = None

    # --- views --------------------------------------------------------------------------------
    @property
    def market(self) -> Any:
        return self.kernel.portfolio.markets[self.symbol]

    @property
    def rng(self) -> np.random.Generator:
        """This parent's random stream (run seed + parent id)."""
        if self._rng is None:
            self._rng = named_stream(self.kernel.seed, f"algo:{self.parent_id}")
        return self._rng

    @property
    def is_done(self) -> bool:
        return self.status in TERMINAL

    def working_lots(self) -> int:
        """Leaves of the open children (those being canceled included)."""
        return sum(o.quantity - o.filled_lots for o in self.open_children.values())

    def free_lots(self) -> int:
        """What may still be sent: quantity - filled - working."""
        return self.quantity - self.filled_lots - self.working_lots()

    @property
    def repricing(self) -> bool:
        """True while cancels the parent asked for are in flight."""
        return bool(self._canceling)

    def near_touch(self) -> int | None:
        """Our side's best price (bid to buy, ask to sell), else the mark."""
        m = self.market
        px = m.bid if self.side > 0 else m.ask
        return px if px is not None else m.last_price()  # type: ignore[no-any-return]

    def child_terms(self) -> tuple[OrderType, int | None]:
        """Market, or a limit at the parent's limit; with a limit offset, a limit at the near
        touch moved ``offset`` toward the market, never through the parent's limit."""
        limit = self.p.limit_ticks
        off = self.p.limit_offset_ticks
        ref = None if off is None else self.near_touch()
        if ref is None or off is None:
            return (OrderType.MARKET, None) if limit is None else (OrderType.LIMIT, limit)
        px = ref + self.side * off
        if limit is not None:
            px = min(px, limit) if self.side > 0 else max(px, limit)
        return OrderType.LIMIT, px

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self.p.duration_ns is not None:
            self.set_timer(T_HORIZON, self.ts_start + self.p.duration_ns)
        self.on_start()

    def cancel(self) -> None:
        """Cancel the parent: its children are canceled; it ends when they all have."""
        self._fire(Trigger.CANCEL)

    def set_timer(self, tag: str, at_ns: int) -> None:
        old = self._timers.pop(tag, None)
        if old is not None:
            self.engine.cancel_timer(old)
        self._timers[tag] = self.engine.set_timer(self, at_ns, tag)

    def on_timer(self, tag: str) -> None:
        self._timers.pop(tag, None)
        if tag == T_HORIZON:
            self._fire(Trigger.HORIZON)
        elif self.status == AlgoStatus.WORKING:
            if tag == T_RETRY:
                self.top_up()
            else:
                self.on_algo_timer(tag)

    # --- children -----------------------------------------------------------------------------
    def send_child(
        self,
        qty: int,
        order_type: OrderType | None = None,
        limit_ticks: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        venue: str | None = None,
    ) -> Order | None:
        """Send a child of ``qty`` lots (default terms: ``child_terms``); the child if it is
        open after the risk guard saw it, else None."""
        assert 0 < qty <= self.free_lots(), (qty, self.free_lots())
        if order_type is None:
            order_type, limit_ticks = self.child_terms()
        k = self.kernel
        order = Order(
            k.next_order_id(self.strategy_id),
            self.strategy_id,
            self.symbol,
            self.side,
            order_type,
            qty,
            limit_ticks=limit_ticks,
            time_in_force=tif,
            venue=venue if venue is not None else self.p.venue,
            algo_id=self.parent_id,
            ts_init=k.clock.now_ns(),
        )
        oid = order.client_order_id
        self.open_children[oid] = order
        self.child_ids.append(oid)
        self.child_count += 1
        k.submit_order(order)  # why: a denial comes back at once, through on_child_event
        return order if oid in self.open_children else None

    def cancel_children(self, passive_only: bool = False) -> None:
        """Cancel the open children (only the non-market ones with ``passive_only``)."""
        for oid, order in list(self.open_children.items()):
            if oid in self._canceling or (passive_only and order.order_type == OrderType.MARKET):
                continue
            self._canceling[oid] = 1
            self.kernel.cancel_order(oid)

    def _cancel_refused(self, order: Order) -> None:
        """A cancel we sent was refused and the child still works: while closing ask again,
        up to ``MAX_CANCELS`` times; while working, leave it (it is most likely filling)."""
        oid = order.client_order_id
        attempts = self._canceling.pop(oid)
        if self.status in CLOSING and attempts < MAX_CANCELS:
            self._canceling[oid] = attempts + 1
            self.kernel.cancel_order(oid)
        elif self.status == AlgoStatus.WORKING:
            self.top_up()  # why: the replacement waited for this cancel; it will not come

    def on_child_event(self, event: Any) -> None:
        """The kernel's route for the children's events (see ``Kernel.register_algo``)."""
        oid = event.client_order_id
        order = self.kernel.oms.get(oid)
        assert order is not None
        kind = event.KIND
        if kind == K_FILL:
            self._on_fill(order, event)
            return
        if kind == K_ACCEPTED:
            self._rejects_in_row = 0
        elif kind == K_CANCEL_REJECTED and oid in self._canceling and order.is_open:
            self._cancel_refused(order)
        if order.status not in _ENDED:
            return
        if self.open_children.pop(oid, None) is None:
            return  # why: an answer repeated after the child had already ended
        requested = self._canceling.pop(oid, 0) > 0
        rejected = kind in (K_REJECTED, K_DENIED)
        if rejected:
            self.reject_count += 1
            self._rejects_in_row += 1
            if self._rejects_in_row >= self.p.max_rejects and self.status not in TERMINAL:
                self.reason = (
                    f"{self._rejects_in_row} child orders rejected in a row (last: {order.reason})"
                )
                self._fire(Trigger.GIVE_UP)
                return
        if self.status == AlgoStatus.WORKING:
            self.on_child_closed(order, rejected, requested)
        else:
            self._check_idle()

    def _on_fill(self, order: Order, event: Any) -> None:
        qty = event.qty_lots
        self.filled_lots += qty
        self.fill_cost += event.price_ticks * qty
        self.commission += event.commission
        self.fill_count += 1
        self.ts_last_fill = event.ts_event
        self._rejects_in_row = 0
        if self.filled_lots > self.quantity:
            self.overfill_lots = self.filled_lots - self.quantity
        replaced = False
        if order.status in _ENDED:
            self.open_children.pop(order.client_order_id, None)
            replaced = self._canceling.pop(order.client_order_id, 0) > 0
        owner = self.kernel.strategies.get(self.strategy_id)
        if owner is not None:
            owner.on_order_event(event)
        if self.filled_lots >= self.quantity:
            self._fire(Trigger.FILLED)
        elif self.status == AlgoStatus.WORKING:
            if replaced:
                self.top_up()  # why: it filled instead of being canceled; send the rest
            self.on_child_fill(order, event)
        else:
            self._check_idle()

    def schedule_retry(self) -> None:
        """Try ``top_up`` again after ``retry_ns`` (once, however many children ended)."""
        if T_RETRY not in self._timers:
            self.set_timer(T_RETRY, self.kernel.clock.now_ns() + self.p.retry_ns)

    # --- hooks (subclasses) -------------------------------------------------------------------
    def on_start(self) -> None:
        self.top_up()

    def on_data(self, event: Any) -> None:
        """Market data of the symbol (only for classes with ``WANTS_DATA``), while working."""

    def on_algo_timer(self, tag: str) -> None:
        pass

    def on_child_fill(self, order: Order, event: Any) -> None:
        pass

    def on_child_closed(self, order: Order, rejected: bool, requested: bool) -> None:
        """A child ended unfilled (in part): re-plan at once after our own cancels (a
        replacement), after a retry delay otherwise (a reject, or someone else's cancel)."""
        if requested and not rejected:
            self.top_up()
        else:
            self.schedule_retry()

    def top_up(self) -> None:
        """Send what the algo wants working now (called only while WORKING)."""

    def final_venue(self) -> str | None:
        return self.p.venue

    # --- states -------------------------------------------------------------------------------
    def _fire(self, trigger: Trigger) -> None:
        status = self.status
        if status in TERMINAL:
            return
        nxt = TRANSITIONS.get((status, trigger))
        assert nxt is not None, f"{status.name} -> {trigger.name}"
        if nxt == status:
            return
        self.status = nxt
        if nxt in TERMINAL:
            self._end()
            return
        retry = self._timers.pop(T_RETRY, None)
        if retry is not None:
            self.engine.cancel_timer(retry)
        self.cancel_children(passive_only=nxt == FG and self.p.at_end == "market")
        self._check_idle()

    def _check_idle(self) -> None:
        if self.status not in CLOSING or self.open_children:
            return
        if (
            self.status == FG
            and self.p.at_end == "market"
            and not self._final_sent
            and self.free_lots() > 0
        ):
            self._final_sent = True
            limit = self.p.limit_ticks
            # why: within the parent's limit the finish takes what is there and rests nothing
            otype, tif = (
                (OrderType.MARKET, TimeInForce.GTC)
                if limit is None
                else (OrderType.LIMIT, TimeInForce.IOC)
            )
            if self.send_child(self.free_lots(), otype, limit, tif, self.final_venue()):
                return
        self._fire(Trigger.IDLE)

    def _end(self) -> None:
        k = self.kernel
        now = k.clock.now_ns()
        for handle in self._timers.values():
            self.engine.cancel_timer(handle)
        self._timers.clear()
        self.ts_end = now
        self.tape_end = self.engine.tapes[self.symbol].mark(now)
        self.engine.finished(self)
        owner = k.strategies.get(self.strategy_id)
        if owner is not None:
            owner.on_order_event(
                AlgoFinished(
                    self.parent_id,
                    self.NAME,
                    self.status.name.lower(),
                    self.filled_lots,
                    self.quantity,
                    self.reason,
                    now,
                    now,
                )
            )

    def _check(self) -> None:
        """Invariants, for tests: the books agree with the children in the OMS (checked only
        while it holds them all: ``retain_closed`` may have let closed ones go)."""
        oms = self.kernel.oms
        if any(oid not in oms.orders for oid in self.child_ids):
            assert all(oid in oms.orders for oid in self.open_children)
            return
        children = [oms.orders[oid] for oid in self.child_ids]
        assert all(c.algo_id == self.parent_id for c in children)
        assert sum(c.filled_lots for c in children) == self.filled_lots
        assert sum(c.fill_cost for c in children) == self.fill_cost
        assert self.filled_lots + self.working_lots() <= self.quantity + self.overfill_lots
        assert set(self.open_children) == {c.client_order_id for c in children if c.is_open}
        if self.status in TERMINAL:
            assert not self.open_children, self.open_children


_ENDED = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
    }
)
