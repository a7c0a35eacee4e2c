"""The IB account of the local venue: orders by client and order id, executions, the ledger.

Matching is the simulated venue's (``live.fakes.alpaca.core.VenueCore``: one ``RecordedMarket``
per symbol, the recorded data's time as the clock; ``CONTRACT.md``'s fill rules), exactly as
the Alpaca fake uses it; this account joins that core like an Alpaca account does and words
its reports the IB way. Everything it says goes through a ``Sink`` (the server): messages for
an order's client (``order_event``, built per server version), errors for one client, and
"the account changed" for subscribers of positions and account updates.

Order life, as TWS shows it to the client that placed it:

- placeOrder with a new id: checks (``live.fakes.ibkr.orders``); a failed check is an error
  (200 unknown contract, 103 duplicate id, 110 off-tick price, 201, 387, 434) and no order.
  Ids are per client and must grow: an id at or below the client's highest is 103. Accepted:
  openOrder + orderStatus ``PreSubmitted`` (conditional types until triggered) or
  ``Submitted``. Refused by the simulated venue (its reason, e.g. ``NO_SESSION`` for OPG: the
  venue trades around the clock) or while the connection to IB is lost (``conn_lost``): error
  201 ``Order rejected - reason:...``, then openOrder + orderStatus ``Inactive``, as TWS does.
- placeOrder with the id of an open order modifies it: quantity, limit and aux (stop or
  trigger) price; another contract, action, type, time in force or trailing offset is error
  105 and the order stays as it was (its openOrder and orderStatus are sent again).
  Confirmed: openOrder + orderStatus with the new terms. The id of a closed order is 103.
- Each fill: execDetails (``reqId`` -1; a unique ``execId``, the order's ``permId``), then
  openOrder when the order is filled, orderStatus (``Submitted`` with filled / remaining, or
  ``Filled``; ``avgFillPrice``, ``lastFillPrice``), then commissionReport (no commission;
  ``realizedPNL`` when the fill closed some of the position), then positions and portfolio to
  their subscribers.
- cancelOrder: orderStatus ``Cancelled`` and error 202 ``Order Canceled - reason:``; unknown id
  10147; a closed order 10148. A cancel by the venue (an IOC's rest, a DAY or GTD order
  expiring at 00:00 UTC or its date) is orderStatus ``Cancelled`` without 202.

Faults rolled here: ``partial`` (a fill of 2 lots or more reported as 2 or 3 executions, each
booked on its own), ``drop_exec`` (a live execDetails not sent; reqExecutions returns it),
``dup_status`` (an orderStatus sent twice).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any, Protocol

from kernel.enums import Side
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
)
from kernel.orders import InvalidOrder, Order
from kernel.units import MONEY_SCALE
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.ledger import Ledger
from live.fakes.ibkr.config import FakeIbkrConfig
from live.fakes.ibkr.contracts import Contracts, IbContract
from live.fakes.ibkr.messages import Execution, commission_report, exec_details, open_order
from live.fakes.ibkr.messages import order_status as status_fields
from live.fakes.ibkr.orders import (
    CONDITIONAL,
    TIFS,
    TYPES,
    IbError,
    IbOrder,
    OrderSpec,
    PlaceRequest,
    check,
    rejected,
)

PERM_ID_BASE = 1_000_000_000
Build = Callable[[int], list[Any]]  # server version -> the message's fields
REASONS = {
    "NO_SESSION": "OPG/CLS orders need a session; this venue trades around the clock",
    "GTD_EXPIRED": "the goodTillDate has passed",
    "DUPLICATE_CLIENT_ORDER_ID": "duplicate order",
}


class Sink(Protocol):
    """Where the account's messages go (the server's client connections)."""

    def order_event(self, client_id: int, build: Build, hold: bool = True) -> None:
        """Send to ``client_id``'s connection (and auto-binding client 0s); ``build`` is
        called at once, once per server version, so what is held says what was true.
        ``hold``: held while the connection to IB is lost (False: TWS's own answer)."""

    def error(self, client_id: int, req_id: int, code: int, message: str) -> None:
        """Send error ``code`` about ``req_id`` (an order id, a request id, or -1)."""

    def account_changed(self, symbol: str) -> None:
        """A fill changed ``symbol``'s position and the account's values."""


class IbAccount:
    """The venue's one account (``config.account``); call it from the event loop only.

    ``place(client_id, request)``, ``cancel(client_id, order_id)``, ``global_cancel()``;
    ``orders`` by ``(client_id, order_id)``, ``executions`` in order; ``refusing`` (a reason,
    or None) makes new orders and modifies fail (the ``conn_lost`` fault sets it).
    """

    def __init__(
        self, config: FakeIbkrConfig, core: VenueCore, contracts: Contracts, faults: Faults,
        sink: Sink,
    ) -> None:  # fmt: skip
        market = config.market
        self.config = config
        self.key, self.secret = config.account, ""  # why: the core keys its accounts so
        self.core = core
        self.contracts = contracts
        self.faults = faults
        self.sink = sink
        self.books = core.join(self)  # type: ignore[arg-type]  # why: an account, duck-typed
        self.ledger = Ledger({c.venue_symbol: c.inst for c in contracts.all}, market.cash,
                             core.ids, market.currency)  # fmt: skip
        for c in contracts.all:
            opening = market.opening_position(c.inst)
            if opening is not None:
                self.ledger.open_position(c.venue_symbol, *opening)
        self.orders: dict[tuple[int, int], IbOrder] = {}
        self.by_key: dict[str, IbOrder] = {}
        self.max_id: dict[int, int] = {}
        self.executions: list[Execution] = []
        self.traded: set[str] = set()  # symbols with executions (reqPositions shows them at 0)
        self.counts = dict.fromkeys(("orders", "fills", "cancels", "modifies", "rejects"), 0)
        self.refusing: str | None = None
        self._perm = 0
        self._exec = 0
        self._exec_prefix = f"{(0xE0D5 + config.seed) & 0xFFFFFFFF:08x}"
        self._modifying: IbOrder | None = None
        self._apply: dict[type, Callable[[Any], None]] = {
            OrderAccepted: self._on_accepted,
            OrderTriggered: self._on_triggered,
            OrderModified: self._on_modified,
            OrderFilled: self._on_filled,
            OrderCanceled: self._on_canceled,
            OrderExpired: self._on_canceled,  # why: TWS shows an expired order as Cancelled
            OrderRejected: self._on_rejected,
            OrderModifyRejected: self._on_modify_rejected,
            OrderCancelRejected: self._on_cancel_rejected,
        }

    @property
    def now(self) -> int:
        return self.core.now

    def next_valid_id(self, client_id: int) -> int:
        return self.max_id.get(client_id, 0) + 1

    # --- what the account says ---------------------------------------------------------------
    def _status(self, o: IbOrder, with_open: bool = False, hold: bool = True) -> None:
        if with_open:
            self.sink.order_event(o.client_id, partial(open_order, o), hold)
        for _ in range(2 if self.faults.roll("dup_status") else 1):
            self.sink.order_event(o.client_id, lambda version: status_fields(o), hold)

    def _error(self, client_id: int, req_id: int, exc: IbError) -> None:
        self.sink.error(client_id, req_id, exc.code, exc.message)

    # --- placeOrder ------------------------------------------------------------------------------
    def place(self, client_id: int, req: PlaceRequest) -> None:
        """A placeOrder from ``client_id``: a new order, or a modify of an open one."""
        o = self.orders.get((client_id, req.order_id))
        if o is not None and o.is_open:
            try:
                self._modify(o, req)
            except IbError as exc:  # why: 105 and 110 leave the order live (ib_async agrees)
                code = exc.code if exc.code in (105, 110) else 105
                self._refuse_modify(o, exc.message, code)
            return
        try:
            if o is not None or req.order_id <= self.max_id.get(client_id, 0):
                raise IbError(103, "Duplicate order id")
            self.max_id[client_id] = req.order_id
            contract = self._contract(req)
            spec = check(req, contract.inst, self.config.account)
        except IbError as exc:
            self._error(client_id, req.order_id, exc)
            return
        self._new(client_id, req, contract, spec)

    def _contract(self, req: PlaceRequest) -> IbContract:
        c = self.contracts.find(req.con_id, req.symbol, req.sec_type, req.currency,
                                req.local_symbol)  # fmt: skip
        if c is None:
            raise IbError(200, "No security definition has been found for the request")
        return c  # type: ignore[no-any-return]

    def _new(self, client_id: int, req: PlaceRequest, c: IbContract, spec: OrderSpec) -> None:
        self._perm += 1
        o = IbOrder(client_id, req.order_id, PERM_ID_BASE + self._perm, c, spec, req,
                    self.config.account)  # fmt: skip
        self.orders[(client_id, req.order_id)] = o
        self.counts["orders"] += 1
        if self.refusing is not None:
            self._reject(o, self.refusing, hold=False)  # why: TWS itself refuses it
            return
        o.key = key = self.core.new_key(self)  # type: ignore[arg-type]
        self.by_key[key] = o
        try:
            order = Order(
                key, "ibkr", c.venue_symbol, Side(spec.side), TYPES[spec.otype], spec.qty,
                limit_ticks=spec.lmt,
                stop_ticks=spec.aux if spec.otype != "TRAIL" else spec.trail_stop,
                trail_ticks=spec.trail_ticks, trail_ppm=spec.trail_ppm,
                time_in_force=TIFS[spec.tif], expire_ns=spec.expire_ns,
            )  # fmt: skip
        except InvalidOrder as exc:
            self._reject(o, str(exc).replace(f"{key}: ", ""))
            return
        market = self.books[c.venue_symbol].market
        self.core.deliver(market.arrive(order, self.now), market)

    def _reject(self, o: IbOrder, reason: str, hold: bool = True) -> None:
        o.status, o.reason, o.done_ns = "Inactive", reason, self.now
        self.counts["rejects"] += 1
        self._error(o.client_id, o.order_id, rejected(reason))
        self._status(o, with_open=True, hold=hold)

    def _modify(self, o: IbOrder, req: PlaceRequest) -> None:
        """Modify an open order (``IbError`` for a check that fails before the venue sees it)."""
        c = self._contract(req)
        spec = check(req, o.inst, self.config.account)
        why = self.refusing
        if c is not o.contract or spec.side != o.side or spec.otype != o.otype:
            why = "the contract, action and order type cannot change"
        elif spec.tif != o.tif or spec.expire_ns != o.expire_ns:
            why = "the time in force cannot change"
        elif (spec.trail_ticks, spec.trail_ppm) != (o.trail_ticks, o.trail_ppm):
            why = "the trailing offset cannot change"
        if why is not None:
            self._refuse_modify(o, why)
            return
        o.order_ref, o.outside_rth = req.order_ref, req.outside_rth
        qty = spec.qty if spec.qty != o.qty else None
        lmt = spec.lmt if spec.lmt != o.lmt else None
        aux = spec.aux if spec.aux != o.aux else None
        self.counts["modifies"] += 1
        if qty is None and lmt is None and aux is None:
            self._status(o, with_open=True)
            return
        market = self.books[o.contract.venue_symbol].market
        self._modifying = o
        try:
            self.core.deliver(market.modify(o.key, qty, lmt, aux, self.now), market)
        finally:
            self._modifying = None

    def _refuse_modify(self, o: IbOrder, why: str, code: int = 105) -> None:
        msg = why if code == 110 else f"Order being modified does not match original order: {why}"
        self._error(o.client_id, o.order_id, IbError(code, msg))
        # why: ib_async marked it ValidationError meanwhile; TWS's own answer, never held
        self._status(o, with_open=True, hold=False)

    # --- cancelOrder -----------------------------------------------------------------------------
    def cancel(self, client_id: int, order_id: int) -> None:
        o = self.orders.get((client_id, order_id))
        if o is None:
            msg = f"OrderId {order_id} that needs to be cancelled is not found."
            self.sink.error(client_id, order_id, 10147, msg)
        elif not o.is_open:
            msg = f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {o.status}."  # fmt: skip
            self.sink.error(client_id, order_id, 10148, msg)
        else:
            self.counts["cancels"] += 1
            o.cancel_requested = True
            market = self.books[o.contract.venue_symbol].market
            self.core.deliver(market.cancel(o.key, self.now), market)

    def global_cancel(self) -> None:
        """reqGlobalCancel: every open order of every client."""
        for (client_id, order_id), o in list(self.orders.items()):
            if o.is_open:
                self.cancel(client_id, order_id)

    # --- reports of the simulated venue (routed by the core) -------------------------------------
    def receive(self, ev: Any) -> None:
        self._apply[type(ev)](ev)

    def _on_accepted(self, ev: OrderAccepted) -> None:
        o = self.by_key[ev.client_order_id]
        o.status = "PreSubmitted" if o.otype in CONDITIONAL else "Submitted"
        self._status(o, with_open=True)

    def _on_triggered(self, ev: OrderTriggered) -> None:
        o = self.by_key[ev.client_order_id]
        if o.is_open and o.status != "Submitted":
            o.status = "Submitted"
            self._status(o, with_open=True)

    def _on_rejected(self, ev: OrderRejected) -> None:
        o = self.by_key[ev.client_order_id]
        self._reject(o, f"{REASONS.get(ev.reason, ev.reason)} ({ev.reason})")

    def _on_modified(self, ev: OrderModified) -> None:
        o = self.by_key[ev.client_order_id]
        if ev.stop_ticks is not None:
            if o.otype == "TRAIL":
                o.trail_stop = ev.stop_ticks  # why: a trailing stop's new level
            else:
                o.aux = ev.stop_ticks
        if self._modifying is not o:
            return
        if ev.quantity_lots is not None:
            o.qty = ev.quantity_lots
        if ev.limit_ticks is not None:
            o.lmt = ev.limit_ticks
        self._status(o, with_open=True)

    def _on_modify_rejected(self, ev: OrderModifyRejected) -> None:
        self._refuse_modify(self.by_key[ev.client_order_id], ev.reason)

    def _on_cancel_rejected(self, ev: OrderCancelRejected) -> None:
        o = self.by_key[ev.client_order_id]
        msg = f"OrderId {o.order_id} that needs to be cancelled cannot be cancelled, state: {o.status}."  # fmt: skip
        self.sink.error(o.client_id, o.order_id, 10148, msg)

    def _on_canceled(self, ev: OrderCanceled | OrderExpired) -> None:
        o = self.by_key[ev.client_order_id]
        o.status, o.done_ns = "Cancelled", self.now
        o.reason = "Cancelled by Trader" if o.cancel_requested else "Cancelled by System"
        self._status(o)
        if o.cancel_requested:
            self.sink.error(o.client_id, o.order_id, 202, "Order Canceled - reason:")

    def _on_filled(self, ev: OrderFilled) -> None:
        o = self.by_key[ev.client_order_id]
        for piece in self.faults.split("partial", ev.qty_lots):
            self._execution(o, ev, piece)

    def _execution(self, o: IbOrder, ev: OrderFilled, lots: int) -> None:
        sym = o.contract.venue_symbol
        pos = self.ledger.positions[sym]
        closing = pos.qty != 0 and (pos.qty > 0) != (ev.side > 0)
        before = pos.realized
        self.ledger.on_fill(sym, ev.side, ev.price_ticks, lots)
        closed = pos.realized - before
        o.filled += lots
        o.fill_cost += ev.price_ticks * lots
        o.last_fill = ev.price_ticks
        if o.filled >= o.qty:
            o.status, o.done_ns, o.reason = "Filled", self.now, "Filled"
        else:
            o.status = "Submitted"  # why: a conditional order that fills has triggered
        self._exec += 1
        realized = closed * Fraction(o.inst.ticklot_money, MONEY_SCALE) if closing else None
        ex = Execution(
            f"{self._exec_prefix}.{self._exec:08x}.01.01", o, self.now, ev.side, lots,
            ev.price_ticks, o.filled, o.avg_price(), ev.liquidity, realized,
            self.ledger.currency,
        )  # fmt: skip
        self.executions.append(ex)
        self.traded.add(sym)
        self.counts["fills"] += 1
        if not self.faults.roll("drop_exec"):
            self.sink.order_event(o.client_id, partial(exec_details, -1, ex, self.config.account))
        self._status(o, with_open=o.status == "Filled")
        report = commission_report(ex)
        self.sink.order_event(o.client_id, lambda version: report)
        self.sink.account_changed(sym)
