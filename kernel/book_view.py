"""The kernel's L2 view of a recorded order book, rebuilt from ``BookUpdate`` events.

Only symbols with book data have one. Levels live in two ``SortedDict``s (price ticks -> size
lots); a snapshot replaces the book, a size of 0 deletes a level. ``best_bid``/``best_ask`` are
O(1); ``depth(n)`` is O(n).
"""

from __future__ import annotations

from sortedcontainers import SortedDict


class L2Book:
    __slots__ = ("asks", "bids", "ts")

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.ts = 0

    def apply(self, update) -> None:  # type: ignore[no-untyped-def]
        """Apply a ``BookUpdate`` (a snapshot replaces everything)."""
        if update.is_snapshot:
            self.bids.clear()
            self.asks.clear()
        bids, asks = self.bids, self.asks
        for side, px, size in update.deltas:
            levels = bids if side > 0 else asks
            if size:
                levels[px] = size
            else:
                levels.pop(px, None)
        self.ts = update.ts_event

    @property
    def best_bid(self) -> int | None:
        return self.bids.peekitem(-1)[0] if self.bids else None  # type: ignore[no-any-return]

    @property
    def best_ask(self) -> int | None:
        return self.asks.peekitem(0)[0] if self.asks else None  # type: ignore[no-any-return]

    def depth(self, levels: int = 10) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """``(bids, asks)`` as ``(price, size)`` from the best, ``levels`` each."""
        bids = [(p, self.bids[p]) for p in list(reversed(self.bids.keys()))[:levels]]
        asks = [(p, self.asks[p]) for p in list(self.asks.keys())[:levels]]
        return bids, asks
