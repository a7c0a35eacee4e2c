"""The fake venue's websockets: ``/stream`` (``trade_updates``) and ``/v2/{feed}`` (market data).

Trade stream, as Alpaca and alpaca-py's ``TradingStream`` speak it: the client sends
``{"action": "authenticate", "data": {"key_id", "secret_key"}}`` (the newer ``{"action":
"auth", "key", "secret"}`` is accepted too) and gets ``{"stream": "authorization", "data":
{"status": "authorized" | "unauthorized", "action": "authenticate"}}``; then ``{"action":
"listen", "data": {"streams": ["trade_updates"]}}`` -> ``{"stream": "listening", "data":
{"streams": [...]}}``. Accounts: the key pair a client authenticates with names its account
(``config.key_pairs()``), and the connection hears only that account's updates
(``TradeHub.publish(msg, account)``). Frames are binary JSON (Alpaca's paper stream), or MessagePack when the
upgrade request says ``Content-Type: application/msgpack``.

Data stream, as ``StockDataStream`` speaks it: ``[{"T": "success", "msg": "connected"}]`` on
connect, ``{"action": "auth", "key", "secret"}`` -> ``[{"T": "success", "msg":
"authenticated"}]`` (any account's key pair; or ``[{"T": "error", "code": 402, "msg": "auth
failed"}]``), ``subscribe``
/ ``unsubscribe`` -> ``[{"T": "subscription", ...}]``, then arrays of ``q`` / ``t`` / ``b``.
alpaca-py asks for MessagePack (and then expects ``t`` as a msgpack Timestamp); without the
header frames are JSON text with RFC3339 times.

Faults (``live.fakes.alpaca.faults``) touch only trade updates, per connection, in the sender:
``disconnect`` closes the socket instead of sending, ``silence`` discards this and every later
message for ``silence_s`` (socket open), ``mute`` discards this and every later message for the
rest of the connection (socket open, pings answered; a new connection is heard again), ``drop``
skips one, ``reorder`` holds one back until the next is sent (at most ``REORDER_HOLD_S``),
``duplicate`` sends one twice. Discarded messages are counted (``silenced_messages``,
``muted_messages``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Callable
from typing import Any

import msgpack
from aiohttp import WSCloseCode, WSMsgType, web

from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.faults import Faults
from live.fakes.alpaca.orders import fmt_ns

QUEUE_BOUND = 10_000  # per connection; a client that falls this far behind is closed
REORDER_HOLD_S = 0.2
DATA_CHANNELS = (
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
    "corrections",
    "cancelErrors",
)


def _wants_msgpack(request: web.Request) -> bool:
    return request.headers.get("Content-Type", "").lower().startswith("application/msgpack")


def _decode(data: str | bytes, use_msgpack: bool) -> Any:
    if use_msgpack and isinstance(data, bytes):
        return msgpack.unpackb(data)
    return json.loads(data)


def _logins(config: FakeAlpacaConfig) -> dict[tuple[Any, Any], int]:
    """``{(key, secret): account index}`` of every account."""
    return {pair: i for i, pair in enumerate(config.key_pairs())}


def _login(logins: dict[tuple[Any, Any], int], key: Any, secret: Any) -> int | None:
    """The account index of a key pair a client sent (None: unknown or not strings)."""
    if not (isinstance(key, str) and isinstance(secret, str)):
        return None
    return logins.get((key, secret))


class _Conn:
    __slots__ = (
        "account",
        "authed",
        "closing",
        "held",
        "listening",
        "msgpack",
        "muted",
        "queue",
        "silent_until",
        "subs",
        "ws",
    )

    def __init__(self, ws: web.WebSocketResponse, use_msgpack: bool) -> None:
        self.ws = ws
        self.msgpack = use_msgpack
        self.authed = False
        self.account: int | None = None  # the authenticated account (trade stream)
        self.listening = False
        self.queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_BOUND)
        self.silent_until: float | None = None
        self.muted = False
        self.held: Any = None
        self.closing: asyncio.Future[Any] | None = None
        self.subs: dict[str, set[str]] = {c: set() for c in DATA_CHANNELS}

    def offer(self, msg: Any) -> bool:
        """Queue ``msg``; False (and the socket closing) when the client is too slow."""
        try:
            self.queue.put_nowait(msg)
            return True
        except asyncio.QueueFull:
            if self.closing is None:
                self.closing = asyncio.ensure_future(
                    self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
                )
            return False


async def _serve(conn: _Conn, sender: Callable[[_Conn], Any], control: Callable[..., Any]) -> None:
    task = asyncio.ensure_future(sender(conn))
    try:
        async for m in conn.ws:
            if m.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            try:
                obj = _decode(m.data, conn.msgpack)
            except ValueError:
                obj = None
            await control(conn, obj)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class TradeHub:
    """The ``trade_updates`` listeners; ``publish(msg, account)`` is called by the venue for each
    update of an account (``publisher(account)`` is that account's ``publish``)."""

    def __init__(self, config: FakeAlpacaConfig, faults: Faults, stats: dict[str, int]) -> None:
        self.config = config
        self.faults = faults
        self.stats = stats
        self.conns: list[_Conn] = []
        self.logins = _logins(config)

    def publish(self, msg: dict[str, Any], account: int = 0) -> None:
        self.stats["trade_updates_published"] += 1
        for conn in list(self.conns):
            if conn.listening and conn.account == account and not conn.offer(msg):
                self.stats["slow_client_closes"] += 1

    def publisher(self, account: int) -> Callable[[dict[str, Any]], None]:
        """The ``publish`` of one account's updates."""
        return lambda msg: self.publish(msg, account)

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws, _wants_msgpack(request))
        self.stats["trade_connections"] += 1
        self.conns.append(conn)
        try:
            await _serve(conn, self._sender, self._control)
        finally:
            self.conns.remove(conn)
            self._listening(conn, False)
        return ws

    def _listening(self, conn: _Conn, on: bool) -> None:
        if on != conn.listening:
            self.stats["trade_listeners"] += 1 if on else -1
        conn.listening = on

    async def _send(self, conn: _Conn, obj: Any) -> None:
        data = msgpack.packb(obj) if conn.msgpack else json.dumps(obj).encode()
        await conn.ws.send_bytes(data)

    async def _control(self, conn: _Conn, obj: Any) -> None:
        action = obj.get("action") if isinstance(obj, dict) else None
        data = obj.get("data") if isinstance(obj, dict) else None
        data = data if isinstance(data, dict) else {}
        if action in ("authenticate", "auth"):
            src = data if action == "authenticate" else obj
            key = src.get("key_id", src.get("key"))
            secret = src.get("secret_key", src.get("secret"))
            conn.account = _login(self.logins, key, secret)
            conn.authed = conn.account is not None
            status = "authorized" if conn.authed else "unauthorized"
            await self._send(
                conn, {"stream": "authorization", "data": {"status": status, "action": action}}
            )
        elif action == "listen":
            if not conn.authed:
                await self._send(
                    conn,
                    {
                        "stream": "authorization",
                        "data": {"status": "unauthorized", "action": "listen"},
                    },
                )
                return
            streams = [s for s in data.get("streams") or [] if s == "trade_updates"]
            await self._send(conn, {"stream": "listening", "data": {"streams": streams}})
            self._listening(conn, bool(streams))  # why: after the ack: no update overtakes it
        else:
            await self._send(conn, {"stream": "error", "data": {"error_message": "invalid action"}})

    async def _sender(self, conn: _Conn) -> None:
        while not conn.ws.closed:
            if conn.held is not None:
                try:
                    msg = await asyncio.wait_for(conn.queue.get(), REORDER_HOLD_S)
                except TimeoutError:
                    held, conn.held = conn.held, None
                    if conn.muted:
                        self.stats["muted_messages"] += 1
                    else:
                        await self._out(conn, held)
                    continue
            else:
                msg = await conn.queue.get()
            await self._deliver(conn, msg)

    async def _out(self, conn: _Conn, msg: Any) -> None:
        await self._send(conn, msg)
        self.stats["trade_updates_sent"] += 1

    async def _deliver(self, conn: _Conn, msg: Any) -> None:
        faults = self.faults
        now = asyncio.get_running_loop().time()
        if conn.muted:
            self.stats["muted_messages"] += 1
            return
        if conn.silent_until is not None:
            if now < conn.silent_until:
                self.stats["silenced_messages"] += 1
                return
            conn.silent_until = None
        if faults.roll("disconnect"):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"fake venue disconnect")
            return
        if faults.roll("silence"):
            span = self.config.silence_s
            conn.silent_until = math.inf if span is None else now + span
            self.stats["silenced_messages"] += 1
            return
        if faults.roll("mute"):
            conn.muted = True
            self.stats["muted_messages"] += 1
            if conn.held is not None:
                conn.held = None
                self.stats["muted_messages"] += 1
            return
        if faults.roll("drop"):
            return
        if conn.held is None and faults.roll("reorder"):
            conn.held = msg
            return
        await self._out(conn, msg)
        if faults.roll("duplicate"):
            await self._out(conn, msg)
        if conn.held is not None:
            held, conn.held = conn.held, None
            await self._out(conn, held)


class DataHub:
    """Market data subscribers; ``publish(channel, symbol, msg)`` is called by the replay."""

    def __init__(self, config: FakeAlpacaConfig, stats: dict[str, int]) -> None:
        self.config = config
        self.stats = stats
        self.conns: list[_Conn] = []
        self.logins = _logins(config)

    def publish(self, channel: str, symbol: str, msg: dict[str, Any]) -> None:
        for conn in list(self.conns):
            subs = conn.subs[channel]
            if conn.authed and (symbol in subs or "*" in subs) and not conn.offer(msg):
                self.stats["slow_client_closes"] += 1

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws, _wants_msgpack(request))
        self.stats["data_connections"] += 1
        self.conns.append(conn)
        try:
            await self._send(conn, [{"T": "success", "msg": "connected"}])
            await _serve(conn, self._sender, self._control)
        finally:
            self.conns.remove(conn)
            if conn.listening:
                self.stats["data_subscribers"] -= 1
        return ws

    async def _send(self, conn: _Conn, msgs: list[dict[str, Any]]) -> None:
        if conn.msgpack:
            out = [_with_time(m, msgpack.Timestamp.from_unix_nano) for m in msgs]
            await conn.ws.send_bytes(msgpack.packb(out))
        else:
            await conn.ws.send_str(json.dumps([_with_time(m, fmt_ns) for m in msgs]))

    async def _control(self, conn: _Conn, obj: Any) -> None:
        action = obj.get("action") if isinstance(obj, dict) else None
        if action == "auth":
            if conn.authed:
                await self._send(
                    conn, [{"T": "error", "code": 403, "msg": "already authenticated"}]
                )
                return
            if _login(self.logins, obj.get("key"), obj.get("secret")) is None:
                await self._send(conn, [{"T": "error", "code": 402, "msg": "auth failed"}])
                await conn.ws.close()
                return
            conn.authed = True
            await self._send(conn, [{"T": "success", "msg": "authenticated"}])
        elif action in ("subscribe", "unsubscribe"):
            if not conn.authed:
                await self._send(conn, [{"T": "error", "code": 401, "msg": "not authenticated"}])
                return
            for channel in DATA_CHANNELS:
                symbols = obj.get(channel) or []
                if action == "subscribe":
                    conn.subs[channel].update(symbols)
                else:
                    conn.subs[channel].difference_update(symbols)
            for mirror in ("corrections", "cancelErrors"):
                conn.subs[mirror] = set(conn.subs["trades"])
            reply: dict[str, Any] = {"T": "subscription"}
            reply.update({c: sorted(conn.subs[c]) for c in DATA_CHANNELS})
            await self._send(conn, [reply])
            subscribed = any(conn.subs.values())
            if subscribed != conn.listening:  # why: ``listening`` = subscribed to something
                self.stats["data_subscribers"] += 1 if subscribed else -1
                conn.listening = subscribed
        else:
            await self._send(conn, [{"T": "error", "code": 400, "msg": "invalid syntax"}])

    async def _sender(self, conn: _Conn) -> None:
        while not conn.ws.closed:
            batch = [await conn.queue.get()]
            while not conn.queue.empty() and len(batch) < 100:
                batch.append(conn.queue.get_nowait())
            await self._send(conn, batch)
            self.stats["md_messages_sent"] += len(batch)


def _with_time(msg: dict[str, Any], encode: Callable[[int], Any]) -> dict[str, Any]:
    t = msg.get("t")
    if not isinstance(t, int):
        return msg
    out = dict(msg)
    out["t"] = encode(t)
    return out
