"""The guard: the one owner of the trading state and of every transition of it.

The kernel asks it; nothing else moves the state. Breakers: the daily loss limit (HALTED for the
rest of the trading day, flattening first when ``emergency_flatten``; the next day starts ACTIVE),
N consecutive venue rejects (HALTED until an operator resumes), a venue disconnect (REDUCING until
it is reconciled, then back to ACTIVE if it was). The kill switch cancels everything, flattens
every position (adopted ones included) and halts until an operator resumes. Every change is a
``TradingStateChanged`` in the journal and every notice a ``RiskEvent``; the pre-trade checks
themselves are the pure functions of ``kernel.risk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.enums import OrderStatus, OrderType, Side, TradingState
from kernel.events import (
    K_CANCEL_REJECTED,
    K_CANCELED,
    K_EXPIRED,
    K_FILL,
    K_REJECTED,
    RiskEvent,
    TradingStateChanged,
    VenueStatus,
)
from kernel.orders import Order

if TYPE_CHECKING:
    from kernel.kernel import Kernel

RISK_ID = "risk"  # marks the guard's own orders (kill switch, emergency flatten): their algo_id
# a flattening order the venue ended with no fill is replaced at once; when its replacement ends
# unfilled too, the next one waits this long: a venue that cancels it on arrival (self-trade
# prevention against an order whose cancel was refused, no liquidity) would otherwise be sent a
# new one at once, forever (at the same instant when its answers take no time)
FLATTEN_RETRY_NS = 1_000_000_000
_RETRY = "flatten:"
_OUT = 1
_INITIALIZED = OrderStatus.INITIALIZED


class Guard:
    """The trading state's owner for one kernel: breakers, the kill switch, flattening."""

    __slots__ = (
        "disconnected",
        "flattening",
        "halted_for_the_day",
        "k",
        "must_cancel",
        "offsets",
        "retrying",
        "unfilled",
    )

    def __init__(self, kernel: Kernel) -> None:
        self.k = kernel
        self.flattening = False
        self.halted_for_the_day = False
        self.must_cancel: dict[str, int] = {}  # orders the guard canceled -> attempts so far
        self.disconnected: set[str] = set()  # venues down and not yet reconciled
        # routing.policy flatten: (down venue, symbol) -> lots already sent elsewhere to close it
        self.offsets: dict[tuple[str, str], int] = {}
        self.retrying: set[str] = set()  # symbols whose flattening waits for its retry timer
        self.unfilled: set[str] = set()  # symbols whose last flattening order ended unfilled

    def on_venue_status(self, event: VenueStatus) -> None:
        """A venue went down (-> REDUCING) or came back reconciled (-> ACTIVE if it was)."""
        k = self.k
        risk = k.risk
        if not event.connected:
            if k.deny_when_down and event.venue not in self.disconnected:
                self.notice("BROKER_DOWN", f"{event.venue}: disconnected; retrying")
            self.disconnected.add(event.venue)
            if (
                risk.config.reduce_on_disconnect
                and risk.state == TradingState.ACTIVE
                and not self.covered(event.venue)
            ):
                risk.state_before_disconnect = TradingState.ACTIVE
                self.set_state(TradingState.REDUCING, f"VENUE_DISCONNECTED:{event.venue}")
        elif event.reconciled:
            if k.deny_when_down and event.venue in self.disconnected:
                self.notice("BROKER_UP", f"{event.venue}: reconnected and reconciled")
            self.disconnected.discard(event.venue)
            if (
                all(self.covered(v) for v in self.disconnected)
                and risk.state == TradingState.REDUCING
                and risk.state_before_disconnect == TradingState.ACTIVE
            ):
                risk.state_before_disconnect = None
                self.set_state(TradingState.ACTIVE, f"VENUE_RECONCILED:{event.venue}")
            if self.flattening and risk.state == TradingState.HALTED:
                # why: the kill switch's (or the loss limit's) cancels and flattening orders
                # were refused while the venue was away: ask again now that it is back
                self.cancel_everything()
                self.flatten_all()
        if k.routes:
            self.reroute()
            if not event.connected and k.routing_policy == "flatten":
                self.offset_down(event.venue)

    def covered(self, venue: str) -> bool:
        """Every symbol that trades at ``venue`` has another venue up (failover): its being
        down reduces nothing."""
        k = self.k
        if not k.routes:
            return False
        for sym, inst in k.instruments.items():
            venues = k.routes.get(sym)
            if venues is None:
                if inst.venue in (venue, None):
                    return False
            elif venue in venues and all(v in self.disconnected for v in venues):
                return False
        return True

    def reroute(self) -> None:
        """Each symbol with several venues trades at the first that is up: a change is a
        journaled ``FAILOVER`` (away from its first venue, or on to another) or ``FAILBACK``
        (its first venue again). Orders open at a venue that went down stay there (never sent
        elsewhere: no duplicate exposure); its reconciliation settles them when it returns."""
        k = self.k
        down = self.disconnected
        for sym, venues in k.routes.items():
            now = next((v for v in venues if v not in down), venues[0])
            before = k.active_route[sym]
            if now == before:
                continue
            k.active_route[sym] = now
            if now == venues[0]:
                self.notice("FAILBACK", f"{sym}: new orders go to {now} again ({before} before)")
            else:
                k.stats.failovers += 1
                self.notice("FAILOVER", f"{sym}: {before} is down; new orders go to {now}")

    def offset_down(self, venue: str) -> None:
        """``routing.policy: flatten``: what ``venue`` holds, while it is down, is closed where
        each symbol trades now (the down venue's own orders stay there, untouched): market
        orders of the guard's, once per holding not yet offset."""
        k = self.k
        for sym, venues in k.routes.items():
            if venue not in venues:
                continue
            target = k.active_route[sym]
            held = k.accounts.held.get((venue, sym), 0)
            offset = self.offsets.get((venue, sym), 0)
            need = -(held + offset)
            if target in self.disconnected or not need:
                continue
            self.notice("FAILOVER_FLATTEN", f"{sym}: {venue} holds {held} lots; closed at {target}")
            self.offsets[(venue, sym)] = offset + need
            self._close(RISK_ID, sym, need, target)

    def on_reject(self) -> None:
        """A venue rejected an order: the consecutive-rejects breaker may trip."""
        risk = self.k.risk
        if risk.on_venue_reject() and risk.state != TradingState.HALTED:
            self.notice("CONSECUTIVE_REJECTS", f"{risk.consecutive_rejects} venue rejects in a row")
            self.set_state(TradingState.HALTED, "CONSECUTIVE_REJECTS")
        self.halted_for_the_day = False

    def after_order_event(self, order: Order, event: Any, kind: int) -> None:
        """The guard's own orders: replace a flattening order that ended unfilled, report one the
        venue rejected (never retried: a venue refusing it would be spammed), ask again when a
        cancel the guard sent was refused."""
        if kind == K_FILL and order.algo_id == RISK_ID:
            self.unfilled.discard(order.symbol)
        elif self.flattening and order.algo_id == RISK_ID and kind in (K_CANCELED, K_EXPIRED):
            symbol = order.symbol
            if order.filled_lots or symbol not in self.unfilled:
                if not order.filled_lots:
                    self.unfilled.add(symbol)
                self.flatten_symbol(symbol)
            elif symbol not in self.retrying:
                self.retrying.add(symbol)
                k = self.k
                k.set_timer(RISK_ID, k.clock.now_ns() + FLATTEN_RETRY_NS, _RETRY + symbol)
        elif kind == K_REJECTED and order.algo_id == RISK_ID:
            self.notice("FLATTEN_REJECTED", f"{order.client_order_id}: {event.reason}")
        elif kind == K_CANCEL_REJECTED and order.client_order_id in self.must_cancel:
            self.retry_cancel(order)

    def on_timer(self, timer: Any) -> None:
        """A flattening retry is due: cancel again what still works against it, then flatten."""
        name = timer.name
        if not name.startswith(_RETRY):
            return
        symbol = name[len(_RETRY) :]
        self.retrying.discard(symbol)
        if self.flattening:
            self.cancel_everything()
            self.flatten_symbol(symbol)

    def roll_day(self) -> None:
        k = self.k
        now = k.clock.now_ns()
        k.risk.roll_day(now, k.portfolio.equity())
        k._next_day_ns = k.risk.next_day_ns
        if self.halted_for_the_day:
            # why: a daily loss limit halts the rest of the day; the next day trades again
            self.halted_for_the_day = False
            self.flattening = False
            self.set_state(TradingState.ACTIVE, "NEW_TRADING_DAY")

    def watch_loss(self) -> None:
        k = self.k
        if k.risk.state == TradingState.HALTED and not self.flattening:
            return
        if k.risk.state != TradingState.HALTED and k.risk.loss_breached(k.portfolio.equity()):
            self.notice("DAILY_LOSS_LIMIT", "daily loss limit reached; halted for the day")
            self.cancel_everything()
            if k.risk.config.emergency_flatten:
                self.flatten_all()
            self.set_state(TradingState.HALTED, "DAILY_LOSS_LIMIT")
            self.halted_for_the_day = True

    def kill_switch(self, reason: str = "KILL_SWITCH") -> None:
        """Cancel every open order, flatten every position with market orders, then HALT.

        Idempotent: pressing it again sends nothing new while the first press's orders work.
        The halt lasts until ``set_trading_state`` lifts it.
        """
        self.halted_for_the_day = False
        self.notice(reason, "kill switch: cancel all, flatten all, halt")
        self.cancel_everything()
        self.flatten_all()
        self.set_state(TradingState.HALTED, reason)

    def cancel_everything(self) -> None:
        k = self.k
        for o in k.oms.open_orders():
            if o.algo_id != RISK_ID:
                self.must_cancel.setdefault(o.client_order_id, 1)
                k.cancel_order(o.client_order_id)
        for o in list(k.oms.held.values()):
            if o.status == _INITIALIZED:
                k._cancel_local(o)

    def retry_cancel(self, order: Order) -> None:
        """A cancel the guard sent was refused but the order still works: ask again (3 times)."""
        k = self.k
        oid = order.client_order_id
        if not order.is_open:
            self.must_cancel.pop(oid, None)
            return
        attempts = self.must_cancel[oid]
        if attempts >= 3:
            del self.must_cancel[oid]
            self.notice("CANCEL_FAILED", f"{oid}: the venue refused {attempts} cancels")
            return
        self.must_cancel[oid] = attempts + 1
        k.cancel_order(oid)

    def flatten_all(self) -> None:
        k = self.k
        self.flattening = True
        for sym in k.instruments:
            self.flatten_symbol(sym)

    def flatten_symbol(self, symbol: str) -> None:
        """Send market orders for whatever the working flattening orders leave unhedged.

        Each strategy's own position is closed by an order in that strategy's name (so its
        position is what it sees, and it hears the fills), marked ``algo_id = "risk"``: the
        guard's order, which the strategy cannot cancel. A position no strategy owns (fills of
        orders placed outside the kernel) is closed under ``risk``. The guard's orders are never
        canceled (a cancel can be refused, and races the fills): when a late fill moves a
        position, an offsetting order makes up the difference, so ``position + working == 0``
        per strategy after every event. One the venue cancels or expires is replaced (at once;
        after ``FLATTEN_RETRY_NS`` when the one before it ended unfilled too: ``retrying``).
        """
        k = self.k
        pf = k.portfolio
        owners = sorted(
            sid for (sym, sid), p in pf.strategy_positions.items() if sym == symbol and p.qty
        )
        working: dict[str, int] = {}
        for o in k.oms.open_orders(symbol):
            if o.algo_id == RISK_ID:
                working[o.strategy_id] = working.get(o.strategy_id, 0) + o.side * (
                    o.quantity - o.filled_lots
                )
        # why: positions no strategy owns (adopted from the broker, fills of outside orders)
        # are closed by the guard's own orders: one group, netted with what those orders did
        groups: dict[str, int] = {}
        for sid in set(owners) | set(working):
            owner = sid if sid in k._order_owners else RISK_ID
            groups[owner] = groups.get(owner, 0) - pf.position_qty(symbol, sid)
        room = self._venue_room(symbol)
        for owner in sorted(groups):
            need = groups[owner] - working.get(owner, 0)
            for venue, qty in self._split(need, room):
                self._close(owner, symbol, qty, venue)

    def _close(self, owner: str, symbol: str, qty: int, venue: str | None) -> None:
        """The guard's market order for ``qty`` signed lots (at ``venue``, else routed)."""
        k = self.k
        order = Order(
            k.next_order_id(RISK_ID),
            owner,
            symbol,
            Side.BUY if qty > 0 else Side.SELL,
            OrderType.MARKET,
            abs(qty),
            algo_id=RISK_ID,
            venue=venue,
            ts_init=k.clock.now_ns(),
        )
        k.submit_order(order, bypass_risk=True)

    def _venue_room(self, symbol: str) -> dict[str, int]:
        """For a symbol held at several venues: what closes each venue's holding (less what the
        guard's orders working there already do), per venue that is up, in routing order.
        Empty: one venue, or nothing known per venue (orders are routed as usual)."""
        k = self.k
        venues = k.routes.get(symbol)
        held = k.accounts.held
        if not venues or not held:
            return {}
        room: dict[str, int] = {}
        for v in venues:
            if v in self.disconnected:
                continue
            working = sum(
                o.side * (o.quantity - o.filled_lots)
                for o in k.oms.open_orders(symbol)
                if o.algo_id == RISK_ID and o.venue == v
            )
            room[v] = -(held.get((v, symbol), 0) + working)
        return room

    @staticmethod
    def _split(need: int, room: dict[str, int]) -> list[tuple[str | None, int]]:
        """``need`` (signed lots) as orders: first at each venue whose holding it closes (the
        kill switch flattens at every broker), the rest routed as usual (None)."""
        out: list[tuple[str | None, int]] = []
        for venue, closes in room.items():
            if need == 0:
                break
            if closes * need > 0:
                qty = need if abs(need) <= abs(closes) else closes
                out.append((venue, qty))
                room[venue] = closes - qty
                need -= qty
        if need:
            out.append((None, need))
        return out

    def set_state(self, new: TradingState, reason: str) -> None:
        k = self.k
        old = k.risk.state
        if old == new:
            return
        now = k.clock.now_ns()
        k.risk.state = new
        ev = TradingStateChanged(int(old), int(new), reason, now, now)
        k.risk_events.append((now, f"STATE_{new.name}", reason))
        if k._jrec is not None:
            k._jrec(k._enc[TradingStateChanged](_OUT, ev))
        if k.monitor is not None:
            k.monitor.on_state(new, reason)

    def set_trading_state(self, state: TradingState, reason: str = "OPERATOR") -> None:
        """Move the trading state by hand (an operator resuming after a halt)."""
        self.halted_for_the_day = False
        if state != TradingState.HALTED:
            self.flattening = False
        self.set_state(TradingState(state), reason)

    def notice(self, code: str, detail: str) -> None:
        k = self.k
        now = k.clock.now_ns()
        k.risk_events.append((now, code, detail))
        if k._jrec is not None:
            k._jrec(k._enc[RiskEvent](_OUT, RiskEvent(code, detail, now, now)))
        if k.monitor is not None and code != "ALERT":
            k.monitor.on_notice(code, detail)
