"""Venue models as small protocols: latency, fees, faults. Each draws only from a named stream.

- ``LatencyModel.order_ns()`` is how long a command takes to reach the venue;
  ``response_ns()`` how long the venue's answer takes to reach the kernel. ``ConstantLatency``
  adds a seeded uniform jitter in ``[0, jitter]`` when asked.
- ``FeeModel.commission(instrument, price_ticks, qty_lots, maker)`` is the fee of one fill in
  money units: ``notional x bps / 10^4 + per_unit x quantity``, at least ``minimum``, rounded
  half away from zero to the money unit. Maker bps for resting fills, taker bps for marketable
  ones; a negative bps is a rebate (paid to us, no minimum).
- ``FaultModel.reject(now_ns)`` says whether a command is refused (a seeded probability, and
  always inside an outage window); ``outages`` are ``[start, end)`` windows during which the
  venue refuses orders and its market data stops. ``FaultModel.duplicate()`` says whether a
  fill report is delivered a second time, and how much later (a seeded probability, a seeded
  delay of 1-500 ms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

import numpy as np

from kernel.units import MONEY_SCALE, Instrument, money_to_units, to_decimal

MS = 1_000_000
DUPLICATE_MIN_NS = 1 * MS  # a duplicated fill report comes 1-500 ms after the original
DUPLICATE_MAX_NS = 500 * MS


class LatencyModel(Protocol):
    def order_ns(self) -> int: ...

    def response_ns(self) -> int: ...


class FeeModel(Protocol):
    def commission(
        self, instrument: Instrument, price_ticks: int, qty_lots: int, maker: bool
    ) -> int: ...


class FaultModel(Protocol):
    def reject(self, now_ns: int) -> str | None: ...

    def duplicate(self) -> int | None: ...

    def in_outage(self, now_ns: int) -> bool: ...


class ConstantLatency:
    """Fixed latencies (ns) plus an optional seeded uniform jitter (ns)."""

    def __init__(
        self,
        order_ns: int = 0,
        response_ns: int = 0,
        jitter_ns: int = 0,
        rng: np.random.Generator | None = None,
    ) -> None:
        if min(order_ns, response_ns, jitter_ns) < 0:
            raise ValueError("latencies must not be negative")
        self._order = order_ns
        self._response = response_ns
        self._jitter = jitter_ns
        self._rng = rng

    def _draw(self) -> int:
        if not self._jitter or self._rng is None:
            return 0
        return int(self._rng.integers(0, self._jitter + 1))

    @property
    def fixed(self) -> tuple[int, int] | None:
        """``(order_ns, response_ns)`` when there is no jitter (nothing to draw), else None."""
        if not self._jitter or self._rng is None:
            return self._order, self._response
        return None

    def order_ns(self) -> int:
        return self._order + self._draw()

    def response_ns(self) -> int:
        return self._response + self._draw()


class BpsFees:
    """Maker/taker basis points on notional, a per-unit fee and a per-fill minimum."""

    def __init__(
        self,
        maker_bps: object = 0,
        taker_bps: object = 0,
        per_unit: object = 0,
        minimum: object = 0,
    ) -> None:
        self.maker_bps = Fraction(to_decimal(maker_bps, "maker_bps"))
        self.taker_bps = Fraction(to_decimal(taker_bps, "taker_bps"))
        self.per_unit = Fraction(to_decimal(per_unit, "per_unit"))
        self.minimum = money_to_units(minimum, "minimum")
        self.zero = not (self.maker_bps or self.taker_bps or self.per_unit or self.minimum)
        self._per_lot: dict[str, Fraction] = {}

    def commission(
        self, instrument: Instrument, price_ticks: int, qty_lots: int, maker: bool
    ) -> int:
        if self.zero:
            return 0
        bps = self.maker_bps if maker else self.taker_bps
        notional = abs(price_ticks) * qty_lots * instrument.ticklot_money
        fee = Fraction(notional) * bps / 10_000
        if self.per_unit:
            per_lot = self._per_lot.get(instrument.symbol)
            if per_lot is None:
                per_lot = self._per_lot[instrument.symbol] = (
                    self.per_unit * Fraction(instrument.lot_size) * MONEY_SCALE
                )
            fee += per_lot * qty_lots
        units = int(fee + Fraction(1, 2)) if fee >= 0 else -int(-fee + Fraction(1, 2))
        return max(units, self.minimum) if units >= 0 else units  # a rebate has no minimum


@dataclass(slots=True)
class Faults:
    """Seeded random rejects and duplicated fills, outage windows ``[(start_ns, end_ns), ...]``."""

    reject_probability: float = 0.0
    outages: list[tuple[int, int]] = field(default_factory=list)
    rng: np.random.Generator | None = None
    # ``[start, end)`` windows in which the order connection is lost: the venue trades on, its
    # answers are lost, commands are refused; at the end the shared reconciler recovers them
    disconnects: list[tuple[int, int]] = field(default_factory=list)
    # the probability that a fill report is delivered again, 1-500 ms after the original
    duplicate_probability: float = 0.0

    def in_outage(self, now_ns: int) -> bool:
        return any(start <= now_ns < end for start, end in self.outages)

    def reject(self, now_ns: int) -> str | None:
        if self.outages and self.in_outage(now_ns):
            return "VENUE_OUTAGE"
        if (
            self.reject_probability
            and self.rng is not None
            and self.rng.random() < self.reject_probability
        ):
            return "SIMULATED_REJECT"
        return None

    def duplicate(self) -> int | None:
        """The extra delay (ns, 1-500 ms) after which a fill report is delivered again, or None
        (no draw at all when the probability is 0: scenarios without the fault are unchanged)."""
        p = self.duplicate_probability
        if not p or self.rng is None or self.rng.random() >= p:
            return None
        return int(self.rng.integers(DUPLICATE_MIN_NS, DUPLICATE_MAX_NS + 1))


def fee_decimal(units: int) -> Decimal:
    return Decimal(units) / MONEY_SCALE
