"""Helpers for the matching-engine tests: event digests, an order ledger, a naive reference book."""

from __future__ import annotations

from kernel.enums import Liquidity
from kernel.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
)


def names(events: list) -> list[str]:
    return [type(e).__name__ for e in events]


def of(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]


def fills(events: list) -> list[tuple[str, int, int, str]]:
    """``(oid, price, qty, "M"|"T")`` per fill report, in order."""
    return [
        (
            e.client_order_id,
            e.price_ticks,
            e.qty_lots,
            "M" if e.liquidity == Liquidity.MAKER else "T",
        )
        for e in events
        if isinstance(e, OrderFilled)
    ]


def trades(events: list) -> list[tuple[str, str, int, int]]:
    """``(taker, maker, price, qty)`` per trade, pairing the two reports by trade id."""
    by_id: dict[str, dict[int, OrderFilled]] = {}
    order: list[str] = []
    for e in events:
        if isinstance(e, OrderFilled):
            if e.trade_id not in by_id:
                by_id[e.trade_id] = {}
                order.append(e.trade_id)
            assert int(e.liquidity) not in by_id[e.trade_id], f"two {e.liquidity} on {e.trade_id}"
            by_id[e.trade_id][int(e.liquidity)] = e
    out = []
    for tid in order:
        pair = by_id[tid]
        assert set(pair) == {int(Liquidity.MAKER), int(Liquidity.TAKER)}, tid
        m, t = pair[int(Liquidity.MAKER)], pair[int(Liquidity.TAKER)]
        assert m.qty_lots == t.qty_lots > 0 and m.price_ticks == t.price_ticks, tid
        assert m.side == -t.side, tid
        out.append((t.client_order_id, m.client_order_id, m.price_ticks, m.qty_lots))
    return out


class Ledger:
    """Per-order accounting from the events alone: quantity, filled, closed quantity, owner.

    ``check(engine)`` asserts conservation: ``filled + leaves + canceled == quantity`` for every
    order, where ``leaves`` is what the engine still has open.
    """

    def __init__(self) -> None:
        self.qty: dict[str, int] = {}
        self.filled: dict[str, int] = {}
        self.closed: dict[str, int] = {}  # oid -> lots canceled/expired (closed without fill)
        self.owner: dict[str, object] = {}
        self.side: dict[str, int] = {}
        self.limit: dict[str, int | None] = {}
        self.trade_ids: set[str] = set()
        self.accepted: set[str] = set()
        self.trades: list[tuple[str, str, int, int]] = []

    def submitted(self, oid: str, owner: object, side: int, qty: int, limit: int | None) -> None:
        self.owner[oid], self.side[oid], self.limit[oid] = owner, side, limit
        self.qty[oid] = qty
        self.filled[oid] = 0

    def apply(self, events: list) -> None:
        for e in events:
            oid = e.client_order_id
            if isinstance(e, OrderFilled):
                self.filled[oid] += e.qty_lots
                assert self.filled[oid] <= self.qty[oid], f"overfill {oid}"
            elif isinstance(e, OrderCanceled | OrderExpired):
                assert oid not in self.closed, f"closed twice {oid}"
                self.closed[oid] = self.qty[oid] - self.filled[oid]
            elif isinstance(e, OrderRejected):
                if oid not in self.accepted:
                    self.closed[oid] = self.qty[oid]
            elif isinstance(e, OrderModified):
                if e.quantity_lots is not None:
                    self.qty[oid] = e.quantity_lots
                if e.limit_ticks is not None:
                    self.limit[oid] = e.limit_ticks
            elif isinstance(e, OrderAccepted):
                assert oid in self.qty and oid not in self.accepted
                self.accepted.add(oid)
        for t in trades(events):
            self.trades.append(t)
        for e in events:
            if isinstance(e, OrderFilled) and e.liquidity == Liquidity.TAKER:
                assert e.trade_id not in self.trade_ids, f"trade id reused {e.trade_id}"
                self.trade_ids.add(e.trade_id)

    def check(self, engine) -> None:  # type: ignore[no-untyped-def]
        for oid, qty in self.qty.items():
            rec = engine.order(oid)
            leaves = 0 if rec is None else rec.qty - rec.filled
            if rec is not None:
                assert rec.filled == self.filled[oid], oid
                assert oid not in self.closed, f"{oid} closed but live"
            closed = self.closed.get(oid, 0)
            assert self.filled[oid] + leaves + closed == qty, (
                oid,
                self.filled[oid],
                leaves,
                closed,
                qty,
            )


class RefOrder:
    __slots__ = ("oid", "price", "qty", "seq", "side")

    def __init__(self, oid: str, side: int, price: int, qty: int, seq: int) -> None:
        self.oid, self.side, self.price, self.qty, self.seq = oid, side, price, qty, seq


class RefMatcher:
    """A naive price-time book: plain lists, O(n) scans, no icebergs, no self-trade prevention.

    ``qty`` of a resting order is what is left; ``total`` keeps each order's total quantity and
    ``done`` its filled lots, so ``modify`` takes the new *total* like the engine.
    """

    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.total: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.seq = 0

    def _best(self, side: int) -> RefOrder | None:
        best = None
        for o in self.resting:
            if o.side != side:
                continue
            if (
                best is None
                or (o.price > best.price if side == 1 else o.price < best.price)
                or (o.price == best.price and o.seq < best.seq)
            ):
                best = o
        return best

    def _match(self, oid: str, side: int, qty: int, price: int | None) -> tuple[list, int]:
        out = []
        while qty > 0:
            m = self._best(-side)
            if m is None or (
                price is not None and (m.price > price if side == 1 else m.price < price)
            ):
                break
            lots = min(qty, m.qty)
            out.append((oid, m.oid, m.price, lots))
            qty -= lots
            m.qty -= lots
            self.done[m.oid] += lots
            self.done[oid] = self.done.get(oid, 0) + lots
            if m.qty == 0:
                self.resting.remove(m)
        return out, qty

    def limit(self, oid: str, side: int, qty: int, price: int) -> list:
        self.total[oid] = qty
        self.done.setdefault(oid, 0)
        out, left = self._match(oid, side, qty, price)
        if left:
            self.seq += 1
            self.resting.append(RefOrder(oid, side, price, left, self.seq))
        return out

    def market(self, oid: str, side: int, qty: int) -> list:
        self.total[oid] = qty
        self.done.setdefault(oid, 0)
        return self._match(oid, side, qty, None)[0]

    def find(self, oid: str) -> RefOrder | None:
        for o in self.resting:
            if o.oid == oid:
                return o
        return None

    def cancel(self, oid: str) -> bool:
        o = self.find(oid)
        if o is None:
            return False
        self.resting.remove(o)
        return True

    def modify(self, oid: str, total: int | None, price: int | None) -> list | None:
        """None if rejected; else the trades it caused."""
        o = self.find(oid)
        if o is None or (total is not None and total <= self.done[oid]):
            return None
        new_total = self.total[oid] if total is None else total
        new_price = o.price if price is None else price
        new_left = new_total - self.done[oid]
        self.total[oid] = new_total
        if new_price == o.price and new_left <= o.qty:
            o.qty = new_left
            return []
        self.resting.remove(o)
        out, left = self._match(oid, o.side, new_left, new_price)
        if left:
            self.seq += 1
            self.resting.append(RefOrder(oid, o.side, new_price, left, self.seq))
        return out

    def book(self) -> list[tuple[str, int, int]]:
        """Resting orders as ``(oid, price, qty)`` in price-time priority, bids then asks."""
        bids = sorted((o for o in self.resting if o.side == 1), key=lambda o: (-o.price, o.seq))
        asks = sorted((o for o in self.resting if o.side == -1), key=lambda o: (o.price, o.seq))
        return [(o.oid, o.price, o.qty) for o in bids + asks]


def engine_book(engine) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """The engine's resting orders as ``(oid, price, leaves)`` in priority, bids then asks."""
    out = []
    for side in (engine.book.bids, engine.book.asks):
        for level in side.iter_levels():
            out.extend((o.oid, o.price, o.visible + o.hidden) for o in level.orders())
    return out
