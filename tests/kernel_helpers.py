"""Shared test helpers: a recording venue port and a small kernel factory."""

from __future__ import annotations

from kernel.clock import SimClock
from kernel.commands import CancelOrder, ModifyOrder, SubmitOrder
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    QuoteTick,
)
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.risk import RiskConfig
from kernel.units import Instrument, money_to_units


class RecordingVenue:
    """A venue port that records commands; the test plays the venue's answers."""

    def __init__(self, name: str = "sim") -> None:
        self.name = name
        self.commands: list = []

    def submit(self, cmd: SubmitOrder) -> None:
        self.commands.append(cmd)

    def cancel(self, cmd: CancelOrder) -> None:
        self.commands.append(cmd)

    def modify(self, cmd: ModifyOrder) -> None:
        self.commands.append(cmd)

    def submits(self) -> list[SubmitOrder]:
        return [c for c in self.commands if isinstance(c, SubmitOrder)]

    def cancels(self) -> list[CancelOrder]:
        return [c for c in self.commands if isinstance(c, CancelOrder)]


class Harness:
    """A kernel on a SimClock with one recording venue and instrument X (tick 0.01, lot 1)."""

    def __init__(
        self,
        risk: dict | None = None,
        cash: str = "100000",
        journal: bool = True,
        retain_closed: int | None = None,
    ) -> None:
        self.clock = SimClock(1_000)
        self.venue = RecordingVenue()
        self.sink = MemorySink()
        self.journal = Journal(self.sink, block_records=64) if journal else None
        self.inst = Instrument("X", "0.01", "1")
        self.kernel = Kernel(
            self.clock,
            [self.inst],
            {"sim": self.venue},
            self.journal,
            starting_cash=money_to_units(cash),
            risk=RiskConfig.from_mapping(risk or {}),
            retain_closed=retain_closed,
        )
        self._trade = 0

    def tick(self, dt: int = 1) -> int:
        self.clock.advance_to(self.clock.now_ns() + dt)
        return self.clock.now_ns()

    def quote(self, bid: int, ask: int) -> None:
        now = self.tick()
        self.kernel.on_quote(QuoteTick("X", bid, ask, 100, 100, now, now))

    def accept(self, oid: str) -> None:
        now = self.tick()
        self.kernel.on_order_event(OrderAccepted(oid, "v-" + oid, now, now))

    def fill(self, oid: str, price: int, qty: int, commission: int = 0) -> None:
        order = self.kernel.oms.get(oid)
        self._trade += 1
        now = self.tick()
        self.kernel.on_order_event(
            OrderFilled(
                oid,
                "v-" + oid,
                f"t{self._trade}",
                "X",
                order.side,
                price,
                qty,
                2,
                commission,
                now,
                now,
            )
        )

    def cancel_confirm(self, oid: str) -> None:
        now = self.tick()
        self.kernel.on_order_event(OrderCanceled(oid, now, now))

    def reject(self, oid: str, reason: str = "NO") -> None:
        now = self.tick()
        self.kernel.on_order_event(OrderRejected(oid, reason, now, now))
