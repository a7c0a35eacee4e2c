"""Binance spot REST (``/api/v3``) of the local venue: routes, signatures, errors, REST faults.

SIGNED endpoints (account, order, openOrders, allOrders, myTrades) need the ``X-MBX-APIKEY``
header (missing: -2014 ``API-key format invalid.``; another key: -2015 ``Invalid API-key, IP,
or permissions for action.``; both HTTP 401), ``timestamp`` within ``recvWindow`` (default
5000 ms, at most 60000; -1021) of the venue's wall clock (which ``/api/v3/time`` gives: the
orders' and trades' times are the data's), and ``signature``: HMAC-SHA256 (hex) with the secret
of the query string followed by the body, the ``signature`` parameter left out (-1022).
``userDataStream`` takes the key alone. Errors are Binance's JSON ``{"code", "msg"}`` with HTTP
400 (401 for keys, 404 for an unknown path).

Faults, rolled per request: ``ban`` (this and every request for ``ban_s`` seconds is answered
418 with ``Retry-After``), ``rate_limit`` (429 with ``Retry-After``, code -1003; not processed),
``unknown_status`` (per new order: it is placed, then answered HTTP 503 with -1007
``Timeout waiting for response from backend server. Send status unknown; execution status
unknown.``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from live.fakes.binance.orders import ZERO8, BnError

if TYPE_CHECKING:
    from live.fakes.binance.server import BinanceVenue

Handler = Callable[["BinanceVenue", dict[str, str]], Any]
PUBLIC, KEY, SIGNED = "public", "key", "signed"  # what a route checks
UNKNOWN_STATUS = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
MAX_RECV_WINDOW = 60_000
DEPTH_LIMIT, MAX_DEPTH_LIMIT = 100, 5000  # GET /api/v3/depth's default and largest limit


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def check_signed(
    params: dict[str, str], payload: str, key: str | None, venue: BinanceVenue
) -> None:
    """The key, timestamp and signature checks of a SIGNED request (``BnError`` on failure)."""
    if not key:
        raise BnError(-2014, "API-key format invalid.", 401)
    if key != venue.config.api_key:
        raise BnError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    for name in ("timestamp", "signature"):
        if not params.get(name):
            raise BnError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")  # fmt: skip
    try:
        ts, window = int(params["timestamp"]), int(params.get("recvWindow") or 5000)
    except ValueError:
        raise BnError(-1100, "Illegal characters found in parameter 'timestamp'.") from None
    if window > MAX_RECV_WINDOW:
        raise BnError(-1131, "recvWindow must be less than 60000")
    now = wall_ms()
    if ts < now - window or ts > now + 1000:
        raise BnError(-1021, "Timestamp for this request is outside of the recvWindow.")
    secret = venue.config.api_secret.encode()
    want = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, params["signature"].lower()):
        raise BnError(-1022, "Signature for this request is not valid.")
    venue.client_connected()


def _unsigned(raw: str) -> str:
    return "&".join(p for p in raw.split("&") if p and not p.startswith("signature="))


def compact(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer written as Binance writes it (no spaces)."""
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


def _dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


def make_handler(venue: BinanceVenue, fn: Handler, auth: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:  # fmt: skip
    """An aiohttp handler: faults, parameters (query and form body), checks, then ``fn``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        venue.counters["requests"] += 1
        refused = venue.refuse_rest()
        if refused is not None:
            return refused
        raw_query = request.rel_url.raw_query_string
        raw_body = (await request.text()) if request.can_read_body else ""
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        params.update(parse_qsl(raw_body, keep_blank_values=True))
        headers = {"X-MBX-USED-WEIGHT-1M": str(venue.counters["requests"])}
        try:
            key = request.headers.get("X-MBX-APIKEY")
            if auth == SIGNED:
                check_signed(params, _unsigned(raw_query) + _unsigned(raw_body), key, venue)
            elif auth == KEY:
                if key != venue.config.api_key:
                    raise BnError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
                venue.client_connected()
            result = fn(venue, params)
        except BnError as exc:
            venue.counters["errors"] += 1
            return compact(exc.body(), exc.status, headers)
        if isinstance(result, web.StreamResponse):
            return result
        return compact(result, 200, headers)

    return handle


# --- public ---------------------------------------------------------------------------------------
def ping(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return {}


def server_time(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return {"serverTime": wall_ms()}


def exchange_info(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return venue.exchange_info(p.get("symbol"))


def depth(venue: BinanceVenue, p: dict[str, str]) -> Any:
    sym = venue.symbol(p)
    if sym.name in venue.core.depth:  # book data: the replayed book
        try:
            limit = int(p.get("limit") or DEPTH_LIMIT)
        except ValueError:
            raise BnError(-1100, "Illegal characters found in parameter 'limit'.") from None
        return venue.depth(sym, min(max(limit, 1), MAX_DEPTH_LIMIT))
    top = venue.book_ticker(sym)
    bids = [[top["bidPrice"], top["bidQty"]]] if top["bidQty"] != ZERO8 else []
    asks = [[top["askPrice"], top["askQty"]]] if top["askQty"] != ZERO8 else []
    return {"lastUpdateId": venue.replay.events, "bids": bids, "asks": asks}


def book_ticker(venue: BinanceVenue, p: dict[str, str]) -> Any:
    if not p.get("symbol"):
        return [venue.book_ticker(s) for s in venue.account.symbols.values()]
    return venue.book_ticker(venue.symbol(p))


def ticker_24hr(venue: BinanceVenue, p: dict[str, str]) -> Any:
    if not p.get("symbol"):
        return [venue.ticker(s) for s in venue.account.symbols.values()]
    return venue.ticker(venue.symbol(p))


def ticker_price(venue: BinanceVenue, p: dict[str, str]) -> Any:
    t = venue.ticker(venue.symbol(p))
    return {"symbol": t["symbol"], "price": t["lastPrice"]}


# --- signed ---------------------------------------------------------------------------------------
def account(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return venue.account.account_json()


def new_order(venue: BinanceVenue, p: dict[str, str]) -> Any:
    o, fills, resp_type = venue.account.place(p)
    if venue.faults.roll("unknown_status"):
        raise BnError(-1007, UNKNOWN_STATUS, 503)
    return o.new_json([t.fill_json() for t in fills], resp_type)


def get_order(venue: BinanceVenue, p: dict[str, str]) -> Any:
    o = venue.account.find(p)
    if o is None:
        raise BnError(-2013, "Order does not exist.")
    return o.rest_json()


def cancel_order(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return venue.account.cancel(p).cancel_json(venue.account.now_ms)


def open_orders(venue: BinanceVenue, p: dict[str, str]) -> Any:
    name = venue.symbol(p).name if p.get("symbol") else None
    return [o.rest_json() for o in venue.account.open_orders(name)]


def cancel_open_orders(venue: BinanceVenue, p: dict[str, str]) -> Any:
    acct = venue.account
    out = []
    for o in acct.open_orders(venue.symbol(p).name):
        out.append(
            acct.cancel({"symbol": o.sym.name, "orderId": str(o.order_id)}).cancel_json(acct.now_ms)
        )
    return out


def all_orders(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return [o.rest_json() for o in venue.account.all_orders(p)]


def my_trades(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return [t.rest_json() for t in venue.account.my_trades(p)]


# --- listen key (API key only) --------------------------------------------------------------------
def new_stream(venue: BinanceVenue, p: dict[str, str]) -> Any:
    return {"listenKey": venue.new_listen_key()}


def keep_stream(venue: BinanceVenue, p: dict[str, str]) -> Any:
    if p.get("listenKey") not in venue.streams.listen_keys:
        raise BnError(-1125, "This listenKey does not exist.")
    return {}


def close_stream(venue: BinanceVenue, p: dict[str, str]) -> Any:
    keep_stream(venue, p)
    venue.streams.listen_keys.discard(p["listenKey"])
    return {}


ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "ping", ping, PUBLIC),
    ("GET", "time", server_time, PUBLIC),
    ("GET", "exchangeInfo", exchange_info, PUBLIC),
    ("GET", "depth", depth, PUBLIC),
    ("GET", "ticker/bookTicker", book_ticker, PUBLIC),
    ("GET", "ticker/24hr", ticker_24hr, PUBLIC),
    ("GET", "ticker/price", ticker_price, PUBLIC),
    ("GET", "account", account, SIGNED),
    ("POST", "order", new_order, SIGNED),
    ("GET", "order", get_order, SIGNED),
    ("DELETE", "order", cancel_order, SIGNED),
    ("GET", "openOrders", open_orders, SIGNED),
    ("DELETE", "openOrders", cancel_open_orders, SIGNED),
    ("GET", "allOrders", all_orders, SIGNED),
    ("GET", "myTrades", my_trades, SIGNED),
    ("POST", "userDataStream", new_stream, KEY),
    ("PUT", "userDataStream", keep_stream, KEY),
    ("DELETE", "userDataStream", close_stream, KEY),
]


def add_routes(app: web.Application, venue: BinanceVenue) -> None:
    """``/api/v3/...`` (and ``/api/v1/...`` for the same paths), plus a Binance 404."""
    for method, path, fn, auth in ROUTES:
        handler = make_handler(venue, fn, auth)
        for version in ("v3", "v1"):
            app.router.add_route(method, f"/api/{version}/{path}", handler)
