"""Fixtures of the local Binance venue's tests: a paused venue in a thread on the bundled spot
trades, ccxt clients pointed at it (every ``urls['api']`` entry rewritten onto 127.0.0.1), and
a signed raw websocket for the checks ccxt's caches would hide (duplicates, closes)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ccxt
import ccxt.pro
import pytest
from aiohttp import ClientSession, WSMsgType
from bn_venue import venue_maker

from live.fakes.binance import VenueThread

ROOT = Path(__file__).resolve().parents[3]
RECORDED = ROOT / "live" / "fakes" / "binance" / "data" / "binance_spot_http_responses.json"
OPTIONS = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}


def recorded(name: str) -> Any:
    """The raw response ccxt's own fixtures hold for ``name`` (e.g. ``fetchOrder``)."""
    return json.loads(RECORDED.read_text())[name]["httpResponse"]


def local_urls(urls: dict[str, Any], base: str, stream: str) -> dict[str, Any]:
    """Every URL of ccxt's ``urls['api']`` moved onto the venue (REST on ``base``, websockets
    on ``stream``), keeping each path."""
    out: dict[str, Any] = {}
    for key, value in urls.items():
        if isinstance(value, dict):
            out[key] = local_urls(value, base, stream)
        elif isinstance(value, str) and "://" in value:
            scheme, rest = value.split("://", 1)
            path = rest.partition("/")[2]
            out[key] = f"{stream if scheme.startswith('ws') else base}/{path}"
        else:
            out[key] = value
    return out


def point(ex: Any, venue: VenueThread) -> Any:
    ex.urls["api"] = local_urls(ex.urls["api"], venue.base_url, venue.stream_url)
    return ex


@pytest.fixture
def make_venue() -> Iterator[Callable[..., VenueThread]]:
    """``make_venue(**kw)``: a paused venue on the bundled BTCUSDT trades with 5 prints
    replayed (last 39432.48 x 0.006329); keywords of ``FakeBinanceConfig`` go there, the
    others to the market's."""
    with venue_maker() as make:
        yield make


@pytest.fixture
def venue(make_venue: Callable[..., VenueThread]) -> VenueThread:
    return make_venue()


def client(venue: VenueThread, **kw: Any) -> ccxt.binance:
    config = {"apiKey": venue.config.api_key, "secret": venue.config.api_secret,
              "options": dict(OPTIONS), "timeout": 5000, **kw}  # fmt: skip
    ex = point(ccxt.binance(config), venue)
    ex.load_markets()
    return ex


@pytest.fixture
def ex(venue: VenueThread) -> ccxt.binance:
    return client(venue)


def pro_client(venue: VenueThread) -> ccxt.pro.binance:
    config = {"apiKey": venue.config.api_key, "secret": venue.config.api_secret,
              "options": dict(OPTIONS), "timeout": 5000}  # fmt: skip
    return point(ccxt.pro.binance(config), venue)


def run_pro(venue: VenueThread, body: Callable[[Any], Any], timeout: float = 10.0) -> Any:
    """Run ``await body(exchange)`` with a ccxt.pro client on a fresh loop; close it after."""

    async def main() -> Any:
        ex = pro_client(venue)
        try:
            await ex.load_markets()
            return await asyncio.wait_for(body(ex), timeout)
        finally:
            await ex.close()

    return asyncio.run(main())


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a blocking ``fn`` (a sync ccxt call, ``venue.advance``) without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def signed_ws_params(venue: VenueThread, **extra: Any) -> dict[str, Any]:
    params = {"apiKey": venue.config.api_key, "timestamp": time.time_ns() // 1_000_000, **extra}
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    secret = venue.config.api_secret.encode()
    params["signature"] = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
    return params


class RawUserStream:
    """A raw WebSocket API connection subscribed to the user-data stream: every event as sent."""

    def __init__(self, venue: VenueThread) -> None:
        self.venue = venue
        self.events: list[dict[str, Any]] = []
        self.closed = False

    async def run(self, until: Callable[[RawUserStream], bool], action: Callable[[], Any],
                  timeout: float = 3.0) -> None:  # fmt: skip
        """Subscribe, run ``action`` in a thread, collect events until ``until(self)``."""
        async with ClientSession() as http:
            ws = await http.ws_connect(f"{self.venue.stream_url}/ws-api/v3")
            request = {"id": "1", "method": "userDataStream.subscribe.signature",
                       "params": signed_ws_params(self.venue)}  # fmt: skip
            await ws.send_json(request)
            ack = await ws.receive_json(timeout=timeout)
            assert ack["status"] == 200 and ack["result"]["subscriptionId"] >= 0, ack
            await in_thread(action)
            deadline = time.monotonic() + timeout
            while not until(self) and time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
                except TimeoutError:
                    break
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                    self.closed = True
                    break
                self.events.append(json.loads(msg.data)["event"])
            await ws.close()

    def reports(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["e"] == "executionReport"]
