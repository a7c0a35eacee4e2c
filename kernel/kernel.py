"""The kernel: one synchronous event loop body that does not know if it runs in a backtest or live.

The host (the sim driver, the live runner, a replayer) owns the clock and calls, in time order,
``on_quote``/``on_trade``/``on_bar``/``on_book`` (market data), ``on_order_event`` (a venue's
answers), ``on_venue_status`` (connections), and ``run_timers`` when ``next_timer_ns`` is due.
Strategies act through their context; the kernel checks each order with the risk guard, records
it in the OMS and the journal, and sends commands out through the venue ports, which answer later
through the host. Nothing is sent back into the kernel from inside a call, so there is no
re-entrancy: a venue answers on the host's next step, even with zero latency.

Journal: inputs (``IN``) are every order event, venue status and timer fired, plus market data
when ``journal_market_data`` is set (a sim driver that journals data in columnar batches turns
it off); outputs (``OUT``) are every command and every event the kernel makes itself (denials,
local cancels of held orders, trading state changes, risk notices).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from fractions import Fraction
from typing import Any

from kernel import codec
from kernel.accounts import EXTERNAL_ID, Accounts
from kernel.book_view import L2Book
from kernel.clock import Clock
from kernel.enums import TimeInForce, TradingState
from kernel.events import (
    K_ACCEPTED,
    K_CANCEL_REJECTED,
    K_CANCELED,
    K_EXPIRED,
    K_FILL,
    K_REJECTED,
    AccountReport,
    Bar,
    BookUpdate,
    OperatorAction,
    OrderFilled,
    QuoteTick,
    TimerFired,
    TradeTick,
    VenueNotice,
    VenueStatus,
)
from kernel.fsm import InvalidTransition
from kernel.guard import RISK_ID, Guard
from kernel.ids import OrderIdGenerator
from kernel.journal import Journal
from kernel.oms import OrderManager, UnknownOrder
from kernel.operator import apply_operator
from kernel.ordering import OrderCommands
from kernel.orders import InvalidModify, Order, Overfill
from kernel.ports import KernelStats, UnknownInput, VenuePort, ignore_event, order_event_classes
from kernel.positions import MarketState, Portfolio
from kernel.risk import RiskConfig, RiskGuard
from kernel.strategy import Strategy, StrategyContext, overrides
from kernel.timers import TimerQueue
from kernel.units import Instrument

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

_IN = codec.IN
_OUT = codec.OUT


class Kernel(OrderCommands):
    """The trading kernel. See the module docstring for the protocol with its host.

    Parameters: ``clock``; ``instruments``; ``venues`` (name -> port; orders go to
    ``order.venue``, else the instrument's venue, else ``default_venue``, else the only venue);
    ``journal``; ``currency`` and ``starting_cash`` (money units, or a dict per currency);
    ``risk`` limits; ``seed`` of the run (strategy rng streams); ``id_prefix`` for client order
    ids; ``deny_when_down`` (live): deny orders for a venue that is down (``BROKER_DOWN``);
    ``routes``: per symbol, the venues that trade it in routing order (failover: an order that
    names no venue goes to the first that is up; see ``ordering``); ``routing_policy``
    (``hold`` or ``flatten``) for a down venue's positions; ``venue_fees``: each venue's taker
    fee in bps, the smart order router's default; ``retain_closed``: how many closed orders the
    OMS keeps in full (None: all; ``kernel.oms`` on retention and late events of evicted orders).
    An order event the state machine refuses is the same in a backtest and live: counted
    (``stats.refused_events``), a journaled ``EVENT_REFUSED`` notice, and a fill is never lost
    (booked to the position; beyond the order's quantity it is an overfill).
    """

    def __init__(
        self,
        clock: Clock,
        instruments: Iterable[Instrument],
        venues: dict[str, VenuePort] | None = None,
        journal: Journal | None = None,
        *,
        currency: str = "USD",
        starting_cash: int | dict[str, int] = 0,
        risk: RiskConfig | None = None,
        seed: int = 0,
        id_prefix: str = "",
        journal_market_data: bool = True,
        default_venue: str | None = None,
        deny_when_down: bool = False,
        routes: dict[str, tuple[str, ...]] | None = None,
        routing_policy: str = "hold",
        venue_fees: dict[str, Fraction] | None = None,
        retain_closed: int | None = None,
    ) -> None:
        self.clock = clock
        self.instruments: dict[str, Instrument] = {i.symbol: i for i in instruments}
        self.venues: dict[str, VenuePort] = dict(venues or {})
        self.default_venue = default_venue
        # symbol -> its venues in routing order (only symbols with more than one)
        self.routes: dict[str, tuple[str, ...]] = {
            sym: tuple(v) for sym, v in sorted((routes or {}).items()) if len(v) > 1
        }
        self.active_route: dict[str, str] = {sym: v[0] for sym, v in self.routes.items()}
        # hold: a down venue's positions wait for it; flatten: they are closed where the
        # symbol trades meanwhile (``Guard.offset_down``)
        self.routing_policy = routing_policy
        # each venue's taker fee in bps (its fee model): the smart order router's default
        self.venue_fees: dict[str, Fraction] = dict(venue_fees or {})
        self.journal = journal
        self.seed = seed
        self.id_prefix = id_prefix
        # live: an order for a venue that is down is denied (BROKER_DOWN) instead of sent into
        # the void; a backtest's simulated outages keep their own rules (orders meet the outage)
        self.deny_when_down = deny_when_down
        # the time in force of orders that give none (live: ``orders.default_time_in_force``)
        self.default_tif = TimeInForce.GTC
        cash = starting_cash if isinstance(starting_cash, dict) else {currency: starting_cash}
        self.portfolio = Portfolio(self.instruments, currency, cash)
        self.oms = OrderManager(retain_closed)
        self.risk = RiskGuard(risk)
        self.timers = TimerQueue()
        self.stats = KernelStats()
        self.risk_events: list[tuple[int, str, str]] = []
        # observers of fills (reports, TCA): called as f(order, event, realized_money)
        self.fill_listeners: list[Callable[[Order, Any, int], None]] = []
        # the monitoring layer's observer (kernel.monitor.Monitor.install), None when off
        self.monitor: Any = None
        self.strategies: dict[str, Strategy] = {}
        self._ids: dict[str, OrderIdGenerator] = {}
        self._order_owners: dict[str, Callable[[Any], None]] = {}
        self._timer_owners: dict[str, Callable[[Any], None]] = {}
        self._algos: dict[str, Callable[[Any], None]] = {}  # parent id -> its children's events
        self._markets = self.portfolio.markets
        # per-venue views, for data that says which venue it is from (smart order routing)
        self.venue_markets: dict[tuple[str, str], MarketState] = {}
        self._positions = self.portfolio.positions
        self._quote_h: dict[str, list[Callable[[Any], None]]] = {s: [] for s in self.instruments}
        self._trade_h: dict[str, list[Callable[[Any], None]]] = {s: [] for s in self.instruments}
        self._bar_h: dict[str, list[Callable[[Any], None]]] = {s: [] for s in self.instruments}
        self._book_h: dict[str, list[Callable[[Any], None]]] = {s: [] for s in self.instruments}
        self._next_day_ns = -1
        self._loss_watch = self.risk.config.daily_loss_limit is not None
        # the trading state's one owner, and the brokers' accounts (live)
        self.guard = Guard(self)
        self.accounts = Accounts(self)
        self._disconnected = self.guard.disconnected  # the same set (routing reads it)
        self._roll_day = self.guard.roll_day
        self._watch_loss = self.guard.watch_loss
        self.attach_journal(journal)
        self._journal_md = journal_market_data and journal is not None
        self._enc = codec.ENCODERS
        self._dispatch: dict[type, Callable[[Any], None]] = {
            QuoteTick: self.on_quote,
            TradeTick: self.on_trade,
            Bar: self.on_bar,
            BookUpdate: self.on_book,
            VenueStatus: self.on_venue_status,
            OperatorAction: self.on_operator,
            AccountReport: self.on_account,
            VenueNotice: self.on_notice,
        }
        for cls in order_event_classes():
            self._dispatch[cls] = self.on_order_event
        self._order_owners[RISK_ID] = ignore_event
        self._timer_owners[RISK_ID] = self.guard.on_timer
        self._ids[RISK_ID] = OrderIdGenerator(RISK_ID, id_prefix)

    # --- wiring -------------------------------------------------------------------------------
    def add_strategy(self, strategy: Strategy) -> StrategyContext:
        """Register a strategy; it receives the callbacks it overrides, for its symbols."""
        sid = strategy.strategy_id
        if sid in self._order_owners or sid == EXTERNAL_ID:
            raise ValueError(f"strategy id {sid!r} is already used")
        ctx = StrategyContext(self, sid, self.seed)
        strategy.ctx = ctx
        self.strategies[sid] = strategy
        self.register_owner(sid, strategy.on_order_event, strategy.on_timer)
        symbols = strategy.symbols if strategy.symbols is not None else tuple(self.instruments)
        for sym in symbols:
            if sym not in self.instruments:
                raise ValueError(f"strategy {sid!r} subscribes to unknown symbol {sym!r}")
            for name, table in (
                ("on_quote", self._quote_h),
                ("on_trade", self._trade_h),
                ("on_bar", self._bar_h),
                ("on_book", self._book_h),
            ):
                if overrides(strategy, name):
                    table[sym].append(getattr(strategy, name))
        return ctx

    def register_owner(
        self,
        owner_id: str,
        on_order_event: Callable[[Any], None],
        on_timer: Callable[[Any], None] | None = None,
    ) -> None:
        """Route order events (and timers) of orders with ``strategy_id == owner_id``."""
        self._order_owners[owner_id] = on_order_event
        if on_timer is not None:
            self._timer_owners[owner_id] = on_timer
        if owner_id not in self._ids:
            self._ids[owner_id] = OrderIdGenerator(owner_id, self.id_prefix)

    def register_algo(self, parent_id: str, on_child_event: Callable[[Any], None]) -> None:
        """Route the order events of orders with ``algo_id == parent_id`` (an execution algo's
        children) to ``on_child_event`` instead of their strategy; the algo forwards what the
        strategy should see. The risk guard's own orders are never rerouted."""
        if parent_id == RISK_ID or parent_id in self._algos:
            raise ValueError(f"algo id {parent_id!r} is already used")
        self._algos[parent_id] = on_child_event

    def unregister_algo(self, parent_id: str) -> None:
        """Stop routing ``parent_id``'s children to it (their events go to the strategy again)."""
        self._algos.pop(parent_id, None)

    def _owner_of(self, order: Order) -> Callable[[Any], None] | None:
        algo = order.algo_id
        if algo is not None:
            handler = self._algos.get(algo)
            if handler is not None:
                return handler
        return self._order_owners.get(order.strategy_id)

    def algo_engine(self) -> Any:
        """The kernel's execution-algo engine (``kernel.algos``), registered on first use."""
        from kernel.algos.engine import AlgoEngine

        return AlgoEngine.of(self)

    def add_venue(self, name: str, port: VenuePort) -> None:
        self.venues[name] = port

    def next_order_id(self, owner_id: str) -> str:
        gen = self._ids.get(owner_id)
        if gen is None:
            gen = self._ids[owner_id] = OrderIdGenerator(owner_id, self.id_prefix)
        return gen.next_id()

    def attach_journal(self, journal: Journal | None) -> None:
        """Write to ``journal`` from now on (``None``: journal nothing)."""
        self.journal = journal
        # records go in through the journal's ``raw_append`` (one C call on every order event),
        # or, compiled, are written straight into its block (``writer``: no tuple made, see
        # kernel/codec_source.py); venue events go through its ``tap``, which cuts a block
        # when one is full, so memory stays bounded whoever hosts the kernel (a ``direct``
        # journal's ``raw_append`` cuts them itself). Hosts flush too (the live runner per
        # commit). A stand-in with ``append`` only (replay's comparer) takes every record.
        raw = getattr(journal, "raw_append", None)
        self._jw = getattr(journal, "writer", None) if codec.WRITERS else None
        if raw is not None:
            self._jrec = raw
            self._jtap = raw if getattr(journal, "direct", False) else journal.tap  # type: ignore[union-attr]
        else:
            self._jrec = journal.append if journal is not None else None
            self._jtap = self._jrec

    def start(self) -> None:
        for s in list(self.strategies.values()):
            s.on_start()

    def stop(self) -> None:
        for s in list(self.strategies.values()):
            s.on_stop()
        if self.journal is not None:
            self.journal.flush()

    # --- market data (hot path) ---------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        """Dispatch any input event by type; a type with no handler raises ``UnknownInput``
        before anything is journaled or changed."""
        handler = self._dispatch.get(type(event))
        if handler is None:
            raise UnknownInput(
                f"kernel: no handler for an input of type {type(event).__name__} "
                "(order events, market data, VenueStatus, AccountReport, VenueNotice, "
                "OperatorAction)"
            )
        handler(event)

    @cython.locals(q=QuoteTick, market=MarketState)
    def on_quote(self, q: QuoteTick) -> None:
        if self._journal_md:
            self._journal(_IN, q, False)
        self.stats.md_events += 1
        sym = q.symbol
        market = self._markets[sym]
        market.last_quote = q
        if q.venue is not None:
            self.venue_market(q.venue, sym).last_quote = q
        if q.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[sym].qty:
            self._watch_loss()
        for h in self._quote_h[sym]:
            h(q)

    @cython.locals(t=TradeTick)
    def on_trade(self, t: TradeTick) -> None:
        if self._journal_md:
            self._journal(_IN, t, False)
        self.stats.md_events += 1
        sym = t.symbol
        self._markets[sym].last_trade = t
        if t.venue is not None:
            self.venue_market(t.venue, sym).last_trade = t
        if t.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[sym].qty:
            self._watch_loss()
        for h in self._trade_h[sym]:
            h(t)

    @cython.locals(b=Bar, market=MarketState)
    def on_bar(self, b: Bar) -> None:
        if self._journal_md:
            self._journal(_IN, b, False)
        self.stats.md_events += 1
        sym = b.symbol
        market = self._markets[sym]
        market.last_bar = b
        if b.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[sym].qty:
            self._watch_loss()
        for h in self._bar_h[sym]:
            h(b)

    def on_book(self, u: BookUpdate) -> None:
        if self._journal_md:
            self._journal(_IN, u, False)
        self.stats.md_events += 1
        market = self._markets[u.symbol]
        if market.book is None:
            market.book = L2Book()
        market.book.apply(u)
        if u.venue is not None:
            vm = self.venue_market(u.venue, u.symbol)
            if vm.book is None:
                vm.book = L2Book()
            vm.book.apply(u)
        if u.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[u.symbol].qty:
            self._watch_loss()
        for h in self._book_h[u.symbol]:
            h(u)

    def venue_market(self, venue: str, symbol: str) -> MarketState:
        """The market as ``venue`` shows it (data tagged with that venue); created on first use."""
        key = (venue, symbol)
        state = self.venue_markets.get(key)
        if state is None:
            state = self.venue_markets[key] = MarketState(symbol)
        return state

    # --- venue events -------------------------------------------------------------------------
    @cython.locals(oms=OrderManager)
    def on_order_event(self, event: Any) -> None:
        """Apply a venue's order event: OMS, positions, risk, links, then the owner's callback."""
        if self._jrec is not None:
            self._journal(_IN, event, True)
        if self.clock.now_ns() >= self._next_day_ns:
            self._roll_day()
        oms = self.oms
        dups = oms.duplicate_fills
        try:
            order = oms.apply(event)
        except UnknownOrder:
            self._unknown_order_event(event)
            return
        except (InvalidTransition, Overfill, InvalidModify) as exc:
            self._refused(event, exc)
            return
        if order is None or oms.duplicate_fills != dups:
            return  # a repeated execution id (of an evicted order: None): ignored, counted
        self._after_apply(order, event)

    @cython.locals(order=Order)
    def _after_apply(self, order: Order, event: Any) -> None:
        kind = event.KIND
        guard = self.guard
        if kind == K_FILL:
            self._on_fill(order, event)
        elif kind == K_ACCEPTED:
            self.risk.on_venue_ok()
        elif kind == K_REJECTED:
            self.stats.rejects += 1
            guard.on_reject()
        elif kind == K_CANCELED:
            self.stats.cancels += 1
        elif kind == K_EXPIRED:
            self.stats.expired += 1
        if self.oms.actions:
            self._run_actions()
        if order.algo_id == RISK_ID or kind == K_CANCEL_REJECTED:
            guard.after_order_event(order, event, kind)
        m = self.monitor
        if m is not None and (m.order_listeners or kind in (K_REJECTED, K_ACCEPTED)):
            m.on_order(order, event, kind)  # why: the rejection rule, and log_all_orders
        owner = None
        if order.algo_id is not None:
            owner = self._algos.get(order.algo_id)
        if owner is None:
            owner = self._order_owners.get(order.strategy_id)
        if owner is not None:
            owner(event)

    def _refused(self, event: Any, exc: Exception) -> None:
        """An event the order's state machine refuses: one behaviour in a backtest and live
        (counted, a journaled notice, in the summary). A fill is never lost: what the venue says
        was traded is booked to the position (the venue is the truth); the part beyond the
        order's quantity is an overfill."""
        self.stats.refused_events += 1
        if event.KIND != K_FILL:
            self.notice("EVENT_REFUSED", f"{event.client_order_id}: {exc}")
            return
        order = self.oms.get(event.client_order_id)
        assert order is not None
        if order._trade_ids is not None and event.trade_id in order._trade_ids:
            return  # why: an overfill already booked, delivered again
        leaves = order.quantity - order.filled_lots if order.is_open else 0
        qty = event.qty_lots
        if leaves > 0 and qty > leaves:
            part = replace(event, qty_lots=leaves)
            self.oms.apply(part)
            self._after_apply(order, part)
            qty -= leaves
            commission = 0
        else:
            commission = event.commission
            if order._trade_ids is None:
                order._trade_ids = {event.trade_id}
            else:
                order._trade_ids.add(event.trade_id)
        if isinstance(exc, Overfill) or leaves > 0:
            self.stats.overfills += 1
            code = "OVERFILL"
        else:
            code = "LATE_FILL"
        realized = self.portfolio.apply_fill(
            order.symbol,
            order.strategy_id,
            order.side,
            event.price_ticks,
            qty,
            commission,
            event.commission_currency,
        )
        if self.accounts.latest:
            self.accounts.on_fill(order.venue, (order.symbol, order.side, event.price_ticks,
                                  qty, commission, event.commission_currency))  # fmt: skip
        if code == "LATE_FILL":
            # why: a fill of an order the kernel had closed (a submit refused while its outcome
            # was in doubt, that the venue had taken after all) is booked whole: it counts and
            # is recorded like any other fill
            self.stats.fills += 1
            for listener in self.fill_listeners:
                listener(order, event, realized)
        self.notice(
            code,
            f"{event.client_order_id}: fill {event.trade_id} of {event.qty_lots} lots "
            f"with {leaves} open ({exc}): {qty} lots booked beyond the order",
        )
        if self._loss_watch:
            self._watch_loss()

    @cython.locals(order=Order, fill=OrderFilled)
    def _on_fill(self, order: Order, event: Any) -> None:
        fill = event  # why: compiled, a typed local reads the fill's fields directly
        self.stats.fills += 1
        sym = order.symbol
        realized = self.portfolio.apply_fill(
            sym,
            order.strategy_id,
            order.side,
            fill.price_ticks,
            fill.qty_lots,
            fill.commission,
            fill.commission_currency,
        )
        for listener in self.fill_listeners:
            listener(order, event, realized)
        if self.accounts.latest:
            self.accounts.on_fill(order.venue, (sym, order.side, fill.price_ticks,
                                  fill.qty_lots, fill.commission, fill.commission_currency))  # fmt: skip
        self.risk.on_venue_ok()
        if self._loss_watch:
            self._watch_loss()
        if self.guard.flattening:
            self.guard.flatten_symbol(sym)

    def _unknown_order_event(self, event: Any) -> None:
        self.stats.unknown_events += 1
        oid = getattr(event, "client_order_id", "?")
        if event.KIND == K_FILL:
            # why: never lose a fill; a fill of an order placed outside the kernel still moves
            # the position the venue holds
            self.stats.fills += 1
            self.portfolio.apply_fill(
                event.symbol,
                EXTERNAL_ID,
                event.side,
                event.price_ticks,
                event.qty_lots,
                event.commission,
                event.commission_currency,
            )
            self.notice("EXTERNAL_FILL", f"fill {event.trade_id} of unknown order {oid}")
        else:
            self.notice("UNKNOWN_ORDER", f"{type(event).__name__} for unknown order {oid}")

    def on_venue_status(self, event: VenueStatus) -> None:
        """A venue went down (-> REDUCING) or came back reconciled (-> ACTIVE if it was)."""
        if self._jrec is not None:
            self._journal(_IN, event, False)
        self.guard.on_venue_status(event)
        if self.monitor is not None:
            now = self.clock.now_ns()
            self.monitor.on_status(event.venue, event.connected, event.reconciled, now)

    # --- the brokers' accounts and notices (live) ---------------------------------------------
    def on_account(self, report: AccountReport) -> None:
        """A broker's account report: journaled, then the truth (``kernel.accounts``)."""
        if self._jrec is not None:
            self._journal(_IN, report, False)
        if self.clock.now_ns() >= self._next_day_ns:
            self._roll_day()
        self.accounts.on_report(report)

    def on_notice(self, notice: VenueNotice) -> None:
        """A venue's typed notice: journaled, recorded as a risk notice, nothing else."""
        if self._jrec is not None:
            self._journal(_IN, notice, False)
        self.notice(notice.code, f"{notice.venue}: {notice.detail}")

    def on_operator(self, event: OperatorAction) -> None:
        """An operator's command (journaled as an input, so a replay repeats it):
        ``kernel.operator.apply``."""
        if self._jrec is not None:
            self._journal(_IN, event, False)
        apply_operator(self, event)

    # --- timers -------------------------------------------------------------------------------
    def set_timer(self, owner_id: str, at_ns: int, name: str) -> int:
        return self.timers.schedule(at_ns, (owner_id, name))

    def next_timer_ns(self) -> int | None:
        return self.timers.next_ns()

    def run_timers(self) -> int:
        """Fire every timer due at the clock's time (including ones set while firing)."""
        fired = 0
        while self.fire_next_timer():
            fired += 1
        return fired

    def fire_next_timer(self) -> bool:
        """Fire the earliest timer due at the clock's time; False when none is due."""
        now = self.clock.now_ns()
        entry = self.timers.pop_due(now)
        if entry is None:
            return False
        ts, handle, (owner, name) = entry
        ev = TimerFired(owner, name, handle, ts, now)
        if self._jrec is not None:
            self._journal(_IN, ev, False)
        handler = self._timer_owners.get(owner)
        if handler is not None:
            handler(ev)
        return True

    # --- risk: the guard owns the trading state (kernel/guard.py) --------------------------------
    def kill_switch(self, reason: str = "KILL_SWITCH") -> None:
        """Cancel every open order, flatten every position with market orders, then HALT (until
        ``set_trading_state`` lifts it). Idempotent while the first press's orders work."""
        self.guard.kill_switch(reason)

    def set_trading_state(self, state: TradingState, reason: str = "OPERATOR") -> None:
        """Move the trading state by hand (an operator resuming after a halt)."""
        self.guard.set_trading_state(state, reason)

    def notice(self, code: str, detail: str) -> None:
        """Record a risk notice (journaled as a ``RiskEvent`` output)."""
        self.guard.notice(code, detail)
