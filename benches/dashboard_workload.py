"""A live-like session for the dashboard's benchmark and its latency test: a kernel with
``n`` orders (most filled, some canceled, some still open), driven by hand through a venue port
that does nothing, with the dashboard's state attached from the start (as a host does)."""

from __future__ import annotations

from typing import Any

from kernel.clock import SimClock
from kernel.events import OrderAccepted, OrderCanceled, OrderFilled, QuoteTick
from kernel.kernel import Kernel
from kernel.orders import make_order
from kernel.units import Instrument, money_to_units
from live.dashboard.state import DashboardState, attach


class NullVenue:
    name = "bench"

    def submit(self, cmd: Any) -> None:
        pass

    def cancel(self, cmd: Any) -> None:
        pass

    def modify(self, cmd: Any) -> None:
        pass


def busy_session(
    n: int = 10_000, open_every: int = 20, cancel_every: int = 10, symbols: int = 5
) -> tuple[Kernel, DashboardState]:
    """A kernel with ``n`` orders over ``symbols`` instruments: every ``open_every``-th stays
    open, every ``cancel_every``-th is canceled, the rest fill in two parts."""
    clock = SimClock(1_000)
    insts = [Instrument(f"S{i}", "0.01", "1") for i in range(symbols)]
    venue = NullVenue()
    kernel = Kernel(clock, insts, {"bench": venue}, None, starting_cash=money_to_units(10**8))
    kernel.register_owner("bench", lambda event: None)
    state = attach(kernel, [venue])
    t = 1_000

    def step() -> int:
        nonlocal t
        t += 1_000
        clock.advance_to(t)
        return t

    for inst in insts:
        now = step()
        kernel.on_quote(QuoteTick(inst.symbol, 10_000, 10_002, 100, 100, now, now))
    for i in range(n):
        inst = insts[i % symbols]
        side = "buy" if i % 3 else "sell"
        oid = kernel.next_order_id("bench")
        order = make_order(
            inst, oid, "bench", side, "limit", 10, limit_price="100.00", ts_init=step()
        )
        kernel.submit_order(order)
        now = step()
        kernel.on_order_event(OrderAccepted(oid, "v" + oid, now, now))
        if i % open_every == 0:
            continue
        if i % cancel_every == 0:
            now = step()
            kernel.on_order_event(OrderCanceled(oid, now, now))
            continue
        for part, qty in enumerate((4, 6)):
            now = step()
            kernel.on_order_event(
                OrderFilled(oid, "v" + oid, f"{oid}-{part}", inst.symbol, order.side,
                            10_000 + i % 5, qty, 1, 1_000, now, now)
            )  # fmt: skip
    return kernel, state


def tick(kernel: Kernel, i: int) -> None:
    """A quote that moves the marks (the state changes, so nothing is served from a cache)."""
    sym = f"S{i % len(kernel.instruments)}"
    now = kernel.clock.now_ns() + 1_000
    kernel.clock.advance_to(now)  # type: ignore[attr-defined]
    kernel.on_quote(QuoteTick(sym, 10_000 + i % 3, 10_002 + i % 3, 100, 100, now, now))
