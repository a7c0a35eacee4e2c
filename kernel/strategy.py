"""The strategy API: callbacks a strategy overrides and the context it acts through.

A ``Strategy`` overrides what it needs of ``on_start``, ``on_stop``, ``on_quote``, ``on_trade``,
``on_bar``, ``on_book``, ``on_order_event`` and ``on_timer``; the kernel calls only the
callbacks a strategy overrides, for the symbols in ``symbols`` (None: every symbol). It acts
through ``self.ctx``: the clock, orders (in kernel units, or in user decimals through
``order_from_decimals``), positions, open orders, timers, and ``rng``, a random stream seeded
from the run's seed and the strategy id. Signals go through ``target_position`` and
``target_weight``. The manual, with runnable examples: docs/STRATEGY.md.

``on_order_event`` receives the venue's events for the strategy's orders plus ``OrderDenied``
(the risk guard refused) and ``OrderCanceled`` for held orders the kernel canceled itself; the
kernel's own bookkeeping events (submitted, pending cancel/modify) are not sent. Of the child
orders of its execution algos (``execute``) it receives the fills and, per parent, one
``kernel.algos.AlgoFinished``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.enums import OrderType, Side, TimeInForce
from kernel.orders import Order, make_order
from kernel.rng import named_stream

if TYPE_CHECKING:
    import numpy as np

    from kernel.algos.base import ExecAlgo
    from kernel.algos.engine import AlgoEngine
    from kernel.kernel import Kernel

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython


class Strategy:
    """Base class. Subclass it, override callbacks, act through ``self.ctx``.

    ``strategy_id`` (class attribute or constructor argument) names the strategy in order ids
    and positions; ``params`` from a scenario file arrive as keyword arguments. ``symbols``
    (a tuple of symbols, None: all) is read when the strategy is added to the kernel, so set it
    in ``__init__``. ``ctx`` (a ``StrategyContext``) is set when the strategy is added: it is
    None inside ``__init__``; use it from ``on_start`` on. Set ``uses_algos = True`` when it
    calls ``ctx.execute``. Every market-data callback gets the event in kernel units (ticks,
    lots, ns): see ``kernel.events`` and docs/STRATEGY.md.
    """

    strategy_id: str = "strategy"
    symbols: tuple[str, ...] | None = None
    # set True when the strategy starts execution algos (``ctx.execute``): the host then
    # installs the kernel's algo engine before the run (else it is made on first use)
    uses_algos: bool = False

    def __init__(self, strategy_id: str | None = None, **params: Any) -> None:
        if strategy_id is not None:
            self.strategy_id = strategy_id
        self.params = params
        self.ctx: StrategyContext = None  # type: ignore[assignment]  # set by Kernel.add_strategy

    def on_start(self) -> None:
        """Called once before the first event (``ctx`` is ready; in a backtest the clock reads
        the first data event's time). Convert parameters to ticks and lots, set timers here."""

    def on_stop(self) -> None:
        """Called once after the last event. Orders sent here are never answered in a
        backtest: flatten earlier (e.g. from a timer)."""

    def on_quote(self, quote) -> None:  # type: ignore[no-untyped-def]
        """A ``kernel.events.QuoteTick`` of one of ``symbols``: ``bid_ticks``, ``ask_ticks``,
        ``bid_lots``, ``ask_lots`` (None: no size), ``ts_event``, ``ts_init``."""

    def on_trade(self, trade) -> None:  # type: ignore[no-untyped-def]
        """A ``kernel.events.TradeTick``: ``price_ticks``, ``size_lots``, ``aggressor``
        (+1/-1/0), ``trade_id``, ``ts_event``, ``ts_init``."""

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        """A ``kernel.events.Bar``: ``open_ticks`` .. ``close_ticks``, ``volume_lots``,
        ``interval_ns``; ``ts_event`` is the bar's close (when it became known)."""

    def on_book(self, book) -> None:  # type: ignore[no-untyped-def]
        """A ``kernel.events.BookUpdate`` (``deltas`` of ``(side, price_ticks, size_lots)``,
        ``is_snapshot``), already applied to the book ``ctx.book(symbol)`` returns."""

    def on_order_event(self, event) -> None:  # type: ignore[no-untyped-def]
        """An event of one of this strategy's orders (accepted, rejected, triggered, modified,
        canceled, expired, cancel/modify rejected, ``OrderFilled`` per fill, ``OrderDenied``),
        its algo children's fills and one ``kernel.algos.AlgoFinished`` per parent. A denial
        arrives inside the ``ctx`` call that sent the order."""

    def on_timer(self, timer) -> None:  # type: ignore[no-untyped-def]
        """A timer set with ``ctx.set_timer`` / ``set_timer_in`` came due: a
        ``kernel.events.TimerFired`` with its ``name`` and ``handle``."""


def overrides(obj: object, name: str) -> bool:
    """True when ``obj``'s class overrides ``Strategy.<name>``."""
    return getattr(type(obj), name, None) is not getattr(Strategy, name)


class StrategyContext:
    """What a strategy can see and do. Prices are int ticks and quantities int lots unless a
    method says it takes user decimals."""

    __slots__ = ("_k", "_rng", "_seed", "strategy_id")

    def __init__(self, kernel: Kernel, strategy_id: str, seed: int) -> None:
        self._k = kernel
        self.strategy_id = strategy_id
        self._seed = seed
        self._rng: np.random.Generator | None = None

    # --- time and reference data --------------------------------------------------------------
    def now_ns(self) -> int:
        """The kernel clock's time: int ns since the Unix epoch, UTC (never the wall clock in a
        backtest)."""
        return self._k.clock.now_ns()

    def instrument(self, symbol: str):  # type: ignore[no-untyped-def]
        """The ``kernel.units.Instrument`` of ``symbol``: tick and lot size, and the exact
        conversions (``price_to_ticks``, ``qty_to_lots``, ``ticks_to_price``, ``lots_to_qty``)."""
        return self._k.instruments[symbol]

    @property
    def rng(self) -> np.random.Generator:
        """This strategy's random stream (seeded from the run seed and the strategy id)."""
        if self._rng is None:
            self._rng = named_stream(self._seed, f"strategy:{self.strategy_id}")
        return self._rng

    def quote(self, symbol: str):  # type: ignore[no-untyped-def]
        """The last ``QuoteTick`` of ``symbol``, or None before the first."""
        return self._k.portfolio.markets[symbol].last_quote

    def last_trade(self, symbol: str):  # type: ignore[no-untyped-def]
        """The last ``TradeTick`` of ``symbol``, or None before the first."""
        return self._k.portfolio.markets[symbol].last_trade

    def last_bar(self, symbol: str):  # type: ignore[no-untyped-def]
        """The last ``Bar`` of ``symbol``, or None before the first."""
        return self._k.portfolio.markets[symbol].last_bar

    def book(self, symbol: str):  # type: ignore[no-untyped-def]
        """The L2 book rebuilt from book data (``best_bid``, ``best_ask``, ``depth(n)``), or None."""
        return self._k.portfolio.markets[symbol].book

    def mark_ticks(self, symbol: str) -> int | None:
        """The mark in ticks (last quote mid, else book mid, else last trade, else last bar
        close; rounded down to a tick), or None without data."""
        return self._k.portfolio.markets[symbol].last_price()

    @property
    def trading_state(self):  # type: ignore[no-untyped-def]
        """The risk guard's state: ACTIVE, REDUCING (only reducing orders) or HALTED."""
        return self._k.risk.state

    # --- positions and account ----------------------------------------------------------------
    def position(self, symbol: str) -> int:
        """This strategy's position in lots."""
        return self._k.portfolio.position_qty(symbol, self.strategy_id)

    def net_position(self, symbol: str) -> int:
        """The instrument's net position in lots, all strategies together."""
        return self._k.portfolio.positions[symbol].qty

    def equity(self) -> int:
        """Account equity in money units (account currency)."""
        return self._k.portfolio.equity()

    def cash(self) -> int:
        """Account cash in money units (1e-9 of the account currency): starting cash plus
        realized P&L less commissions, all strategies together."""
        return self._k.portfolio.cash()

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """This strategy's open orders (sent, not yet closed; a cancel or modify in flight
        included), optionally of one symbol, in submission order."""
        return self._k.oms.open_orders(symbol, self.strategy_id)

    def order(self, client_order_id: str) -> Order | None:
        """Look an order up by client order id (any status), or None (also for a closed order
        the OMS no longer holds: the kernel's ``retain_closed``)."""
        return self._k.oms.get(client_order_id)

    # --- orders -------------------------------------------------------------------------------
    @cython.locals(order=Order)
    def submit(
        self,
        symbol: str,
        side: int,
        qty_lots: int,
        order_type: OrderType = OrderType.MARKET,
        time_in_force: TimeInForce | None = None,
        limit_ticks: int | None = None,
        **fields: Any,
    ) -> Order:
        """Create and send an order in kernel units; returns it (DENIED if the guard refused).
        ``time_in_force`` None: the kernel's default (GTC; live, ``orders.default_time_in_force``).
        ``fields``: any other ``Order`` field (``stop_ticks``, ``post_only``, ...)."""
        k = self._k
        if time_in_force is None:
            time_in_force = k.default_tif
        oid = k.next_order_id(self.strategy_id)
        now = k.clock.now_ns()
        if fields:
            order = Order(oid, self.strategy_id, symbol, side, order_type, qty_lots, limit_ticks,  # type: ignore[arg-type]
                          time_in_force=time_in_force, ts_init=now, **fields)  # fmt: skip
        else:
            # why: a plain order (a market-making strategy sends one per quote) is built without
            # a keyword dict: ~160 ns less
            order = Order(oid, self.strategy_id, symbol, side, order_type, qty_lots, limit_ticks,  # type: ignore[arg-type]
                          time_in_force=time_in_force, ts_init=now)  # fmt: skip
        k.submit_order(order)
        return order

    def market(self, symbol: str, side: int, qty_lots: int, **fields: Any) -> Order:
        """Send a market order of ``qty_lots`` (``side``: ``Side.BUY`` / ``Side.SELL``)."""
        return self.submit(symbol, side, qty_lots, OrderType.MARKET, **fields)

    def limit(
        self,
        symbol: str,
        side: int,
        qty_lots: int,
        price_ticks: int,
        time_in_force: TimeInForce | None = None,
        **fields: Any,
    ) -> Order:
        """Send a limit order of ``qty_lots`` at ``price_ticks`` (``fields``: e.g.
        ``post_only=True``, ``display_lots``, ``expire_ns`` with ``TimeInForce.GTD``)."""
        return self.submit(
            symbol,
            side,
            qty_lots,
            OrderType.LIMIT,
            time_in_force,
            limit_ticks=price_ticks,
            **fields,
        )

    def order_from_decimals(
        self, symbol: str, side: Side | str, quantity: object, order_type: str = "market", **kw: Any
    ) -> Order:
        """Create and send an order from user decimals (``limit_price=86.7``, ``quantity="0.5"``);
        no ``time_in_force``: the kernel's default, as ``submit``."""
        k = self._k
        if kw.get("time_in_force") is None:
            kw["time_in_force"] = k.default_tif
        order = make_order(
            k.instruments[symbol],
            k.next_order_id(self.strategy_id),
            self.strategy_id,
            side,
            order_type,
            quantity,
            ts_init=k.clock.now_ns(),
            **kw,
        )
        k.submit_order(order)
        return order

    def submit_order(self, order: Order) -> Order:
        """Send an order built elsewhere (its strategy id must be this strategy's)."""
        self._check_owner([order])
        self._k.submit_order(order)
        return order

    def new_order_id(self) -> str:
        """The next client order id of this strategy (``<strategy_id>-<n>``), for building an
        ``Order`` by hand (brackets, OCO groups)."""
        return self._k.next_order_id(self.strategy_id)

    def submit_bracket(
        self, entry: Order, take_profit: Order | None, stop_loss: Order | None
    ) -> Order:
        """Send ``entry``; the exits are held and released sized to its fill, OCO with each other."""
        self._check_owner([o for o in (entry, take_profit, stop_loss) if o is not None])
        return self._k.submit_bracket(entry, take_profit, stop_loss)

    def submit_oco(self, orders: list[Order]) -> list[Order]:
        """Send orders that cancel each other: the first fill (or cancel) cancels the rest."""
        self._check_owner(orders)
        self._k.oms.link_oco(orders)
        for o in orders:
            self._k.submit_order(o)
        return orders

    def link_oco(self, orders: list[Order]) -> None:
        """Make orders one-cancels-other before (some of) them are sent: the first fill or
        cancel of one cancels the rest (``submit_oco`` links and sends at once)."""
        self._check_owner(orders)
        self._k.oms.link_oco(orders)

    def _check_owner(self, orders: list[Order]) -> None:
        for o in orders:
            if o.strategy_id != self.strategy_id:
                raise PermissionError(f"order {o.client_order_id} is not {self.strategy_id!r}'s")

    def notice(self, code: str, detail: str) -> None:
        """Record a notice in the journal and the run's risk events (``code`` upper-case)."""
        self._k.notice(code, detail)

    def _own(self, order: Order | str) -> str:
        oid = order if isinstance(order, str) else order.client_order_id
        found = self._k.oms.get(oid)
        if found is not None and found.strategy_id != self.strategy_id:
            raise PermissionError(
                f"order {oid} belongs to {found.strategy_id!r}, not {self.strategy_id!r}"
            )
        if found is not None and found.algo_id == "risk":
            raise PermissionError(
                f"order {oid} is the risk guard's (flattening): it cannot be changed"
            )
        return oid

    def cancel(self, order: Order | str) -> None:
        """Cancel one of this strategy's orders (another strategy's raises PermissionError); a
        closed order is left as it is, one the OMS no longer holds too (``retain_closed``)."""
        oid = self._own(order)
        if not isinstance(order, str) and order.is_closed:
            return
        self._k.cancel_order(oid)

    def cancel_all(self, symbol: str | None = None) -> None:
        """Cancel every open and held order of this strategy, optionally of one symbol."""
        self._k.cancel_all(symbol, self.strategy_id)

    def modify(
        self,
        order: Order | str,
        quantity_lots: int | None = None,
        limit_ticks: int | None = None,
        stop_ticks: int | None = None,
    ) -> None:
        """Ask the venue to change an open order's quantity (lots, above what has filled) and/or
        prices (ticks); None keeps a value. The order is PENDING_UPDATE until ``OrderModified``
        or ``OrderModifyRejected``. Raises ``InvalidOrder`` for a closed order, one with a
        cancel in flight, or a price the order does not have."""
        self._k.modify_order(self._own(order), quantity_lots, limit_ticks, stop_ticks)

    # --- execution algos ----------------------------------------------------------------------
    def execute(
        self,
        symbol: str,
        side: Side | int | str,
        quantity_lots: int,
        algo: str | None = None,
        **params: Any,
    ) -> str:
        """Start an execution algo for ``quantity_lots`` of ``symbol``; return the parent id.

        ``algo`` is ``twap``, ``vwap``, ``pov``, ``iceberg`` or ``sor`` (None: the configured
        default); ``params`` are in kernel units (``duration_ns``, ``slices``, ``rate``,
        ``limit_ticks``, ...: see ``kernel.algos.params.AlgoParams``). Children are sent in this
        strategy's name through the risk guard; ``on_order_event`` hears their fills and an
        ``AlgoFinished`` at the end. Raises ``AlgoParamError`` naming a bad parameter.
        """
        return self.algos.execute(self.strategy_id, symbol, side, quantity_lots, algo, **params)

    def cancel_algo(self, parent_id: str) -> None:
        """Cancel one of this strategy's parent orders (and its children); no-op once ended."""
        parent = self.algos.parents.get(parent_id)
        if parent is None:
            raise KeyError(f"unknown algo order {parent_id!r}")
        if parent.strategy_id != self.strategy_id:
            raise PermissionError(
                f"algo order {parent_id} belongs to {parent.strategy_id!r}, not {self.strategy_id!r}"
            )
        parent.cancel()

    def algo(self, parent_id: str) -> ExecAlgo | None:
        """A parent order (status, ``filled_lots``, ``quantity``, ...), or None."""
        return self.algos.parents.get(parent_id)

    @property
    def algos(self) -> AlgoEngine:
        """The kernel's algo engine. Touch it in ``on_start`` so a VWAP's ``historical``
        profile can learn from the volume of the whole run."""
        return self._k.algo_engine()

    # --- signals ------------------------------------------------------------------------------
    def target_position(self, symbol: str, target_lots: int) -> Order | None:
        """Send what it takes to reach ``target_lots``, counting this strategy's open orders.

        Open orders that work against the target are canceled; if what is already working
        reaches the target nothing is sent; otherwise one market order makes up the rest.
        """
        k = self._k
        pos = self.position(symbol)
        need = target_lots - pos
        working = 0
        for o in k.oms.open_orders(symbol, self.strategy_id):
            signed = o.side * (o.quantity - o.filled_lots)
            if need == 0 or (signed > 0) != (need > 0):
                k.cancel_order(o.client_order_id)
            else:
                working += signed
        rest = need - working
        if rest == 0:
            return None
        side = Side.BUY if rest > 0 else Side.SELL
        return self.submit(symbol, side, abs(rest), OrderType.MARKET)

    def target_weight(self, symbol: str, weight: Any) -> Order | None:
        """Hold ``weight`` x equity of ``symbol`` at the current mark (whole lots, toward zero)."""
        lots = self.weight_lots(symbol, weight)
        return None if lots is None else self.target_position(symbol, lots)

    def weight_lots(self, symbol: str, weight: Any) -> int | None:
        """The lots of ``symbol`` worth ``weight`` x equity at the current mark (toward zero);
        None without a mark."""
        from fractions import Fraction

        k = self._k
        mark2 = k.portfolio.markets[symbol].mark2
        if mark2 is None or mark2 <= 0:
            return None
        tlm = k.portfolio.positions[symbol].ticklot_money
        value = Fraction(weight) * k.portfolio.equity(k.instruments[symbol].currency)
        return int(value * 2 / (mark2 * tlm))  # int() truncates toward zero

    # --- timers -------------------------------------------------------------------------------
    def set_timer(self, at_ns: int, name: str) -> int:
        """Fire ``on_timer`` at ``at_ns`` (not before now); returns a handle for ``cancel_timer``."""
        return self._k.set_timer(self.strategy_id, max(at_ns, self._k.clock.now_ns()), name)

    def set_timer_in(self, delay_ns: int, name: str) -> int:
        """Fire ``on_timer`` ``delay_ns`` from now; returns a handle for ``cancel_timer``."""
        return self.set_timer(self._k.clock.now_ns() + delay_ns, name)

    def cancel_timer(self, handle: int) -> bool:
        """Cancel a timer; True when it was still pending."""
        return self._k.timers.cancel(handle)
