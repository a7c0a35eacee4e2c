"""Invariants of order logic, checked while a run goes (``expect: {invariants: ...}``).

An ``InvariantChecker`` watches one kernel without changing it (nothing is journaled, so a
run's digest is the same with or without it):

- after every event the scenario's strategy sees (its callbacks are wrapped), it checks the
  state invariants, the strategy's ``@invariant`` methods and the user's functions;
- at every order the kernel sends to a venue (the venue ports are wrapped), it checks the
  trading state and the risk limits the order had to pass;
- at the end of the run, the settled ones (every order the venue holds is known, the kill
  switch left nothing open and nothing held).

Each invariant has a name and a plain-language message; the first failure of each is kept
with its step (the count of events the strategy had seen), the kernel time and the event.
The checks re-derive what they check from what they observed (the fills, the venue's own
books), not from the code that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from executioncore.durations import iso_ns
from kernel.enums import Contingency, OrderStatus, TradingState
from kernel.fsm import CLOSED_STATUSES
from kernel.guard import RISK_ID
from kernel.orders import Order
from kernel.strategy import Strategy, overrides
from kernel.units import DAY_NS

STORM_ORDERS = 1_000  # orders between two market data events: beyond, a loop (no_order_storm)


class InvariantAbort(Exception):
    """Raised to stop a run that cannot end in reasonable time (an order storm); the runner
    ends the run there and reports the failure."""


# name -> what it promises (docs/TESTING.md lists them; `--invariants` and `expect.invariants` take the names)
BUILTINS: dict[str, str] = {
    "no_overfill": "no order fills more than its quantity",
    "position_is_sum_of_fills": "each position (per strategy and in total) is the signed sum "
    "of its fills",
    "money_identity": "cash + unrealized P&L = starting cash + the fills' cash flows - "
    "commissions + positions at the mark",
    "nothing_accepted_while_halted": "no order is sent while HALTED (only the kill switch's "
    "own flattening orders)",
    "only_reducing_while_reducing": "while REDUCING only orders that shrink the position are sent",
    "risk_limits_held": "every order sent keeps within max_order_value, max_daily_orders and "
    "max_position_pct",
    "oco_siblings_done": "once one order of an OCO group has filled, its siblings are done or "
    "being canceled",
    "bracket_children_sized": "a bracket's (OTO's) exits wait for the entry and are sized to "
    "what it filled",
    "open_orders_known": "after a reconnect's reconciliation (and at the end) every order open "
    "at the venue is open in the kernel",
    "no_order_storm": f"at most {STORM_ORDERS:,} orders are sent between two market data events "
    "(an order resent on every answer, forever, is stopped and reported)",
    "flat_after_kill_switch": "after the kill switch, once its orders are done: nothing open, "
    "every position flat (unless the venue refused a flattening order: FLATTEN_REJECTED)",
}
STRATEGY_INVARIANT = "__executioncore_invariant__"
_CALLBACKS = ("on_quote", "on_trade", "on_bar", "on_book", "on_order_event", "on_timer")
_HALTED = TradingState.HALTED
_REDUCING = TradingState.REDUCING


def invariant(method: Callable[[Any], None]) -> Callable[[Any], None]:
    """Mark a strategy method as an invariant: called with no arguments after every event the
    strategy sees while it is tested; it fails by raising ``AssertionError``."""
    setattr(method, STRATEGY_INVARIANT, True)
    return method


@dataclass
class Failure:
    """The first failure of one invariant."""

    name: str
    message: str
    step: int  # events the strategy had seen (0: before the first)
    ts_ns: int
    event: str  # what had just happened

    def sentence(self) -> str:
        return (
            f"invariant {self.name} failed at step {self.step} ({iso_ns(self.ts_ns)}, "
            f"after {self.event}): {self.message}"
        )


class KernelView:
    """What a user's invariant function ``f(view)`` reads: the kernel (read only, by
    convention) and the fills seen so far."""

    def __init__(self, kernel: Any, strategy: Any, fills: list[tuple[Order, Any]]) -> None:
        self.kernel = kernel
        self.strategy = strategy
        self.fills = fills  # (order, OrderFilled) in the order they were booked

    @property
    def now_ns(self) -> int:
        return int(self.kernel.clock.now_ns())

    @property
    def trading_state(self) -> TradingState:
        return TradingState(self.kernel.risk.state)

    def position(self, symbol: str, strategy_id: str | None = None) -> int:
        return int(self.kernel.portfolio.position_qty(symbol, strategy_id))

    def orders(self) -> list[Order]:
        return list(self.kernel.oms.orders.values())

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return list(self.kernel.oms.open_orders(symbol))

    def cash(self) -> int:
        return int(self.kernel.portfolio.cash())

    def equity(self) -> int:
        return int(self.kernel.portfolio.equity())


def function_name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


class InvariantChecker:
    """Checks ``names`` (None: every built-in) plus the strategy's ``@invariant`` methods and
    ``functions`` on one run. ``failures`` holds the first failure of each, in order."""

    def __init__(
        self,
        names: Iterable[str] | None = None,
        functions: Iterable[Callable[[KernelView], Any]] = (),
    ) -> None:
        self.names = set(BUILTINS) if names is None else set(names)
        unknown = self.names - set(BUILTINS)
        if unknown:
            raise ValueError(f"unknown invariant(s): {', '.join(sorted(unknown))}")
        self.functions = list(functions)
        self.failures: list[Failure] = []
        self._failed: set[str] = set()
        self.step = 0
        self.last_event = "the start"
        self.kernel: Any = None
        self.strategy: Any = None
        self.brokers: list[Any] = []
        self.fills: list[tuple[Order, Any]] = []
        self._fill_pos: dict[tuple[str, str], int] = {}
        self._flows: dict[str, int] = {}  # currency -> cash flows of the fills, less fees
        self._sent_days: dict[int, int] = {}
        self._since_data = 0  # orders sent since the last market data event
        self.aborted = False
        self._methods: list[tuple[str, Callable[[], Any]]] = []
        self.view: KernelView | None = None

    # --- wiring -------------------------------------------------------------------------------
    def wrap(self, strategy: Any) -> None:
        """Check after each of ``strategy``'s callbacks (before it is added to the kernel)."""
        self.strategy = strategy
        for name in dir(type(strategy)):
            fn = getattr(type(strategy), name, None)
            if callable(fn) and getattr(fn, STRATEGY_INVARIANT, False):
                self._methods.append((f"{type(strategy).__name__}.{name}", getattr(strategy, name)))
        for name in _CALLBACKS:
            if overrides(strategy, name):
                setattr(strategy, name, self._after_callback(getattr(strategy, name)))

    def _after_callback(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def checked(event: Any) -> None:
            callback(event)
            self.after(event)

        return checked

    def attach(self, kernel: Any, brokers: list[Any]) -> None:
        """Watch ``kernel``'s fills and sends, and the simulated venues' books."""
        self.kernel = kernel
        self.brokers = brokers
        self.view = KernelView(kernel, self.strategy, self.fills)
        kernel.fill_listeners.append(self._on_fill)
        for name, port in list(kernel.venues.items()):
            kernel.venues[name] = _WatchedPort(port, self)
        kernel.add_strategy(_Observer(self))  # market data: the storm count, and the checks
        # when the scenario has no strategy of its own
        from kernel.events import VenueStatus

        status = kernel._dispatch[VenueStatus]

        def on_status(event: Any) -> None:  # why: a reconnect's reconciliation ends here
            status(event)
            self.on_venue_status(event)

        kernel._dispatch[VenueStatus] = on_status

    # --- observations -------------------------------------------------------------------------
    def _on_fill(self, order: Order, event: Any, realized: int) -> None:
        self.fills.append((order, event))
        signed = order.side * event.qty_lots
        for key in ((order.symbol, order.strategy_id), (order.symbol, "")):
            self._fill_pos[key] = self._fill_pos.get(key, 0) + signed
        inst = self.kernel.instruments[order.symbol]
        tlm = self.kernel.portfolio.positions[order.symbol].ticklot_money
        cur = inst.currency
        self._flows[cur] = self._flows.get(cur, 0) - signed * event.price_ticks * tlm
        fee_cur = getattr(event, "commission_currency", "") or cur
        self._flows[fee_cur] = self._flows.get(fee_cur, 0) - event.commission

    def on_send(self, order: Order) -> None:
        """An order the kernel is sending to a venue (it passed the guard)."""
        k = self.kernel
        self._since_data += 1
        if self._since_data > STORM_ORDERS and "no_order_storm" in self.names:
            self.fail("no_order_storm", f"{STORM_ORDERS:,} orders were sent with no market data "
                      f"in between, the last {_describe(order)}: the run is stopped here")  # fmt: skip
            self.aborted = True
            raise InvariantAbort(self.failures[-1].sentence())
        if order.algo_id == RISK_ID:
            return  # the guard's own flattening orders: allowed in every state
        state = k.risk.state
        pos = k.portfolio.positions[order.symbol].qty
        buy, sell = k.oms.open_leaves(order.symbol)
        same_side = buy if order.side > 0 else sell  # this order included (it is SUBMITTED)
        reduces = pos != 0 and (pos > 0) != (order.side > 0) and same_side <= abs(pos)
        what = _describe(order)
        if state == _HALTED:
            self.fail("nothing_accepted_while_halted", f"{what} was sent while HALTED")
        elif state == _REDUCING and not reduces:
            self.fail(
                "only_reducing_while_reducing",
                f"{what} was sent while REDUCING but does not shrink the position of {pos} lots "
                f"(with {same_side} lots working on its side)",
            )
        self._check_limits(order, pos, same_side, reduces, what)

    def _check_limits(
        self, order: Order, pos: int, same_side: int, reduces: bool, what: str
    ) -> None:
        k = self.kernel
        cfg = k.risk.config
        day = k.clock.now_ns() // DAY_NS
        self._sent_days[day] = sent = self._sent_days.get(day, 0) + 1
        if cfg.max_daily_orders is not None and sent > cfg.max_daily_orders:
            self.fail(
                "risk_limits_held",
                f"{what} is order {sent} of the day; max_daily_orders is {cfg.max_daily_orders}",
            )
        if cfg.max_order_value is None and cfg.max_position_pct is None:
            return
        market = k.portfolio.markets[order.symbol]
        px = order.limit_ticks if order.limit_ticks is not None else order.stop_ticks
        if px is None:
            px = market.ask if order.side > 0 else market.bid
            if px is None:
                px = market.last_price()
        if px is None:
            return
        tlm = k.portfolio.positions[order.symbol].ticklot_money
        value = abs(px) * order.quantity * tlm
        if cfg.max_order_value is not None and value > cfg.max_order_value:
            self.fail(
                "risk_limits_held",
                f"{what} is worth {_money(value)} > max_order_value {_money(cfg.max_order_value)}",
            )
        if cfg.max_position_pct is not None and not reduces:
            worst = abs(pos + order.side * same_side) * abs(px) * tlm
            equity = k.portfolio.equity(k.instruments[order.symbol].currency)
            if worst * 1_000_000 > cfg.max_position_pct * max(equity, 0):
                self.fail(
                    "risk_limits_held",
                    f"{what} could make the position worth {_money(worst)}, over "
                    f"max_position_pct {cfg.max_position_pct / 1e6:g} of equity {_money(equity)}",
                )

    # --- checks -------------------------------------------------------------------------------
    def fail(self, name: str, message: str) -> None:
        if name in self._failed:
            return
        self._failed.add(name)
        now = self.kernel.clock.now_ns() if self.kernel is not None else 0
        self.failures.append(Failure(name, message, self.step, int(now), self.last_event))

    def after(self, event: Any) -> None:
        """Every check that holds at any instant, after ``event``."""
        self.step += 1
        self.last_event = _event_text(event)
        self.check_state()

    def check_state(self) -> None:
        k = self.kernel
        names = self.names
        orders = k.oms.orders.values()
        if "no_overfill" in names:
            self._overfill(orders)
        if "position_is_sum_of_fills" in names:
            self._positions()
        if "money_identity" in names:
            self._money()
        if "oco_siblings_done" in names or "bracket_children_sized" in names:
            self._links(orders)
        for label, method in self._methods:
            self._user(label, method)
        for fn in self.functions:
            self._user(function_name(fn), lambda fn=fn: fn(self.view))

    def _user(self, label: str, call: Callable[[], Any]) -> None:
        if label in self._failed:
            return
        try:
            result = call()
        except AssertionError as exc:
            self.fail(label, str(exc) or "assertion failed")
            return
        if result is False:
            self.fail(label, "returned False")

    def _overfill(self, orders: Iterable[Order]) -> None:
        for o in orders:
            if o.filled_lots > o.quantity:
                self.fail(
                    "no_overfill",
                    f"{o.client_order_id} filled {o.filled_lots} of {o.quantity} lots",
                )
                return
        if self.kernel.stats.overfills:
            self.fail("no_overfill", f"the venue filled beyond an order's quantity "
                      f"({self.kernel.stats.overfills} time(s); see the OVERFILL notices)")  # fmt: skip

    def _positions(self) -> None:
        pf = self.kernel.portfolio
        for sym in self.kernel.instruments:
            got = pf.positions[sym].qty
            want = self._fill_pos.get((sym, ""), 0)
            if got != want:
                self.fail("position_is_sum_of_fills",
                          f"{sym}: the position is {got} lots but its fills sum to {want}")  # fmt: skip
                return
        for (sym, sid), p in pf.strategy_positions.items():
            want = self._fill_pos.get((sym, sid), 0)
            if p.qty != want:
                self.fail("position_is_sum_of_fills",
                          f"{sym} of {sid}: the position is {p.qty} lots but its fills sum to {want}")  # fmt: skip
                return

    def _money(self) -> None:
        k = self.kernel
        pf = k.portfolio
        if pf.multi_currency or k.accounts.latest:
            return  # crypto and several brokers' accounts adopt the venues' books: not a sum
        cur = pf.currency
        marked = 0  # doubled: positions at the doubled mark (bid + ask)
        n = 0
        for sym, pos in pf.positions.items():
            if k.instruments[sym].currency != cur or not pos.qty:
                continue
            mark2 = pf.markets[sym].mark2
            if mark2 is None:
                return
            marked += pos.qty * mark2 * pos.ticklot_money
            n += 1
        want2 = 2 * (pf.start_cash.get(cur, 0) + self._flows.get(cur, 0)) + marked
        got2 = 2 * (pf.cash(cur) + pf.unrealized_total(cur))
        if abs(got2 - want2) > 2 * n:  # why: the kernel floors each position's half mark
            self.fail("money_identity",
                      f"cash + unrealized = {_money(got2 // 2)} but the fills say {_money(want2 // 2)}")  # fmt: skip

    def _links(self, orders: Iterable[Order]) -> None:
        oms = self.kernel.oms
        for o in orders:
            if (
                "oco_siblings_done" in self.names
                and o.contingency == Contingency.OCO
                and o.filled_lots
                and o.linked_ids
            ):
                for sid in o.linked_ids:
                    sib = oms.get(sid)
                    if sib is not None and sib.status not in _DONE_OR_CANCELING:
                        self.fail("oco_siblings_done",
                                      f"{o.client_order_id} filled {o.filled_lots} lots but its OCO "
                                      f"sibling {sid} is still {sib.status.name}")  # fmt: skip
                        return
            if "bracket_children_sized" in self.names and o.parent_id is not None:
                parent = oms.get(o.parent_id)
                if parent is None:
                    continue
                if parent.status not in CLOSED_STATUSES:
                    if o.status != OrderStatus.INITIALIZED:
                        self.fail("bracket_children_sized",
                                  f"{o.client_order_id} was sent while its entry {parent.client_order_id} "
                                  f"is still {parent.status.name}")  # fmt: skip
                        return
                elif o.quantity > parent.filled_lots and o.status != OrderStatus.CANCELED:
                    self.fail("bracket_children_sized",
                              f"{o.client_order_id} is for {o.quantity} lots but its entry "
                              f"{parent.client_order_id} filled {parent.filled_lots}")  # fmt: skip
                    return

    def finish(self) -> None:
        """The checks that hold once the run is over."""
        k = self.kernel
        if self.aborted:
            return  # the run stopped part way: nothing else is settled
        self.last_event = "the end of the run"
        self.check_state()
        if "open_orders_known" in self.names:
            self.check_known()
        if "flat_after_kill_switch" in self.names and self._still_killed():
            opened = [o for o in k.oms.open_orders() if o.algo_id != RISK_ID]
            stuck = [o for o in opened if o.status != OrderStatus.PENDING_CANCEL]
            if stuck:
                self.fail("flat_after_kill_switch",
                          f"{_describe(stuck[0])} is still {stuck[0].status.name} after the kill switch "
                          "(no cancel was sent)")  # fmt: skip
            elif (
                not opened
                and not any(True for _ in k.oms.open_orders())
                and not any(code == "FLATTEN_REJECTED" for _, code, _ in k.risk_events)
            ):  # why: a flattening order the venue refused is reported, never retried
                for sym, pos in k.portfolio.positions.items():
                    if pos.qty:
                        self.fail("flat_after_kill_switch",
                                  f"{sym} holds {pos.qty} lots after the kill switch, with nothing "
                                  "left working")  # fmt: skip
                        break

    def _still_killed(self) -> bool:
        """The kill switch was pressed and trading was not resumed since."""
        killed = False
        for _, code, _ in self.kernel.risk_events:
            if code == "KILL_SWITCH":
                killed = True
            elif code in ("STATE_ACTIVE", "STATE_REDUCING"):
                killed = False
        return killed

    def check_known(self) -> None:
        """Every order open at a simulated venue is open in the kernel."""
        oms = self.kernel.oms
        for b in self.brokers:
            if getattr(b, "link_down", False):
                continue
            for market in getattr(b, "markets", {}).values():
                for coid, vo in getattr(market, "orders", {}).items():
                    if getattr(vo, "closed", True):
                        continue
                    mine = oms.get(coid)
                    if mine is None or mine.status in CLOSED_STATUSES:
                        state = "unknown" if mine is None else mine.status.name
                        self.fail("open_orders_known",
                                  f"{coid} is open at {b.name} but {state} in the kernel")  # fmt: skip
                        return

    def on_venue_status(self, event: Any) -> None:
        if event.connected and event.reconciled and "open_orders_known" in self.names:
            self.last_event = _event_text(event) + f" {event.venue} (reconciled)"
            self.check_known()

    def sentences(self) -> list[str]:
        return [f.sentence() for f in self.failures]


_DONE_OR_CANCELING = CLOSED_STATUSES | {OrderStatus.PENDING_CANCEL}


def checker_for(
    spec: Any, base_dir: Any, functions: Iterable[Callable[..., Any]] = ()
) -> InvariantChecker:
    """The checker a scenario's ``expect.invariants`` asks for: ``true`` (every built-in) or a
    list of built-in names and ``module:function`` names (imported like strategies: the
    scenario's folder first). ``ValueError`` names what cannot be used."""
    funcs = list(functions)
    if spec is True:
        return InvariantChecker(None, funcs)
    names: list[str] = []
    every = False
    for item in spec:
        if ":" in item:
            funcs.append(_import_function(item, base_dir))
        elif item == "all":
            every = True
        else:
            names.append(item)
    return InvariantChecker(None if every else names, list(dict.fromkeys(funcs)))


def _import_function(path: str, base_dir: Any) -> Callable[..., Any]:
    import importlib
    import sys

    module_name, _, name = path.partition(":")
    if str(base_dir) not in sys.path:
        sys.path.insert(0, str(base_dir))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # why: the user's module failed to import: say which and why
        raise ValueError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from None
    fn: Any = module
    for part in name.split("."):
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise ValueError(f"{path!r}: no function {name!r} in {module_name}")
    return fn  # type: ignore[no-any-return]


class _WatchedPort:
    """A venue port that tells the checker about each order before passing it on."""

    def __init__(self, port: Any, checker: InvariantChecker) -> None:
        self._port = port
        self._checker = checker

    def submit(self, cmd: Any) -> None:
        self._checker.on_send(cmd.order)
        self._port.submit(cmd)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)


class _Observer(Strategy):
    """Sees every market data event: restarts the storm count, and checks after each one when
    the scenario has no strategy of its own (else the strategy's callbacks do)."""

    strategy_id = "invariants"

    def __init__(self, checker: InvariantChecker) -> None:
        super().__init__()
        self.checker = checker

    def _seen(self, event: Any) -> None:
        checker = self.checker
        checker._since_data = 0
        if checker.strategy is None:
            checker.after(event)

    def on_quote(self, quote: Any) -> None:
        self._seen(quote)

    def on_trade(self, trade: Any) -> None:
        self._seen(trade)

    def on_bar(self, bar: Any) -> None:
        self._seen(bar)

    def on_book(self, book: Any) -> None:
        self._seen(book)


def _describe(order: Order) -> str:
    side = "buy" if order.side > 0 else "sell"
    return f"{order.client_order_id} ({side} {order.quantity} lots {order.symbol})"


def _event_text(event: Any) -> str:
    name = type(event).__name__
    oid = getattr(event, "client_order_id", None)
    if oid is not None:
        qty = getattr(event, "qty_lots", None)
        return f"{name} {oid}" + (f" ({qty} lots)" if qty is not None else "")
    sym = getattr(event, "symbol", None)
    return f"{name} {sym}" if sym else name


def _money(units: int) -> str:
    from kernel.units import MONEY_SCALE

    return f"{units / MONEY_SCALE:,.2f}"
