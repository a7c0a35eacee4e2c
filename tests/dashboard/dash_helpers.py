"""Helpers of the dashboard tests: a kernel driven by hand (``kernel_helpers.Harness``), a
stand-in for the live runner, and a dashboard served on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from kernel_helpers import Harness

from kernel.events import OperatorAction
from live.dashboard.server import DashboardHandle, start_dashboard

TOKEN = "t0ken-for-tests-Zq9"  # why: distinctive, so a leak into any answer or log is found
BEARER = {"Authorization": f"Bearer {TOKEN}"}


class FakeRunner:
    """The live runner's operator side: records each action and, with ``apply``, applies it
    to the kernel as ``LiveRunner.operator`` does (an ``OperatorAction`` input)."""

    def __init__(self, kernel: Any, apply: bool = True, raises: Exception | None = None):
        self.kernel = kernel
        self.apply = apply
        self.raises = raises
        self.calls: list[tuple[str, str]] = []
        self.commits = 0

    def operator(self, action: str, reason: str) -> None:
        self.calls.append((action, reason))
        if self.raises is not None:
            raise self.raises
        if self.apply:
            now = self.kernel.clock.now_ns()
            self.kernel.on_event(OperatorAction(action, reason, now, now))

    def _commit(self) -> None:
        self.commits += 1


def manual_order(h: Harness, **fields: Any) -> str:
    """Send a manual order into ``h``'s kernel (an operator action); its client order id."""
    entry = {"symbol": "X", "side": "buy", "quantity": 10, "type": "market", **fields}
    before = len(h.kernel.oms.orders)
    now = h.tick()
    h.kernel.on_event(OperatorAction("order", json.dumps(entry), now, now))
    assert len(h.kernel.oms.orders) == before + 1, h.kernel.risk_events[-1:]
    return list(h.kernel.oms.orders)[-1]


@contextlib.asynccontextmanager
async def serving(
    h: Harness, runner: Any = None, token: str = TOKEN
) -> AsyncIterator[tuple[DashboardHandle, Any]]:
    """A dashboard over ``h``'s kernel on a free port, and an aiohttp client session."""
    import aiohttp

    runner = runner if runner is not None else FakeRunner(h.kernel)
    handle = await start_dashboard({"port": 0, "token": token}, h.kernel, runner, [h.venue])
    try:
        # why: the default jar keeps no cookie of an IP address (127.0.0.1)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            yield handle, session
    finally:
        await handle.close()


@contextlib.contextmanager
def threaded_dashboard(h: Harness, runner: Any = None) -> Iterator[DashboardHandle]:
    """A dashboard served from an event loop in a thread of its own (for blocking clients:
    the CLI, urllib). The kernel is only touched from that thread while it runs."""
    loop = asyncio.new_event_loop()
    runner = runner if runner is not None else FakeRunner(h.kernel)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    handle = asyncio.run_coroutine_threadsafe(
        start_dashboard({"port": 0, "token": TOKEN}, h.kernel, runner, [h.venue]), loop
    ).result(10)
    try:
        yield handle
    finally:
        asyncio.run_coroutine_threadsafe(handle.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
