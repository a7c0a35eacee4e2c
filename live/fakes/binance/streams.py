"""The venue's websockets: the user-data stream (WebSocket API or listen key) and market streams.

User data, the way ccxt.pro 4.5 gets it for spot: a WebSocket API connection
(``/ws-api/v3``) sends ``userDataStream.subscribe.signature`` (params ``apiKey``,
``timestamp``, ``signature``: HMAC-SHA256 of the other params sorted by name, as a query
string) and is answered ``{"id", "status": 200, "result": {"subscriptionId": N}}``; events then
come as ``{"subscriptionId": N, "event": {...}}``. Also answered there: ``ping``, ``time``,
``userDataStream.unsubscribe``; anything else is error -1000 (``{"id", "status": 400,
"error": {"code", "msg"}}``). The older way: ``POST /api/v3/userDataStream`` gives a listen key
and ``/ws/<listenKey>`` sends the bare events.

Faults, each rolled once per event for every connection alike: ``ws_drop`` (the user-data
connections are closed instead of sending it), ``drop_report`` / ``dup_report``
(an ``executionReport`` not sent / sent twice).

Market streams (``/ws``, ``/ws/<anything>``, ``/stream?streams=a/b`` with the combined
wrapper): ``SUBSCRIBE`` / ``UNSUBSCRIBE`` / ``LIST_SUBSCRIPTIONS`` and streams named in the
path; ``<symbol>@trade``, ``<symbol>@bookTicker``, ``<symbol>@ticker`` and, with book data,
``<symbol>@depth`` (``@depth@100ms`` and ``@depth@1000ms`` name it too: every update is sent).
With trades as the data, the touch is the last print (bid = ask = its price, its size each side),
as the fill rules see it; with book data it is the book's top. Every connection has a bounded send queue; a client that falls behind by
``QUEUE_BOUND`` messages is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from live.fakes.alpaca.faults import Faults
from live.fakes.binance.orders import BnError

QUEUE_BOUND = 10_000
CHANNELS = ("trade", "bookTicker", "ticker", "depth")


class Conn:
    """One websocket and its sender task (messages go out in order, through a bounded queue)."""

    def __init__(self, ws: web.WebSocketResponse, counters: dict[str, int]) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_BOUND)
        self.counters = counters
        self.subscription: int | None = None  # a user-data subscription (ws-api)
        self.raw = False  # a listen-key connection: bare events
        self.streams: list[str] = []
        self.combined = False
        self.task = asyncio.ensure_future(self._send())

    def send(self, msg: dict[str, Any] | list[Any]) -> None:
        try:
            self.queue.put_nowait(json.dumps(msg))
        except asyncio.QueueFull:
            self.counters["slow_client_closes"] += 1
            self.close()

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
        if self.queue.full():
            self.task.cancel()
            self.task = asyncio.ensure_future(self.ws.close())  # why: the sender is stuck

    async def _send(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None:
                await self.ws.close()
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            self.counters["messages_out"] += 1


class Streams:
    """Every websocket of the venue; ``user_event`` is the account's sink."""

    def __init__(
        self, faults: Faults, counters: dict[str, int], verify: Callable[[dict[str, Any]], None],
        now_ms: Callable[[], int], on_connect: Callable[[], None],
    ) -> None:  # fmt: skip
        self.faults = faults
        self.counters = counters
        self.verify = verify  # checks a signed ws-api request (BnError when it fails)
        self.now_ms = now_ms
        self.on_connect = on_connect
        self.conns: list[Conn] = []
        self.listen_keys: set[str] = set()
        self._subs = 0
        self.last: dict[str, dict[str, Any]] = {}  # channel@symbol -> its latest message

    # --- user data -----------------------------------------------------------------------------
    def user_conns(self) -> list[Conn]:
        return [c for c in self.conns if c.raw or c.subscription is not None]

    def user_event(self, event: dict[str, Any], report: bool) -> None:
        conns = self.user_conns()
        if self.faults.roll("ws_drop"):
            for c in conns:
                c.close()
            return
        copies = 1
        if report:
            if self.faults.roll("drop_report"):
                return
            if self.faults.roll("dup_report"):
                copies = 2
        for _ in range(copies):
            for c in conns:
                c.send(event if c.raw else {"subscriptionId": c.subscription, "event": event})

    # --- connections ---------------------------------------------------------------------------
    async def _open(self, request: web.Request) -> tuple[web.WebSocketResponse, Conn]:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Conn(ws, self.counters)
        self.conns.append(conn)
        self.counters["ws_connections"] += 1
        self.on_connect()
        return ws, conn

    async def _serve(
        self, ws: web.WebSocketResponse, conn: Conn, handle: Callable[..., None]
    ) -> None:
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                self.counters["messages_in"] += 1
                try:
                    req = json.loads(msg.data)
                except ValueError:
                    conn.send({"id": None, "status": 400, "error": {"code": -1000, "msg": "Malformed request."}})  # fmt: skip
                    continue
                if isinstance(req, dict):
                    handle(conn, req)
        finally:
            if conn in self.conns:
                self.conns.remove(conn)
            conn.task.cancel()

    async def ws_api(self, request: web.Request) -> web.StreamResponse:
        """``/ws-api/v3``: the WebSocket API (the user-data subscription, ping, time)."""
        ws, conn = await self._open(request)
        await self._serve(ws, conn, self._api_request)
        return ws

    def _api_request(self, conn: Conn, req: dict[str, Any]) -> None:
        rid, method = req.get("id"), req.get("method")
        params = req.get("params") or {}
        try:
            if method == "ping":
                result: Any = {}
            elif method == "time":
                result = {"serverTime": self.now_ms()}
            elif method == "userDataStream.subscribe.signature":
                self.verify(params)
                if conn.subscription is None:
                    conn.subscription = self._subs
                    self._subs += 1
                result = {"subscriptionId": conn.subscription}
            elif method == "userDataStream.unsubscribe":
                conn.subscription = None
                result = {}
            else:
                raise BnError(-1000, f"Unknown method: {method!r}.")
        except BnError as exc:
            conn.send({"id": rid, "status": exc.status, "error": exc.body()})
            return
        conn.send({"id": rid, "status": 200, "result": result, "rateLimits": []})

    async def ws_path(self, request: web.Request) -> web.StreamResponse:
        """``/ws/<listenKey>`` (user data) or ``/ws[/<stream or index>]`` (market streams)."""
        name = request.match_info.get("name", "")
        ws, conn = await self._open(request)
        if name in self.listen_keys:
            conn.raw = True
        elif "@" in name:
            conn.streams.append(name)
        await self._serve(ws, conn, self._market_request)
        return ws

    async def combined(self, request: web.Request) -> web.StreamResponse:
        """``/stream?streams=a/b``: market streams in the combined wrapper."""
        ws, conn = await self._open(request)
        conn.combined = True
        conn.streams = [s for s in request.query.get("streams", "").split("/") if s]
        await self._serve(ws, conn, self._market_request)
        return ws

    def _market_request(self, conn: Conn, req: dict[str, Any]) -> None:
        method, rid = req.get("method"), req.get("id")
        params = [str(p) for p in req.get("params") or []]
        if method == "SUBSCRIBE":
            conn.streams += [p for p in params if p not in conn.streams]
            conn.send({"result": None, "id": rid})
            for p in params:  # why: a late subscriber sees the current touch at once
                stream = _normal(p)
                if stream.endswith("@bookTicker") and stream in self.last:
                    self._deliver(conn, p, self.last[stream])
        elif method == "UNSUBSCRIBE":
            conn.streams = [s for s in conn.streams if s not in params]
            conn.send({"result": None, "id": rid})
        elif method == "LIST_SUBSCRIPTIONS":
            conn.send({"result": list(conn.streams), "id": rid})
        else:
            conn.send({"id": rid, "status": 400, "error": {"code": -1000, "msg": "Invalid request."}})  # fmt: skip

    # --- market data ---------------------------------------------------------------------------
    def market(self, stream: str, msg: dict[str, Any]) -> None:
        """Send ``msg`` to the subscribers of ``stream`` (``btcusdt@trade``)."""
        self.last[stream] = msg
        for c in self.conns:
            for s in c.streams:
                if _normal(s) == stream:
                    self._deliver(c, s, msg)

    def _deliver(self, conn: Conn, name: str, msg: dict[str, Any]) -> None:
        conn.send({"stream": name, "data": msg} if conn.combined else msg)

    def close_all(self) -> None:
        for c in list(self.conns):
            c.close()


def _normal(stream: str) -> str:
    sym, _, channel = stream.partition("@")
    if channel in ("depth@100ms", "depth@1000ms"):
        channel = "depth"  # why: the update speed is the replay's
    return f"{sym.lower()}@{channel}"
