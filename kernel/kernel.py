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
from typing import Any, Protocol

from kernel import codec
from kernel.book_view import L2Book
from kernel.clock import Clock
from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import OrderStatus, OrderType, Side, TimeInForce, TradingState
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
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderSubmitted,
    QuoteTick,
    RiskEvent,
    TimerFired,
    TradeTick,
    TradingStateChanged,
    VenueNotice,
    VenueStatus,
)
from kernel.fsm import InvalidTransition
from kernel.ids import OrderIdGenerator
from kernel.journal import Journal, pack_record
from kernel.oms import ACT_CANCEL, ACT_RELEASE, OrderManager, UnknownOrder
from kernel.orders import InvalidModify, InvalidOrder, Order, Overfill
from kernel.positions import MarketState, Portfolio
from kernel.risk import RiskConfig, RiskGuard, reduces_position
from kernel.strategy import Strategy, StrategyContext, overrides
from kernel.timers import TimerQueue
from kernel.units import Instrument


class UnknownInput(TypeError):
    """An input of a type the kernel has no handler for: refused at the boundary, never fed to
    the OMS (a host or adapter bug, named with the type)."""


RISK_ID = "risk"  # marks the guard's own orders (kill switch, emergency flatten): their algo_id
EXTERNAL_ID = "external"  # positions from fills of orders the kernel did not place
_IN = codec.IN
_OUT = codec.OUT
_INITIALIZED = OrderStatus.INITIALIZED
_PENDING_CANCEL = OrderStatus.PENDING_CANCEL


class VenuePort(Protocol):
    """What the kernel needs of a venue: take commands; answer later through the host."""

    name: str

    def submit(self, cmd: SubmitOrder) -> None: ...

    def cancel(self, cmd: CancelOrder) -> None: ...

    def modify(self, cmd: ModifyOrder) -> None: ...


class KernelStats:
    """Counters for the run summary."""

    __slots__ = (
        "cancels",
        "denied",
        "expired",
        "fills",
        "md_events",
        "modifies",
        "orders",
        "refused_events",
        "rejects",
        "unknown_events",
    )

    def __init__(self) -> None:
        self.md_events = 0
        self.orders = 0
        self.fills = 0
        self.cancels = 0
        self.expired = 0
        self.rejects = 0
        self.denied = 0
        self.modifies = 0
        self.refused_events = 0
        self.unknown_events = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class Kernel:
    """The trading kernel. See the module docstring for the protocol with its host.

    Parameters: ``clock``; ``instruments``; ``venues`` (name -> port; orders go to
    ``order.venue``, else the instrument's venue, else ``default_venue``, else the only venue);
    ``journal``; ``currency`` and ``starting_cash`` (money units, or a dict per currency);
    ``risk`` limits; ``seed`` of the run (strategy rng streams); ``id_prefix`` for client order
    ids; ``strict``: raise on an order event the state machine refuses (sim) rather than
    recording a risk notice and carrying on (live).
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
        strict: bool = True,
        deny_when_down: bool = False,
    ) -> None:
        self.clock = clock
        self.instruments: dict[str, Instrument] = {i.symbol: i for i in instruments}
        self.venues: dict[str, VenuePort] = dict(venues or {})
        self.default_venue = default_venue
        self.journal = journal
        self.seed = seed
        self.id_prefix = id_prefix
        self.strict = strict
        # live: an order for a venue that is down is denied (BROKER_DOWN) instead of sent into
        # the void; a backtest's simulated outages keep their own rules (orders meet the outage)
        self.deny_when_down = deny_when_down
        # the time in force of orders that give none (live: ``orders.default_time_in_force``)
        self.default_tif = TimeInForce.GTC
        # the brokers' own accounts (live): the latest report per venue, the buying power risk
        # checks use, and a mismatch seen once (adopted when the next report repeats it)
        self.accounts: dict[str, AccountReport] = {}
        self.buying_power: dict[str, int] = {}
        self._account_mismatch: dict[str, tuple[Any, int]] = {}
        self.session_equity: int | None = None  # the equity the brokers first reported
        cash = starting_cash if isinstance(starting_cash, dict) else {currency: starting_cash}
        self.portfolio = Portfolio(self.instruments, currency, cash)
        self.oms = OrderManager()
        self.risk = RiskGuard(risk)
        self.timers = TimerQueue()
        self.stats = KernelStats()
        self.risk_events: list[tuple[int, str, str]] = []
        # observers of fills (reports, TCA): called as f(order, event, realized_money)
        self.fill_listeners: list[Callable[[Order, Any, int], None]] = []
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
        self._flattening = False
        self._halted_for_the_day = False
        self._must_cancel: dict[str, int] = {}  # orders the guard canceled -> attempts so far
        self._disconnected: set[str] = set()
        self._jrec: Callable[[Any], None] | None = None
        self._jpack: Callable[[tuple], Any] = tuple
        self._jbuf: list[Any] = []
        self._jblock = 0
        # the data events seen (``stats.md_events``) when an order command was last journaled:
        # a replay that re-delivers data lazily up to that output stands at this count, so the
        # sim driver needs no data-position mark before the next input if no data came since
        self.md_at_last_command = 0
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
        for cls in _order_event_classes():
            self._dispatch[cls] = self.on_order_event
        self._order_owners[RISK_ID] = _ignore
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
        # records go in packed, through the journal's own list append (two C calls on every
        # order event); blocks are cut at each venue event and by the host (the sim driver per
        # data chunk, the live runner per commit). A stand-in with ``append`` only (replay's
        # comparer) takes the record as it is and cuts its own blocks.
        raw = getattr(journal, "raw_append", None)
        if raw is not None:
            self._jrec, self._jpack = raw, pack_record
            self._jbuf, self._jblock = journal.buffer, journal.block_records  # type: ignore[union-attr]
        else:
            # why: ``tuple`` of a tuple is that tuple: the stand-in gets the record as it is
            self._jrec = journal.append if journal is not None else None
            self._jpack = tuple
            self._jbuf, self._jblock = [], 1 << 62

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

    def on_quote(self, q: QuoteTick) -> None:
        if self._journal_md:
            self._jrec(self._jpack(self._enc[QuoteTick](_IN, q)))  # type: ignore[misc]
        self.stats.md_events += 1
        sym = q.symbol
        self._markets[sym].last_quote = q
        if q.venue is not None:
            self.venue_market(q.venue, sym).last_quote = q
        if q.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[sym].qty:
            self._watch_loss()
        for h in self._quote_h[sym]:
            h(q)

    def on_trade(self, t: TradeTick) -> None:
        if self._journal_md:
            self._jrec(self._jpack(self._enc[TradeTick](_IN, t)))  # type: ignore[misc]
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

    def on_bar(self, b: Bar) -> None:
        if self._journal_md:
            self._jrec(self._jpack(self._enc[Bar](_IN, b)))  # type: ignore[misc]
        self.stats.md_events += 1
        sym = b.symbol
        self._markets[sym].last_bar = b
        if b.ts_init >= self._next_day_ns:
            self._roll_day()
        if self._loss_watch and self._positions[sym].qty:
            self._watch_loss()
        for h in self._bar_h[sym]:
            h(b)

    def on_book(self, u: BookUpdate) -> None:
        if self._journal_md:
            self._jrec(self._jpack(self._enc[BookUpdate](_IN, u)))  # type: ignore[misc]
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
    def on_order_event(self, event: Any) -> None:
        """Apply a venue's order event: OMS, positions, risk, links, then the owner's callback."""
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[type(event)](_IN, event)))
            if len(self._jbuf) > self._jblock:
                self.journal.flush()  # type: ignore[union-attr]
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
            self.stats.refused_events += 1
            if self.strict:
                raise
            self._risk_notice("EVENT_REFUSED", f"{event.client_order_id}: {exc}")
            return
        if oms.duplicate_fills != dups:
            return  # a repeated execution id: ignored (counted by the OMS)
        kind = event.KIND
        if kind == K_FILL:
            self._on_fill(order, event)
        elif kind == K_ACCEPTED:
            self.risk.on_venue_ok()
        elif kind == K_REJECTED:
            self.stats.rejects += 1
            if self.risk.on_venue_reject() and self.risk.state != TradingState.HALTED:
                self._risk_notice(
                    "CONSECUTIVE_REJECTS", f"{self.risk.consecutive_rejects} venue rejects in a row"
                )
                self._set_state(TradingState.HALTED, "CONSECUTIVE_REJECTS")
            self._halted_for_the_day = False
        elif kind == K_CANCELED:
            self.stats.cancels += 1
        elif kind == K_EXPIRED:
            self.stats.expired += 1
        if oms.actions:
            self._run_actions()
        if self._flattening and order.algo_id == RISK_ID and (kind in (K_CANCELED, K_EXPIRED)):
            # why: a flattening order that ended unfilled must be replaced; a rejected one is
            # not retried (a venue refusing it would be spammed): it is reported instead
            self._flatten_symbol(order.symbol)
        elif kind == K_REJECTED and order.algo_id == RISK_ID:
            self._risk_notice("FLATTEN_REJECTED", f"{order.client_order_id}: {event.reason}")
        elif kind == K_CANCEL_REJECTED and order.client_order_id in self._must_cancel:
            self._retry_cancel(order)
        owner = None
        if order.algo_id is not None:
            owner = self._algos.get(order.algo_id)
        if owner is None:
            owner = self._order_owners.get(order.strategy_id)
        if owner is not None:
            owner(event)

    def _on_fill(self, order: Order, event: Any) -> None:
        self.stats.fills += 1
        sym = order.symbol
        realized = self.portfolio.apply_fill(
            sym, order.strategy_id, order.side, event.price_ticks, event.qty_lots, event.commission
        )
        for listener in self.fill_listeners:
            listener(order, event, realized)
        self.risk.on_venue_ok()
        if self._loss_watch:
            self._watch_loss()
        if self._flattening:
            self._flatten_symbol(sym)

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
            )
            self._risk_notice("EXTERNAL_FILL", f"fill {event.trade_id} of unknown order {oid}")
        else:
            self._risk_notice("UNKNOWN_ORDER", f"{type(event).__name__} for unknown order {oid}")

    def on_venue_status(self, event: VenueStatus) -> None:
        """A venue went down (-> REDUCING) or came back reconciled (-> ACTIVE if it was)."""
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[VenueStatus](_IN, event)))
        risk = self.risk
        if not event.connected:
            if self.deny_when_down and event.venue not in self._disconnected:
                self._risk_notice("BROKER_DOWN", f"{event.venue}: disconnected; retrying")
            self._disconnected.add(event.venue)
            if risk.config.reduce_on_disconnect and risk.state == TradingState.ACTIVE:
                risk.state_before_disconnect = TradingState.ACTIVE
                self._set_state(TradingState.REDUCING, f"VENUE_DISCONNECTED:{event.venue}")
        elif event.reconciled:
            if self.deny_when_down and event.venue in self._disconnected:
                self._risk_notice("BROKER_UP", f"{event.venue}: reconnected and reconciled")
            self._disconnected.discard(event.venue)
            if (
                not self._disconnected
                and risk.state == TradingState.REDUCING
                and risk.state_before_disconnect == TradingState.ACTIVE
            ):
                risk.state_before_disconnect = None
                self._set_state(TradingState.ACTIVE, f"VENUE_RECONCILED:{event.venue}")

    # --- the brokers' accounts and notices (live) ---------------------------------------------
    def venue_symbols(self, venue: str) -> list[str]:
        """The symbols that trade at ``venue``: pinned to it, or unpinned (any venue)."""
        return [s for s, i in self.instruments.items() if i.venue in (None, venue)]

    def on_account(self, report: AccountReport) -> None:
        """A broker's account: adopted as the truth at the first report of a venue (positions
        opened before the session, the cash), at the final one, and when a mismatch with the
        kernel's books repeats in two reports with no fill between (a fill in flight explains a
        one-off difference). Buying power is kept for the pre-trade check."""
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[AccountReport](_IN, report)))
        if self.clock.now_ns() >= self._next_day_ns:
            self._roll_day()
        venue = report.venue
        first = venue not in self.accounts
        self.accounts[venue] = report
        self.buying_power[venue] = report.buying_power
        reported = {sym: (qty, cost) for sym, qty, cost in report.positions}
        pf = self.portfolio
        if first:
            for sym in sorted(set(reported) - set(self.instruments)):
                self._risk_notice(
                    "UNTRACKED_POSITION", f"{venue}: {sym} {reported[sym][0]} lots (no instrument)"
                )
        symbols = sorted(set(self.venue_symbols(venue)) | (set(reported) & set(self.instruments)))
        diffs = tuple(
            (sym, reported.get(sym, (0, 0))[0] - pf.positions[sym].qty)
            for sym in symbols
            if reported.get(sym, (0, 0))[0] != pf.positions[sym].qty
        )
        cash_diff = report.cash - pf.account_cash(report.currency)
        if first or report.final:
            self._adopt(report, symbols, reported, "start" if first else "final")
            if first:
                # why: the daily loss is measured from the session's start when it is later than
                # the day's: the equity the broker holds now, not the kernel's empty books
                self.risk.start_of_day_equity = pf.equity()
                if self.session_equity is None:
                    self.session_equity = pf.equity()
            self._account_mismatch.pop(venue, None)
            return
        if not diffs and not cash_diff:
            self._account_mismatch.pop(venue, None)
            return
        seen = (diffs, report.cash)
        if self._account_mismatch.get(venue) == (seen, self.stats.fills):
            self._risk_notice(
                "ACCOUNT_ADOPTED",
                f"{venue}: positions {dict(diffs)} lots and cash {cash_diff} units differed "
                "in two reports: the broker's books adopted",
            )
            self._adopt(report, symbols, reported, "mismatch")
            self._account_mismatch.pop(venue, None)
        else:
            self._account_mismatch[venue] = (seen, self.stats.fills)

    def _adopt(
        self,
        report: AccountReport,
        symbols: list[str],
        reported: dict[str, tuple[int, int]],
        why: str,
    ) -> None:
        pf = self.portfolio
        for sym in symbols:
            qty, cost = reported.get(sym, (0, 0))
            if pf.positions[sym].qty != qty or why != "mismatch":
                pf.adopt(sym, EXTERNAL_ID, qty, cost)
        pf.set_account_cash(report.currency, report.cash)

    def on_notice(self, notice: VenueNotice) -> None:
        """A venue's typed notice: journaled, recorded as a risk notice, nothing else."""
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[VenueNotice](_IN, notice)))
        self._risk_notice(notice.code, f"{notice.venue}: {notice.detail}")

    def _over_buying_power(self, order: Order, venue: str) -> bool:
        """Live: the order's value with the venue's other open orders beyond its buying power."""
        bp = self.buying_power.get(venue)
        if bp is None:
            return False
        pf = self.portfolio
        sym = order.symbol
        buy_open, sell_open = self.oms.open_leaves(sym)
        same = buy_open if order.side > 0 else sell_open
        if reduces_position(pf.positions[sym].qty, order.side, order.quantity, same):
            return False
        market = pf.markets[sym]
        ref = market.last_price()
        px = order.limit_ticks if order.limit_ticks is not None else order.stop_ticks
        if px is None:
            touch = market.ask if order.side > 0 else market.bid
            px = touch if touch is not None else ref
        if px is None:
            return False
        tlm = pf.positions[sym].ticklot_money
        value = abs(px) * order.quantity * tlm
        for o in self.oms.open_orders():
            if o.venue == venue and o.side == order.side:
                opx = o.limit_ticks if o.limit_ticks is not None else (o.stop_ticks or px)
                value += (
                    abs(opx) * (o.quantity - o.filled_lots) * pf.positions[o.symbol].ticklot_money
                )
        return value > bp

    def on_operator(self, event: OperatorAction) -> None:
        """An operator's command (journaled as an input, so a replay repeats it)."""
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[OperatorAction](_IN, event)))
        action = event.action
        if action == "halt":
            self.set_trading_state(TradingState.HALTED, event.reason)
        elif action == "resume":
            self.set_trading_state(TradingState.ACTIVE, event.reason)
        elif action == "kill_switch":
            self.kill_switch(event.reason)
        elif action == "cancel_all":
            self.cancel_all()
        else:
            self._risk_notice("UNKNOWN_OPERATOR_ACTION", action)

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
            self._jrec(self._jpack(self._enc[TimerFired](_IN, ev)))
        handler = self._timer_owners.get(owner)
        if handler is not None:
            handler(ev)
        return True

    # --- commands -----------------------------------------------------------------------------
    def submit_order(self, order: Order, bypass_risk: bool = False) -> bool:
        """Register and send ``order``; False when the risk guard (or a local check) refused it."""
        self.oms.add(order)
        now = self.clock.now_ns()
        if now >= self._next_day_ns:
            self._roll_day()
        if order.symbol not in self.instruments:
            self._deny(order, "UNKNOWN_SYMBOL")
            return False
        if order.parent_id is not None:
            return True  # held until the parent is done
        if not bypass_risk:
            reason = self.risk.pre_trade(order, self.portfolio, self.oms, now)
            if reason is not None:
                self._deny(order, reason)
                return False
        venue = self._route(order)
        if venue is None:
            self._deny(order, "NO_VENUE")
            return False
        if self.deny_when_down and venue in self._disconnected:
            self._deny(order, "BROKER_DOWN")
            return False
        if not bypass_risk and self.buying_power and self._over_buying_power(order, venue):
            self._deny(order, "BUYING_POWER")
            return False
        self._send(order, venue, now)
        return True

    def submit_bracket(
        self, entry: Order, take_profit: Order | None, stop_loss: Order | None
    ) -> Order:
        """Send ``entry`` with its exits held (sized to its fill, OCO with each other)."""
        children = [o for o in (take_profit, stop_loss) if o is not None]
        self.oms.link_oto(entry, children)
        if len(children) == 2:
            self.oms.link_oco(children)
        self.submit_order(entry)
        for child in children:
            if entry.status in (OrderStatus.DENIED, OrderStatus.REJECTED):
                self.oms.add(child)
                self._cancel_local(child)
            else:
                self.submit_order(child)
        return entry

    def _route(self, order: Order) -> str | None:
        venue = order.venue or self.instruments[order.symbol].venue or self.default_venue
        if venue is None and len(self.venues) == 1:
            venue = next(iter(self.venues))
        return venue if venue in self.venues else None

    def _send(self, order: Order, venue: str, now: int) -> None:
        order.venue = venue
        self.oms.apply(OrderSubmitted(order.client_order_id, venue, now, now))
        self.risk.on_submitted(now)
        self.stats.orders += 1
        cmd = SubmitOrder(order, venue, now)
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[SubmitOrder](_OUT, cmd)))
            self.md_at_last_command = self.stats.md_events
        self.venues[venue].submit(cmd)

    def _deny(self, order: Order, reason: str) -> None:
        now = self.clock.now_ns()
        ev = OrderDenied(order.client_order_id, reason, now, now)
        self.oms.apply(ev)
        self.stats.denied += 1
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[OrderDenied](_OUT, ev)))
        if self.oms.actions:
            self._run_actions()
        owner = self._owner_of(order)
        if owner is not None:
            owner(ev)

    def cancel_order(self, client_order_id: str) -> None:
        """Cancel an order: at its venue if working, locally if held; no-op if already closing."""
        order = self.oms.get(client_order_id)
        if order is None:
            raise UnknownOrder(client_order_id)
        if order.status == _INITIALIZED:
            self._cancel_local(order)
            return
        if not order.is_open or order.status == _PENDING_CANCEL:
            return
        now = self.clock.now_ns()
        self.oms.apply(OrderPendingCancel(client_order_id, now, now))
        cmd = CancelOrder(client_order_id, order.symbol, order.venue or "", now)
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[CancelOrder](_OUT, cmd)))
            self.md_at_last_command = self.stats.md_events
        self.venues[cmd.venue].cancel(cmd)

    def _cancel_local(self, order: Order) -> None:
        now = self.clock.now_ns()
        ev = OrderCanceled(order.client_order_id, now, now)
        self.oms.apply(ev)
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[OrderCanceled](_OUT, ev)))
        if self.oms.actions:
            self._run_actions()
        owner = self._owner_of(order)
        if owner is not None:
            owner(ev)

    def modify_order(
        self,
        client_order_id: str,
        quantity_lots: int | None = None,
        limit_ticks: int | None = None,
        stop_ticks: int | None = None,
    ) -> None:
        """Ask the venue to change quantity and/or prices (None keeps a value)."""
        order = self.oms.get(client_order_id)
        if order is None:
            raise UnknownOrder(client_order_id)
        if not order.is_open or order.status == _PENDING_CANCEL:
            raise InvalidOrder(
                f"{client_order_id}: cannot modify a {order.status.name} order", "NOT_OPEN"
            )
        if quantity_lots is not None and quantity_lots <= order.filled_lots:
            raise InvalidOrder(
                f"{client_order_id}: new quantity {quantity_lots} must exceed the filled "
                f"{order.filled_lots}",
                "INVALID_QUANTITY",
            )
        if limit_ticks is not None and order.limit_ticks is None:
            raise InvalidOrder(
                f"{client_order_id}: has no limit price to modify", "UNEXPECTED_PRICE"
            )
        if (
            stop_ticks is not None
            and order.stop_ticks is None
            and order.order_type != OrderType.TRAILING_STOP
        ):
            raise InvalidOrder(
                f"{client_order_id}: has no stop price to modify", "UNEXPECTED_PRICE"
            )
        now = self.clock.now_ns()
        self.oms.apply(OrderPendingUpdate(client_order_id, now, now))
        self.stats.modifies += 1
        cmd = ModifyOrder(
            client_order_id,
            order.symbol,
            order.venue or "",
            quantity_lots,
            limit_ticks,
            stop_ticks,
            now,
        )
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[ModifyOrder](_OUT, cmd)))
            self.md_at_last_command = self.stats.md_events
        self.venues[cmd.venue].modify(cmd)

    def cancel_all(self, symbol: str | None = None, strategy_id: str | None = None) -> None:
        """Cancel every open and held order, optionally of one symbol and/or strategy."""
        for o in self.oms.open_orders(symbol, strategy_id):
            self.cancel_order(o.client_order_id)
        for o in list(self.oms.held.values()):
            if (
                (symbol is None or o.symbol == symbol)
                and (strategy_id is None or o.strategy_id == strategy_id)
                and o.status == _INITIALIZED
            ):
                self._cancel_local(o)

    def _run_actions(self) -> None:
        actions = self.oms.actions
        while actions:
            act, order = actions.pop(0)
            if act == ACT_CANCEL:
                if order.status == _INITIALIZED:
                    self._cancel_local(order)
                else:
                    self.cancel_order(order.client_order_id)
            elif act == ACT_RELEASE and order.status == _INITIALIZED:
                self._release(order)

    def _release(self, child: Order) -> None:
        self.oms.held.pop(child.client_order_id, None)
        now = self.clock.now_ns()
        reason = self.risk.pre_trade(child, self.portfolio, self.oms, now)
        if reason is not None:
            self._deny(child, reason)
            return
        venue = self._route(child)
        if venue is None:
            self._deny(child, "NO_VENUE")
            return
        if self.deny_when_down and venue in self._disconnected:
            self._deny(child, "BROKER_DOWN")
            return
        if self.buying_power and self._over_buying_power(child, venue):
            self._deny(child, "BUYING_POWER")
            return
        self._send(child, venue, now)

    # --- risk: breakers, the kill switch, flattening ---------------------------------------------
    def _roll_day(self) -> None:
        now = self.clock.now_ns()
        self.risk.roll_day(now, self.portfolio.equity())
        self._next_day_ns = self.risk.next_day_ns
        if self._halted_for_the_day:
            # why: a daily loss limit halts the rest of the day; the next day trades again
            self._halted_for_the_day = False
            self._flattening = False
            self._set_state(TradingState.ACTIVE, "NEW_TRADING_DAY")

    def _watch_loss(self) -> None:
        if self.risk.state == TradingState.HALTED and not self._flattening:
            return
        if self.risk.state != TradingState.HALTED and self.risk.loss_breached(
            self.portfolio.equity()
        ):
            self._risk_notice("DAILY_LOSS_LIMIT", "daily loss limit reached; halted for the day")
            self._cancel_everything()
            if self.risk.config.emergency_flatten:
                self._flatten_all()
            self._set_state(TradingState.HALTED, "DAILY_LOSS_LIMIT")
            self._halted_for_the_day = True

    def kill_switch(self, reason: str = "KILL_SWITCH") -> None:
        """Cancel every open order, flatten every position with market orders, then HALT.

        Idempotent: pressing it again sends nothing new while the first press's orders work.
        The halt lasts until ``set_trading_state`` lifts it.
        """
        self._halted_for_the_day = False
        self._risk_notice(reason, "kill switch: cancel all, flatten all, halt")
        self._cancel_everything()
        self._flatten_all()
        self._set_state(TradingState.HALTED, reason)

    def _cancel_everything(self) -> None:
        for o in self.oms.open_orders():
            if o.algo_id != RISK_ID:
                self._must_cancel.setdefault(o.client_order_id, 1)
                self.cancel_order(o.client_order_id)
        for o in list(self.oms.held.values()):
            if o.status == _INITIALIZED:
                self._cancel_local(o)

    def _retry_cancel(self, order: Order) -> None:
        """A cancel the guard sent was refused but the order still works: ask again (3 times)."""
        oid = order.client_order_id
        if not order.is_open:
            self._must_cancel.pop(oid, None)
            return
        attempts = self._must_cancel[oid]
        if attempts >= 3:
            del self._must_cancel[oid]
            self._risk_notice("CANCEL_FAILED", f"{oid}: the venue refused {attempts} cancels")
            return
        self._must_cancel[oid] = attempts + 1
        self.cancel_order(oid)

    def _flatten_all(self) -> None:
        self._flattening = True
        for sym in self.instruments:
            self._flatten_symbol(sym)

    def _flatten_symbol(self, symbol: str) -> None:
        """Send market orders for whatever the working flattening orders leave unhedged.

        Each strategy's own position is closed by an order in that strategy's name (so its
        position is what it sees, and it hears the fills), marked ``algo_id = "risk"``: the
        guard's order, which the strategy cannot cancel. A position no strategy owns (fills of
        orders placed outside the kernel) is closed under ``risk``. The guard's orders are never
        canceled (a cancel can be refused, and races the fills): when a late fill moves a
        position, an offsetting order makes up the difference, so ``position + working == 0``
        per strategy after every event. One the venue cancels or expires is replaced.
        """
        pf = self.portfolio
        owners = sorted(
            sid for (sym, sid), p in pf.strategy_positions.items() if sym == symbol and p.qty
        )
        working: dict[str, int] = {}
        for o in self.oms.open_orders(symbol):
            if o.algo_id == RISK_ID:
                working[o.strategy_id] = working.get(o.strategy_id, 0) + o.side * (
                    o.quantity - o.filled_lots
                )
        # why: positions no strategy owns (adopted from the broker, fills of outside orders)
        # are closed by the guard's own orders: one group, netted with what those orders did
        groups: dict[str, int] = {}
        for sid in set(owners) | set(working):
            owner = sid if sid in self._order_owners else RISK_ID
            groups[owner] = groups.get(owner, 0) - pf.position_qty(symbol, sid)
        for owner in sorted(groups):
            need = groups[owner] - working.get(owner, 0)
            if need == 0:
                continue
            order = Order(
                self.next_order_id(RISK_ID),
                owner,
                symbol,
                Side.BUY if need > 0 else Side.SELL,
                OrderType.MARKET,
                abs(need),
                algo_id=RISK_ID,
                ts_init=self.clock.now_ns(),
            )
            self.submit_order(order, bypass_risk=True)

    def _set_state(self, new: TradingState, reason: str) -> None:
        old = self.risk.state
        if old == new:
            return
        now = self.clock.now_ns()
        self.risk.state = new
        ev = TradingStateChanged(int(old), int(new), reason, now, now)
        self.risk_events.append((now, f"STATE_{new.name}", reason))
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[TradingStateChanged](_OUT, ev)))

    def set_trading_state(self, state: TradingState, reason: str = "OPERATOR") -> None:
        """Move the trading state by hand (an operator resuming after a halt)."""
        self._halted_for_the_day = False
        if state != TradingState.HALTED:
            self._flattening = False
        self._set_state(TradingState(state), reason)

    def _risk_notice(self, code: str, detail: str) -> None:
        now = self.clock.now_ns()
        self.risk_events.append((now, code, detail))
        if self._jrec is not None:
            self._jrec(self._jpack(self._enc[RiskEvent](_OUT, RiskEvent(code, detail, now, now))))


def _ignore(_event: Any) -> None:
    pass


def _order_event_classes() -> list[type]:
    """Every order event class (a venue's answers and the kernel's own, as replays feed)."""
    out: list[type] = []
    todo = list(OrderEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out
