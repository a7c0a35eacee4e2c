"""Alpaca's websocket streams: ``trade_updates`` (JSON) and market data (MessagePack).

``StreamClient`` keeps one connection alive: connect, handshake, read; on any failure it reports
the disconnect, waits (exponential backoff with seeded jitter) and connects again, forever, until
closed. It records when the last message arrived so the adapter's watchdog can tell a socket that
stays open but has gone silent.

Handshakes, as the official SDK (alpaca-py) performs them:
- trade_updates: send ``{"action": "authenticate", "data": {"key_id", "secret_key"}}`` (JSON),
  expect ``{"stream": "authorization", "data": {"status": "authorized"}}``; send
  ``{"action": "listen", "data": {"streams": ["trade_updates"]}}``, expect ``"listening"``.
  Messages come as JSON, in binary or text frames.
- market data v2: connect with ``Content-Type: application/msgpack``; expect
  ``[{"T": "success", "msg": "connected"}]``; send ``{"action": "auth", "key", "secret"}``,
  expect ``authenticated``; send ``{"action": "subscribe", "quotes": [...], "trades": [...],
  "bars": [...]}``. Messages are MessagePack arrays of ``{"T": ...}`` items.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack
import numpy as np
import websockets

from live.adapters.alpaca.config import AlpacaConfig

OnMessage = Callable[[Any], Awaitable[None]]
OnState = Callable[[bool], Awaitable[None]]


class HandshakeError(RuntimeError):
    """The venue refused our credentials or the protocol went wrong (no secret in the text)."""


class StreamClient:
    """A self-healing websocket. ``on_message`` gets each decoded message (a dict, or each item
    of an array); ``on_state(True)`` after a successful handshake, ``on_state(False)`` when the
    connection is lost. ``kind`` is ``"trading"`` or ``"data"``."""

    def __init__(
        self,
        cfg: AlpacaConfig,
        kind: str,
        on_message: OnMessage,
        on_state: OnState,
        rng: np.random.Generator,
        subscribe: dict[str, list[str]] | None = None,
    ) -> None:
        self.cfg = cfg
        self.kind = kind
        self.url = cfg.stream_url if kind == "trading" else cfg.data_url
        self.on_message = on_message
        self.on_state = on_state
        self.rng = rng
        self.subscribe = subscribe or {}
        self.last_message = time.monotonic()
        self.connects = 0
        self.disconnects = 0
        self.messages = 0
        self._ws: Any = None
        self._closed = False
        self.connected = asyncio.Event()

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before reconnect ``attempt`` (exponential, capped, seeded jitter)."""
        base = min(self.cfg.backoff_s * (2**attempt), self.cfg.backoff_max_s)
        return float(base * (0.5 + self.rng.random() / 2))

    async def run(self) -> None:
        attempt = 0
        while not self._closed:
            try:
                headers = {"Content-Type": "application/msgpack"} if self.kind == "data" else {}
                async with websockets.connect(
                    self.url,
                    additional_headers=headers,
                    open_timeout=self.cfg.timeout_s,
                    ping_interval=10,
                    ping_timeout=10,
                    max_size=2**24,
                ) as ws:
                    self._ws = ws
                    await self._handshake(ws)
                    attempt = 0
                    self.connects += 1
                    self.last_message = time.monotonic()
                    self.connected.set()
                    await self.on_state(True)
                    async for raw in ws:
                        self.last_message = time.monotonic()
                        for msg in self._decode(raw):
                            self.messages += 1
                            await self.on_message(msg)
            except asyncio.CancelledError:
                raise
            except HandshakeError:
                if self._closed:
                    return
                raise
            except (OSError, websockets.WebSocketException, TimeoutError, ValueError):
                pass
            finally:
                self._ws = None
            if self._closed:
                return
            if self.connected.is_set():
                self.connected.clear()
                self.disconnects += 1
                await self.on_state(False)
            await asyncio.sleep(self.backoff(attempt))
            attempt += 1

    async def reconnect(self) -> None:
        """Drop the connection (a stale socket): ``run`` reconnects and reconciles."""
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def close(self) -> None:
        self._closed = True
        await self.reconnect()

    def _decode(self, raw: bytes | str) -> list[Any]:
        if self.kind == "data" and isinstance(raw, bytes):
            msg = msgpack.unpackb(raw, raw=False)
        else:
            msg = json.loads(raw)
        return msg if isinstance(msg, list) else [msg]

    async def _handshake(self, ws: Any) -> None:
        cfg = self.cfg
        if self.kind == "trading":
            await ws.send(
                json.dumps(
                    {
                        "action": "authenticate",
                        "data": {"key_id": cfg.key, "secret_key": cfg.secret},
                    }
                )
            )
            reply = json.loads(await asyncio.wait_for(ws.recv(), cfg.timeout_s))
            if (reply.get("data") or {}).get("status") != "authorized":
                raise HandshakeError(f"{cfg.name}: trade_updates authentication refused")
            await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), cfg.timeout_s))
            if reply.get("stream") != "listening":
                raise HandshakeError(f"{cfg.name}: trade_updates listen refused")
            return
        first = self._decode(await asyncio.wait_for(ws.recv(), cfg.timeout_s))
        if not first or first[0].get("T") != "success":
            raise HandshakeError(f"{cfg.name}: market data did not say connected")
        await ws.send(msgpack.packb({"action": "auth", "key": cfg.key, "secret": cfg.secret}))
        reply = self._decode(await asyncio.wait_for(ws.recv(), cfg.timeout_s))
        if not reply or reply[0].get("T") != "success" or reply[0].get("msg") != "authenticated":
            raise HandshakeError(f"{cfg.name}: market data authentication refused")
        if any(self.subscribe.values()):
            await ws.send(msgpack.packb({"action": "subscribe", **self.subscribe}))
