"""The recorded L2 book a local venue shows, rebuilt from replayed book data (``kind="book"``).

Book files are replayed one group at a time: the rows of one file that share a timestamp
(``book_groups``), which is how a backtest groups them into one ``BookUpdate``
(``sim.market_events``), so the simulated markets see the same updates in both; a group with a
snapshot row replaces the whole book. ``Depth`` is the data's book of one symbol, as every
client sees it: each account's simulated market keeps its own copy, with what its orders took
from the levels, which nobody else sees. ``apply`` says which levels an update changed (the
diff a depth stream sends) and counts them in ``update_id`` (the book's version, as Binance's
``lastUpdateId``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from sortedcontainers import SortedDict

from sim.feeds import Chunk

Delta = tuple[int, int, int]  # side (+1 bid, -1 ask), price in ticks, size in lots (0: gone)
Top = tuple[int | None, int, int | None, int]  # bid, bid lots, ask, ask lots (empty: None, 0)


def book_groups(chunks: Iterable[Chunk]) -> Iterator[tuple[int, tuple[Delta, ...], bool]]:
    """One book file's rows grouped by timestamp: ``(ts, deltas, snapshot)``, in file order
    (a group may straddle two chunks)."""
    at: int | None = None
    deltas: list[Delta] = []
    snap = False
    for chunk in chunks:
        cols = chunk.cols
        rows = zip(
            chunk.ts.tolist(),
            cols["side"].tolist(),
            cols["px"].tolist(),
            cols["sz"].tolist(),
            cols["snap"].tolist(),
        )
        for ts, side, px, sz, is_snap in rows:
            if ts != at and deltas:
                assert at is not None
                yield at, tuple(deltas), snap
                deltas, snap = [], False
            at = ts
            deltas.append((side, px, sz))
            snap = snap or bool(is_snap)
    if deltas:
        assert at is not None
        yield at, tuple(deltas), snap


class Depth:
    """One symbol's recorded book: price -> lots per side, and its version ``update_id``."""

    __slots__ = ("asks", "bids", "update_id")

    def __init__(self) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.update_id = 0

    def apply(self, deltas: Iterable[Delta], snapshot: bool) -> list[Delta]:
        """Apply one update (a snapshot first empties the book); return the levels whose size
        it changed, each with its size now (0: the level is gone)."""
        before: dict[tuple[int, int], int] = {}
        if snapshot:
            for side, levels in ((1, self.bids), (-1, self.asks)):
                before.update(((side, px), lots) for px, lots in levels.items())
                levels.clear()
        for side, px, lots in deltas:
            levels = self.bids if side > 0 else self.asks
            before.setdefault((side, px), levels.get(px, 0))
            if lots:
                levels[px] = lots
            else:
                levels.pop(px, None)
        changed = []
        for (side, px), old in before.items():
            now = (self.bids if side > 0 else self.asks).get(px, 0)
            if now != old:
                changed.append((side, px, now))
        self.update_id += len(changed)
        return changed

    def levels(self, side: int, n: int) -> list[tuple[int, int]]:
        """``(price, lots)`` of ``side``'s best ``n`` levels, best first."""
        levels = self.bids if side > 0 else self.asks
        prices = reversed(levels.keys()) if side > 0 else iter(levels.keys())
        return [(px, levels[px]) for px in islice(prices, max(n, 0))]

    def top(self) -> Top:
        """The best bid and ask with their sizes."""
        bid = self.bids.peekitem(-1) if self.bids else (None, 0)
        ask = self.asks.peekitem(0) if self.asks else (None, 0)
        return bid[0], bid[1], ask[0], ask[1]
