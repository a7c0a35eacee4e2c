"""Market data ticks: the replayed data as tickPrice / tickSize messages.

The replay (``live.fakes.alpaca.replay.Replay``) publishes each event after the simulated venue
has seen it, as the Alpaca data message it is (``q``: ``bp`` ``bs`` ``ap`` ``as``; ``t``: ``p``
``s``; ``b``: ``c`` ``v``); ``Ticks.publish`` turns it into what TWS sends a ticker:

- a quote: tickPrice BID (1) / ASK (2) with the size when a side's price changed (an empty
  side: price -1, size 0, as TWS), else tickSize BID_SIZE (0) / ASK_SIZE (3) when only the
  size changed. Data without sizes (the simulated venue then fills any size at the touch)
  shows one lot: TWS never sends a price without a size, and ib_async reads size 0 as an
  empty side;
- a trade: tickPrice LAST (4) with its size, then tickSize VOLUME (8), the day's running total;
- a bar: tickPrice LAST (4) at the close with the bar's volume, then VOLUME (8).

A new subscription first gets tickReqParams (81) and then the current values (the same
messages, from nothing); a snapshot request gets them and tickSnapshotEnd (57). Sizes and
prices are exact decimal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from live.fakes.ibkr.wire import TICK_PRICE, TICK_SIZE

BID_SIZE, BID, ASK, ASK_SIZE, LAST, VOLUME = 0, 1, 2, 3, 4, 8
Tick = tuple[int, int, Any, Any]  # (message id, tick type, price or size, size or None)


@dataclass(slots=True)
class Top:
    """What a ticker shows for one symbol (None: nothing yet)."""

    bid: Decimal | None = None
    bid_size: Decimal = Decimal(0)
    ask: Decimal | None = None
    ask_size: Decimal = Decimal(0)
    last: Decimal | None = None
    last_size: Decimal = Decimal(0)
    volume: Decimal | None = None


def _dec(value: Any) -> Decimal:
    # why: the replay's numbers are ints or floats whose repr is the exact short decimal
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _side(tick: int, size_tick: int, old: tuple[Any, Any], new: tuple[Any, Any]) -> list[Tick]:
    price, size = new
    if price != old[0]:
        return [(TICK_PRICE, tick, price if price is not None else -1, size)]
    if size != old[1]:
        return [(TICK_SIZE, size_tick, size, None)]
    return []


class Ticks:
    """The last values per symbol and the ticks that move a ticker to the next ones."""

    def __init__(self, lots: dict[str, Decimal]) -> None:
        """``lots``: each symbol's lot size (the size shown when the data has none)."""
        self.tops: dict[str, Top] = {s: Top() for s in lots}
        self.lots = lots

    def publish(self, channel: str, symbol: str, msg: dict[str, Any]) -> list[Tick]:
        """Take one replayed message; return the ticks it makes (message id, type, value...)."""
        top = self.tops[symbol]
        if channel == "quotes":
            bid = _dec(msg["bp"]) or None
            ask = _dec(msg["ap"]) or None
            lot = self.lots[symbol]
            bid_size = (_dec(msg["bs"]) or lot) if bid is not None else Decimal(0)
            ask_size = (_dec(msg["as"]) or lot) if ask is not None else Decimal(0)
            out = _side(BID, BID_SIZE, (top.bid, top.bid_size), (bid, bid_size))
            out += _side(ASK, ASK_SIZE, (top.ask, top.ask_size), (ask, ask_size))
            top.bid, top.bid_size, top.ask, top.ask_size = bid, bid_size, ask, ask_size
            return out
        price, size = (msg["p"], msg["s"]) if channel == "trades" else (msg["c"], msg["v"])
        top.last, top.last_size = _dec(price), _dec(size)
        top.volume = (top.volume or Decimal(0)) + top.last_size
        return [(TICK_PRICE, LAST, top.last, top.last_size), (TICK_SIZE, VOLUME, top.volume, None)]

    def current(self, symbol: str) -> list[Tick]:
        """The ticks that show a new ticker the current values."""
        top = self.tops[symbol]
        out: list[Tick] = []
        if top.bid is not None:
            out.append((TICK_PRICE, BID, top.bid, top.bid_size))
        if top.ask is not None:
            out.append((TICK_PRICE, ASK, top.ask, top.ask_size))
        if top.last is not None:
            out.append((TICK_PRICE, LAST, top.last, top.last_size))
        if top.volume is not None:
            out.append((TICK_SIZE, VOLUME, top.volume, None))
        return out


def tick_fields(req_id: int, tick: Tick) -> list[Any]:
    """tickPrice (1, version 6: price, size, attribute mask; bid and ask can auto-execute) or
    tickSize (2, version 6)."""
    msg_id, tick_type, value, size = tick
    if msg_id == TICK_PRICE:
        mask = 1 if tick_type in (BID, ASK) and value != -1 else 0
        return [TICK_PRICE, 6, req_id, tick_type, value, size, mask]
    return [TICK_SIZE, 6, req_id, tick_type, value]
