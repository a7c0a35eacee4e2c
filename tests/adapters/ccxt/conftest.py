"""Fixtures of the CCXT adapter's tests: the local Binance venue (``live.fakes.binance``) in a
thread on 127.0.0.1, paused on the bundled BTCUSDT trades, and ``Session``: a real kernel run
by the live runner with one ``CcxtAdapter`` pointed at the venue (``base_url`` /
``stream_url``), driven from an asyncio test. The venue's own books are the oracle."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from bn_venue import venue_maker

from kernel.enums import OrderStatus, OrderType, Side, TimeInForce
from kernel.kernel import Kernel
from kernel.orders import Order
from live.adapters.ccxt.client import CcxtAdapter
from live.adapters.ccxt.config import CcxtConfig
from live.clock import LiveClock
from live.fakes.binance import VenueThread
from live.runner import LiveRunner

KEY, SECRET = "ccxt-test-key-7e21", "ccxt-test-secret-55b0"
SYMBOL = "BTC/USDT"
LAST = Decimal("39432.48")  # the 5th print of the bundled trades (0.006329 BTC)


@pytest.fixture
def make_venue() -> Iterator[Callable[..., VenueThread]]:
    """``make_venue(advance=5, **kw)``: a paused venue with ``advance`` prints replayed;
    ``FakeBinanceConfig`` keywords go there, the others to the market's; the key and secret
    are ``KEY`` and ``SECRET``."""
    with venue_maker(api_key=KEY, api_secret=SECRET) as make:
        yield make


@pytest.fixture
def venue(make_venue: Callable[..., VenueThread]) -> VenueThread:
    return make_venue()


def adapter_config(venue: VenueThread, **kw: Any) -> CcxtConfig:
    """The adapter's config as ``executioncore.yaml`` gives it (``type: binance``, sandbox on,
    ``base_url`` / ``stream_url`` onto the venue), with test timings."""
    raw = {"type": "ccxt", "exchange": "binance", "sandbox": True, "options": {},
           "base_url": venue.base_url, "stream_url": venue.stream_url, "connect_timeout": 5.0}  # fmt: skip
    cfg = CcxtConfig.from_mapping("bn", raw, KEY, SECRET, seed=3)
    cfg.timeout_s = 5.0
    cfg.reconcile_every_s = 2.0
    cfg.fill_wait_s = 0.3
    cfg.lookup_delay_s = 0.05
    cfg.backoff_s = 0.05
    cfg.backoff_max_s = 0.5
    cfg.rate_limit_ms = 1.0  # why: the venue has no weight limits; ccxt's spacing only slows
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


async def until(cond: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    """Wait (yielding to the loop) until ``cond()`` is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or cond}")
        await asyncio.sleep(0.02)


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """A blocking call (the venue's controls) off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class Session:
    """A kernel, the live runner and one ``CcxtAdapter`` on the venue. ``async with``."""

    def __init__(self, venue: VenueThread, symbols: tuple[str, ...] = (SYMBOL,), **cfg: Any):
        self.venue = venue
        self.cfg = adapter_config(venue, **cfg)
        self.adapter = CcxtAdapter(self.cfg, {})
        for ex in (self.adapter.ex, self.adapter.pro):
            ex.timeout_on_exit = 0  # why: ccxt sleeps 250 ms on close for TLS; none here
        self.symbols = symbols
        self.events: list[Any] = []
        self.n = 0

    async def __aenter__(self) -> Session:
        a = self.adapter
        await a.connect()
        found = await a.provide_instruments(list(self.symbols))
        a.instruments.update(found)
        self.clock = LiveClock()
        self.kernel = Kernel(self.clock, found.values(), {a.name: a}, None, currency="USDT",
                             deny_when_down=True)  # fmt: skip
        self.runner = LiveRunner(self.kernel, self.clock, [a], cancel_on_exit=True, grace_s=3.0)
        emit = self.runner.emit

        async def record(event: Any) -> None:
            self.events.append(event)
            await emit(event)

        self.runner.emit = record  # type: ignore[method-assign]
        self.task = asyncio.ensure_future(self.runner.run())
        await until(lambda: a.reconciled or self.task.done(), 10.0, "the first reconciliation")
        if self.task.done():
            self.task.result()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.runner.stop("TEST_END")
        try:
            await asyncio.wait_for(self.task, 15.0)
        finally:
            if not self.task.done():
                self.task.cancel()
                with contextlib.suppress(BaseException):
                    await self.task
                await self.adapter.stop()

    @property
    def inst(self) -> Any:
        return self.kernel.instruments[self.symbols[0]]

    def order(
        self, side: Side, qty: str, otype: OrderType = OrderType.MARKET, price: str | None = None,
        tif: TimeInForce = TimeInForce.GTC, post_only: bool = False, stop: str | None = None,
        symbol: str | None = None,
    ) -> Order:  # fmt: skip
        """Submit an order through the kernel (risk checks bypassed) and return it."""
        symbol = symbol or self.symbols[0]
        inst = self.kernel.instruments[symbol]
        self.n += 1
        order = Order(
            f"t-{self.n}", "test", symbol, side, otype, inst.qty_to_lots(qty),
            limit_ticks=None if price is None else inst.price_to_ticks(price),
            stop_ticks=None if stop is None else inst.price_to_ticks(stop),
            time_in_force=tif, post_only=post_only, venue="bn", ts_init=self.clock.now_ns(),
        )  # fmt: skip
        self.kernel.submit_order(order, bypass_risk=True)
        return order

    async def done(self, order: Order, timeout: float = 5.0) -> Order:
        """Wait until ``order`` is closed in the kernel."""
        await until(lambda: not order.is_open, timeout, f"{order.client_order_id} closed")
        return order

    async def status(self, order: Order, status: OrderStatus, timeout: float = 5.0) -> None:
        await until(lambda: order.status == status, timeout,
                    f"{order.client_order_id} {status.name} (is {order.status.name})")  # fmt: skip

    def of(self, kind: type, coid: str | None = None) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)
                and (coid is None or getattr(e, "client_order_id", None) == coid)]  # fmt: skip

    def notices(self, code: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == "VenueNotice" and e.code == code]


def venue_orders(venue: VenueThread, client_id: str) -> list[dict[str, Any]]:
    return [o for o in venue.state()["orders"] if o["clientOrderId"] == client_id]


def venue_trades(venue: VenueThread, order_id: int) -> list[dict[str, Any]]:
    return [t for t in venue.state()["trades"] if t["orderId"] == order_id]
