"""The sim driver: replays recorded data through venues and the kernel, always jumping to the
next due thing.

Due things are venue messages (a command reaching the venue, an answer reaching the kernel),
kernel timers, venue wake-ups (expiries, the closing auction, outage boundaries) and market
data. At equal times the order is fixed: messages, then timers, then data, then wake-ups (a
wake-up at time t sees all data stamped t, e.g. a daily bar that ends at the session close is
traded before DAY orders expire). For each data event the venues see it first; their answers due
at that time reach the kernel, then the kernel sees the event: a fill caused by a quote is known
to the strategy when it sees that quote.

Journal: the driver writes each data chunk once as a columnar blob (``TAG_CHUNK``) and, before
any other input reaches the kernel, how many data events the kernel had seen (``TAG_MDPOS``), so
a replay interleaves the inputs exactly. The mark is left out when the kernel's last order command
was journaled after that many data events: a replay delivers data lazily until it has produced
that command, so it already stands there (most venue answers follow a command sent on the data
event just before them: a third of a market maker's records were such marks).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from kernel.clock import SimClock
from kernel.codec import IN, TAG_CHUNK, TAG_MDPOS
from kernel.events import Bar, OrderEvent, QuoteTick
from kernel.journal import Journal
from kernel.kernel import Kernel
from sim.broker import DELIVER, NEVER, SimBroker
from sim.due import MESSAGE, TIMER, WAKE, next_due
from sim.feeds import Chunk
from sim.feeds.chunk import int_list, size_list
from sim.market_events import ChunkEvents
from sim.recorded import RecordedMarket

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

_GC_GEN0 = 50_000  # the first-generation threshold inside ``fewer_collections``


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Inside, the garbage collector's first generation waits for ``_GC_GEN0`` allocations
    instead of 700 (restored after): every event allocates short-lived objects, and a
    collection every 700 of them, walking the journal's buffered records each time, cost ~10%
    of a market-making backtest. Reference cycles are still collected."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], _GC_GEN0), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@dataclass(slots=True)
class Source:
    """What a data source is: its kind, symbol, bar interval and which venues see it."""

    kind: str
    symbol: str
    interval_ns: int = 0
    venues: tuple[str, ...] | None = None  # None: every venue that trades the symbol


class Driver:
    """Run ``chunks`` (merged, in time order) through ``brokers`` and ``kernel``.

    ``progress(events_done, ts_ns)`` is called once per chunk when given.
    """

    def __init__(
        self,
        kernel: Kernel,
        clock: SimClock,
        brokers: list[SimBroker],
        sources: list[Source],
        journal: Journal | None = None,
        progress: Callable[[int, int], None] | None = None,
        generic: bool = False,
    ) -> None:
        self.kernel = kernel
        # why: the specialised loops (one venue, no outages) must deliver exactly what the
        # generic ones do; ``generic=True`` runs the generic ones (the differential test)
        self.generic = generic
        self.clock = clock
        self.brokers = brokers
        self.sources = sources
        self.journal = journal
        self.progress = progress
        self.md_done = 0  # data events delivered to the kernel
        self._md_marked = 0
        self.end_ns = 0
        # the venues note the data events the kernel had seen when it last sent them a command
        # (``cmd_md``): a replay that re-delivers data lazily up to that command stands there, so
        # no data-position mark is needed before the next input if no data came since
        for b in brokers:
            b.use_fifo()
            b.md_stats = kernel.stats
        # per source: the venues that see it, and their entry points for its kind of data, each
        # with the venue's ``take`` for the reports the data caused (markets return them)
        self._venues_of: list[list[SimBroker]] = []
        self._handlers: list[list] = []
        for src in sources:
            seen = [
                b
                for b in brokers
                if src.symbol in b.markets and (src.venues is None or b.name in src.venues)
            ]
            self._venues_of.append(seen)
            self._handlers.append([(b.handler(src.kind, src.symbol), b.take) for b in seen])
        # why: data routed to one venue is that venue's market: its events say so (routing)
        self._venue_tag: list[str | None] = [
            s.venues[0] if s.venues is not None and len(s.venues) == 1 else None for s in sources
        ]
        # the generic path: chunks become events in one place (sim.market_events), as in
        # replay and paper trading; the driver filters per venue (outages) itself
        self._events = ChunkEvents(sources, [b.name for b in brokers])
        # why: outage windows stop a venue's data; checking that per row is only paid when a
        # venue has outages configured
        self._faulty = generic or any(b.has_outages for b in brokers)
        # why: ``_drain_one`` runs for most data events of a busy backtest (a third of W2's
        # quotes); its entry points are bound once, here, not on every call (~2% of W2)
        self._one_venue: tuple | None = None
        if len(brokers) == 1:
            b = brokers[0]
            self._one_venue = (
                b.process,
                b.queue.popleft if b.fifo else functools.partial(heapq.heappop, b.queue),
                kernel.on_event,
                kernel.on_order_event,
                journal.raw_append if journal is not None else None,
            )

    # --- the loop -------------------------------------------------------------------------------
    def run(self, chunks: Iterable[Chunk], end_ns: int | None = None) -> None:
        """Drive everything; then drain what is due up to ``end_ns`` (default: the last data),
        with ``fewer_collections``."""
        with fewer_collections():
            self._run(chunks, end_ns)

    def _run(self, chunks: Iterable[Chunk], end_ns: int | None) -> None:
        it: Iterator[Chunk] = iter(chunks)
        first = next(it, None)
        self.begin(first)
        chunk = first
        while chunk is not None:
            self._chunk(chunk)
            chunk = next(it, None)
        self.finish(end_ns)

    # --- run() in steps, for a host that pauses between them (executioncore.gym) -----------------
    def begin(self, first: Chunk | None) -> None:
        """Start the kernel at the time of ``first``, the first chunk (``run`` is ``begin``,
        ``feed`` of each chunk, ``finish``)."""
        if first is not None and len(first):
            self.clock.advance_to(max(self.clock.now_ns(), int(first.ts[0])))
        self.kernel.start()

    def feed(self, chunk: Chunk, start: int = 0, stop: int | None = None) -> None:
        """Deliver rows ``start:stop`` of ``chunk``; a chunk fed in consecutive pieces is
        journaled once, whole, with its first piece (as ``run`` journals it)."""
        if start == 0 and (stop is None or stop == len(chunk)):
            self._chunk(chunk)
            return
        if start == 0 and self.journal is not None:
            self.journal.append_blob((IN, TAG_CHUNK, chunk.source, len(chunk)), chunk.encode())
        if stop is None or start < stop:
            self._rows(chunk.slice(start, len(chunk) if stop is None else stop))

    def deliver(self, event: object) -> None:
        """Hand the kernel an input that is not data (an agent's ``OperatorAction``) now,
        between fed rows: the data position is marked first, so a replay interleaves it."""
        self._mark()
        self.kernel.on_event(event)

    def finish(self, end_ns: int | None = None) -> None:
        """Drain what is due up to ``end_ns`` (default: the last data delivered); stop the
        kernel."""
        if self._events.flush_carries():
            self._deliver_events()
        last = max(self.end_ns, self.clock.now_ns()) if end_ns is None else end_ns
        self._drain(last, wake_inclusive=True)
        self._mark()
        self.kernel.stop()

    def _chunk(self, chunk: Chunk) -> None:
        n = len(chunk)
        if not n:
            return
        if self.journal is not None:
            self.journal.append_blob((IN, TAG_CHUNK, chunk.source, n), chunk.encode())
        self._rows(chunk)

    def _rows(self, chunk: Chunk) -> None:
        """Deliver a chunk's rows (already journaled)."""
        events = self._events
        if events.carry:
            events.release(int(chunk.ts[0]))
            self._deliver_events()
        kind = chunk.kind
        if kind == "quotes" and not self._faulty:
            self._quotes(chunk)
        elif kind == "bars":
            self._bars(chunk)
        else:  # book data always, quotes and trades on the generic path
            events.add_chunk(chunk)
            self._deliver_events()
        self.end_ns = int(chunk.ts[-1])
        if self.progress is not None:
            self.progress(self.md_done, self.end_ns)

    def _due(self, ts: int) -> bool:
        for b in self.brokers:
            q = b.queue
            if (q and q[0][0] <= ts) or b.wake_ns < ts:
                return True
        th = self.kernel.timers._heap
        return bool(th) and th[0][0] <= ts

    def _live(self, src: int, ts: int) -> tuple[list, bool]:
        """The entry points of the venues of ``src`` that are up at ``ts``, and whether the data
        flows (an outage window ``[start, end)`` stops the data stamped in it)."""
        pairs = [
            (b, h)
            for b, h in zip(self._venues_of[src], self._handlers[src])
            if not b.faults.in_outage(ts)
        ]
        flows = bool(pairs) or not self._venues_of[src]
        return [h for _, h in pairs], flows

    def _quotes(self, chunk: Chunk) -> None:
        """The specialised quote loops (no outages): checked against the generic path by
        tests/property/test_driver_differential.py."""
        src = chunk.source
        sym = self.sources[src].symbol
        venues = self._handlers[src]
        cols = chunk.cols
        bsz = size_list(cols["bid_sz"])
        asz = size_list(cols["ask_sz"])
        if len(self.brokers) == 1 and len(venues) == 1:
            columns = (chunk.ts.tolist(), int_list(cols["bid"]), int_list(cols["ask"]), bsz, asz)
            on, take = venues[0]
            self._quotes_one_venue(columns, sym, on, take, self._venue_tag[src])
            return
        kernel_on = self.kernel.on_quote
        clock = self.clock
        due = self._due
        drain = self._drain
        base = self.md_done
        brokers = self.brokers
        single = brokers[0] if len(brokers) == 1 and venues else None
        vtag = self._venue_tag[src]
        bq = single.queue if single is not None else None
        rows = zip(chunk.ts.tolist(), int_list(cols["bid"]), int_list(cols["ask"]), bsz, asz)
        for i, (ts, bid, ask, bs, az) in enumerate(rows):
            if due(ts):
                self.md_done = base + i
                drain(ts, False)
            clock._now_ns = (
                ts  # why: merged data is in time order; advance_to's check is paid by _due
            )
            q = QuoteTick(sym, bid, ask, bs, az, ts, ts, vtag)
            for on, take in venues:
                r = on(q)
                if r is not None:
                    take(r, ts)
            if bq is not None:
                if bq and bq[0][0] <= ts:
                    self.md_done = base + i
                    drain(ts, False)
            elif venues and due(ts):
                self.md_done = base + i
                drain(ts, False)
            kernel_on(q)
        self.md_done = base + len(chunk)

    @cython.locals(
        broker=SimBroker, parking=RecordedMarket, clock=SimClock, i=cython.Py_ssize_t,
        n=cython.Py_ssize_t, tsl=list, bl=list, al=list, bsl=list, asl=list,
    )  # fmt: skip
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _quotes_one_venue(self, columns, sym, on, take, vtag) -> None:  # type: ignore[no-untyped-def]
        """One venue sees the quotes (the common backtest): its queue, wake-up and the
        kernel's timers are checked inline (the hot loop of a quote backtest). ``columns``:
        five lists of one length (time, bid, ask, bid size, ask size), read by index as in
        ``_bars_one_venue``."""
        tsl, bl, al, bsl, asl = columns
        n = len(tsl)
        kernel_on = self.kernel.on_quote
        clock = self.clock
        drain = self._drain_one  # why: one venue, never generic (_faulty): what _drain would call
        broker = self.brokers[0]
        bq = broker.queue
        th = self.kernel.timers._heap
        # why: while nothing of ours is at a recorded market, a quote is only parked there (one
        # store instead of a call that stores its touch; the market reads it when it next acts:
        # RecordedMarket.unpark). An exchange-mode market rebuilds its book from every quote.
        market = broker.markets[sym]
        parking = market if type(market) is RecordedMarket else None
        base = self.md_done
        for i in range(n):
            ts = tsl[i]
            if (bq and bq[0][0] <= ts) or broker.wake_ns < ts or (th and th[0][0] <= ts):
                self.md_done = base + i
                drain(ts, False)
            clock._now_ns = ts  # why: data is in time order (the readers check it, merge keeps it)
            q = QuoteTick(sym, bl[i], al[i], bsl[i], asl[i], ts, ts, vtag)
            if parking is not None and parking.idle:
                parking.parked = q
            else:
                r = on(q)
                if r is not None:
                    take(r, ts)
                if bq and bq[0][0] <= ts:
                    self.md_done = base + i
                    drain(ts, False)
            kernel_on(q)
        self.md_done = base + n

    def _deliver_events(self) -> None:
        """The generic path: each pending event to the venues that are up, then the kernel."""
        events = self._events
        pending = events.pending
        faulty = self._faulty
        kernel_on = self.kernel.on_event
        while pending:
            src, e = events.popleft()
            ts = e.ts_event
            self._before(ts, self.md_done)
            if faulty:
                handlers, flows = self._live(src, ts)
                if not flows:
                    continue  # the venue is down: its data stops
            else:
                handlers = self._handlers[src]
            for on, take in handlers:
                r = on(e)
                if r is not None:
                    take(r, ts)
            self._answers(ts, self.md_done)
            kernel_on(e)
            self.md_done += 1

    def _bars(self, chunk: Chunk) -> None:
        src = chunk.source
        source = self.sources[src]
        sym = source.symbol
        interval = source.interval_ns
        venues = self._handlers[src]
        cols = chunk.cols
        base = self.md_done
        opens = cols.get("open_ns")
        open_list = opens.tolist() if opens is not None else None
        columns = (
            chunk.ts.tolist(),
            int_list(cols["open"]),
            int_list(cols["high"]),
            int_list(cols["low"]),
            int_list(cols["close"]),
            # why: a missing volume (-1) is 0 in the bar; clamped here, not per row
            int_list(cols["volume"].clip(0)),
        )
        if not self._faulty and len(self.brokers) == 1 and len(venues) == 1:
            on, take = venues[0]
            self._bars_one_venue(columns, sym, interval, on, take, open_list, base)
            return
        rows = zip(*columns)
        if not self._faulty:
            self._bars_fast(rows, sym, interval, venues, open_list, base)
            return
        delivered = 0
        for i, (ts, o, h, low, c, v) in enumerate(rows):
            self._before(ts, base + delivered)
            venues, flows = self._live(src, ts)
            if not flows:
                continue
            bar = Bar(sym, o, h, low, c, v, interval, ts, ts)
            open_ns = open_list[i] if open_list is not None else ts - interval
            for on, take in venues:
                r = on(bar, open_ns)
                if r is not None:
                    take(r, ts)
            self._answers(ts, base + delivered)
            self.kernel.on_bar(bar)
            delivered += 1
        self.md_done = base + delivered

    def _bars_fast(self, rows, sym, interval, venues, open_list, base) -> None:  # type: ignore[no-untyped-def]
        """``_bars`` without outages: every row is delivered (the hot loop of a bar backtest)."""
        kernel_on = self.kernel.on_bar
        clock = self.clock
        due = self._due
        drain = self._drain
        answers = self._answers
        i = 0
        for ts, o, h, low, c, v in rows:
            if due(ts):
                self.md_done = base + i
                drain(ts, False)
            clock._now_ns = ts
            bar = Bar(sym, o, h, low, c, v, interval, ts, ts)
            if venues:
                open_ns = open_list[i] if open_list is not None else ts - interval
                for on, take in venues:
                    r = on(bar, open_ns)
                    if r is not None:
                        take(r, ts)
                answers(ts, base + i)
            kernel_on(bar)
            i += 1
        self.md_done = base + i

    @cython.locals(
        broker=SimBroker, market=RecordedMarket, clock=SimClock, i=cython.Py_ssize_t,
        n=cython.Py_ssize_t, tsl=list, ol=list, hl=list, lol=list, cl=list, vl=list,
    )  # fmt: skip
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _bars_one_venue(self, columns, sym, interval, on, take, open_list, base) -> None:  # type: ignore[no-untyped-def]
        """One venue sees the bars (the common backtest): its queue, wake-up and the kernel's
        timers are checked inline. ``columns``: six lists of one length (time, open, high, low,
        close, volume), read by index (compiled, a list read by index is a pointer load; a zip
        of six lists made and unpacked a tuple a row, ~5% of W3)."""
        tsl, ol, hl, lol, cl, vl = columns
        n = len(tsl)
        kernel_on = self.kernel.on_bar
        clock = self.clock
        drain = self._drain_one  # why: as in _quotes_one_venue
        broker = self.brokers[0]
        bq = broker.queue
        th = self.kernel.timers._heap
        market = broker.markets[sym]
        for i in range(n):
            ts = tsl[i]
            if (bq and bq[0][0] <= ts) or broker.wake_ns < ts or (th and th[0][0] <= ts):
                self.md_done = base + i
                drain(ts, False)
            clock._now_ns = ts
            c = cl[i]
            bar = Bar(sym, ol[i], hl[i], lol[i], c, vl[i], interval, ts, ts)
            if market.idle:
                # why: nothing of ours at the venue: the bar only moves its clock (as the
                # venue's own bar entry point would do, without the call)
                market.now = ts
                market.last_bar_close = c
            else:
                r = on(bar, open_list[i] if open_list is not None else ts - interval)
                if r is not None:
                    take(r, ts)
                if bq and bq[0][0] <= ts:
                    self.md_done = base + i
                    drain(ts, False)
            kernel_on(bar)
        self.md_done = base + n

    def _before(self, ts: int, md_pos: int) -> None:
        if self._due(ts):
            self.md_done = md_pos
            self._drain(ts, False)
        self.clock._now_ns = ts

    def _answers(self, ts: int, md_pos: int) -> None:
        for b in self.brokers:
            q = b.queue
            if q and q[0][0] <= ts:
                self.md_done = md_pos
                self._drain(ts, False)
                return

    # --- everything that is not data --------------------------------------------------------------
    def _command_md(self) -> int:
        """The data events the kernel had seen when it last sent a command (to any venue; 0
        before any, or without a venue)."""
        return max((b.cmd_md for b in self.brokers), default=0)

    def _mark(self) -> None:
        md = self.md_done
        if md != self._md_marked:
            self._md_marked = md
            if self.journal is not None and md != self._command_md():
                self.journal.tap((IN, TAG_MDPOS, md))  # why: an int: nothing to check

    def _drain(self, limit: int, wake_inclusive: bool) -> None:
        """Handle every message, timer and wake-up due by ``limit`` in time order."""
        if len(self.brokers) == 1 and not self.generic:
            self._drain_one(limit, wake_inclusive)
            return
        kernel = self.kernel
        clock = self.clock
        while True:
            msg_b = None
            msg_ts = NEVER
            for b in self.brokers:
                q = b.queue
                if q and q[0][0] < msg_ts:
                    msg_ts = q[0][0]
                    msg_b = b
            timer_ts = kernel.next_timer_ns()
            if timer_ts is None:
                timer_ts = NEVER
            wake_b = None
            wake_ts = NEVER
            for b in self.brokers:
                if b.wake_ns < wake_ts:
                    wake_ts = b.wake_ns
                    wake_b = b
            what = next_due(msg_ts, timer_ts, wake_ts, limit, wake_inclusive)
            if what == MESSAGE and msg_b is not None:
                entry = msg_b.pop()
                if entry[0] > clock._now_ns:
                    clock.advance_to(entry[0])
                event = msg_b.process(entry)
                if event is not None:
                    self._mark()
                    kernel.on_event(event)
            elif what == TIMER:
                clock.advance_to(timer_ts)
                self._mark()
                kernel.run_timers()
            elif what == WAKE and wake_b is not None:
                if wake_ts > clock._now_ns:  # why: a fault window may open before the data
                    clock.advance_to(wake_ts)
                wake_b.wake(wake_ts)
            else:
                return

    @cython.locals(kernel=Kernel, broker=SimBroker, clock=SimClock)
    def _drain_one(self, limit: int, wake_inclusive: bool) -> None:
        """``_drain`` with one venue: the same order of things, fewer lookups."""
        kernel = self.kernel
        clock = self.clock
        broker = self.brokers[0]
        q = broker.queue
        th = kernel.timers._heap
        process, pop, on_event, on_order_event, jrec = self._one_venue  # type: ignore[misc]
        order_event = OrderEvent
        # why: the data position cannot move while draining; read once, not per event (the
        # driver is a plain object: each field read is a dict lookup)
        md = self.md_done
        marked = self._md_marked == md
        while True:
            timer_ts = NEVER
            if th:
                t = kernel.next_timer_ns()
                if t is not None:
                    timer_ts = t
            wake_ts = broker.wake_ns
            if q:
                msg_ts = q[0][0]
                if (
                    msg_ts <= limit
                    and msg_ts <= timer_ts
                    and (
                        msg_ts <= wake_ts
                        or not (wake_ts < limit or (wake_inclusive and wake_ts == limit))
                    )
                ):
                    entry = pop()
                    if msg_ts > clock._now_ns:
                        clock._now_ns = msg_ts
                    # an answer is delivered as it is; a command is handled by the venue
                    event = entry[3] if entry[2] == DELIVER else process(entry)
                    if event is not None:
                        if not marked:
                            marked = True
                            self._md_marked = md
                            if jrec is not None and md != broker.cmd_md:
                                jrec((IN, TAG_MDPOS, md))
                        if isinstance(event, order_event):
                            on_order_event(event)
                        else:
                            on_event(event)
                    continue
            wake_ok = wake_ts < limit or (wake_inclusive and wake_ts == limit)
            if timer_ts <= limit and (timer_ts <= wake_ts or not wake_ok):
                clock.advance_to(timer_ts)
                self._mark()
                marked = True
                kernel.run_timers()
            elif wake_ok:
                if wake_ts > clock._now_ns:  # why: a fault window may open before the data
                    clock.advance_to(wake_ts)
                broker.wake(wake_ts)
            else:
                return
