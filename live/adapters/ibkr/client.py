"""``IbkrAdapter``: Interactive Brokers (TWS / IB Gateway) behind the kernel's venue port.

Commands become TWS API messages on the event loop (the kernel never waits); what happens
comes back as ib_async events, translated in order by ``order_stream`` (orders, fills, errors)
and ``market_data`` (quotes and trades), and delivered through one ordered outbox. The
guarantees, as for every venue (``live.adapters.template``):

- Idempotent submit: the kernel's client order id travels as ``orderRef``. An order whose
  placement got no answer (``ack_timeout_s`` on a live socket, error 100 or 103 about it, or a
  socket lost meanwhile) is looked up by ``orderRef`` among the open and completed orders
  before it is ever sent again: found, it is ours; not found, it is placed again with a fresh
  ``orderId`` (``commands``) or, after a reconnect, by the reconciliation's resend. IB's
  ``permId`` is the kernel's venue order id; ``orderId`` is kept per client id.
- Nothing duplicated: fills by ``execId``, acknowledgements and terminal events per order, in
  the shared once-gate, whether they come live, from ``reqExecutions`` or a reconciliation; a
  repeated ``orderStatus`` is dropped before that.
- Nothing lost: on start, after every reconnect (socket) and every restore (error 1102/1101),
  periodically and at the end, the template's ``reconcile``: open and completed orders (by
  ``orderRef``), executions since the last known (``reqExecutions``, the account's, with their
  commissions), positions and account values (``NetLiquidation``, ``TotalCashValue``,
  ``BuyingPower``). Between error 1100 and 1101/1102 and while the socket is down, the kernel
  sees ``VenueStatus`` down (it reduces; new orders for this broker are denied ``BROKER_DOWN``).
- Pacing: every message waits its turn in the adapter's throttle (``throttle.py``); error 100
  pauses it for a window and the refused message is sent again.
- Instruments: ``reqContractDetails`` (``contracts.py``); quotes and trades: ``reqMktData``.

Brackets and OCO stay emulated by the kernel (``kernel/oms.py``), as on every venue, rather
than sent as IB's native bracket (``parentId`` + ``transmit``) or OCA group. Why: the kernel
sizes each child to what the parent actually filled and releases it only when the parent is
done, where IB's children carry the parent's full quantity (a partly filled then canceled
entry leaves a take-profit and stop larger than the position); one emulation means the same
behaviour in backtests, replay and on every broker, and a journal that replays exactly; and
native children would be orders the kernel never sent (their ids, states and fills to map back
after every reconnect). The cost, accepted: the children reach IB one round trip after the
parent completes, and they do not exist at IB while the session is down (a restart releases
them from the journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import partial
from typing import Any

from kernel.events import AccountReport, OrderEvent, VenueStatus
from kernel.reconcile import CANCELED, FillReport, OrderState, OrderStatusReport
from kernel.rng import named_stream
from kernel.units import Instrument
from live.adapters.ibkr import account, connection, contracts, ib_api, reports
from live.adapters.ibkr.commands import OrderCommands
from live.adapters.ibkr.config import IbkrConfig
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.fills import FillAssembler
from live.adapters.ibkr.market_data import TickerTranslator
from live.adapters.ibkr.order_events import from_error
from live.adapters.ibkr.order_stream import RECONCILE, RESUBSCRIBE, Action, OrderStream
from live.adapters.ibkr.tracking import OrderBook
from live.adapters.template import TICK_S, TaskedAdapter, VenueUnavailable, wall_ns

OUTBOX_MAX = 100_000


class IbkrAdapter(TaskedAdapter):
    """The IBKR venue port on the adapter template. ``stats()`` reports submits, lookups,
    resends, duplicates dropped, reconciliations, connects and outages, and the throttle."""

    kind = "ibkr"
    notice_prefix = "IB"
    watchdog_errors = (VenueUnavailable, ConnectionError, MalformedMessage)
    orders: OrderCommands
    book: OrderBook

    def __init__(self, cfg: IbkrConfig, instruments: dict[str, Instrument]) -> None:
        super().__init__(cfg.name, cfg.url, cfg.connect_timeout_s)
        self.cfg = cfg
        self.instruments = instruments
        rng = named_stream(cfg.seed, f"ibkr:{cfg.name}:reconnect")
        self.conn = connection.IbConnection(cfg, rng, self._on_link)
        self.ib = ib = self.conn.ib
        self.book = OrderBook(client_id=cfg.client_id)
        self.assembler = FillAssembler(cfg.commission_wait_s)
        self.stream = OrderStream(
            cfg.name, self.book, self.assembler, self._is_ours, self._known_filled,
            self.instruments.get, self._symbol_of, wall_ns, time.monotonic,
        )  # fmt: skip
        self.orders = OrderCommands(
            self.conn, self.book, self.instruments, self._contract, self.put,
            self._order_snapshot, self._found, self.counts, cfg.account,
        )  # fmt: skip
        self.md = TickerTranslator(cfg.name)
        self.executions = reports.ExecutionCursor(cfg.account)
        self.contracts: dict[str, Any] = {}  # symbol -> the contract TWS resolved
        self.by_con_id: dict[int, str] = {}
        self.outbox: asyncio.Queue[Any] = asyncio.Queue(OUTBOX_MAX)
        self._snapshot: dict[str, Any] = {}  # orderRef -> IB order, of the last reconciliation
        ib.openOrderEvent += self._guard(self.stream.on_open_order)
        ib.orderStatusEvent += self._guard(self.stream.on_status)
        ib.execDetailsEvent += self._guard(self.stream.on_execution)
        ib.commissionReportEvent += self._guard(self.stream.on_commission)
        ib.errorEvent += self._on_error
        ib.pendingTickersEvent += self._on_tickers
        self.counts.update(outbox_overflow=0, malformed=0)

    # --- what the stream and the commands need to know -------------------------------------------
    def _is_ours(self, coid: str) -> bool:
        return self.view is not None and self.view.get(coid) is not None

    def _known_filled(self, coid: str) -> int:
        order = self.view.get(coid) if self.view is not None else None
        return 0 if order is None else order.filled_lots

    def _symbol_of(self, contract: Any) -> str:
        return contracts.symbol_of(contract, self.by_con_id)

    def _contract(self, symbol: str) -> Any:
        known = self.contracts.get(symbol)
        if known is not None:
            return known
        return contracts.contract_for(symbol, self.cfg.contracts.get(symbol))

    def _found(self, coid: str, trade: Any) -> None:
        self._guard(self.stream.on_status)(trade)

    # --- the outbox: everything reaches the kernel in the order TWS sent it ------------------------
    def _guard(self, handler: Any) -> Any:
        def run(*args: Any) -> None:
            try:
                handler(*args)
            except MalformedMessage as exc:
                self.counts["malformed"] += 1
                self.stream.notice("IB_MALFORMED", str(exc))
                self._reconcile_soon(0.0)  # why: what could not be read is read again
            self._flush()

        return run

    def _flush(self) -> None:
        out, self.stream.out = self.stream.out, []
        for item in out:
            self._enqueue(item)
        actions, self.stream.actions = self.stream.actions, []
        for action in actions:
            self._act(action)

    def _enqueue(self, item: Any) -> None:
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            # why: bounded; whatever is dropped here is found again by the reconciliation
            self.counts["outbox_overflow"] += 1
            self._reconcile_soon(0.0)

    async def _pump(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, OrderEvent):
                await self.put(item)
            else:
                await self._emit(item)  # type: ignore[misc]

    def _on_error(self, req_id: int, code: int, text: str, contract: Any) -> None:
        self._guard(self.stream.on_error)(req_id, code, text)

    def _on_tickers(self, tickers: Any) -> None:
        now = wall_ns()
        for ticker in tickers:
            symbol = self._symbol_of(ticker.contract)
            inst = self.instruments.get(symbol)
            if inst is not None:
                for event in self.md.events(ticker, symbol, inst, now):
                    self._enqueue(event)

    def _on_link(self, state: str) -> None:
        if state in (connection.DOWN, connection.OUTAGE):
            if state == connection.DOWN:
                self.book.connection_lost()  # why: what was sent has an unknown effect now
            self.reconciled = False
            now = wall_ns()
            self._enqueue(VenueStatus(self.name, False, False, now, now))
            return
        self._spawn(self._recover(resubscribe=state != connection.RESTORED))

    def _act(self, action: Action) -> None:
        if action.kind == RECONCILE:
            self._reconcile_soon(self.cfg.commission_wait_s + 0.1)
        elif action.kind == RESUBSCRIBE:
            self._spawn(self._resubscribe(action.req_id))
        elif action.coid is not None:
            coro = self.orders.for_action(action.kind, action.coid)
            if coro is not None:
                self._spawn(coro)

    # --- adapter life ----------------------------------------------------------------------------
    async def probe(self) -> None:
        if not self.conn.ready.is_set():
            await self.conn.connect_once(min(self.cfg.timeout_s, self.connect_timeout_s))

    async def start(self) -> None:
        self._started = True
        self._spawn(self._pump())
        self._spawn(self.conn.run())  # why: first, so a socket lost while starting comes back
        self._adopt_open_trades()
        for symbol in self._my_symbols():
            if symbol not in self.contracts:
                with contextlib.suppress(VenueUnavailable):
                    await self.fetch_instrument(symbol)  # why: the contract id, for orders
        await self.reconcile()  # why: the account first: positions and cash before any order
        with contextlib.suppress(ConnectionError):
            await self._subscribe_market_data()  # why: a reconnect subscribes again
        self._spawn(self._watchdog())

    async def stop(self) -> None:
        self._closing = self.orders.closing = True
        await self.conn.close()
        await self._cancel_tasks()

    async def finish(self) -> None:
        self.stream.expire()  # why: fills still waiting for a commission go in before the end
        self._flush()
        for _ in range(100):  # why: the outbox reaches the kernel first (bounded: 1 s)
            if self.outbox.empty():
                break
            await asyncio.sleep(0.01)
        deadline = time.monotonic() + self.cfg.timeout_s
        while not await self.reconcile(final=True):
            # why: the socket lost during the last reconciliation: wait for the reconnect and
            # read again (the runner bounds the whole of finish() by its grace period)
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(TICK_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.conn.ready.wait(), left)

    def is_connected(self) -> bool:
        return self.conn.is_up

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.counts)
        c, t = self.conn, self.conn.throttle
        out["connection"] = {"connects": c.connects, "disconnects": c.disconnects,
                             "outages": c.outages, "paced": c.paced, "library": ib_api.LIBRARY}  # fmt: skip
        out["throttle"] = {"sent": t.sent, "waited_s": round(t.waited_s, 3),
                           "penalties": t.penalties}  # fmt: skip
        out["without_commission"] = self.assembler.without_commission
        return out

    def _my_symbols(self) -> list[str]:
        return sorted(s for s, i in self.instruments.items() if i.venue in (None, self.name))

    async def _recover(self, resubscribe: bool) -> None:
        """After a reconnect or a restore: the orders again, market data again, reconcile."""
        self._adopt_open_trades()
        if resubscribe:
            self.md.forget()
            with contextlib.suppress(ConnectionError):
                await self._subscribe_market_data()
        await self.reconcile()  # why: VenueStatus up (reconciled) when it succeeds

    def _adopt_open_trades(self) -> None:
        """The open orders the library synchronised on connect, mapped by ``orderRef``."""
        for trade in self.ib.openTrades():
            ref = trade.order.orderRef
            if ref and self._is_ours(ref):
                self.book.adopt(ref, trade)

    async def _subscribe_market_data(self) -> None:
        for symbol in self._my_symbols():
            await self.conn.send(
                partial(self.ib.reqMktData, self._contract(symbol), "", False, False)
            )

    async def _resubscribe(self, req_id: int) -> None:
        """A market data request refused for pacing (error 100): ask again."""
        ticker = getattr(self.ib.wrapper, "reqId2Ticker", {}).get(req_id)
        if ticker is None:
            return
        contract = ticker.contract
        with contextlib.suppress(ConnectionError):
            await self.conn.send(lambda: self.ib.cancelMktData(contract))
            await self.conn.send(lambda: self.ib.reqMktData(contract, "", False, False))

    async def _tick(self, times: list[float]) -> None:
        """The watchdog's: commissions overdue, commands unanswered, reconciliations due or
        failed."""
        self.stream.expire()
        self._flush()
        if not self.conn.ready.is_set() or self.view is None:
            return
        now = time.monotonic()
        await self.orders.resend_unanswered(now, self.cfg.ack_timeout_s)
        if self.conn.is_up:
            await self._reconcile_if_due(times, now, self.cfg.reconcile_every_s)

    # --- the venue port (``submit``, ``modify``, ``resend``: the template's) -----------------------
    def cancel(self, cmd: Any) -> None:
        self._spawn(self.orders.cancel(cmd.client_order_id))

    async def cancel_now(self, order: OrderState) -> bool:
        """At shutdown, an order still open: its cancel sent now (False: IB does not have it,
        or the socket is down)."""
        coid = order.client_order_id
        if not await self.orders.know(coid):
            return False  # why: not at IB (its placement never landed)
        self.book.cancels[coid] = None
        await self.orders.send_cancel(coid)
        return self.book.cancels.get(coid) is not None

    # --- the instrument provider and the reconciliation reports ----------------------------------
    async def _request(self, make: Any, what: str, errors_as_is: bool = False) -> Any:
        """A request through the connection; ``RequestError`` as ``VenueUnavailable`` unless
        ``errors_as_is``. Before ``start`` (the instrument provider, held positions) the
        reconnect loop is not running yet: a socket lost meanwhile is reopened here."""
        for attempt in range(3):
            try:
                return await self.conn.request(make, what)
            except ib_api.RequestError as exc:
                if errors_as_is:
                    raise
                raise VenueUnavailable(f"{what}: IB {exc.code}: {exc.message}") from None
            except VenueUnavailable:
                if self._started or self.conn.ready.is_set() or attempt == 2:
                    raise
                with contextlib.suppress(OSError, TimeoutError, ConnectionError):
                    await self.conn.connect_once(min(self.cfg.timeout_s, self.connect_timeout_s))
        raise AssertionError("unreachable")

    async def held_symbols(self) -> list[str]:
        """The symbols the account holds now (their positions are adopted at start)."""
        positions = await self._request(self.ib.reqPositionsAsync, "positions")
        return account.held_symbols(positions, self._symbol_of, self._account())

    def _account(self) -> str:
        """The configured account, else the first the login manages (one login, one account)."""
        return self.cfg.account or next(iter(self.ib.managedAccounts()), "")

    async def fetch_instrument(self, symbol: str) -> Instrument | None:
        asked = self._contract(symbol)
        try:
            details = await self._request(
                lambda: self.ib.reqContractDetailsAsync(asked), f"contract details {symbol}", True
            )
        except ib_api.RequestError as exc:
            if exc.code == 200:
                return None  # why: no such security at IB
            raise VenueUnavailable(f"contract details {symbol}: IB {exc.code}") from None
        found = [d for d in details or () if d.contract.secType == asked.secType] or details
        if not found:
            return None
        contract = found[0].contract
        if asked.exchange == "SMART":
            contract.exchange = "SMART"  # why: route through IB's smart router, as asked
        self.contracts[symbol] = contract
        if contract.conId:
            self.by_con_id[contract.conId] = symbol
        try:
            return contracts.instrument_from_details(found[0], symbol, self.name)
        except (MalformedMessage, ValueError) as exc:
            raise VenueUnavailable(f"contract details {symbol}: {exc}") from None

    async def _order_snapshot(self) -> dict[str, Any]:
        self._snapshot = await reports.order_snapshot(self._request, self.ib)
        return self._snapshot

    async def fetch_fills(self) -> list[FillReport]:
        await self._order_snapshot()  # why: orders before executions: no status ahead of its fills
        flt = self.executions.filter()
        fills = await self._request(lambda: self.ib.reqExecutionsAsync(flt), "executions")
        bad: list[str] = []
        out = self.executions.reports(
            fills, self._coid_of_execution,
            lambda c: self.instruments.get(self._symbol_of(c)), bad.append,
        )  # fmt: skip
        for text in bad:
            self.counts["malformed"] += 1
            await self.notice("IB_MALFORMED", text)
        return out

    def _coid_of_execution(self, ex: Any) -> str | None:
        ref = ex.orderRef
        if ref and self._is_ours(ref):
            return str(ref)
        coid = self.book.by_perm_id.get(ex.permId)
        if coid is None:
            for ref, trade in self._snapshot.items():
                if trade.order.permId == ex.permId and self._is_ours(ref):
                    return str(ref)
        return coid

    async def fetch_order(self, order: OrderState) -> OrderStatusReport | None:
        coid = order.client_order_id
        trade = self._snapshot.get(coid)
        if trade is None:
            # why: an order refused on this connection may be missing from completed orders
            mine = (t for t in self.ib.trades() if t.order.orderRef == coid and not from_error(t))
            trade = next(mine, None)
        if trade is None:
            if coid in self.book.cancels and coid not in self.book.in_flight():
                # why: not among IB's open or completed orders, nothing under way, and the
                # kernel asked to cancel it: it never reached IB, and now never will
                self.book.forget(coid)
                return OrderStatusReport(coid, "", CANCELED, 0, wall_ns(), "NEVER_AT_VENUE")
            return None
        try:
            inst = self.instruments.get(order.symbol)
            return reports.order_report(trade, coid, inst, self.book, wall_ns())
        except MalformedMessage as exc:
            raise VenueUnavailable(f"order {coid}: {exc}") from None

    async def fetch_account(self, final: bool) -> AccountReport:
        acct = self._account()
        await self._request(lambda: self.ib.reqAccountUpdatesAsync(acct), "account updates")
        positions = await self._request(self.ib.reqPositionsAsync, "positions")
        try:
            return account.account_report(
                self.name, self.ib.accountValues(), positions, self._symbol_of,
                self.instruments.get, acct, final, wall_ns(),
            )  # fmt: skip
        except MalformedMessage as exc:
            raise VenueUnavailable(f"account: {exc}") from None
