"""Replay market data files through the fake venue, paced by wall time.

Each event first moves the venue (its clock becomes the event's time; our orders meet it by the
backtest's fill rules), then goes out on the data stream as Alpaca's message (``q``, ``t`` or
``b`` with the bar's open as ``t``). Several symbols' files are merged by time (a tie: the
config's symbol order). When the data ends the venue stays up on the last time; with ``loop``
it starts again from the first row, every timestamp shifted forward by the data's span plus one
mean gap between events (bars: one interval), so the venue's time never goes back.

Book data: an event is one file's rows of one timestamp (``live.fakes.alpaca.depth.book_groups``,
the backtest's ``BookUpdate``); the book's top goes out as a ``q`` whenever a price or size of it
changes (exchange mode: the engine's touch, through the core), and ``on_book(symbol, ts,
changed)``, when set, hears every update with the levels it changed (the Binance venue's depth
stream). Each pass starts from an empty book: a symbol's first update of a pass replaces the
book as a snapshot does, so a loop over diffs alone does not pile one pass onto the last (the
first pass is the same either way).

Start: with ``start="on-connect"`` the timed replay waits for ``client_connected()`` (the server
calls it on the first client); with ``"now"`` it runs at once. ``start_paused`` overrides both
(the replay waits for ``resume()``). Pace: ``step_ms`` between events, or with ``speed`` X the
gap between two rows' timestamps divided by X, each wait at most ``max_wait_s``; the speed pace
keeps a running deadline so many small waits do not drift. ``pause`` / ``resume`` and
``advance(n)`` (n events now, no waiting, before or after the start) let tests step exactly.

Exchange mode: ``print_trade`` publishes an execution of the venue's own matching engine as a
``t`` message (the core calls it for each execution an account's order took as the taker).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from kernel.units import Instrument
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.depth import Delta, Top, book_groups
from sim.feeds import DataSpec, read_chunks

Publish = Callable[[str, str, dict[str, Any]], None]  # (channel, symbol, message)
MIN_LOOP_GAP_NS = 1_000_000  # why: a file whose rows share one timestamp still moves forward


def _num(value: Decimal) -> int | float:
    # why: Alpaca sends JSON numbers; a float's repr round-trips a short decimal exactly
    return int(value) if value == value.to_integral_value() else float(value)


def _quote_msg(
    inst: Instrument, ts: int, bid: int | None, bid_lots: int, ask: int | None, ask_lots: int
) -> dict[str, Any]:
    """An Alpaca quote message (an empty side: price 0)."""
    px = inst.ticks_to_price
    qty = inst.lots_to_qty
    return {
        "T": "q",
        "S": inst.symbol,
        "bx": "V",
        "bp": 0 if bid is None else _num(px(bid)),
        "bs": _num(qty(bid_lots)),
        "ax": "V",
        "ap": 0 if ask is None else _num(px(ask)),
        "as": _num(qty(ask_lots)),
        "t": ts,
        "c": ["R"],
        "z": "C",
    }


class Replay:
    """The replay task of one venue. ``done`` is set when the data is exhausted (never with
    ``loop`` unless the data is empty); ``started`` when the timed replay began."""

    def __init__(self, config: FakeAlpacaConfig, venue: VenueCore, publish: Publish) -> None:
        self.config = config
        self.venue = venue
        self.publish = publish
        self.specs: list[tuple[Instrument, DataSpec]] = config.data_specs()
        self.inst: Instrument = venue.inst
        self.spec = self.specs[0][1] if self.specs else None
        self.events = 0
        self.passes = 0  # completed passes over the data (loop)
        self.last_ts: int | None = None  # the last event's (shifted) time
        self.error: str | None = None  # why the replay stopped early (a bad row), if it did
        self.done = asyncio.Event()
        self.started = asyncio.Event()
        self._armed = config.start == "on-connect" and not config.start_paused
        self._running = config.start == "now" and not config.start_paused
        if self._running:
            self.started.set()
        self._credit = 0
        self._wake = asyncio.Event()  # resume() or advance() was called
        self._progress = asyncio.Event()  # an event was replayed
        self._trade_seq = 0
        self._due: float | None = None  # loop time the previous event was due (speed pace)
        self.on_book: Callable[[str, int, list[Delta]], None] | None = None
        self._booked: set[str] = set()  # symbols whose book this pass has begun
        self._tops: dict[str, Top] = {}  # the book tops last published

    # --- control --------------------------------------------------------------------------
    @property
    def waiting_for_client(self) -> bool:
        """True until the first client connects (``start="on-connect"`` only)."""
        return self._armed

    def client_connected(self) -> None:
        """A client connected: with ``start="on-connect"`` the first one starts the replay."""
        if self._armed:
            self.resume()

    def print_quote(
        self, symbol: str, ts: int, top: tuple[int | None, int, int | None, int]
    ) -> None:
        """Publish the book's touch (exchange mode: every participant's orders with the
        recorded market's) on the data stream's quotes."""
        inst = next(i for i in self.venue.instruments if i.symbol == symbol)
        bid, bid_lots, ask, ask_lots = top
        self.publish("quotes", symbol, _quote_msg(inst, ts, bid, bid_lots, ask, ask_lots))

    def print_trade(self, symbol: str, ts: int, price: int, lots: int) -> None:
        """Publish an execution at the venue (exchange mode) on the data stream's trades."""
        inst = next(i for i in self.venue.instruments if i.symbol == symbol)
        self._trade_seq += 1
        msg = {
            "T": "t",
            "S": symbol,
            "i": self._trade_seq,
            "x": "V",
            "p": _num(inst.ticks_to_price(price)),
            "s": _num(inst.lots_to_qty(lots)),
            "t": ts,
            "c": ["@"],
            "z": "C",
        }
        self.publish("trades", symbol, msg)

    def pause(self) -> None:
        self._armed = False
        self._running = False

    def resume(self) -> None:
        self._armed = False
        self._running = True
        self._due = None
        self.started.set()
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
        first = None
        for inst, spec in self.specs:
            for ts, *_ in self._rows(inst, spec):
                first = ts if first is None else min(first, ts)
                break
        return None if first is None else int(first)

    async def run(self) -> None:
        shift = 0
        period: int | None = None
        try:
            while True:
                first = last = None
                rows = 0
                self._booked.clear()
                for i, row in self._merged():
                    ts = row[0]
                    first = ts if first is None else first
                    last, rows = ts, rows + 1
                    at = ts + shift
                    await self._gate(self._wait(at))
                    self._one(i, row, shift)
                    self.last_ts = at
                    self.events += 1
                    self._progress.set()
                if not self.config.loop or rows == 0:
                    break
                if period is None:
                    assert first is not None and last is not None
                    period = (last - first) + self._loop_gap(first, last, rows)
                shift += period
                self.passes += 1
        finally:
            self.done.set()
            self._progress.set()

    def _loop_gap(self, first: int, last: int, rows: int) -> int:
        """The time between the last row of a pass and the first of the next."""
        interval = self.spec.interval_ns if self.spec is not None else None
        if interval:
            return int(interval)
        mean = (last - first) // (rows - 1) if rows > 1 else 0
        return max(mean, MIN_LOOP_GAP_NS)

    def _wait(self, at: int) -> float:
        """Seconds of wall time to wait before the event at data time ``at``."""
        speed = self.config.speed
        if speed is None:
            return (self.config.step_ms or 0.0) / 1000.0
        if self.last_ts is None:
            return 0.0
        gap = max(at - self.last_ts, 0) / 1e9 / speed
        return min(gap, self.config.max_wait_s)

    async def _gate(self, wait: float) -> None:
        """Wait for the next event's turn: an advance credit at once, else ``wait`` seconds
        while running (with ``speed``, counted from when the previous event was due)."""
        loop = asyncio.get_running_loop()
        paced = self.config.speed is not None
        due: float | None = None
        while True:
            if self._credit > 0:
                self._credit -= 1
                self._due = None
                return
            if self._running:
                if due is None:
                    base = self._due if paced and self._due is not None else loop.time()
                    due = base + wait
                delay = due - loop.time()
                if delay > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                    continue
                await asyncio.sleep(0)  # why: a zero wait still lets the server answer
                if not self._running:
                    continue  # paused meanwhile (a credit is taken at the top)
                # why: far behind (a blocked loop): pace from now rather than rush to catch up
                now = loop.time()
                self._due = due if now - due < 0.25 else now
                return
            due = None
            self._wake.clear()
            await self._wake.wait()

    def _merged(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Every file's rows merged by time: ``(feed index, row)``."""
        streams = [self._tagged(i, inst, spec) for i, (inst, spec) in enumerate(self.specs)]
        if len(streams) == 1:
            yield from streams[0]
            return
        yield from heapq.merge(*streams, key=lambda x: (x[1][0], x[0]))

    def _tagged(
        self, i: int, inst: Instrument, spec: DataSpec
    ) -> Iterator[tuple[int, tuple[Any, ...]]]:
        for row in self._rows(inst, spec):
            yield i, row

    def _rows(self, inst: Instrument, spec: DataSpec) -> Iterator[tuple[Any, ...]]:
        kind = spec.kind
        if kind == "book":
            yield from book_groups(read_chunks(spec, inst))
            return
        for chunk in read_chunks(spec, inst):
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

    def _one(self, feed: int, row: tuple[Any, ...], shift: int) -> None:
        kind = self.config.kind
        inst, spec = self.specs[feed]
        sym = inst.symbol
        px = inst.ticks_to_price
        qty = inst.lots_to_qty
        if kind == "quotes":
            ts, bid, ask, bsz, asz = row
            ts += shift
            bl = None if bsz < 0 else bsz
            al = None if asz < 0 else asz
            self.venue.on_quote(sym, ts, bid, ask, bl, al)
            if not self.venue.exchange:  # why: exchange mode publishes the engine's touch
                self.publish("quotes", sym, _quote_msg(inst, ts, bid, bl or 0, ask, al or 0))
        elif kind == "trades":
            ts, price, size, side = row
            ts += shift
            self.venue.on_trade(sym, ts, price, size, side)
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
        elif kind == "book":
            self._book(inst, row, shift)
        else:
            ts, o, h, low, c, v = row
            ts += shift
            interval = spec.interval_ns
            assert interval is not None
            self.venue.on_bar(sym, ts, ts - interval, o, h, low, c)
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

    def _book(self, inst: Instrument, row: tuple[Any, ...], shift: int) -> None:
        ts, deltas, snapshot = row
        ts += shift
        sym = inst.symbol
        fresh = sym not in self._booked  # why: a loop's next pass restarts the book
        self._booked.add(sym)
        changed = self.venue.on_book(sym, ts, deltas, snapshot or fresh)
        top = self.venue.depth[sym].top()
        if not self.venue.exchange and top != self._tops.get(sym):  # why: exchange: on_top
            self._tops[sym] = top
            self.publish("quotes", sym, _quote_msg(inst, ts, top[0], top[1], top[2], top[3]))
        if self.on_book is not None:
            self.on_book(sym, ts, changed)
