"""IB tickers -> kernel market data: ``QuoteTick`` for the top of book, ``TradeTick`` per print.

``reqMktData`` keeps a ``Ticker`` per contract up to date (bid, ask, their sizes, last) and
ib_async reports the tickers that changed in one socket read (``pendingTickersEvent``), each
with the ticks that changed it (``ticker.ticks``). ``TickerTranslator.events`` turns one such
update into kernel events: a ``TradeTick`` for each LAST tick (types 4 and 68, delayed) with a
price and a size, then one ``QuoteTick`` when bid, ask or a size differs from the last quote sent
for the symbol (both sides present and not crossed: an empty side is price -1 or unset). IB
gives no exchange time on these ticks: both times are the receive time. Sizes off the lot grid
(IB rounds some to hundreds) are sent as None (unknown size at the touch). Pure.
"""

from __future__ import annotations

from typing import Any

from kernel.events import QuoteTick, TradeTick
from kernel.units import Instrument
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.wire import lots, number, ticks

LAST_TICKS = frozenset({4, 68})


def _price(inst: Instrument, value: Any) -> int | None:
    d = number(value)
    if d is None or d <= 0:
        return None
    try:
        return ticks(inst, d)
    except MalformedMessage:
        return None


def _size(inst: Instrument, value: Any) -> int | None:
    d = number(value)
    if d is None or d <= 0:
        return None
    try:
        return lots(inst, d)
    except MalformedMessage:
        return None


class TickerTranslator:
    """Per symbol, the last quote sent (so an unchanged top of book is not sent again).
    ``venue`` names the broker on each event (smart order routing reads it)."""

    __slots__ = ("last", "venue")

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.last: dict[str, tuple[int, int, int | None, int | None]] = {}

    def forget(self) -> None:
        """After a reconnect: the next quote of every symbol is sent even if unchanged."""
        self.last.clear()

    def events(self, ticker: Any, symbol: str, inst: Instrument, now: int) -> list[Any]:
        """The kernel events for one ticker update."""
        out: list[Any] = []
        for tick in ticker.ticks or ():
            if tick.tickType not in LAST_TICKS:
                continue
            px, size = _price(inst, tick.price), _size(inst, tick.size)
            if px is not None and size is not None:
                out.append(TradeTick(symbol, px, size, 0, None, now, now, self.venue))
        bid, ask = _price(inst, ticker.bid), _price(inst, ticker.ask)
        if bid is None or ask is None or bid > ask:
            return out
        top = (bid, ask, _size(inst, ticker.bidSize), _size(inst, ticker.askSize))
        if self.last.get(symbol) != top:
            self.last[symbol] = top
            out.insert(0, QuoteTick(symbol, bid, ask, top[2], top[3], now, now, self.venue))
        return out
