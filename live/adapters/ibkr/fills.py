"""IB executions -> kernel fills: ``execDetails`` + ``commissionReport`` make one ``OrderFilled``.

TWS reports a fill as ``execDetails`` (the execution: ``execId``, side ``BOT``/``SLD``, shares,
price, time, ``permId``, ``orderRef``) and, separately and usually just after, a
``commissionReport`` for the same ``execId``. The kernel's ``OrderFilled`` carries the
commission, so ``FillAssembler`` holds an execution until its report arrives, at most
``wait_s``; after that it is booked with no commission (``without_commission`` counts them; a
report that comes later changes nothing: the fill is booked once, by ``execId``, here and in
the shared once-gate). A terminal event of an order (canceled, rejected) waits behind that
order's held executions, so the kernel always sees the fills first. The same executions come
back from ``reqExecutions`` when reconciling (``fill_report``, commission included).

Each ``execId`` is one kernel trade id: a fill TWS reports in pieces is several fills; a
repeated ``execDetails`` (after a reconnect) is recognised and dropped. ``lastLiquidity`` 1
(added) is maker, 2 (removed) taker. Pure: the caller passes the time and runs ``expire``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kernel.enums import Liquidity
from kernel.events import OrderFilled
from kernel.reconcile import FillReport
from kernel.units import Instrument
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.wire import lots, money, number, ticks, time_ns

SIDES = {"BOT": 1, "SLD": -1}
LIQUIDITY = {1: int(Liquidity.MAKER), 2: int(Liquidity.TAKER)}


def side_of(execution: Any) -> int:
    side = SIDES.get(str(execution.side).upper())
    if side is None:
        raise MalformedMessage("execution.side", f"{execution.side!r} (BOT or SLD)")
    return side


def commission_units(report: Any) -> int:
    """A ``CommissionReport``'s commission in money units (0 when unset or absent)."""
    if report is None or number(getattr(report, "commission", None)) is None:
        return 0
    return money(report.commission, "commission")


def fill_event(
    fill: Any, coid: str, inst: Instrument, commission: int, ts_init: int
) -> OrderFilled:
    """One execution of the kernel's order ``coid`` as an ``OrderFilled``."""
    ex = fill.execution
    ts = time_ns(ex.time) or ts_init
    return OrderFilled(
        coid,
        str(ex.permId),
        str(ex.execId),
        inst.symbol,
        side_of(ex),
        ticks(inst, ex.price, "execution.price"),
        lots(inst, ex.shares, "execution.shares"),
        LIQUIDITY.get(int(getattr(ex, "lastLiquidity", 0) or 0), int(Liquidity.NONE)),
        commission,
        ts,
        ts_init,
    )


def fill_report(fill: Any, coid: str | None, inst: Instrument) -> FillReport:
    """One execution from ``reqExecutions`` as the reconciler's ``FillReport``."""
    ex = fill.execution
    return FillReport(
        str(ex.permId),
        str(ex.execId),
        inst.symbol,
        side_of(ex),
        ticks(inst, ex.price, "execution.price"),
        lots(inst, ex.shares, "execution.shares"),
        time_ns(ex.time) or 0,
        coid,
        commission_units(fill.commissionReport),
        LIQUIDITY.get(int(getattr(ex, "lastLiquidity", 0) or 0), int(Liquidity.NONE)),
    )


@dataclass(slots=True)
class _Held:
    coid: str
    build: Callable[[int], Any]  # commission -> the OrderFilled
    deadline: float


@dataclass
class FillAssembler:
    """Executions waiting for their commission (see the module docstring). ``add`` /
    ``commission`` / ``terminal`` / ``expire`` return the events now ready, in order."""

    wait_s: float
    held: dict[str, _Held] = field(default_factory=dict)  # execId -> execution
    early: dict[str, int] = field(default_factory=dict)  # execId -> a commission seen first
    behind: dict[str, list[Any]] = field(default_factory=dict)  # coid -> terminal events
    without_commission: int = 0

    def add(self, exec_id: str, coid: str, build: Callable[[int], Any], now: float) -> list[Any]:
        """An execution arrived; ready at once when its commission came first."""
        if exec_id in self.held:
            return []
        if exec_id in self.early:
            return [build(self.early.pop(exec_id)), *self._release(coid)]
        self.held[exec_id] = _Held(coid, build, now + self.wait_s)
        return []

    def commission(self, exec_id: str, units: int) -> list[Any]:
        """A commission report arrived."""
        held = self.held.pop(exec_id, None)
        if held is None:
            if len(self.early) < 10_000:  # why: bounded; a stray report (not ours) is forgotten
                self.early[exec_id] = units
            return []
        return [held.build(units), *self._release(held.coid)]

    def terminal(self, coid: str, event: Any) -> list[Any]:
        """A terminal event of ``coid``: now, or after the order's held executions."""
        if any(h.coid == coid for h in self.held.values()):
            self.behind.setdefault(coid, []).append(event)
            return []
        return [event]

    def expire(self, now: float) -> list[Any]:
        """Book the executions whose commission did not come in time (no commission)."""
        out: list[Any] = []
        for exec_id in [e for e, h in self.held.items() if h.deadline <= now]:
            held = self.held.pop(exec_id)
            self.without_commission += 1
            out.append(held.build(0))
            out.extend(self._release(held.coid))
        return out

    def next_deadline(self) -> float | None:
        return min((h.deadline for h in self.held.values()), default=None)

    def _release(self, coid: str) -> list[Any]:
        if any(h.coid == coid for h in self.held.values()):
            return []
        return self.behind.pop(coid, [])
