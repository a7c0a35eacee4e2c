"""One way recorded data becomes kernel events: chunks in, the events the sim driver delivers out.

Replay (re-driving a journal) and paper trading (``type: sim`` brokers live) both use
``ChunkEvents``; the sim driver's generic loop delivers the same sequence (its specialised fast
loops are checked against it by the bundled scenarios' replays). Book groups are carried across
chunk boundaries, data no venue up would show is dropped, and data routed to one venue carries
that venue's name.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from kernel.events import Bar, BookUpdate, QuoteTick, TradeTick
from sim.feeds import Chunk


def _plain_source(s: Any) -> dict[str, Any]:
    if isinstance(s, dict):
        return s
    venues = getattr(s, "venues", None)
    return {
        "kind": s.kind,
        "symbol": s.symbol,
        "interval_ns": getattr(s, "interval_ns", 0) or 0,
        "venues": list(venues) if venues is not None else None,
    }


class ChunkEvents:
    """Chunks of recorded data -> the kernel events the sim driver delivers, in its order.

    ``sources`` describe each chunk source (``kind``, ``symbol``, ``interval_ns``, ``venues``:
    mappings as in a run header, or ``sim.driver.Source``); ``venues`` are the run's venue names
    and ``outages`` their outage windows (data that no venue up would show is dropped, as the
    driver does). ``add_chunk`` appends the chunk's events to ``pending``; an L2 book group is
    carried until data at a later time arrives (a group may straddle two chunks), and
    ``flush_carries`` releases what is carried at the end."""

    def __init__(
        self,
        sources: list[Any],
        venues: list[str] | None = None,
        outages: dict[str, list] | None = None,
    ) -> None:
        self.sources = [_plain_source(s) for s in sources]
        self.outages = outages or {}
        self.venues = venues or []
        self.pending: deque = deque()
        self.origin: deque[int] = deque()  # the source index of each pending event
        self.opens: deque[int] = deque()  # the open time of each pending bar
        self.last_open = 0  # the open time of the bar ``popleft`` returned last
        self.carry: dict[int, tuple[int, list, bool]] = {}
        # as the driver: data routed to one venue carries that venue's name
        self.tags = [
            s["venues"][0] if s.get("venues") and len(s["venues"]) == 1 else None
            for s in self.sources
        ]

    def _flows(self, src: dict[str, Any], ts: int) -> bool:
        names = src["venues"] if src["venues"] is not None else self.venues
        if not any(self.outages.get(n) for n in names):
            return True
        up = [n for n in names if not any(a <= ts < b for a, b in self.outages.get(n, []))]
        return bool(up) or not names

    @classmethod
    def of_header(cls, header: dict[str, Any]) -> ChunkEvents:
        """For a run header (a replay)."""
        return cls(header.get("sources") or [], header.get("venues"), header.get("outages"))

    def add(self, source: int, n: int, blob: bytes) -> None:
        """A journaled chunk (``TAG_CHUNK`` record)."""
        src = self.sources[source]
        chunk = Chunk.decode(src["kind"], src["symbol"], source, blob)
        assert len(chunk) == n
        self.add_chunk(chunk)

    def add_chunk(self, chunk: Chunk) -> None:
        source = chunk.source
        src = self.sources[source]
        sym, kind, cols, out = src["symbol"], src["kind"], chunk.cols, self.pending
        origin = self.origin
        ts_list = chunk.ts.tolist()
        tag = self.tags[source]
        if self.carry and ts_list:
            self._release(ts_list[0])
        if kind == "quotes":
            bs = [None if v < 0 else v for v in cols["bid_sz"].tolist()]
            az = [None if v < 0 else v for v in cols["ask_sz"].tolist()]
            for ts, b, a, x, y in zip(ts_list, cols["bid"].tolist(), cols["ask"].tolist(), bs, az):
                if self._flows(src, ts):
                    out.append(QuoteTick(sym, b, a, x, y, ts, ts, tag))
                    origin.append(source)
        elif kind == "trades":
            for ts, p, s, side in zip(
                ts_list, cols["px"].tolist(), cols["sz"].tolist(), cols["side"].tolist()
            ):
                if self._flows(src, ts):
                    out.append(TradeTick(sym, p, s, side, None, ts, ts, tag))
                    origin.append(source)
        elif kind == "bars":
            interval = src["interval_ns"]
            rows = zip(
                ts_list, *(cols[c].tolist() for c in ("open", "high", "low", "close", "volume"))
            )
            # why: session-stamped daily bars open at the session's open, not ts - interval
            col = cols.get("open_ns")
            open_list = col.tolist() if col is not None else None
            for i, (ts, o, h, lo, c, v) in enumerate(rows):
                if self._flows(src, ts):
                    out.append(Bar(sym, o, h, lo, c, v if v >= 0 else 0, interval, ts, ts))
                    origin.append(source)
                    self.opens.append(open_list[i] if open_list is not None else ts - interval)
        else:
            self._book(source, ts_list, cols)

    def release(self, ts: int) -> None:
        """Data stamped ``ts`` arrived (from any source): carried groups before it are done."""
        if self.carry:
            self._release(ts)

    def popleft(self) -> tuple[int, Any]:
        """The next pending event with its source index (a bar's open time: ``last_open``)."""
        event = self.pending.popleft()
        if type(event) is Bar:
            self.last_open = self.opens.popleft()
        return self.origin.popleft(), event

    def _release(self, ts: int) -> None:
        """As the driver: a carried book group is complete once later data arrives."""
        for source, carry in sorted(self.carry.items()):
            if carry[0] < ts:
                del self.carry[source]
                self._emit_book(source, *carry)

    def _book(self, source: int, ts_list: list[int], cols: dict) -> None:
        carry = self.carry.pop(source, None)
        rows = zip(
            ts_list,
            cols["side"].tolist(),
            cols["px"].tolist(),
            cols["sz"].tolist(),
            cols["snap"].tolist(),
        )
        for ts, side, px, sz, snap in rows:
            if carry is not None and carry[0] != ts:
                self._emit_book(source, *carry)
                carry = None
            if carry is None:
                carry = (ts, [], False)
            carry[1].append((side, px, sz))
            if snap:
                carry = (ts, carry[1], True)
        if carry is not None:
            self.carry[source] = carry

    def _emit_book(self, source: int, ts: int, deltas: list, snap: bool) -> None:
        src = self.sources[source]
        if self._flows(src, ts):
            self.pending.append(
                BookUpdate(src["symbol"], tuple(deltas), snap, ts, ts, self.tags[source])
            )
            self.origin.append(source)

    def flush_carries(self) -> bool:
        if not self.carry:
            return False
        for source, carry in sorted(self.carry.items()):
            self._emit_book(source, *carry)
        self.carry.clear()
        return True
