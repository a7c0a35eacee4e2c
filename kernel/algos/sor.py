"""Smart order routing: take the displayed liquidity of several venues, best net price first.

A *round* starts when the parent arrives and, while quantity is left and no child works, at
each market event of the symbol. The router asks ``VenueQuotes`` for each venue's best opposite
price and the size displayed up to its price cap (the parent's limit, else the touch moved
``sweep_ticks`` further), ranks the venues by price net of the venue's taker fee
(``fees_bps``; ties keep the ``venues`` order) and splits what is left across them by displayed
size: the best venue gets ``min(displayed, left)``, the next the rest up to its displayed size,
and so on. Each child is an IOC limit at the cap, sent to its venue. What comes back unfilled
(the IOC remainder is canceled) or rejected is re-routed at once to the best venue that still
has displayed size unallocated in this round; when none has, the rest waits for the next round.
Each venue is tried once per round for its first allocation, so a round sends at most
``2 x venues`` children.

``VenueQuotes`` is a two-method protocol. ``ConsolidatedQuotes`` (the default) reads each
venue's own market when the data says which venue it comes from (a data source routed to one
venue, or a live adapter's stream), else the consolidated view; another source can be plugged in
(``AlgoEngine.venue_quotes``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from kernel.algos.base import AlgoStatus, ExecAlgo
from kernel.enums import OrderType, TimeInForce
from kernel.orders import Order

if TYPE_CHECKING:
    from kernel.kernel import Kernel

BPS = 10_000


class VenueQuotes(Protocol):
    """What the router knows of each venue's displayed liquidity."""

    def best(self, venue: str, symbol: str, side: int) -> int | None:
        """The best opposite price (ticks) for an order of ``side`` at ``venue``, or None."""
        ...

    def displayed(self, venue: str, symbol: str, side: int, cap: int) -> int | None:
        """The size (lots) displayed at ``venue`` at prices up to ``cap`` for an order of
        ``side``; None when the data carry no sizes (unlimited at the touch)."""
        ...


class ConsolidatedQuotes:
    """Each venue's own market when the data says which venue it is from (``Kernel.venue_market``),
    else the kernel's consolidated market state: the last quote, else the L2 book, else the last
    trade (its price and size)."""

    __slots__ = ("_kernel", "_markets")

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self._markets = kernel.portfolio.markets

    def _market(self, venue: str, symbol: str):  # type: ignore[no-untyped-def]
        return self._kernel.venue_markets.get((venue, symbol)) or self._markets[symbol]

    def best(self, venue: str, symbol: str, side: int) -> int | None:
        m = self._market(venue, symbol)
        if m.last_quote is not None or m.book is not None:
            return m.ask if side > 0 else m.bid  # type: ignore[no-any-return]
        t = m.last_trade
        return None if t is None else t.price_ticks  # type: ignore[no-any-return]

    def displayed(self, venue: str, symbol: str, side: int, cap: int) -> int | None:
        m = self._market(venue, symbol)
        q = m.last_quote
        if q is not None:
            px, size = (q.ask_ticks, q.ask_lots) if side > 0 else (q.bid_ticks, q.bid_lots)
            return 0 if side * (px - cap) > 0 else size  # type: ignore[no-any-return]
        book = m.book
        if book is not None:
            levels = book.asks if side > 0 else book.bids
            prices = levels.irange(maximum=cap) if side > 0 else levels.irange(minimum=cap)
            return sum(levels[px] for px in prices)  # type: ignore[no-any-return]
        t = m.last_trade
        if t is not None and side * (t.price_ticks - cap) <= 0:
            return t.size_lots  # type: ignore[no-any-return]
        return 0


class SmartRouter(ExecAlgo):
    """Route across ``venues`` by net price, split by displayed size, re-route the rest."""

    NAME = "sor"
    WANTS_DATA = True
    __slots__ = ("_cap", "_ranked", "_spare", "rounds")

    def on_start(self) -> None:
        self.rounds = 0
        self._ranked: list[str] = []
        self._spare: dict[str, int | None] = {}
        self._cap: int | None = None
        self._round()

    def venue_names(self) -> tuple[str, ...]:
        if self.p.venues is not None:
            return self.p.venues
        return tuple(sorted(self.kernel.venues))

    def _round(self) -> None:
        """Rank the venues and split what is left across them by displayed size."""
        left = self.free_lots()
        if left <= 0:
            return
        quotes = self.engine.venue_quotes
        side = self.side
        limit = self.p.limit_ticks
        ranked: list[tuple[Fraction, int, str, int, int | None]] = []
        down = self.kernel.guard.disconnected
        for i, venue in enumerate(self.venue_names()):
            if venue in down:
                continue  # why: a venue that is down takes nothing (its quotes are stale)
            px = quotes.best(venue, self.symbol, side)
            if px is None:
                continue
            cap = limit if limit is not None else px + side * self.p.sweep_ticks
            if side * (px - cap) > 0:
                continue  # why: nothing at this venue inside the parent's limit
            size = quotes.displayed(venue, self.symbol, side, cap)
            if size is not None and size <= 0:
                continue
            fee = self.p.fees_bps.get(venue)
            if fee is None:  # why: the venue's own fee model, when the parent gives none
                fee = self.kernel.venue_fees.get(venue, Fraction(0))
            net = px * (BPS + side * fee)  # why: a buyer pays the fee on top, a seller gives it up
            ranked.append((side * net, i, venue, cap, size))
        if not ranked:
            return
        ranked.sort()
        self.rounds += 1
        self._ranked = [r[2] for r in ranked]
        self._spare = {r[2]: r[4] for r in ranked}
        # why: one price cap per round, the best venue's (caps differ only with per-venue data)
        self._cap = ranked[0][3]
        for venue in self._ranked:
            if left <= 0 or self.status != AlgoStatus.WORKING:
                break
            left -= self._route(venue, left)

    def _route(self, venue: str, want: int) -> int:
        """Send up to ``want`` to ``venue`` within its spare displayed size; return the size."""
        spare = self._spare.get(venue, 0)
        qty = min(want if spare is None else min(want, spare), self.free_lots())
        if qty <= 0:
            return 0
        if spare is not None:
            self._spare[venue] = spare - qty
        self.send_child(qty, OrderType.LIMIT, self._cap, TimeInForce.IOC, venue)
        return qty

    def on_child_closed(self, order: Order, rejected: bool, requested: bool) -> None:
        """An IOC came back unfilled (in part) or rejected: that venue has nothing more this
        round; re-route the rest to the next venue with spare displayed size."""
        self._spare[order.venue or ""] = 0
        left = order.quantity - order.filled_lots
        for venue in self._ranked:
            if left <= 0 or self.status != AlgoStatus.WORKING:
                break
            left -= self._route(venue, left)
        if rejected and left > 0 and not self.open_children and self.status == AlgoStatus.WORKING:
            self.schedule_retry()

    def on_data(self, event: Any) -> None:
        if not self.open_children:
            self._round()

    def top_up(self) -> None:
        if not self.open_children:
            self._round()

    def final_venue(self) -> str | None:
        return self._ranked[0] if self._ranked else self.venue_names()[0]
