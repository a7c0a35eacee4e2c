"""ccxt.pro's websockets kept alive: the user-data stream (orders and trades) and quotes.

``UserStream.run`` loops for the life of the adapter: subscribe (``authenticate()``: for Binance
spot the WebSocket API's ``userDataStream.subscribe.signature``, answered once the stream is
live), then watch ``watch_my_trades`` and ``watch_orders`` (every symbol, one subscription)
until either fails -- the connection closed, a ``NetworkError`` -- then report the loss, forget
the dead connection, wait (exponential backoff from ``backoff_s`` to ``backoff_max_s`` with
seeded jitter) and subscribe again. ``on_state(True)`` after each (re)subscription is the
adapter's cue to backfill (a reconciliation: ``myTrades`` since the last trade read, open
orders, every order the kernel has open), ``on_state(False)`` its cue to report the venue down.

ccxt.pro keeps what arrives in caches and hands each ``watch_*`` call the updates since the
previous one, so nothing that arrives between two calls is lost; duplicates (a re-sent report,
a trade seen live and again in the backfill) are dropped by the adapter's once-gate.

``QuoteStream.run`` watches the touch (``watch_bids_asks``: Binance's bookTicker; else
``watch_tickers``) for the adapter's symbols and reconnects the same way; quotes never change a
venue's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import ccxt.async_support as ccxt_async
import numpy as np

from live.adapters.ccxt.errors import describe

OnItems = Callable[[list[Any]], Awaitable[None]]
OnState = Callable[[bool], Awaitable[None]]
ERRORS = (ccxt_async.BaseError, OSError, TimeoutError, ConnectionError, RuntimeError)


class Backoff:
    """Exponential backoff with seeded jitter."""

    def __init__(self, rng: np.random.Generator, base_s: float, max_s: float) -> None:
        self.rng, self.base_s, self.max_s = rng, base_s, max_s

    def delay(self, attempt: int) -> float:
        base = min(self.base_s * (2**attempt), self.max_s)
        return float(base * (0.5 + self.rng.random() / 2))


def user_stream_url(ex: Any) -> str | None:
    """The URL of Binance spot's user-data connection (the WebSocket API), else None."""
    ws = (getattr(ex, "urls", None) or {}).get("api", {}).get("ws")
    if isinstance(ws, dict):
        api = ws.get("ws-api")
        if isinstance(api, dict) and isinstance(api.get("spot"), str):
            return str(api["spot"])
    return None


class UserStream:
    """The user-data stream (see the module docstring). ``connected`` is set while it is live;
    ``connects``, ``disconnects``, ``messages`` count; ``last_error`` says why it last failed
    (never a secret)."""

    def __init__(
        self,
        ex: Any,
        on_trades: OnItems,
        on_orders: OnItems,
        on_state: OnState,
        backoff: Backoff,
        timeout_s: float,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.ex = ex
        self.on_trades = on_trades
        self.on_orders = on_orders
        self.on_state = on_state
        self.backoff = backoff
        self.timeout_s = timeout_s
        self.secrets = secrets
        self.connected = asyncio.Event()
        self.connects = 0
        self.disconnects = 0
        self.messages = 0
        self.last_message = time.monotonic()
        self.last_error = ""
        self._closed = False

    async def _subscribe(self) -> None:
        auth = getattr(self.ex, "authenticate", None)
        if callable(auth):
            await auth()

    async def run(self) -> None:
        attempt = 0
        while not self._closed:
            try:
                await asyncio.wait_for(self._subscribe(), self.timeout_s)
            except ERRORS as exc:
                self.last_error = describe(exc, self.secrets)
                await self._forget()
                await asyncio.sleep(self.backoff.delay(attempt))
                attempt += 1
                continue
            attempt = 0
            watchers = [
                asyncio.ensure_future(self._watch(self.ex.watch_my_trades, self.on_trades)),
                asyncio.ensure_future(self._watch(self.ex.watch_orders, self.on_orders)),
            ]
            self.connects += 1
            self.connected.set()
            try:
                await self.on_state(True)
                done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    failure = task.exception()
                    if failure is not None:
                        self.last_error = describe(failure, self.secrets)
            finally:
                for task in watchers:
                    task.cancel()
                for task in watchers:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            self.connected.clear()
            if self._closed:
                return
            self.disconnects += 1
            await self._forget()
            await self.on_state(False)
            await asyncio.sleep(self.backoff.delay(0))

    async def _watch(self, method: Callable[..., Awaitable[Any]], handler: OnItems) -> None:
        while True:
            items = await method()
            self.last_message = time.monotonic()
            items = list(items or ())
            self.messages += len(items)
            await handler(items)

    async def _forget(self) -> None:
        """Drop the user-data connection (a dead one, or one whose subscription failed), so
        the next subscription dials afresh."""
        url = user_stream_url(self.ex)
        clients = getattr(self.ex, "clients", None) or {}
        for key in [u for u, c in clients.items() if u == url or (url is None and c.closed())]:
            client = clients.pop(key, None)
            if client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.close(), 1.0)

    async def close(self) -> None:
        self._closed = True
        self.connected.clear()


class QuoteStream:
    """The touch for ``symbols`` (ccxt's), each update handed to ``on_quotes`` as ccxt's
    ``{symbol: ticker}``."""

    def __init__(
        self,
        ex: Any,
        symbols: list[str],
        on_quotes: Callable[[dict[str, Any]], Awaitable[None]],
        backoff: Backoff,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.ex = ex
        self.symbols = symbols
        self.on_quotes = on_quotes
        self.backoff = backoff
        self.secrets = secrets
        self.updates = 0
        self.errors = 0
        self.last_error = ""

    async def run(self) -> None:
        has = getattr(self.ex, "has", {}) or {}
        watch = self.ex.watch_bids_asks if has.get("watchBidsAsks") else self.ex.watch_tickers
        attempt = 0
        while True:
            try:
                got = await watch(self.symbols)
            except ERRORS as exc:
                self.errors += 1
                self.last_error = describe(exc, self.secrets)
                await asyncio.sleep(self.backoff.delay(attempt))
                attempt = min(attempt + 1, 8)
                continue
            attempt = 0
            self.updates += 1
            await self.on_quotes(dict(got or {}))
