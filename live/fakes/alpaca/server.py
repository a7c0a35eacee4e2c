"""The fake Alpaca venue's HTTP server: REST v2, both websockets, test endpoints; start and run.

REST (``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY`` headers: missing -> 401, wrong -> 403;
a request is served by the account of its key pair, ``live.fakes.alpaca.core``; errors as
Alpaca's ``{"code", "message"}``): ``POST/GET/DELETE /v2/orders``,
``GET /v2/orders:by_client_order_id``, ``GET/PATCH/DELETE /v2/orders/{id}``,
``GET/DELETE /v2/positions``, ``GET/DELETE /v2/positions/{symbol}``, ``GET /v2/account``,
``GET /v2/account/activities[/FILL]``, ``GET /v2/clock``, ``GET /v2/assets``,
``GET /v2/assets/{symbol}``. Every symbol of the config is traded; ``{symbol}`` may also be the
asset id. Websockets: ``/stream`` and ``/v2/{feed}`` (see ``live.fakes.alpaca.stream``).
Test-only endpoints under ``/_fake/`` (see ``live.fakes.alpaca.control``).

Start on connect: the first websocket connection (either stream) or the first REST request with
the right keys starts the replay (``config.start == "on-connect"``); ``/_fake/`` does not.

REST faults (seeded, counted): ``rest_down`` takes REST down for ``rest_down_s`` seconds from
the request it hits: every request in the window (auth not checked) is answered 503 with
Alpaca's error body or has its connection dropped, a seeded choice each (counted in
``rest_down_refused`` / ``rest_down_dropped``); websockets keep working. ``http_429`` answers
429 with ``Retry-After`` and ``X-RateLimit-*`` headers; ``http_5xx`` answers 500/502/503/504
without doing anything; ``submit_timeout`` places the order, then answers ``timeout_s`` late or
(mode ``drop``) closes the connection with no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from aiohttp import WSCloseCode, web

from live.fakes.alpaca import views
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.control import add_control_routes, venue_stats
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.ledger import clock_json
from live.fakes.alpaca.replay import Replay
from live.fakes.alpaca.stream import DataHub, TradeHub
from live.fakes.alpaca.validate import VenueError, not_found, unprocessable
from live.fakes.alpaca.venue import Book, FakeVenue
from live.fakes.serve import ReplayControls, announce_and_serve, run_replay

FEEDS = "iex|sip|delayed_sip|boats|overnight|test"
STAT_KEYS = (
    "requests",
    "trade_connections",
    "trade_listeners",
    "data_connections",
    "data_subscribers",
    "trade_updates_published",
    "trade_updates_sent",
    "silenced_messages",
    "muted_messages",
    "rest_down_refused",
    "rest_down_dropped",
    "md_messages_sent",
    "slow_client_closes",
    "replay_errors",
)


# the account a REST request is served by (aiohttp before 3.12 has no RequestKey: a str key)
_ACCOUNT: Any = web.RequestKey("account", FakeVenue) if hasattr(web, "RequestKey") else "account"


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)


class VenueHandle(ReplayControls):
    """A running fake venue: its URLs, its parts, and ``stats()`` / ``state()`` / ``close()``.
    ``core`` is the venue's shared side, ``accounts`` its accounts (``venue``: the first)."""

    def __init__(
        self,
        config: FakeAlpacaConfig,
        runner: web.AppRunner,
        port: int,
        core: VenueCore,
        replay: Replay,
        faults: Faults,
        trade_hub: TradeHub,
        data_hub: DataHub,
        counters: dict[str, int],
    ) -> None:
        self.config = config
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.stream_url = f"ws://127.0.0.1:{port}/stream"
        self.data_url = f"ws://127.0.0.1:{port}/v2/iex"
        self.core = core
        self.accounts = core.accounts
        self.venue = core.accounts[0]
        self.replay = replay
        self.faults = faults
        self.trade_hub = trade_hub
        self.data_hub = data_hub
        self.counters = counters
        self._runner = runner
        self._site: web.TCPSite | None = None  # None: offline
        self._task: asyncio.Task[None] | None = None

    def stats(self) -> dict[str, Any]:
        """Faults injected per kind, traffic counts, replay progress (a copy)."""
        return venue_stats(self.faults, self.replay, self.core, self.counters)

    def state(self) -> dict[str, Any]:
        """Orders, fills, positions and cash (``views.venue_state``: each account's too)."""
        return {**views.venue_state(self.core), "replayed": self.replay.events}

    async def go_offline(self) -> None:
        """The venue unreachable, as when its network is cut: nothing listens on its port and
        every open socket (REST keep-alive, streams) is closed; its market and its accounts go
        on (orders resting there still fill). ``go_online`` listens on the same port again."""
        site, self._site = self._site, None
        if site is not None:
            await site.stop()
        for conn in [*self.trade_hub.conns, *self.data_hub.conns]:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY)
        server = self._runner.server
        if server is not None:
            await server.shutdown(0.1)

    async def go_online(self) -> None:
        if self._site is None:
            self._site = web.TCPSite(self._runner, self.config.host, self.port)
            await self._site.start()

    async def close(self) -> None:
        """Stop replaying, close every socket, stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for conn in [*self.trade_hub.conns, *self.data_hub.conns]:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY)
        await self._runner.cleanup()


def build_app(
    config: FakeAlpacaConfig,
    core: VenueCore,
    replay: Replay,
    faults: Faults,
    trade_hub: TradeHub,
    data_hub: DataHub,
    counters: dict[str, int],
) -> web.Application:
    """The aiohttp application of one venue (each REST request served by its account)."""

    def account(request: web.Request) -> FakeVenue:
        return request[_ACCOUNT]  # type: ignore[no-any-return]

    down_until = [0.0]  # loop time REST comes back up (rest_down)

    def rest_down(request: web.Request) -> web.StreamResponse:
        if faults.pick("rest_down", (0, 1)):
            counters["rest_down_dropped"] += 1
            if request.transport is not None:
                request.transport.abort()  # why: the connection drops, nothing is answered
            return web.Response(status=503)  # never reaches the client
        counters["rest_down_refused"] += 1
        return _error(503, 50300000, "service unavailable")

    @web.middleware
    async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_fake/") or request.headers.get("Upgrade", "").lower() == (
            "websocket"
        ):
            return await handler(request)  # type: ignore[no-any-return]
        counters["requests"] += 1
        now = asyncio.get_running_loop().time()
        if now < down_until[0]:
            return rest_down(request)
        key = request.headers.get("APCA-API-KEY-ID")
        secret = request.headers.get("APCA-API-SECRET-KEY")
        if not key or not secret:
            return _error(401, 40110000, "request is not authorized")
        acct = core.login(key, secret)
        if acct is None:
            return _error(403, 40310000, "forbidden")
        request[_ACCOUNT] = acct
        replay.client_connected()
        if faults.roll("rest_down"):
            down_until[0] = now + config.rest_down_s
            return rest_down(request)
        if faults.roll("http_429"):
            wait = config.retry_after_s
            headers = {
                "Retry-After": str(wait),
                "X-RateLimit-Limit": "200",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + wait),
            }
            return _error(429, 42910000, "rate limit exceeded", headers)
        if faults.roll("http_5xx"):
            status = faults.pick("http_5xx", (500, 502, 503, 504))
            return _error(status, status * 100000, "internal server error occurred")
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except VenueError as exc:
            return _error(exc.status, exc.code, exc.message)
        except web.HTTPNotFound:
            return _error(404, 40410000, "endpoint not found")
        except web.HTTPMethodNotAllowed:
            return _error(405, 40510000, "method not allowed")

    async def body_of(request: web.Request) -> Any:
        try:
            return await request.json()
        except (ValueError, UnicodeDecodeError):
            raise VenueError(400, 40010000, "request body format is invalid") from None

    async def submit(request: web.Request) -> web.StreamResponse:
        order = account(request).submit(await body_of(request))
        if faults.roll("submit_timeout"):
            if config.submit_timeout_mode == "drop":
                if request.transport is not None:
                    request.transport.abort()  # why: no answer at all; the order stands
                return web.Response(status=204)  # never reaches the client
            await asyncio.sleep(config.timeout_s)
        return web.json_response(order)

    async def list_orders(request: web.Request) -> web.StreamResponse:
        q = request.query
        status = q.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise unprocessable(f"invalid status: {status!r}")
        try:
            limit = min(max(int(q.get("limit", "50")), 1), 500)
        except ValueError:
            raise unprocessable("invalid limit") from None
        nested = q.get("nested", "false").lower() == "true"
        symbols = set(filter(None, q.get("symbols", "").split(","))) or None
        after, until = _time_param(q.get("after")), _time_param(q.get("until"))
        venue = account(request)
        picked = []
        for o in venue.orders.values():
            if (status == "open" and not o.is_open) or (status == "closed" and o.is_open):
                continue
            if nested and o.parent is not None:
                continue
            if q.get("side") and o.side != q["side"]:
                continue
            if symbols is not None and o.symbol not in symbols:
                continue
            if (after is not None and o.submitted_ns <= after) or (
                until is not None and o.submitted_ns >= until
            ):
                continue
            picked.append(o)
        picked.sort(key=lambda o: (o.submitted_ns, o.seq), reverse=q.get("direction") != "asc")
        return web.json_response([venue.order_view(o, nested=nested) for o in picked[:limit]])

    async def get_order(request: web.Request) -> web.StreamResponse:
        venue = account(request)
        return web.json_response(venue.order_view(venue.find(request.match_info["order_id"])))

    async def by_client_id(request: web.Request) -> web.StreamResponse:
        venue = account(request)
        oid = venue.by_client.get(request.query.get("client_order_id", ""))
        if oid is None:
            raise not_found()
        return web.json_response(venue.order_view(venue.orders[oid]))

    async def replace(request: web.Request) -> web.StreamResponse:
        order = account(request).replace(request.match_info["order_id"], await body_of(request))
        return web.json_response(order)

    async def cancel(request: web.Request) -> web.StreamResponse:
        account(request).cancel(request.match_info["order_id"])
        return web.Response(status=204)

    async def cancel_all(request: web.Request) -> web.StreamResponse:
        return web.json_response(account(request).cancel_all(), status=207)

    def position(venue: FakeVenue, symbol: str) -> dict[str, Any] | None:
        asset_id = venue.books[symbol].asset_id
        return venue.ledger.position_json(symbol, asset_id, config.exchange)

    async def positions(request: web.Request) -> web.StreamResponse:
        venue = account(request)
        out = [p for p in (position(venue, s) for s in venue.ledger.positions) if p is not None]
        return web.json_response(out)

    def symbol_of(request: web.Request) -> str:
        book = account(request).book(request.match_info["symbol"])
        if book is None:
            raise not_found("position does not exist")
        return book.symbol

    async def get_position(request: web.Request) -> web.StreamResponse:
        pos = position(account(request), symbol_of(request))
        if pos is None:
            raise not_found("position does not exist")
        return web.json_response(pos)

    async def close_position(request: web.Request) -> web.StreamResponse:
        return web.json_response(account(request).close_position(symbol_of(request)))

    async def close_all(request: web.Request) -> web.StreamResponse:
        """Every open position flattened by a market order (``cancel_orders=true``: open
        orders canceled first); a 207 list of ``{symbol, status, body}``."""
        venue = account(request)
        if request.query.get("cancel_orders", "false").lower() == "true":
            venue.cancel_all()
        out = []
        for symbol, pos in venue.ledger.positions.items():
            if not pos.qty:
                continue
            try:
                out.append({"symbol": symbol, "status": 200, "body": venue.close_position(symbol)})
            except VenueError as exc:
                out.append({"symbol": symbol, "status": exc.status, "body": exc.body()})
        return web.json_response(out, status=207)

    async def get_account(request: web.Request) -> web.StreamResponse:
        return web.json_response(account(request).ledger.account_json(core.now))

    async def activities(request: web.Request) -> web.StreamResponse:
        q = request.query
        kinds = request.match_info.get("activity_type") or q.get("activity_types", "FILL")
        if "FILL" not in kinds.split(","):
            return web.json_response([])
        try:
            size = int(q.get("page_size", "100"))
        except ValueError:
            raise unprocessable("invalid page_size") from None
        rows = views.activities(
            account(request),
            _time_param(q.get("after")),
            _time_param(q.get("until")),
            q.get("direction", "desc"),
            size,
            q.get("page_token"),
        )
        return web.json_response(rows)

    async def clock(request: web.Request) -> web.StreamResponse:
        return web.json_response(clock_json(core.now))

    async def asset(request: web.Request) -> web.StreamResponse:
        book = account(request).book(request.match_info["symbol"])
        if book is None:
            raise not_found("asset not found")
        return web.json_response(_asset_json(book, config))

    async def assets(request: web.Request) -> web.StreamResponse:
        books = account(request).books.values()
        return web.json_response([_asset_json(b, config) for b in books])

    async def trade_stream(request: web.Request) -> web.StreamResponse:
        replay.client_connected()
        return await trade_hub.handler(request)

    async def data_stream(request: web.Request) -> web.StreamResponse:
        replay.client_connected()
        return await data_hub.handler(request)

    app = web.Application(middlewares=[gate])
    r = app.router
    r.add_post("/v2/orders", submit)
    r.add_get("/v2/orders", list_orders)
    r.add_delete("/v2/orders", cancel_all)
    r.add_get("/v2/orders:by_client_order_id", by_client_id)
    r.add_get("/v2/orders/{order_id}", get_order)
    r.add_patch("/v2/orders/{order_id}", replace)
    r.add_delete("/v2/orders/{order_id}", cancel)
    r.add_get("/v2/positions", positions)
    r.add_delete("/v2/positions", close_all)
    r.add_get("/v2/positions/{symbol}", get_position)
    r.add_delete("/v2/positions/{symbol}", close_position)
    r.add_get("/v2/account", get_account)
    r.add_get("/v2/account/activities", activities)
    r.add_get("/v2/account/activities/{activity_type}", activities)
    r.add_get("/v2/clock", clock)
    r.add_get("/v2/assets", assets)
    r.add_get("/v2/assets/{symbol}", asset)
    r.add_get("/stream", trade_stream)
    r.add_get("/v2/{feed:" + FEEDS + "}", data_stream)
    add_control_routes(
        app, lambda: venue_stats(faults, replay, core, counters), core, replay, faults
    )
    return app


def _time_param(value: str | None) -> int | None:
    """An RFC3339 query parameter (``after``, ``until``) -> int ns, exactly (ns fractions kept)."""
    if not value:
        return None
    m = _FRACTION.match(value)
    head, frac, zone = (m.group(1), m.group(2) or "", m.group(3) or "") if m else (value, "", "")
    try:
        dt = datetime.fromisoformat(head + ("+00:00" if zone in ("Z", "z", "") else zone))
    except ValueError:
        raise unprocessable(f"invalid timestamp {value!r}") from None
    return int(dt.timestamp()) * 1_000_000_000 + int(frac[:9].ljust(9, "0") or 0)


_FRACTION = re.compile(r"^([^.]+?)(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$")


def _grid_num(value: Decimal) -> int | float:
    # why: alpaca-py reads these as floats; a short decimal's float repr is its exact text
    return int(value) if value == value.to_integral_value() else float(value)


def _asset_json(book: Book, config: FakeAlpacaConfig) -> dict[str, Any]:
    """alpaca-py ``Asset``: ``price_increment`` is the tick size, ``min_trade_increment`` and
    ``min_order_size`` the lot size."""
    inst = book.inst
    return {
        "id": book.asset_id,
        "class": "us_equity",
        "exchange": config.exchange,
        "symbol": book.symbol,
        "name": f"{book.symbol} (fake venue)",
        "status": "active",
        "tradable": True,
        "marginable": True,
        "shortable": True,
        "easy_to_borrow": True,
        "fractionable": inst.lot_size < 1,
        "min_order_size": _grid_num(inst.lot_size),
        "min_trade_increment": _grid_num(inst.lot_size),
        "price_increment": _grid_num(inst.tick_size),
        "attributes": [],
    }


async def start_venue(config: FakeAlpacaConfig) -> VenueHandle:
    """Start a fake Alpaca venue on 127.0.0.1 (``config.port``, 0 = ephemeral) in this loop."""
    counters = dict.fromkeys(STAT_KEYS, 0)
    faults = Faults(config.seed, config.faults)
    trade_hub = TradeHub(config, faults, counters)
    data_hub = DataHub(config, counters)
    core = VenueCore(config)
    for i in range(len(config.key_pairs())):
        FakeVenue(config, trade_hub.publisher(i), core, i)  # why: it joins the core
    replay = Replay(config, core, data_hub.publish)
    if core.exchange:
        core.on_execution = replay.print_trade
        core.on_top = replay.print_quote
    first = replay.first_ts()  # why: a missing or bad data file fails here, before binding
    if first is not None:
        core.now = first
        for acct in core.accounts:
            acct.ledger.created_ns = first
    app = build_app(config, core, replay, faults, trade_hub, data_hub, counters)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = runner.addresses[0][1]
    handle = VenueHandle(config, runner, port, core, replay, faults, trade_hub, data_hub, counters)
    handle._site = site
    handle._task = asyncio.ensure_future(run_replay(replay, counters))
    return handle


def describe(handle: VenueHandle) -> list[str]:
    """The venue's URLs, symbols and replay settings in words (``run_venue`` prints them)."""
    config = handle.config
    lines = [
        f"fake Alpaca venue on 127.0.0.1:{handle.port}",
        f"  REST API        base_url    {handle.base_url}",
        f"  trade_updates   stream_url  {handle.stream_url}",
        f"  market data     data_url    {handle.data_url}  (/v2/sip and the other feeds too)",
    ]
    if config.key == "fake-key-id" and config.secret == "fake-secret-key":
        lines.append("  keys            fake-key-id / fake-secret-key (the defaults)")
    else:
        lines.append("  keys            the --key / --secret given")
    if config.accounts:
        n = len(config.key_pairs())
        lines.append(f"  accounts        {n}: --key and each --account, each its own trade stream")
    if config.mode == "exchange":
        lines.append("  mode            exchange: the accounts' orders trade with each other")
    for inst in config.instruments():
        feeds = [f for f in config.feeds() if f.symbol == inst.symbol]
        source = " + ".join(str(f.data) for f in feeds if f.data is not None)
        lines.append(
            f"  symbol          {inst.symbol} (tick {feeds[0].tick_size}, lot "
            f"{feeds[0].lot_size}): {source or 'no data (orders rest)'}"
        )
    lines.append(
        f"  replay          {config.kind}, {config.pace()}"
        + (", looping" if config.loop else ", once")
    )
    return lines


def waiting_line(handle: VenueHandle) -> str:
    """What the venue is waiting for, in words."""
    replay = handle.replay
    if replay.spec is None:
        return "no market data: serving orders only (they rest)"
    if replay.waiting_for_client:
        return "waiting for a client to connect; the replay starts then"
    if replay.started.is_set():
        return "replaying now"
    return "paused: POST /_fake/resume (or /_fake/advance?n=N) to replay"


def run_venue(config: FakeAlpacaConfig, out: TextIO | None = None) -> None:
    """Run a fake venue until interrupted (Ctrl-C). First prints one JSON line with its URLs
    (``base_url``, ``stream_url``, ``data_url``; the key is not printed), then the same in
    words and what it waits for; later, when the replay starts and ends."""
    stream = out if out is not None else sys.stdout

    async def main() -> None:
        handle = await start_venue(config)
        head = {
            "base_url": handle.base_url,
            "stream_url": handle.stream_url,
            "data_url": handle.data_url,
            "key": "<configured>",
            "symbols": [i.symbol for i in config.instruments()],
            "mode": config.mode,
            "accounts": len(config.key_pairs()),
        }
        await announce_and_serve(handle, head, [*describe(handle), waiting_line(handle)], stream)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
