"""Replay a market data file through the fake venue, one event per ``step_ms`` of wall time.

Each event first moves the venue (its clock becomes the event's time; our orders meet it by the
backtest's fill rules), then goes out on the data stream as Alpaca's message (``q``, ``t`` or
``b`` with the bar's open as ``t``). When the file ends the venue stays up on the last time.
``pause`` / ``resume`` and ``advance(n)`` (n events now, no waiting) let tests step exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from kernel.units import Instrument
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.venue import FakeVenue
from sim.feeds import read_chunks

Publish = Callable[[str, str, dict[str, Any]], None]  # (channel, symbol, message)


def _num(value: Decimal) -> int | float:
    # why: Alpaca sends JSON numbers; a float's repr round-trips a short decimal exactly
    return int(value) if value == value.to_integral_value() else float(value)


class Replay:
    """The replay task of one venue. ``done`` is set when the data is exhausted."""

    def __init__(self, config: FakeAlpacaConfig, venue: FakeVenue, publish: Publish) -> None:
        self.config = config
        self.venue = venue
        self.publish = publish
        self.inst: Instrument = venue.inst
        self.spec = config.data_spec()
        self.events = 0
        self.error: str | None = None  # why the replay stopped early (a bad row), if it did
        self.done = asyncio.Event()
        self._running = not config.start_paused
        self._credit = 0
        self._wake = asyncio.Event()  # resume() or advance() was called
        self._progress = asyncio.Event()  # an event was replayed
        self._trade_seq = 0

    # --- control --------------------------------------------------------------------------
    def pause(self) -> None:
        self._running = False

    def resume(self) -> None:
        self._running = True
        self._wake.set()

    async def advance(self, n: int) -> int:
        """Replay ``n`` more events at once (while paused: exactly those); return the count."""
        target = self.events + n
        self._credit += n
        self._wake.set()
        while self.events < target and not self.done.is_set():
            self._progress.clear()
            await self._progress.wait()
        return self.events

    # --- the loop ---------------------------------------------------------------------------
    def first_ts(self) -> int | None:
        """The time of the first event (the venue's clock before the replay starts)."""
        for ts, *_ in self._rows():
            return int(ts)
        return None

    async def run(self) -> None:
        step = self.config.step_ms / 1000.0
        try:
            for row in self._rows():
                await self._gate(step)
                self._one(row)
                self.events += 1
                self._progress.set()
        finally:
            self.done.set()
            self._progress.set()

    async def _gate(self, step: float) -> None:
        """Wait for the next event's turn: an advance credit, else one step while running."""
        while True:
            if self._credit > 0:
                self._credit -= 1
                return
            if self._running:
                await asyncio.sleep(step)
                if self._running or self._credit > 0:
                    if not self._running:
                        self._credit -= 1
                    return
                continue
            self._wake.clear()
            await self._wake.wait()

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        if self.spec is None:
            return
        kind = self.spec.kind
        for chunk in read_chunks(self.spec, self.inst):
            cols = chunk.cols
            ts = chunk.ts.tolist()
            if kind == "quotes":
                yield from zip(
                    ts,
                    cols["bid"].tolist(),
                    cols["ask"].tolist(),
                    cols["bid_sz"].tolist(),
                    cols["ask_sz"].tolist(),
                )
            elif kind == "trades":
                yield from zip(ts, cols["px"].tolist(), cols["sz"].tolist(), cols["side"].tolist())
            else:
                yield from zip(
                    ts,
                    cols["open"].tolist(),
                    cols["high"].tolist(),
                    cols["low"].tolist(),
                    cols["close"].tolist(),
                    cols["volume"].tolist(),
                )

    def _one(self, row: tuple[Any, ...]) -> None:
        kind = self.config.kind
        inst = self.inst
        sym = inst.symbol
        px = inst.ticks_to_price
        qty = inst.lots_to_qty
        if kind == "quotes":
            ts, bid, ask, bsz, asz = row
            bl = None if bsz < 0 else bsz
            al = None if asz < 0 else asz
            self.venue.on_quote(ts, bid, ask, bl, al)
            msg = {
                "T": "q",
                "S": sym,
                "bx": "V",
                "bp": _num(px(bid)),
                "bs": _num(qty(bl or 0)),
                "ax": "V",
                "ap": _num(px(ask)),
                "as": _num(qty(al or 0)),
                "t": ts,
                "c": ["R"],
                "z": "C",
            }
            self.publish("quotes", sym, msg)
        elif kind == "trades":
            ts, price, size, side = row
            self.venue.on_trade(ts, price, size, side)
            self._trade_seq += 1
            msg = {
                "T": "t",
                "S": sym,
                "i": self._trade_seq,
                "x": "V",
                "p": _num(px(price)),
                "s": _num(qty(size)),
                "t": ts,
                "c": ["@"],
                "z": "C",
            }
            self.publish("trades", sym, msg)
        else:
            ts, o, h, low, c, v = row
            interval = self.spec.interval_ns  # type: ignore[union-attr]
            self.venue.on_bar(ts, ts - interval, o, h, low, c)
            msg = {
                "T": "b",
                "S": sym,
                "o": _num(px(o)),
                "h": _num(px(h)),
                "l": _num(px(low)),
                "c": _num(px(c)),
                "v": _num(qty(max(v, 0))),
                "t": ts - interval,
                "n": 0,
                "vw": _num(px(c)),
            }
            self.publish("bars", sym, msg)
