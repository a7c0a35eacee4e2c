"""The fake venue's Alpaca order record, its JSON (alpaca-py's ``Order`` model), ids and times.

Ids are deterministic: ``uuid5`` of a namespace derived from the seed and a per-kind counter
(never ``uuid4``), so one seed replays to the same ids. Times are the venue's data clock as
RFC3339 with nine fraction digits, as Alpaca writes them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from kernel.units import Instrument

OPEN_STATUSES = frozenset({"new", "partially_filled", "held", "accepted", "pending_new"})
CLOSED_STATUSES = frozenset({"filled", "canceled", "expired", "replaced", "rejected"})


class Ids:
    """Deterministic uuid-formatted ids per kind: ``next("order")``, ``name("asset:XYZ")``."""

    __slots__ = ("_counts", "_ns")

    def __init__(self, seed: int) -> None:
        self._ns = uuid.uuid5(uuid.NAMESPACE_URL, f"executioncore/fake-alpaca/{seed}")
        self._counts: dict[str, int] = {}

    def next(self, kind: str) -> str:
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        return str(uuid.uuid5(self._ns, f"{kind}:{n}"))

    def name(self, name: str) -> str:
        return str(uuid.uuid5(self._ns, name))


def fmt_ns(ns: int | None) -> str | None:
    """Int ns UTC -> ``2024-01-02T14:30:00.123456789Z`` (None stays None)."""
    if ns is None:
        return None
    secs, frac = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(secs, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}Z"


def dec_text(value: Decimal | Fraction | int, places: int = 9) -> str:
    """Exact decimal text when the value terminates, else rounded half-even to ``places``."""
    if isinstance(value, Fraction):
        den = value.denominator
        for p in (2, 5):
            while den % p == 0:
                den //= p
        if den == 1:
            value = Decimal(value.numerator) / Decimal(value.denominator)
        else:
            value = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
                Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN
            )
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


class AOrder:
    """One Alpaca order at the fake venue (a leg is an order too).

    ``key`` names it in the ``RecordedMarket`` (kept across replaces: the matching engine sees
    one order while Alpaca sees a chain of ids); ``role`` is ``entry``, ``take_profit`` or
    ``stop_loss``; ``parent`` / ``legs`` link a class order; ``oco`` lists siblings that one
    fill, cancel, expiry or reject of this order cancels.
    """

    __slots__ = (
        "canceled_ns",
        "client_order_id",
        "created_ns",
        "expired_ns",
        "extended_hours",
        "failed_ns",
        "fill_cost",
        "filled",
        "filled_ns",
        "id",
        "key",
        "legs",
        "limit",
        "oco",
        "order_class",
        "parent",
        "qty",
        "replaced_by",
        "replaced_ns",
        "replaces",
        "role",
        "seq",
        "side",
        "status",
        "stop",
        "submitted_ns",
        "symbol",
        "tif",
        "trail_ppm",
        "trail_ticks",
        "type",
        "updated_ns",
    )

    def __init__(
        self,
        oid: str,
        client_order_id: str,
        symbol: str,
        side: str,
        otype: str,
        tif: str,
        qty: int,
        now: int,
        seq: int,
        *,
        limit: int | None = None,
        stop: int | None = None,
        trail_ticks: int | None = None,
        trail_ppm: int | None = None,
        order_class: str = "simple",
        role: str = "entry",
        extended_hours: bool = False,
    ) -> None:
        self.id = oid
        self.client_order_id = client_order_id
        self.symbol = symbol
        self.side = side
        self.type = otype
        self.tif = tif
        self.qty = qty
        self.limit = limit
        self.stop = stop
        self.trail_ticks = trail_ticks
        self.trail_ppm = trail_ppm
        self.order_class = order_class
        self.role = role
        self.extended_hours = extended_hours
        self.status = "accepted"
        self.filled = 0
        self.fill_cost = 0  # sum of price_ticks x lots
        self.key: str | None = None
        self.parent: str | None = None
        self.legs: list[str] = []
        self.oco: list[str] = []
        self.replaces: str | None = None
        self.replaced_by: str | None = None
        self.seq = seq
        self.created_ns = self.submitted_ns = self.updated_ns = now
        self.filled_ns: int | None = None
        self.canceled_ns: int | None = None
        self.expired_ns: int | None = None
        self.failed_ns: int | None = None
        self.replaced_ns: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sign(self) -> int:
        return 1 if self.side == "buy" else -1

    def successor(self, oid: str, client_order_id: str, now: int, seq: int) -> AOrder:
        """The replacement order: same terms and fills so far, new ids (FIX cancel/replace)."""
        new = AOrder(
            oid,
            client_order_id,
            self.symbol,
            self.side,
            self.type,
            self.tif,
            self.qty,
            now,
            seq,
            limit=self.limit,
            stop=self.stop,
            trail_ticks=self.trail_ticks,
            trail_ppm=self.trail_ppm,
            order_class=self.order_class,
            role=self.role,
            extended_hours=self.extended_hours,
        )
        new.status = self.status
        new.filled, new.fill_cost, new.filled_ns = self.filled, self.fill_cost, self.filled_ns
        new.key, new.parent, new.legs, new.oco = self.key, self.parent, self.legs, self.oco
        new.replaces = self.id
        return new


def order_json(
    o: AOrder,
    inst: Instrument,
    asset_id: str,
    orders: dict[str, AOrder],
    *,
    nested: bool = True,
    hwm: int | None = None,
    live_stop: int | None = None,
) -> dict[str, Any]:
    """The order as Alpaca's REST and stream send it (alpaca-py ``trading.models.Order``).

    ``hwm`` / ``live_stop`` are a working trailing stop's best price and current stop (ticks).
    """

    def px(ticks: int | None) -> str | None:
        return None if ticks is None else dec_text(inst.ticks_to_price(ticks))

    stop = live_stop if live_stop is not None else o.stop
    avg = None
    if o.filled:
        avg = dec_text(Fraction(o.fill_cost, o.filled) * Fraction(inst.tick_size))
    legs = None
    if nested and o.legs:
        legs = [order_json(orders[lid], inst, asset_id, orders, nested=False) for lid in o.legs]
    return {
        "id": o.id,
        "client_order_id": o.client_order_id,
        "created_at": fmt_ns(o.created_ns),
        "updated_at": fmt_ns(o.updated_ns),
        "submitted_at": fmt_ns(o.submitted_ns),
        "filled_at": fmt_ns(o.filled_ns),
        "expired_at": fmt_ns(o.expired_ns),
        "expires_at": None,
        "canceled_at": fmt_ns(o.canceled_ns),
        "failed_at": fmt_ns(o.failed_ns),
        "replaced_at": fmt_ns(o.replaced_ns),
        "replaced_by": o.replaced_by,
        "replaces": o.replaces,
        "asset_id": asset_id,
        "symbol": o.symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": dec_text(inst.lots_to_qty(o.qty)),
        "filled_qty": dec_text(inst.lots_to_qty(o.filled)),
        "filled_avg_price": avg,
        "order_class": o.order_class,
        "order_type": o.type,
        "type": o.type,
        "side": o.side,
        "position_intent": None,
        "time_in_force": o.tif,
        "limit_price": px(o.limit),
        "stop_price": px(stop),
        "status": o.status,
        "extended_hours": o.extended_hours,
        "legs": legs,
        "trail_percent": None if o.trail_ppm is None else dec_text(Decimal(o.trail_ppm).scaleb(-4)),
        "trail_price": px(o.trail_ticks),
        "hwm": px(hwm),
        "source": None,
        "subtag": None,
    }
