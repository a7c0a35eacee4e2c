"""The fake venue's book: Alpaca's order semantics on top of the simulator's fill rules.

Matching is ``sim.recorded.RecordedMarket`` -- the backtest's own rules (CONTRACT.md, "Default
fill rules") -- with the data's time as the venue clock: an order arriving between two events
meets the current touch, and every answer is stamped with the time of the last event replayed.
On top of it this module keeps what Alpaca shows: order ids (deterministic uuids), the
``client_order_id`` index (a duplicate is a 422), statuses, replace chains (``PATCH`` gives a new
order; the old one becomes ``replaced``; the matching engine keeps one order, so queue priority
follows its rules), order classes (bracket and oto legs are ``held`` until the entry is filled,
then released; oco pairs and released bracket legs cancel each other on a fill, cancel, expiry
or reject), positions and cash. Every change is published as a ``trade_updates`` message.

Several symbols: one ``Book`` (instrument, asset id, market) per symbol, one clock, one id
sequence, one ``client_order_id`` index and one ledger across them; an order goes to its
symbol's book.

Several accounts: one ``FakeVenue`` per account (its orders, ``client_order_id`` index, fills,
ledger and ``trade_updates`` publisher), all on one ``live.fakes.alpaca.core.VenueCore`` (ids,
clock, markets; in exchange mode one ``ExchangeMarket`` per symbol that every account's orders
go into, the account being the order's owner). ``FakeVenue(config, publish)`` alone is a venue
of one account with its own core.

Alpaca has no "triggered" event: a stop that triggers just fills. A bracket entry canceled after
a partial fill cancels its held legs (the position stays unprotected). Commissions are zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.enums import OrderType, Side, TimeInForce
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
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.core import Book, VenueCore, working
from live.fakes.alpaca.ledger import Ledger
from live.fakes.alpaca.orders import AOrder, Ids, dec_text, fmt_ns, order_json
from live.fakes.alpaca.validate import (
    SubmitSpec,
    VenueError,
    check_replace,
    check_replaceable,
    check_submit,
    not_found,
    unprocessable,
)

_KTYPE = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
    "trailing_stop": OrderType.TRAILING_STOP,
}
_KTIF = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "opg": TimeInForce.OPG,
    "cls": TimeInForce.CLS,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
}


__all__ = ["Book", "FakeVenue"]


class FakeVenue:
    """One account's orders, fills and ledger. ``publish(msg)`` receives its trade updates.

    REST side: ``submit(body)``, ``cancel(id)``, ``cancel_all()``, ``replace(id, body)``,
    ``close_position(symbol)``, ``order_view(...)``. Data side: ``on_quote`` / ``on_trade`` /
    ``on_bar`` (each names its symbol). ``books`` holds the symbols in the config's order;
    ``inst`` / ``symbol`` / ``asset_id`` / ``market`` are the first one's. ``core`` is the
    venue's shared side, ``index`` the account's place in ``config.key_pairs()`` (its ``key`` /
    ``secret``; its ``owner`` in the markets). Single-threaded: call it from the event loop only.
    """

    def __init__(
        self,
        config: FakeAlpacaConfig,
        publish: Callable[[dict[str, Any]], None],
        core: VenueCore | None = None,
        index: int = 0,
    ):
        self.config = config
        self.core = core if core is not None else VenueCore(config)
        self.ids: Ids = self.core.ids
        self.index = index
        self.key, self.secret = config.key_pairs()[index]
        self.owner = "alpaca" if index == 0 else f"alpaca-{index}"
        self.books: dict[str, Book] = self.core.join(self)
        first = next(iter(self.books.values()))
        self.inst, self.symbol = first.inst, first.symbol
        self.asset_id, self.market = first.asset_id, first.market
        self.by_asset = {b.asset_id: b for b in self.books.values()}
        self.ledger = Ledger(
            {b.symbol: b.inst for b in self.books.values()},
            config.cash,
            self.ids,
            config.currency,
            tag="" if index == 0 else f":{index}",
        )
        for book in self.books.values():
            opening = config.opening_position(book.inst)
            if opening is not None:
                self.ledger.open_position(book.symbol, *opening)
        self.publish = publish
        self.orders: dict[str, AOrder] = {}
        self.by_client: dict[str, str] = {}
        self.by_key: dict[str, str] = {}
        self.fills: list[dict[str, Any]] = []
        self.counts = {"orders": 0, "fills": 0, "cancels": 0, "replaces": 0, "updates": 0}
        self._seq = 0
        self._defer: list[Any] | None = None
        self._apply = {
            OrderAccepted: self._on_accepted,
            OrderRejected: self._on_rejected,
            OrderFilled: self._on_filled,
            OrderCanceled: self._on_canceled,
            OrderExpired: self._on_expired,
            OrderTriggered: lambda ev: None,  # why: Alpaca has no trigger event
            OrderModified: lambda ev: None,  # why: answered by replace() itself
            OrderModifyRejected: lambda ev: None,
            OrderCancelRejected: self._on_cancel_rejected,
        }

    @property
    def now(self) -> int:
        """The venue's clock (the data's time), shared by every account."""
        return self.core.now

    @now.setter
    def now(self, ts: int) -> None:
        self.core.now = ts

    def book(self, name: str) -> Book | None:
        """The book of a symbol or an asset id (None: not traded here)."""
        return self.books.get(name) or self.by_asset.get(name)

    def _book_of(self, ao: AOrder) -> Book:
        return self.books[ao.symbol]

    # --- market data (the venue clock, shared: see ``VenueCore``) ---------------------------------
    def advance_to(self, ts: int) -> None:
        self.core.advance_to(ts)

    def on_quote(
        self,
        symbol: str,
        ts: int,
        bid: int,
        ask: int,
        bid_lots: int | None,
        ask_lots: int | None,
    ) -> None:
        self.core.on_quote(symbol, ts, bid, ask, bid_lots, ask_lots)

    def on_trade(self, symbol: str, ts: int, price: int, lots: int, side: int) -> None:
        self.core.on_trade(symbol, ts, price, lots, side)

    def on_bar(self, symbol: str, ts: int, open_ns: int, o: int, h: int, low: int, c: int) -> None:
        self.core.on_bar(symbol, ts, open_ns, o, h, low, c)

    # --- views ---------------------------------------------------------------------------------
    def order_view(self, ao: AOrder, nested: bool = True) -> dict[str, Any]:
        """The order's Alpaca JSON (a working trailing stop shows its current stop and hwm)."""
        book = self._book_of(ao)
        hwm = stop = None
        orders = getattr(book.market, "orders", None)  # why: recorded mode's trailing state
        if ao.type == "trailing_stop" and ao.key is not None and ao.is_open and orders:
            vo = orders.get(ao.key)
            if vo is not None:
                hwm, stop = vo.trail_ref, vo.stop
        return order_json(
            ao, book.inst, book.asset_id, self.orders, nested=nested, hwm=hwm, live_stop=stop
        )

    def find(self, oid: str) -> AOrder:
        ao = self.orders.get(oid)
        if ao is None:
            raise not_found()
        return ao

    def _emit(self, event: str, ao: AOrder, **extra: Any) -> None:
        data: dict[str, Any] = {
            "event": event,
            "order": self.order_view(ao),
            "timestamp": fmt_ns(self.now),
        }
        data.update(extra)
        self.counts["updates"] += 1
        self.publish({"stream": "trade_updates", "data": data})

    # --- new orders ------------------------------------------------------------------------------
    def _new(
        self, spec: SubmitSpec, side: str, otype: str, role: str, main: bool, **prices: Any
    ) -> AOrder:
        """A new order of the request; ``main`` is the one the request's client id names."""
        self._seq += 1
        cid = spec.client_order_id if main else None
        ao = AOrder(
            self.ids.next("order"),
            cid or self.ids.next("client"),
            spec.symbol,
            side,
            otype,
            spec.tif,
            spec.qty,
            self.now,
            self._seq,
            order_class=spec.order_class,
            role=role,
            extended_hours=spec.extended_hours,
            **prices,
        )
        self._kernel_order(ao, "check")  # why: refuse what the matching engine cannot take
        return ao

    def _kernel_order(self, ao: AOrder, key: str) -> Order:
        try:
            return Order(
                key,
                self.owner,  # why: exchange mode's self-trade prevention is per account
                ao.symbol,
                Side.BUY if ao.side == "buy" else Side.SELL,
                _KTYPE[ao.type],
                ao.qty,
                limit_ticks=ao.limit if ao.type in ("limit", "stop_limit") else None,
                stop_ticks=ao.stop if ao.type in ("stop", "stop_limit") else None,
                trail_ticks=ao.trail_ticks,
                trail_ppm=ao.trail_ppm,
                time_in_force=_KTIF[ao.tif],
            )
        except InvalidOrder as exc:
            raise unprocessable(str(exc).replace(f"{key}: ", "")) from None

    def submit(self, body: Any) -> dict[str, Any]:
        """``POST /v2/orders``: check, place (legs held or live), answer the order's JSON."""
        name = body.get("symbol") if isinstance(body, dict) else None
        book = self.books.get(name) if isinstance(name, str) else None
        if book is None and isinstance(body, dict):
            raise unprocessable(f'asset "{name}" not found')
        spec = check_submit(body, (book or self).inst)
        if spec.client_order_id is not None and spec.client_order_id in self.by_client:
            raise VenueError(422, 40010001, "client_order_id must be unique")
        exit_side = "sell" if spec.side == "buy" else "buy"
        if spec.order_class == "oco":
            entry = self._new(spec, spec.side, "limit", "take_profit", True, limit=spec.tp_limit)
            legs = [self._stop_leg(spec, spec.side)]
        else:
            entry = self._new(
                spec,
                spec.side,
                spec.type,
                "entry",
                True,
                limit=spec.limit,
                stop=spec.stop,
                trail_ticks=spec.trail_ticks,
                trail_ppm=spec.trail_ppm,
            )
            legs = []
            if spec.tp_limit is not None:
                legs.append(
                    self._new(spec, exit_side, "limit", "take_profit", False, limit=spec.tp_limit)
                )
            if spec.sl_stop is not None:
                legs.append(self._stop_leg(spec, exit_side))
        for ao in (entry, *legs):
            self.orders[ao.id] = ao
            self.by_client[ao.client_order_id] = ao.id
            self.counts["orders"] += 1
        entry.legs = [leg.id for leg in legs]
        for leg in legs:
            leg.parent = entry.id
            if spec.order_class != "oco":
                leg.status = "held"
        pair = [entry, *legs] if spec.order_class == "oco" else legs
        if len(pair) == 2:
            pair[0].oco, pair[1].oco = [pair[1].id], [pair[0].id]
        self._activate(entry)
        if spec.order_class == "oco" and legs[0].is_open:
            self._activate(legs[0])
        return self.order_view(entry)

    def _stop_leg(self, spec: SubmitSpec, side: str) -> AOrder:
        otype = "stop_limit" if spec.sl_limit is not None else "stop"
        return self._new(
            spec, side, otype, "stop_loss", False, stop=spec.sl_stop, limit=spec.sl_limit
        )

    def _activate(self, ao: AOrder) -> None:
        """Send an order to the matching engine (its answers come back as reports)."""
        key = self.core.new_key(self)
        ao.key = key
        self.by_key[key] = ao.id
        ao.status = "accepted"
        market = self._book_of(ao).market
        self.core.deliver(market.arrive(self._kernel_order(ao, key), self.now), market)

    # --- reports from the matching engine ---------------------------------------------------------
    def receive(self, ev: Any) -> None:
        """A report about one of this account's orders (routed by the core)."""
        if self._defer is not None:
            self._defer.append(ev)
            return
        self._apply[type(ev)](ev)

    def _of(self, key: str) -> AOrder:
        return self.orders[self.by_key[key]]

    def _on_accepted(self, ev: OrderAccepted) -> None:
        ao = self._of(ev.client_order_id)
        ao.status, ao.updated_ns = "new", self.now
        self._emit("new", ao)

    def _on_rejected(self, ev: OrderRejected) -> None:
        ao = self._of(ev.client_order_id)
        ao.status, ao.failed_ns, ao.updated_ns = "rejected", self.now, self.now
        self._emit("rejected", ao)
        self._closed(ao)

    def _on_canceled(self, ev: OrderCanceled) -> None:
        ao = self._of(ev.client_order_id)
        ao.status, ao.canceled_ns, ao.updated_ns = "canceled", self.now, self.now
        self._emit("canceled", ao)
        self._closed(ao)

    def _on_expired(self, ev: OrderExpired) -> None:
        ao = self._of(ev.client_order_id)
        ao.status, ao.expired_ns, ao.updated_ns = "expired", self.now, self.now
        self._emit("expired", ao)
        self._closed(ao)

    def _on_cancel_rejected(self, ev: OrderCancelRejected) -> None:
        oid = self.by_key.get(ev.client_order_id)
        if oid is not None:
            self._emit("order_cancel_rejected", self.orders[oid])

    def _on_filled(self, ev: OrderFilled) -> None:
        ao = self._of(ev.client_order_id)
        first = ao.filled == 0
        ao.filled += ev.qty_lots
        ao.fill_cost += ev.price_ticks * ev.qty_lots
        ao.status = "filled" if ao.filled >= ao.qty else "partially_filled"
        ao.filled_ns = ao.updated_ns = self.now
        inst = self._book_of(ao).inst
        pos = self.ledger.on_fill(ao.symbol, ev.side, ev.price_ticks, ev.qty_lots)
        price = dec_text(inst.ticks_to_price(ev.price_ticks))
        qty = dec_text(inst.lots_to_qty(ev.qty_lots))
        pos_qty = dec_text(inst.lots_to_qty(pos))
        self.counts["fills"] += 1
        event = "fill" if ao.status == "filled" else "partial_fill"
        self.fills.append(
            {
                "execution_id": ev.trade_id,
                "order_id": ao.id,
                "client_order_id": ao.client_order_id,
                "symbol": ao.symbol,
                "side": ao.side,
                "price": price,
                "qty": qty,
                "cum_qty": dec_text(inst.lots_to_qty(ao.filled)),
                "leaves_qty": dec_text(inst.lots_to_qty(ao.qty - ao.filled)),
                "order_status": ao.status,
                "type": event,
                "position_qty": pos_qty,
                "timestamp": fmt_ns(self.now),
                "ts": self.now,
            }
        )
        self._emit(event, ao, execution_id=ev.trade_id, price=price, qty=qty, position_qty=pos_qty)
        if first and ao.oco:
            self._cancel_ids(ao.oco)
        if ao.status == "filled":
            for lid in ao.legs:
                leg = self.orders[lid]
                if leg.status == "held":
                    self._activate(leg)

    def _closed(self, ao: AOrder) -> None:
        """A canceled, expired or rejected order takes its held legs and oco siblings along."""
        self._cancel_ids([lid for lid in ao.legs if self.orders[lid].status == "held"])
        self._cancel_ids(ao.oco)

    def _cancel_ids(self, ids: list[str]) -> None:
        for oid in list(ids):
            ao = self.orders[oid]
            if ao.is_open:
                self._cancel(ao)

    def _cancel(self, ao: AOrder) -> None:
        market = self._book_of(ao).market
        if ao.key is not None and working(market, ao.key):
            self.core.deliver(market.cancel(ao.key, self.now), market)
        else:  # why: a held leg (or one not yet sent) is canceled at the venue only
            ao.status, ao.canceled_ns, ao.updated_ns = "canceled", self.now, self.now
            self._emit("canceled", ao)
            self._closed(ao)

    # --- cancel and replace ----------------------------------------------------------------------
    def cancel(self, oid: str) -> None:
        """``DELETE /v2/orders/{id}`` (204; 404 unknown; 422 when no longer cancelable)."""
        ao = self.find(oid)
        if not ao.is_open:
            raise unprocessable(f'order is already in "{ao.status}" state')
        self.counts["cancels"] += 1
        self._cancel(ao)

    def cancel_all(self) -> list[dict[str, Any]]:
        """``DELETE /v2/orders``: every open order; a 207 list of ``{id, status}``."""
        out = []
        for ao in [o for o in self.orders.values() if o.is_open]:
            if ao.is_open:  # why: canceling a parent or an oco sibling closes others on the way
                self.counts["cancels"] += 1
                self._cancel(ao)
                out.append({"id": ao.id, "status": 200, "body": None})
        return out

    def replace(self, oid: str, body: Any) -> dict[str, Any]:
        """``PATCH /v2/orders/{id}``: a new order with the new terms; the old one ``replaced``."""
        ao = self.find(oid)
        market = self._book_of(ao).market
        spec = check_replace(body, self._book_of(ao).inst)
        check_replaceable(ao, spec, self.by_client)
        cid = spec.client_order_id or self.ids.next("client")
        reports: list[Any] = []
        if ao.key is not None and working(market, ao.key):
            self._defer = reports
            try:
                self.core.deliver(
                    market.modify(ao.key, spec.qty, spec.limit, spec.stop, self.now), market
                )
            finally:
                self._defer = None
            refused = [ev for ev in reports if isinstance(ev, OrderModifyRejected)]
            if refused:
                self._emit("order_replace_rejected", ao)
                self._replay(reports)
                raise unprocessable(f"unable to replace order: {refused[0].reason}")
        self._seq += 1
        new = ao.successor(self.ids.next("order"), cid, self.now, self._seq)
        new.qty = spec.qty if spec.qty is not None else ao.qty
        new.limit = spec.limit if spec.limit is not None else ao.limit
        new.stop = spec.stop if spec.stop is not None else ao.stop
        ao.status, ao.replaced_ns, ao.updated_ns, ao.replaced_by = (
            "replaced",
            self.now,
            self.now,
            new.id,
        )
        self.orders[new.id] = new
        self.by_client[cid] = new.id
        if new.key is not None:
            self.by_key[new.key] = new.id
        self._relink(ao.id, new)
        self.counts["replaces"] += 1
        self._emit("replaced", ao)
        if new.status != "held":
            self._emit("new", new)
        self._replay(reports)
        return self.order_view(new)

    def _replay(self, reports: list[Any]) -> None:
        for ev in reports:
            self._apply[type(ev)](ev)

    def _relink(self, old: str, new: AOrder) -> None:
        new.legs, new.oco = list(new.legs), list(new.oco)
        if new.parent is not None:
            parent = self.orders[new.parent]
            parent.legs = [new.id if x == old else x for x in parent.legs]
        for lid in new.legs:
            self.orders[lid].parent = new.id
        for sid in new.oco:
            sib = self.orders[sid]
            sib.oco = [new.id if x == old else x for x in sib.oco]

    # --- positions -------------------------------------------------------------------------------
    def close_position(self, symbol: str | None = None) -> dict[str, Any]:
        """``DELETE /v2/positions/{symbol}``: a market order that flattens the position."""
        book = self.books[symbol or self.symbol]
        qty = self.ledger.positions[book.symbol].qty
        if qty == 0:
            raise not_found("position does not exist")
        body = {
            "symbol": book.symbol,
            "qty": dec_text(book.inst.lots_to_qty(abs(qty))),
            "side": "sell" if qty > 0 else "buy",
            "type": "market",
            "time_in_force": "day",
        }
        return self.submit(body)
