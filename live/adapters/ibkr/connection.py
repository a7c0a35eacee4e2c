"""The TWS API session: one ``IB`` connection that heals itself, its pacing and its requests.

``connect_once`` opens the socket and runs ib_async's start-up synchronisation (open and
completed orders, positions, account updates, executions). When the socket is lost (TWS closed,
restarted, the network), ``run`` connects again, backing off from ``backoff_s`` to
``backoff_max_s`` with seeded jitter, for the whole session. TWS's own link to IB is separate:
error 1100 says it is lost (the socket stays open; TWS holds order messages), 1101/1102 that it
is back (data lost / maintained). Both kinds of change reach the adapter through ``on_link``:
``DOWN`` / ``UP`` (the socket), ``OUTAGE`` (1100), ``RESTORED`` (1102) and
``RESTORED_DATA_LOST`` (1101: market data must be asked for again). ``is_up`` is the socket
ready and TWS linked to IB.

Every message the adapter sends goes through ``throttle`` (``throttle.py``); ``request`` also
bounds the answer's wait (``timeout_s``), takes ``RequestError`` from the library (its
``RaiseRequestErrors`` is on: a refused request raises instead of answering empty) and asks
again, after a pause, when TWS refused it for pacing (error 100: about its request id, or -1
for requests that carry none, which could be any of those waiting: each is asked again).
Answers that cannot come (timeout, socket lost) raise ``VenueUnavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from live.adapters.ibkr import errors, ib_api
from live.adapters.ibkr.config import IbkrConfig
from live.adapters.ibkr.throttle import Throttle
from live.adapters.template import VenueUnavailable

# on_link states: the socket lost / back; TWS's link to IB lost (1100) / back (1102) / back with
# its market data subscriptions lost (1101)
DOWN, UP, OUTAGE, RESTORED, RESTORED_DATA_LOST = "down", "up", "outage", "restored", "data_lost"
PACING_RETRIES = 5


class IbConnection:
    """The ``IB`` instance (``ib``) and its life. ``on_link(state)`` is called (synchronously,
    on the event loop) at each change; ``connects``, ``disconnects``, ``outages`` and
    ``paced`` (error 100 answers) count what happened."""

    def __init__(
        self, cfg: IbkrConfig, rng: np.random.Generator, on_link: Callable[[str], None]
    ) -> None:
        self.cfg = cfg
        self.rng = rng
        self.on_link = on_link
        self.ib = ib_api.IB()
        self.ib.RaiseRequestErrors = True
        self.ib.disconnectedEvent += self._on_disconnected
        self.ib.errorEvent += self._on_error
        self.throttle = Throttle(cfg.msgs_per_s, cfg.msgs_burst)
        self.ready = asyncio.Event()  # the socket is up and the API ready
        self.outage = False  # TWS lost its link to IB (1100) and has not said it is back
        self.connects = self.disconnects = self.outages = self.paced = 0
        self._lost = asyncio.Event()
        self._closing = False
        self._connecting = False
        self._paced = asyncio.Event()  # why: replaced at each -1 pacing error; waiters hold one
        self._requests = asyncio.Lock()

    @property
    def is_up(self) -> bool:
        return self.ready.is_set() and not self.outage

    def backoff(self, attempt: int) -> float:
        """Seconds before reconnect ``attempt`` (exponential, capped, seeded jitter)."""
        base = min(self.cfg.backoff_s * (2**attempt), self.cfg.backoff_max_s)
        return float(base * (0.5 + self.rng.random() / 2))

    # --- the socket -----------------------------------------------------------------------------
    async def connect_once(self, timeout: float) -> None:
        """Open the socket and synchronise (raises ``OSError``/``TimeoutError``/``ConnectionError``)."""
        cfg = self.cfg
        self._connecting = True
        try:
            await self.ib.connectAsync(
                cfg.host, cfg.port, clientId=cfg.client_id, timeout=timeout, account=cfg.account
            )
        finally:
            self._connecting = False
        if not self.ib.isConnected():
            raise ConnectionError("the socket closed while synchronising")
        self.connects += 1
        self.outage = False
        self._lost.clear()
        self.ready.set()

    async def run(self) -> None:
        """Reconnect after every loss, for as long as the session runs."""
        attempt = 0
        while not self._closing:
            await self._lost.wait()
            if self._closing:
                return
            try:
                await self.connect_once(min(self.cfg.timeout_s, self.cfg.connect_timeout_s))
            except (OSError, TimeoutError, ConnectionError):
                await asyncio.sleep(self.backoff(attempt))
                attempt += 1
                continue
            attempt = 0
            self.on_link(UP)

    async def close(self) -> None:
        self._closing = True
        self._lost.set()  # why: wake run() so it returns
        self.ready.clear()
        with contextlib.suppress(Exception):
            self.ib.disconnect()

    def drop(self) -> None:
        """Close the socket as if it were lost (``run`` connects again)."""
        with contextlib.suppress(Exception):
            self.ib.disconnect()

    def _on_disconnected(self) -> None:
        if self._closing or self._connecting or not self.ready.is_set():
            return
        self.ready.clear()
        self.disconnects += 1
        self._lost.set()
        self.on_link(DOWN)

    def _on_error(self, req_id: int, code: int, text: str, contract: Any) -> None:
        kind = errors.classify(code)
        if kind == errors.PACING:
            self.paced += 1
            self.throttle.penalize()
            if req_id == -1:
                self._paced.set()
                self._paced = asyncio.Event()
        elif kind == errors.CONN_LOST:
            if not self.outage:
                self.outage = True
                self.outages += 1
                self.on_link(OUTAGE)
        elif kind in (errors.CONN_RESTORED, errors.CONN_RESTORED_LOST):
            was = self.outage
            self.outage = False
            if kind == errors.CONN_RESTORED_LOST:
                self.on_link(RESTORED_DATA_LOST)
            elif was:
                self.on_link(RESTORED)

    # --- messages -------------------------------------------------------------------------------
    async def send(self, fn: Callable[[], Any]) -> Any:
        """Send one fire-and-forget message (``fn`` calls the library) in its turn; returns what
        ``fn`` returns, or raises ``ConnectionError`` when the socket is not up."""
        await self.throttle.acquire()
        if not self.ready.is_set():
            raise ConnectionError("not connected")
        return fn()

    async def request(self, make: Callable[[], Awaitable[Any]], what: str) -> Any:
        """One request and its answer (see the module docstring); ``RequestError`` for an error
        TWS answered other than pacing."""
        async with self._requests:
            for _ in range(PACING_RETRIES):
                if not self.ready.is_set():
                    raise VenueUnavailable(f"{what}: not connected")
                await self.throttle.acquire()
                paced = self._paced
                try:
                    answer = asyncio.ensure_future(make())
                except ConnectionError:
                    raise VenueUnavailable(f"{what}: not connected") from None
                waiter = asyncio.ensure_future(paced.wait())
                try:
                    done, _ = await asyncio.wait(
                        {answer, waiter},
                        timeout=self.cfg.timeout_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    waiter.cancel()
                if answer not in done:
                    answer.cancel()
                    if waiter in done:
                        continue  # why: refused for pacing (-1): ask again after the pause
                    raise VenueUnavailable(f"{what}: no answer in {self.cfg.timeout_s} s")
                try:
                    return answer.result()
                except ib_api.RequestError as exc:
                    if exc.code == 100:
                        continue
                    raise
                except ConnectionError:
                    raise VenueUnavailable(f"{what}: the connection was lost") from None
            raise VenueUnavailable(f"{what}: refused for pacing {PACING_RETRIES} times")
