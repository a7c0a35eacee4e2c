"""Alpaca's REST API over aiohttp: one method per call the adapter makes, typed errors, retries.

The session can be injected (tests hand in their own). Every call is bounded by
``timeout_s``. A 429 is retried after the wait the venue asked for (``Retry-After``) or an
exponential backoff with seeded jitter, up to ``max_retries``; a 5xx or a transport failure is
retried only for calls that are safe to repeat (reads and deletes). Submitting is made safe one
level up (``AlpacaAdapter``: look the order up by client order id before sending it again).
Nothing here ever puts a credential in an exception or a log line.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import numpy as np

from live.adapters.alpaca.config import AlpacaConfig
from live.adapters.alpaca.errors import AlpacaError, RateLimited, ServerError, error_from_response


class TransportError(AlpacaError):
    """The call did not complete (timeout, connection refused or dropped): its effect is unknown."""

    def __init__(self, message: str) -> None:
        super().__init__(0, None, message)


class AlpacaHttp:
    """REST calls. ``stats`` counts requests, retries, rate limits, server errors, timeouts."""

    def __init__(
        self,
        cfg: AlpacaConfig,
        rng: np.random.Generator,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.cfg = cfg
        self.rng = rng
        self._session = session
        self._own_session = session is None
        self.stats = {
            "requests": 0,
            "retries": 0,
            "rate_limited": 0,
            "server_errors": 0,
            "timeouts": 0,
        }

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self.cfg.headers())

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _backoff(self, attempt: int) -> float:
        base = min(self.cfg.backoff_s * (2**attempt), self.cfg.backoff_max_s)
        return float(base * (0.5 + self.rng.random() / 2))

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        safe: bool = False,
    ) -> Any:
        """One call; retries 429s always and 5xx/transport failures when ``safe``."""
        assert self._session is not None, "open() first"
        url = self.cfg.base_url + path
        err: AlpacaError | None = None
        for attempt in range(self.cfg.max_retries + 1):
            if attempt:
                self.stats["retries"] += 1
            self.stats["requests"] += 1
            try:
                async with self._session.request(
                    method,
                    url,
                    json=body,
                    params=params,
                    headers=self.cfg.headers(),
                    timeout=aiohttp.ClientTimeout(total=self.cfg.timeout_s),
                ) as resp:
                    text = await resp.text()
                    if 200 <= resp.status < 300:
                        return json.loads(text) if text.strip() else None
                    err = error_from_response(
                        resp.status,
                        text,
                        dict(resp.headers),
                        secrets=(self.cfg.key, self.cfg.secret),
                    )
            except TimeoutError:
                self.stats["timeouts"] += 1
                err = TransportError(
                    f"{self.cfg.name}: {method} {path} timed out after {self.cfg.timeout_s}s"
                )
            except aiohttp.ClientError as exc:
                err = TransportError(
                    f"{self.cfg.name}: {method} {path} failed: {type(exc).__name__}"
                )
            if isinstance(err, RateLimited):
                self.stats["rate_limited"] += 1
                wait = err.retry_after if err.retry_after is not None else self._backoff(attempt)
                await asyncio.sleep(min(wait, self.cfg.backoff_max_s))
                continue
            if isinstance(err, ServerError):
                self.stats["server_errors"] += 1
            if safe and isinstance(err, (ServerError, TransportError)):
                await asyncio.sleep(self._backoff(attempt))
                continue
            raise err
        assert err is not None
        raise err

    # --- the calls -------------------------------------------------------------------------------
    async def submit_order(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", "/v2/orders", body=body)  # type: ignore[no-any-return]

    async def order_by_client_id(self, client_order_id: str) -> dict[str, Any]:
        return await self.request(  # type: ignore[no-any-return]
            "GET",
            "/v2/orders:by_client_order_id",
            params={"client_order_id": client_order_id},
            safe=True,
        )

    async def get_order(self, order_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/v2/orders/{order_id}", safe=True)  # type: ignore[no-any-return]

    async def list_orders(
        self, status: str = "all", after: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "status": status,
            "limit": limit,
            "direction": "asc",
            "nested": "true",
        }
        if after:
            params["after"] = after
        return await self.request("GET", "/v2/orders", params=params, safe=True)  # type: ignore[no-any-return]

    async def cancel_order(self, order_id: str) -> None:
        await self.request("DELETE", f"/v2/orders/{order_id}", safe=True)

    async def replace_order(self, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("PATCH", f"/v2/orders/{order_id}", body=body)  # type: ignore[no-any-return]

    async def positions(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/v2/positions", safe=True)  # type: ignore[no-any-return]

    async def account(self) -> dict[str, Any]:
        return await self.request("GET", "/v2/account", safe=True)  # type: ignore[no-any-return]

    async def clock(self) -> dict[str, Any]:
        return await self.request("GET", "/v2/clock", safe=True)  # type: ignore[no-any-return]

    async def fill_activities(self, after: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"direction": "asc", "page_size": 100}
        if after:
            params["after"] = after
        return await self.request("GET", "/v2/account/activities/FILL", params=params, safe=True)  # type: ignore[no-any-return]
