"""The local Binance spot venue: its shared side (``BinanceVenue``), start and run it, ``main``.

``BinanceVenue`` holds the simulated market (``BnCore``: the shared ``VenueCore`` that also
remembers each symbol's last print), the one account (``live.fakes.binance.account``), the
replay (``live.fakes.alpaca.replay.Replay``: the data's time is the venue's clock; ``--start
on-connect`` waits for the first signed request or websocket), the websockets
(``live.fakes.binance.streams``) and the REST routes (``live.fakes.binance.rest``), all on one
port: REST at ``http://127.0.0.1:PORT/api/v3``, market streams at ``ws://127.0.0.1:PORT/ws``,
the WebSocket API at ``ws://127.0.0.1:PORT/ws-api/v3``.

Market data is the recorded market's, in both matching modes: with trades, the last print is the
touch; with L2 book data (``--kind book``) the replayed book (``core.depth``) answers
``GET /api/v3/depth`` and ``bookTicker``, and each update goes out on ``<symbol>@depth`` as a
``depthUpdate`` holding the levels it changed (``U`` / ``u``: the book's versions, so a client
syncs a local book from the REST snapshot's ``lastUpdateId`` as Binance documents).

Start it in a loop with ``await start_venue(config)``, in a thread with
``live.fakes.binance.thread.VenueThread(config)``, blocking with ``run_venue(config)``, or from
the command line with ``main(argv)`` (``executioncore venue binance``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

from aiohttp import web

from live.fakes.alpaca.control import venue_stats
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.replay import Replay
from live.fakes.binance import rest
from live.fakes.binance.account import BnAccount
from live.fakes.binance.config import FAULT_KINDS, BnSymbol, FakeBinanceConfig, cli_parser
from live.fakes.binance.orders import BnError
from live.fakes.binance.streams import Streams
from live.fakes.binance.wallet import fmt8
from live.fakes.serve import ReplayControls, announce_and_serve, cli_main, run_replay

STAT_KEYS = (
    "requests", "errors", "rate_limited", "banned", "ws_connections", "messages_in",
    "messages_out", "slow_client_closes", "replay_errors",
)  # fmt: skip
BAN_MSG = "Way too many requests; IP(127.0.0.1) banned until {until}. Please use the websocket for live updates to avoid bans."  # fmt: skip
RATE_MSG = "Too many requests; current limit of IP(127.0.0.1) request weight per minute is 6000. Please use WebSocket Streams for live updates to avoid polling the API."  # fmt: skip


class BnCore(VenueCore):
    """The shared market core, remembering each symbol's last print (time, ticks, lots,
    aggressor side +1 buy) and counting prints."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.prints: dict[str, tuple[int, int, int, int]] = {}
        self.print_count = 0
        self.session: dict[str, list[int]] = {}  # symbol -> [open, high, low, lots x ticks]

    def on_trade(self, symbol: str, ts: int, price: int, lots: int, side: int) -> None:
        self.prints[symbol] = (ts, price, lots, side)
        self.print_count += 1
        s = self.session.setdefault(symbol, [price, price, price, 0, 0])
        s[1], s[2] = max(s[1], price), min(s[2], price)
        s[3] += lots
        s[4] += lots * price
        super().on_trade(symbol, ts, price, lots, side)


class BinanceVenue:
    """The shared side of one Binance venue (see the module docstring). Single-threaded."""

    def __init__(self, config: FakeBinanceConfig) -> None:
        self.config = config
        self.counters = dict.fromkeys(STAT_KEYS, 0)
        self.faults = Faults(config.seed, config.faults, FAULT_KINDS, "fake-binance")
        self.core = BnCore(config.market)
        self.streams = Streams(self.faults, self.counters, self.verify_ws, rest.wall_ms,
                               self.client_connected)  # fmt: skip
        self.account = BnAccount(config, self.core, self.faults, self.streams)
        self.replay = Replay(config.market, self.core, self.publish)
        self.replay.on_book = self.publish_book
        self._tops: dict[str, Any] = {}  # the book tops last sent on bookTicker
        self.banned_until = 0.0  # loop time
        self._keys = 0

    def client_connected(self) -> None:
        self.replay.client_connected()

    def symbol(self, params: dict[str, str]) -> BnSymbol:
        name = (params.get("symbol") or "").upper()
        if not name:
            raise BnError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")  # fmt: skip
        sym = self.account.symbols.get(name)
        if sym is None:
            raise BnError(-1121, "Invalid symbol.")
        return sym

    def new_listen_key(self) -> str:
        self._keys += 1
        key = (self.core.ids.name(f"listenKey:{self._keys}") * 2).replace("-", "")[:60]
        self.streams.listen_keys.add(key)
        return key

    def verify_ws(self, params: dict[str, Any]) -> None:
        """A signed WebSocket API request: the params sorted by name, as a query string."""
        fields = {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                  for k, v in params.items()}  # fmt: skip
        payload = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "signature")
        rest.check_signed(fields, payload, fields.get("apiKey"), self)

    def refuse_rest(self) -> web.Response | None:
        """The ban and rate_limit faults: an answer instead of processing, or None."""
        now = asyncio.get_running_loop().time()
        retry = {"Retry-After": str(self.config.retry_after_s)}
        if now < self.banned_until or self.faults.roll("ban"):
            if now >= self.banned_until:
                self.banned_until = now + self.config.ban_s
            self.counters["banned"] += 1
            until = rest.wall_ms() + int((self.banned_until - now) * 1000)
            body = {"code": -1003, "msg": BAN_MSG.format(until=until)}
            return rest.compact(body, 418, retry)
        if self.faults.roll("rate_limit"):
            self.counters["rate_limited"] += 1
            return rest.compact({"code": -1003, "msg": RATE_MSG}, 429, retry)
        return None

    # --- market data ---------------------------------------------------------------------------
    def _px(self, sym: BnSymbol, ticks: int) -> str:
        return fmt8(sym.inst.ticks_to_price(ticks))

    def book_ticker(self, sym: BnSymbol) -> dict[str, Any]:
        """The touch: the book's top with book data, else the last print's price and size on
        both sides (zeros before any)."""
        depth = self.core.depth.get(sym.name)
        if depth is not None:
            bid, bid_lots, ask, ask_lots = depth.top()
            return {"symbol": sym.name, **self._level("bid", sym, bid, bid_lots),
                    **self._level("ask", sym, ask, ask_lots)}  # fmt: skip
        last = self.core.prints.get(sym.name)
        px = self._px(sym, last[1]) if last else fmt8(Decimal(0))
        qty = fmt8(sym.inst.lots_to_qty(last[2])) if last else fmt8(Decimal(0))
        return {"symbol": sym.name, "bidPrice": px, "bidQty": qty, "askPrice": px, "askQty": qty}

    def _level(self, name: str, sym: BnSymbol, px: int | None, lots: int) -> dict[str, str]:
        """``{"bidPrice", "bidQty"}`` (``name`` bid) of a book level; an empty side: zeros."""
        price = fmt8(Decimal(0)) if px is None else self._px(sym, px)
        return {f"{name}Price": price, f"{name}Qty": fmt8(sym.inst.lots_to_qty(lots))}

    def depth(self, sym: BnSymbol, limit: int) -> dict[str, Any]:
        """``GET /api/v3/depth``: the replayed book's best ``limit`` levels a side."""
        book = self.core.depth[sym.name]
        qty = sym.inst.lots_to_qty
        return {
            "lastUpdateId": book.update_id,
            "bids": [[self._px(sym, px), fmt8(qty(n))] for px, n in book.levels(1, limit)],
            "asks": [[self._px(sym, px), fmt8(qty(n))] for px, n in book.levels(-1, limit)],
        }

    def publish_book(self, symbol: str, ts: int, changed: list[tuple[int, int, int]]) -> None:
        """A replayed book update: its changed levels on ``<symbol>@depth``, and the top on
        ``<symbol>@bookTicker`` when it moved."""
        if not changed:
            return
        sym = self.account.symbols[symbol]
        book = self.core.depth[symbol]
        low, qty = symbol.lower(), sym.inst.lots_to_qty
        sides: dict[int, list[list[str]]] = {1: [], -1: []}
        for side, px, lots in changed:
            sides[side].append([self._px(sym, px), fmt8(qty(lots))])
        u = book.update_id
        self.streams.market(f"{low}@depth", {
            "e": "depthUpdate", "E": ts // 1_000_000, "s": symbol, "U": u - len(changed) + 1,
            "u": u, "b": sides[1], "a": sides[-1],
        })  # fmt: skip
        top = self.book_ticker(sym)
        if top != self._tops.get(symbol):
            self._tops[symbol] = top
            self.streams.market(f"{low}@bookTicker", {
                "u": u, "s": symbol, "b": top["bidPrice"], "B": top["bidQty"],
                "a": top["askPrice"], "A": top["askQty"],
            })  # fmt: skip

    def ticker(self, sym: BnSymbol) -> dict[str, Any]:
        """``GET /api/v3/ticker/24hr`` over the session's prints (the recorded fields)."""
        top = self.book_ticker(sym)
        s = self.core.session.get(sym.name, [0, 0, 0, 0, 0])
        last = self.core.prints.get(sym.name, (self.core.now, 0, 0, 0))
        inst = sym.inst
        vol = inst.lots_to_qty(s[3])
        quote_vol = vol and inst.lots_to_qty(1) * inst.ticks_to_price(1) * s[4]
        change = inst.ticks_to_price(last[1]) - inst.ticks_to_price(s[0])
        opened = inst.ticks_to_price(s[0])
        now_ms = self.core.now // 1_000_000
        return {
            "symbol": sym.name, "priceChange": fmt8(change),
            "priceChangePercent": f"{(change / opened * 100) if opened else 0:.3f}",
            "weightedAvgPrice": fmt8(quote_vol / vol if vol else Decimal(0)),
            "prevClosePrice": self._px(sym, s[0]), "lastPrice": self._px(sym, last[1]),
            "lastQty": fmt8(inst.lots_to_qty(last[2])), "bidPrice": top["bidPrice"],
            "bidQty": top["bidQty"], "askPrice": top["askPrice"], "askQty": top["askQty"],
            "openPrice": self._px(sym, s[0]), "highPrice": self._px(sym, s[1]),
            "lowPrice": self._px(sym, s[2]), "volume": fmt8(vol), "quoteVolume": fmt8(quote_vol),
            "openTime": now_ms - 86_400_000, "closeTime": now_ms, "firstId": 1 if s[3] else -1,
            "lastId": self.core.print_count or -1, "count": self.core.print_count,
        }  # fmt: skip

    def publish(self, channel: str, symbol: str, msg: dict[str, Any]) -> None:
        """The replay's data message for ``symbol``: Binance's market streams (trades only)."""
        last = self.core.prints.get(symbol)
        sym = self.account.symbols[symbol]
        if channel != "trades" or last is None:
            return
        ts, price, lots, side = last
        ms, low = ts // 1_000_000, symbol.lower()
        n = self.core.print_count
        px, qty = self._px(sym, price), fmt8(sym.inst.lots_to_qty(lots))
        trade = {"e": "trade", "E": ms, "s": symbol, "t": n, "p": px, "q": qty, "T": ms,
                 "m": side < 0, "M": True}  # fmt: skip
        self.streams.market(f"{low}@trade", trade)
        top = {"u": n, "s": symbol, "b": px, "B": qty, "a": px, "A": qty}
        self.streams.market(f"{low}@bookTicker", top)
        t = self.ticker(sym)
        self.streams.market(f"{low}@ticker", {
            "e": "24hrTicker", "E": ms, "s": symbol, "p": t["priceChange"],
            "P": t["priceChangePercent"], "w": t["weightedAvgPrice"], "x": t["prevClosePrice"],
            "c": t["lastPrice"], "Q": t["lastQty"], "b": px, "B": qty, "a": px, "A": qty,
            "o": t["openPrice"], "h": t["highPrice"], "l": t["lowPrice"], "v": t["volume"],
            "q": t["quoteVolume"], "O": t["openTime"], "C": t["closeTime"], "F": t["firstId"],
            "L": t["lastId"], "n": t["count"],
        })  # fmt: skip

    def exchange_info(self, only: str | None) -> dict[str, Any]:
        """``GET /api/v3/exchangeInfo``: the layout of ``data/`` (constructed), our grids."""
        syms = [s for s in self.account.symbols.values() if only in (None, s.name)]
        if only is not None and not syms:
            raise BnError(-1121, "Invalid symbol.")
        return {
            "timezone": "UTC", "serverTime": rest.wall_ms(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            ],
            "exchangeFilters": [], "symbols": [self._symbol_info(s) for s in syms],
        }  # fmt: skip

    def _symbol_info(self, s: BnSymbol) -> dict[str, Any]:
        tick, step = fmt8(s.inst.tick_size), fmt8(s.inst.lot_size)
        return {
            "symbol": s.name, "status": "TRADING", "baseAsset": s.base, "baseAssetPrecision": 8,
            "quoteAsset": s.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                           "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": False, "ocoAllowed": False, "otoAllowed": False,
            "quoteOrderQtyMarketAllowed": False, "allowTrailingStop": False,
            "cancelReplaceAllowed": False, "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000",
                 "tickSize": tick},
                {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000",
                 "stepSize": step},
                {"filterType": "NOTIONAL", "minNotional": fmt8(Decimal(self.config.min_notional)),
                 "applyMinToMarket": True, "maxNotional": "9000000.00000000",
                 "applyMaxToMarket": False, "avgPriceMins": 5},
            ],
            "permissions": [], "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"],
        }  # fmt: skip


class VenueHandle(ReplayControls):
    """A running Binance venue: ``port``, URLs, parts, ``stats()`` / ``state()`` / ``close()``."""

    def __init__(self, venue: BinanceVenue, runner: web.AppRunner, port: int) -> None:
        self.venue = venue
        self.config = venue.config
        self.port = port
        self.account = venue.account
        self.faults = venue.faults
        self.replay = venue.replay
        self.base_url = f"http://127.0.0.1:{port}"
        self.stream_url = f"ws://127.0.0.1:{port}"
        self._runner = runner
        self._task: asyncio.Task[None] | None = None

    def stats(self) -> dict[str, Any]:
        """Faults injected per kind, traffic, replay progress, user-data connections."""
        v = self.venue
        out = venue_stats(v.faults, v.replay, v.core, v.counters)
        out["user_streams"] = len(v.streams.user_conns())
        return out

    def state(self) -> dict[str, Any]:
        """Balances (free, locked), orders and trades: what tests compare against."""
        a = self.account
        return {
            "now_ms": a.now_ms,
            "balances": {x["asset"]: {"free": x["free"], "locked": x["locked"]}
                         for x in a.ledger.balances_json()},
            "orders": [o.rest_json() for o in a.orders.values()],
            "trades": [t.rest_json() for t in a.trades],
            "counts": dict(a.counts),
            "replayed": self.replay.events,
        }  # fmt: skip

    def drop_user_streams(self) -> None:
        """Close every user-data websocket now (what ``ws_drop`` does)."""
        for c in self.venue.streams.user_conns():
            c.close()

    async def close(self) -> None:
        """Stop replaying, drop every connection, stop listening."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.venue.streams.close_all()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._runner.cleanup(), 3.0)


async def start_venue(config: FakeBinanceConfig) -> VenueHandle:
    """Start a Binance venue on 127.0.0.1 (``config.port``, 0 = ephemeral) in this loop."""
    venue = BinanceVenue(config)
    first = venue.replay.first_ts()  # why: a missing or bad data file fails here, before binding
    if first is not None:
        venue.core.now = first
    app = web.Application()
    rest.add_routes(app, venue)
    app.router.add_get("/ws-api/v3", venue.streams.ws_api)
    app.router.add_get("/ws", venue.streams.ws_path)
    app.router.add_get("/ws/{name}", venue.streams.ws_path)
    app.router.add_get("/stream", venue.streams.combined)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = runner.addresses[0][1]
    handle = VenueHandle(venue, runner, port)
    handle._task = asyncio.ensure_future(run_replay(venue.replay, venue.counters))
    return handle


def describe(handle: VenueHandle) -> list[str]:
    """Where the venue listens, its keys, account, symbols and replay, in words."""
    config, market = handle.config, handle.config.market
    base, ws = handle.base_url, handle.stream_url
    lines = [
        f"local Binance spot venue on 127.0.0.1:{handle.port}",
        f"  REST            {base}/api/v3  (ccxt urls['api'] public, private; v1: {base}/api/v1)",
        f"  user data       {ws}/ws-api/v3  (userDataStream.subscribe.signature, as ccxt.pro "
        f"does; or a listen key: {ws}/ws/<listenKey>)",
        f"  market streams  {ws}/ws  (trade, bookTicker, ticker, depth)",
        f"  keys            {config.api_key} / {config.api_secret}",
        "  balances        " + ", ".join(f"{a}={v}" for a, v in sorted(config.balances.items())),
        f"  fees            maker {config.maker_bps} bps, taker {config.taker_bps} bps",
    ]
    for s in config.symbols():
        feeds = [f for f in market.feeds() if f.symbol == s.name]
        feed = feeds[0]
        files = [str(f.data) for f in feeds if f.data is not None]
        source = " + ".join(files) or "no data (orders rest)"
        lines.append(f"  symbol          {s.base}/{s.quote} ({s.name}, tick {feed.tick_size}, "
                     f"step {feed.lot_size}, minNotional {config.min_notional}): {source}")  # fmt: skip
    lines.append(f"  replay          {market.pace()}, {market.kind} ({'looping' if market.loop else 'once'})")  # fmt: skip
    if config.faults:
        lines.append("  faults          " + ", ".join(f"{k}={v}" for k, v in config.faults.items()))
    if handle.replay.spec is None:
        lines.append("no market data: orders rest, nothing is replayed")
    elif handle.replay.waiting_for_client:
        lines.append(
            "waiting for a client (a signed request or a websocket); the replay starts then"
        )
    else:
        lines.append("replaying now")
    return lines


def run_venue(config: FakeBinanceConfig, out: TextIO | None = None) -> None:
    """Serve until interrupted (Ctrl-C): one JSON line (``host``, ``port``, ``base_url``,
    ``stream_url``, ``symbols``), then the same in words; later, when the replay starts and ends."""

    async def serve() -> None:
        handle = await start_venue(config)
        head = {
            "host": "127.0.0.1", "port": handle.port, "base_url": handle.base_url,
            "stream_url": handle.stream_url, "symbols": [s.name for s in config.symbols()],
        }  # fmt: skip
        await announce_and_serve(handle, head, describe(handle), out or sys.stdout)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def main(argv: Sequence[str] | None = None, prog: str = "executioncore venue binance") -> int:
    """``executioncore venue binance ...``: serve until Ctrl-C (0); bad flags or data: a
    message on stderr and 2; the port cannot be bound: 3. ``--help`` exits through argparse."""
    args = cli_parser(prog).parse_args(argv)
    return cli_main(
        prog, args, FakeBinanceConfig.from_args,
        lambda c: [f.data for f in c.market.feeds()], run_venue,
    )  # fmt: skip
