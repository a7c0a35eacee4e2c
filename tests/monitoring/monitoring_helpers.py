"""Shared helpers for the monitoring tests: a loopback HTTP receiver that answers from a
script, a kernel driven by hand, and a stand-in for the kernel's monitor."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from kernel_helpers import RecordingVenue

from kernel.clock import SimClock
from kernel.enums import Side
from kernel.events import OrderAccepted, OrderFilled, OrderRejected, QuoteTick, VenueStatus
from kernel.kernel import Kernel
from kernel.monitor import Alert, Monitor
from kernel.strategy import Strategy
from kernel.units import Instrument, money_to_units


@dataclass
class Receiver:
    """An aiohttp server on 127.0.0.1 (a free port): records each request and answers with
    the next status of ``statuses`` (the last one repeats), after ``delay_s``."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: Any = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": body,
                "json": await request.json() if body else None,
            }
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)]
        return web.Response(status=status, text="ok" if status < 300 else "nope")

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alert(rule: str = "deep_dd", severity: str = "warning", state: str = "firing", ts: int = 1):
    return Alert(ts, rule, severity, state, f"{rule} is {state}")


def fake_monitor(**fields: Any) -> SimpleNamespace:
    """What ``kernel.monitor`` offers the host (the kernel's Monitor has these fields)."""
    base: dict[str, Any] = {
        "alerts": [],
        "listeners": [],
        "order_counts": {},
        "fill_counts": {},
        "alert_counts": {},
        "drawdown": 0.0,
        "peak_equity": 0,
    }
    base.update(fields)
    return SimpleNamespace(**base)


async def until(predicate: Any, timeout_s: float = 3.0, step_s: float = 0.01) -> bool:
    """Wait until ``predicate()`` holds (True) or ``timeout_s`` passes (False)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not predicate():
        if loop.time() >= end:
            return False
        await asyncio.sleep(step_s)
    return True


RULES = [
    {"name": "deep_dd", "when": "drawdown > 0.5", "quantity": "drawdown", "op": ">",
     "value": 0.5, "severity": "warning"},
    {"name": "halted", "when": "trading_state == halted", "quantity": "trading_state",
     "op": "==", "value": "halted", "severity": "critical"},
]  # fmt: skip


class Quiet(Strategy):
    strategy_id = "s"


class Session:
    """A kernel with venues ``a`` and ``b``, instruments X (on a) and Y (on b, lot 0.5)."""

    def __init__(self, monitor: bool = True) -> None:
        self.clock = SimClock(1_000)
        self.a, self.b = RecordingVenue("a"), RecordingVenue("b")
        self.kernel = Kernel(
            self.clock,
            [Instrument("X", "0.01", "1", venue="a"), Instrument("Y", "0.5", "0.5", venue="b")],
            {"a": self.a, "b": self.b},
            starting_cash=money_to_units("100000"),
            deny_when_down=True,
        )
        self.monitor = (
            Monitor.install(self.kernel, {"alerts": RULES, "alert_on_rejection": True})
            if monitor
            else None
        )
        self.strategy = Quiet()
        self.kernel.add_strategy(self.strategy)
        self.kernel.start()
        self.trade = 0

    def now(self) -> int:
        self.clock.advance_to(self.clock.now_ns() + 1_000)
        return self.clock.now_ns()

    def drive(self) -> None:
        k, ctx = self.kernel, self.strategy.ctx
        x1 = ctx.limit("X", Side.BUY, 10, 10_000).client_order_id  # 10 @ 100.00
        x2 = ctx.limit("X", Side.SELL, 4, 10_100).client_order_id
        y1 = ctx.limit("Y", Side.BUY, 3, 40).client_order_id  # 1.5 @ 20.0
        ctx.limit("X", Side.BUY, 1, 9_000)  # left submitted
        for oid in (x1, x2, y1):
            n = self.now()
            k.on_order_event(OrderAccepted(oid, "v" + oid, n, n))
        self.fill(x1, "X", 1, 10_000, 6)
        self.fill(x1, "X", 1, 10_000, 4)
        self.fill(x2, "X", -1, 10_100, 4)
        self.fill(y1, "Y", 1, 40, 3)
        rej = ctx.limit("X", Side.BUY, 1, 9_000).client_order_id
        n = self.now()
        k.on_order_event(OrderRejected(rej, "NO", n, n))
        n = self.now()
        k.on_quote(QuoteTick("X", 10_050, 10_060, 5, 5, n, n))
        n = self.now()
        k.on_quote(QuoteTick("Y", 41, 42, 5, 5, n, n))
        n = self.now()
        k.on_venue_status(VenueStatus("b", False, False, n, n))

    def fill(self, oid: str, sym: str, side: int, price: int, qty: int) -> None:
        self.trade += 1
        n = self.now()
        self.kernel.on_order_event(
            OrderFilled(oid, "v" + oid, f"t{self.trade}", sym, side, price, qty, 2, 0, n, n)
        )
