"""Every REST call of the adapter, through one gate: rate limits, bans and the clock.

``RestGate.call(what, fn, *args)`` awaits a ccxt ``async_support`` method (ccxt's own
``enableRateLimit`` spaces the requests) and handles what Binance answers about the caller
rather than the request:

- 429 (``DDoSProtection``, not a ban): the request was not processed; wait its
  ``Retry-After`` (``retry_after_s`` without one) and send it again, ``rate_limit_retries``
  times at most (then ``VenueUnavailable``).
- 418 (an IP ban): the request was not processed, and no REST call may go out until the ban
  ends ("banned until <ms>", else ``Retry-After``, else ``ban_default_s``): ``Banned`` is raised
  at once by this and every call meanwhile, and ``on_ban(seconds, detail)`` is called (the
  adapter journals a notice and reports the venue down); ``on_unban()`` when the time is up.
- -1021 (``InvalidNonce``: the clock is off the exchange's): ``load_time_difference()`` (ccxt
  then signs with the exchange's time, and so does every client in ``mirrors``: the
  websocket's signed subscription) and the request once more.

Anything else is the caller's to read (``errors``): a timeout or 5xx on an order means its
effect is unknown. ``Retry-After`` is read from the response ccxt hands to ``on_rest_response``
(its hook for every response), so it is the header of the 429 / 418 itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import ccxt.async_support as ccxt_async

from live.adapters.ccxt.errors import ban_seconds, describe, is_ban, retry_after_of
from live.adapters.template import VenueUnavailable


class Banned(VenueUnavailable):
    """REST is stopped: the exchange banned this IP until ``until`` (monotonic seconds)."""

    def __init__(self, until: float, detail: str) -> None:
        self.until = until
        super().__init__(
            f"banned by the exchange for {max(until - time.monotonic(), 0):.1f} s more: {detail}"
        )


class RestGate:
    """One exchange's REST calls (see the module docstring). ``counts`` gains ``rest_calls``,
    ``rate_limited``, ``bans``, ``clock_resyncs``."""

    def __init__(
        self,
        ex: Any,
        counts: dict[str, int],
        secrets: tuple[str, ...],
        on_ban: Callable[[float, str], Awaitable[None]],
        on_unban: Callable[[], Awaitable[None]],
        retry_after_s: float = 1.0,
        rate_limit_retries: int = 5,
        ban_default_s: float = 60.0,
    ) -> None:
        self.ex = ex
        self.counts = counts
        self.secrets = secrets
        self.on_ban = on_ban
        self.on_unban = on_unban
        self.retry_after_s = retry_after_s
        self.rate_limit_retries = rate_limit_retries
        self.ban_default_s = ban_default_s
        self.banned_until = 0.0  # monotonic
        self.mirrors: list[Any] = []  # other clients of the exchange (ccxt.pro): the same clock
        self._unban: asyncio.Task[None] | None = None
        self._retry_after: float | None = None
        counts.update(dict.fromkeys(("rest_calls", "rate_limited", "bans", "clock_resyncs"), 0))
        hook = getattr(ex, "on_rest_response", None)
        if callable(hook):

            def on_rest_response(code: Any, reason: Any, url: Any, method: Any, headers: Any,
                                 body: Any, *rest: Any) -> Any:  # fmt: skip
                if str(code) in ("418", "429"):
                    self._retry_after = retry_after_of(headers)
                return hook(code, reason, url, method, headers, body, *rest)

            ex.on_rest_response = on_rest_response

    @property
    def banned(self) -> bool:
        return time.monotonic() < self.banned_until

    def check(self) -> None:
        """``Banned`` while a ban lasts (nothing may be sent)."""
        if self.banned:
            raise Banned(self.banned_until, "REST calls are held until it ends")

    async def call(
        self, what: str, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any
    ) -> Any:
        limited = 0
        resynced = False
        while True:
            self.check()
            self.counts["rest_calls"] += 1
            self._retry_after = None
            try:
                return await fn(*args, **kw)
            except ccxt_async.DDoSProtection as exc:
                retry_after = self._retry_after
                if is_ban(exc):
                    await self._banned(exc, retry_after)
                    raise Banned(self.banned_until, describe(exc, self.secrets)) from None
                self.counts["rate_limited"] += 1
                limited += 1
                if limited > self.rate_limit_retries:
                    raise VenueUnavailable(
                        f"{what}: rate limited {limited} times: {describe(exc, self.secrets)}"
                    ) from None
                await asyncio.sleep(retry_after if retry_after is not None else self.retry_after_s)
            except ccxt_async.InvalidNonce:
                if resynced:
                    raise
                resynced = True
                self.counts["clock_resyncs"] += 1
                await self.ex.load_time_difference()
                diff = (getattr(self.ex, "options", None) or {}).get("timeDifference")
                for other in self.mirrors:
                    other.options["timeDifference"] = diff

    async def _banned(self, exc: BaseException, retry_after: float | None) -> None:
        seconds = ban_seconds(exc, retry_after, time.time_ns() // 1_000_000, self.ban_default_s)
        until = time.monotonic() + seconds
        if until <= self.banned_until:
            return
        first = not self.banned
        self.banned_until = until
        if first:
            self.counts["bans"] += 1
            await self.on_ban(seconds, describe(exc, self.secrets))
        if self._unban is None or self._unban.done():
            self._unban = asyncio.ensure_future(self._wait_unban())

    async def _wait_unban(self) -> None:
        while self.banned:
            await asyncio.sleep(max(self.banned_until - time.monotonic(), 0.0) + 0.01)
        await self.on_unban()

    def close(self) -> None:
        if self._unban is not None:
            self._unban.cancel()
