"""The local IB venue: its shared side (``IbVenue``), start and run it, ``main`` for the CLI.

``IbVenue`` holds the simulated market (``live.fakes.alpaca.core.VenueCore``), the one account
(``live.fakes.ibkr.account``), the replay (``live.fakes.alpaca.replay.Replay``: the data's time
is the venue's clock; ``--start on-connect`` waits for the first client's startApi) and the
client connections (``live.fakes.ibkr.session``); it is the account's sink: an order's messages
go to the connection of the client id that placed it (and to client 0 after
reqAutoOpenOrders(True)); a client that is not connected misses them and asks again after it
reconnects (reqOpenOrders, reqCompletedOrders, reqExecutions, reqPositions), as with TWS.

``conn_lost`` (``lose_connection``): error 1100 ``Connectivity between IB and Trader
Workstation has been lost.`` to every client; for ``conn_lost_s`` seconds new orders and
modifies are refused (201 and Inactive; 105; cancels go through), each client's order and
account messages are held and market data is not sent; then 1102 ``... has been restored - data maintained.``, the
held messages, and each ticker's current values. The replay and the matching go on meanwhile.

Start it in a loop with ``await start_venue(config)``, in a thread with
``live.fakes.ibkr.thread.VenueThread(config)``, blocking with ``run_venue(config)``, or from the
command line with ``main(argv)`` (``executioncore venue ibkr``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from live.fakes.alpaca.control import venue_stats
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.orders import dec_text, fmt_ns
from live.fakes.alpaca.replay import Replay
from live.fakes.ibkr import portfolio
from live.fakes.ibkr.account import Build, IbAccount
from live.fakes.ibkr.config import FAULT_KINDS, FakeIbkrConfig, cli_parser
from live.fakes.ibkr.contracts import Contracts, IbContract, build
from live.fakes.ibkr.marketdata import Ticks, tick_fields
from live.fakes.ibkr.messages import Execution
from live.fakes.ibkr.orders import IbOrder
from live.fakes.ibkr.requests import HANDLERS
from live.fakes.ibkr.session import Session
from live.fakes.ibkr.wire import (
    ACCT_DOWNLOAD_END,
    ACCT_UPDATE_TIME,
    MAX_SERVER_VERSION,
    MIN_SERVER_VERSION,
)
from live.fakes.serve import ReplayControls, announce_and_serve, cli_main, run_replay

STAT_KEYS = (
    "connections", "messages_in", "messages_out", "pacing_refused", "outages",
    "slow_client_closes", "replay_errors",
)  # fmt: skip
LOST = "Connectivity between IB and Trader Workstation has been lost."
RESTORED = (
    "Connectivity between IB and Trader Workstation has been restored - data maintained. "
    "All data farms are connected: usfarm; ushmds; secdefnj."
)
WAITING = "waiting for an API client to connect; the replay starts then"
REFUSED = "no connectivity between TWS and IB (error 1100); place it again after 1102"


class IbVenue:
    """The shared side of one IB venue (see the module docstring). Single-threaded."""

    def __init__(self, config: FakeIbkrConfig) -> None:
        market = config.market
        self.config = config
        self.counters = dict.fromkeys(STAT_KEYS, 0)
        self.faults = Faults(config.seed, config.faults, FAULT_KINDS, "fake-ibkr")
        self.core = VenueCore(market)
        contracts = [build(i, config.sec_types.get(i.symbol), market.currency)
                     for i in self.core.instruments]  # fmt: skip
        self.contracts = Contracts(contracts)
        self.account = IbAccount(config, self.core, self.contracts, self.faults, self)
        self.ticks = Ticks({c.venue_symbol: c.inst.lot_size for c in contracts})
        self.replay = Replay(market, self.core, self.publish)
        if self.core.exchange:
            self.core.on_execution = self.replay.print_trade
            self.core.on_top = self.replay.print_quote
        self.sessions: list[Session] = []
        self.outage = False
        self._restore: asyncio.TimerHandle | None = None

    # --- connections -------------------------------------------------------------------------
    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters["connections"] += 1
        session = Session(self, reader, writer)
        self.sessions.append(session)
        await session.run(HANDLERS)

    def joined(self, session: Session) -> None:
        """A client finished startApi."""
        self.replay.client_connected()
        if self.outage:
            session.held = []
            session.error(-1, 1100, LOST)

    def drop(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    def clients(self) -> list[Session]:
        return [s for s in self.sessions if s.client_id is not None and not s.closed]

    # --- the account's sink --------------------------------------------------------------------
    def order_event(self, client_id: int, build: Build, hold: bool = True) -> None:
        for s in self.clients():
            if s.client_id == client_id or (s.auto_bind and s.client_id == 0):
                fields = build(s.version)
                if hold:
                    s.send_held(fields)
                else:
                    s.send(fields)

    def error(self, client_id: int, req_id: int, code: int, message: str) -> None:
        for s in self.clients():
            if s.client_id == client_id:
                s.error(req_id, code, message)

    def account_changed(self, symbol: str) -> None:
        c = self.contracts.by_venue_symbol[symbol]
        ledger = self.account.ledger
        for s in self.clients():
            if s.positions:
                s.send_held(portfolio.position(self.config.account, ledger, c))
            if s.account_updates:
                self.send_account(s.send_held, [c])

    # --- account views -------------------------------------------------------------------------
    def account_values(self) -> dict[str, str]:
        return portfolio.account_values(self.account.ledger, self.contracts.all)

    def position_contracts(self) -> list[IbContract]:
        """Contracts with a position, or traded this session (their position may be 0)."""
        positions = self.account.ledger.positions
        return [c for c in self.contracts.all
                if positions[c.venue_symbol].qty or c.venue_symbol in self.account.traded]  # fmt: skip

    def send_account(
        self,
        send: Callable[[list[Any]], None],
        contracts: list[IbContract] | None = None,
        end: bool = False,
    ) -> None:
        """Account values, portfolio items (``contracts``; None: every position) and the
        account time; ``end``: accountDownloadEnd (the answer to reqAccountUpdates)."""
        account, currency = self.config.account, self.config.market.currency
        values = {"AccountCode": account, "Currency": currency, **self.account_values()}
        for tag, value in values.items():
            send(portfolio.account_value(tag, value, currency, account))
        for c in self.position_contracts() if contracts is None else contracts:
            send(portfolio.portfolio(account, self.account.ledger, c))
        send([ACCT_UPDATE_TIME, 1, fmt_ns(self.core.now)[11:16]])  # type: ignore[index]
        if end:
            send([ACCT_DOWNLOAD_END, 1, account])

    # --- market data ---------------------------------------------------------------------------
    def publish(self, channel: str, symbol: str, msg: dict[str, Any]) -> None:
        """The replay's data message for ``symbol``: ticks to its subscribers."""
        ticks = self.ticks.publish(channel, symbol, msg)
        if not ticks or self.outage:
            return
        for s in self.clients():
            for req_id, c in s.tickers.items():
                if c.venue_symbol == symbol:
                    for tick in ticks:
                        s.send(tick_fields(req_id, tick))

    # --- conn_lost -----------------------------------------------------------------------------
    def lose_connection(self) -> None:
        """Error 1100 now, 1102 after ``conn_lost_s`` (see the module docstring)."""
        if self.outage:
            return
        self.outage = True
        self.counters["outages"] += 1
        self.account.refusing = REFUSED
        for s in self.clients():
            s.error(-1, 1100, LOST)
            s.held = []
        loop = asyncio.get_running_loop()
        self._restore = loop.call_later(self.config.conn_lost_s, self.restore)

    def restore(self) -> None:
        """1102, then what was held, then each ticker's current values."""
        self.outage = False
        self._restore = None
        self.account.refusing = None
        for s in self.clients():
            s.error(-1, 1102, RESTORED)
            s.release()
            for req_id, c in s.tickers.items():
                for tick in self.ticks.current(c.venue_symbol):
                    s.send(tick_fields(req_id, tick))

    async def close(self) -> None:
        if self._restore is not None:
            self._restore.cancel()
        for s in list(self.sessions):
            s.abort()


class VenueHandle(ReplayControls):
    """A running IB venue: ``port``, its parts, and ``stats()`` / ``state()`` / ``close()``."""

    def __init__(self, venue: IbVenue, server: asyncio.Server, port: int) -> None:
        self.venue = venue
        self.config = venue.config
        self.port = port
        self.account = venue.account
        self.faults = venue.faults
        self.replay = venue.replay
        self._server = server
        self._task: asyncio.Task[None] | None = None

    def stats(self) -> dict[str, Any]:
        """Faults injected per kind, traffic, replay progress, connected client ids."""
        v = self.venue
        out = venue_stats(v.faults, v.replay, v.core, v.counters)
        out.update(clients=sorted(s.client_id or 0 for s in v.clients()), in_outage=v.outage)
        return out

    def state(self) -> dict[str, Any]:
        """Orders, executions, positions (in units) and cash: what tests compare against."""
        a = self.account
        positions = a.ledger.positions
        return {
            "now": fmt_ns(a.now),
            "orders": [_order_view(o) for o in a.orders.values()],
            "executions": [_exec_view(e) for e in a.executions],
            "positions": {
                s: dec_text(a.ledger.instruments[s].lots_to_qty(p.qty))
                for s, p in positions.items()
            },
            "cash": self.venue.account_values()["TotalCashValue"],
            "counts": dict(a.counts),
            "replayed": self.replay.events,
        }

    def lose_connection(self) -> None:
        self.venue.lose_connection()

    async def close(self) -> None:
        """Stop replaying, drop every connection, stop listening."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.venue.close()
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)


def _order_view(o: IbOrder) -> dict[str, Any]:
    qty = o.inst.lots_to_qty
    return {
        "client_id": o.client_id, "order_id": o.order_id, "perm_id": o.perm_id,
        "symbol": o.contract.venue_symbol, "action": o.action, "type": o.otype, "tif": o.tif,
        "qty": dec_text(qty(o.qty)), "filled": dec_text(qty(o.filled)), "status": o.status,
        "reason": o.reason,
    }  # fmt: skip


def _exec_view(e: Execution) -> dict[str, Any]:
    inst = e.order.inst
    return {
        "exec_id": e.exec_id, "order_id": e.order.order_id, "perm_id": e.order.perm_id,
        "side": "BOT" if e.side > 0 else "SLD", "qty": dec_text(inst.lots_to_qty(e.lots)),
        "price": dec_text(inst.ticks_to_price(e.price)),
    }  # fmt: skip


async def start_venue(config: FakeIbkrConfig) -> VenueHandle:
    """Start an IB venue on 127.0.0.1 (``config.port``, 0 = ephemeral) in this loop."""
    venue = IbVenue(config)
    first = venue.replay.first_ts()  # why: a missing or bad data file fails here, before binding
    if first is not None:
        venue.core.now = first
        venue.account.ledger.created_ns = first
    server = await asyncio.start_server(venue.serve, config.host, config.port)
    port = server.sockets[0].getsockname()[1]
    handle = VenueHandle(venue, server, port)
    handle._task = asyncio.ensure_future(run_replay(venue.replay, venue.counters))
    return handle


def describe(handle: VenueHandle) -> list[str]:
    """Where the venue listens, its account, contracts and replay in words."""
    config, venue = handle.config, handle.venue
    market = config.market
    lines = [
        f"local IB venue (TWS API, server versions {MIN_SERVER_VERSION}..{MAX_SERVER_VERSION}) "
        f"on 127.0.0.1:{handle.port}",
        f"  connect         IB().connect('127.0.0.1', {handle.port}, clientId=1)  (any client id)",
        f"  account         {config.account}: {market.cash} {market.currency}",
    ]
    feeds = {f.symbol: f for f in market.feeds()}
    for c in venue.contracts.all:
        feed = feeds[c.venue_symbol]
        source = str(feed.data) if feed.data is not None else "no data (orders rest)"
        lines.append(
            f"  contract        {c.venue_symbol}: {c.sec_type} {c.local_symbol} {c.currency} on "
            f"{c.exchange}, conId {c.con_id} (tick {feed.tick_size}, lot {feed.lot_size}): {source}"
        )
    again = "looping" if market.loop else "once"
    lines.append(f"  replay          {market.pace()}, {market.kind} ({again})")
    if config.faults:
        lines.append("  faults          " + ", ".join(f"{k}={v}" for k, v in config.faults.items()))
    return lines


def waiting_line(handle: VenueHandle) -> str:
    """What the venue waits for, in words."""
    replay = handle.replay
    if replay.spec is None:
        return "no market data: orders rest, nothing is replayed"
    return WAITING if replay.waiting_for_client else "replaying now"


def run_venue(config: FakeIbkrConfig, out: TextIO | None = None) -> None:
    """Serve until interrupted (Ctrl-C). First one JSON line (``host``, ``port``, ``account``,
    ``symbols``, ``server_versions``), then the same in words and what it waits for; later,
    when the replay starts and ends."""

    async def serve() -> None:
        handle = await start_venue(config)
        head = {
            "host": "127.0.0.1",
            "port": handle.port,
            "account": config.account,
            "symbols": [c.venue_symbol for c in handle.venue.contracts.all],
            "server_versions": [MIN_SERVER_VERSION, MAX_SERVER_VERSION],
        }
        lines = [*describe(handle), waiting_line(handle)]
        await announce_and_serve(handle, head, lines, out if out is not None else sys.stdout)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def main(argv: Sequence[str] | None = None, prog: str = "executioncore venue ibkr") -> int:
    """``executioncore venue ibkr ...``: serve until Ctrl-C (0); bad flags or data: a message
    on stderr and 2; the port cannot be bound: 3. ``--help`` exits through argparse."""
    args = cli_parser(prog).parse_args(argv)
    return cli_main(
        prog, args, FakeIbkrConfig.from_args,
        lambda c: [f.data for f in c.market.feeds()], run_venue,
    )  # fmt: skip
