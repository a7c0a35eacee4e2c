"""sim/market_events.py: the one way chunks become kernel events (replay and paper trading)."""

from __future__ import annotations

from sim_helpers import T0, S, bars, book, quotes

from kernel.events import Bar, BookUpdate, QuoteTick
from sim.driver import Source
from sim.market_events import ChunkEvents


def test_a_book_group_straddling_two_chunks_is_one_update():
    first = book((1, 1, 100, 5, 1), (1, -1, 101, 4, 1))
    second = book((1, 1, 99, 3, 1), (2, 1, 100, 6, 0))
    second.source = first.source = 0
    ev = ChunkEvents([Source("book", "X")])
    ev.add_chunk(first)
    assert list(ev.pending) == []  # carried: the group at t=1 may go on in the next chunk
    ev.add_chunk(second)
    got = list(ev.pending)
    assert len(got) == 1 and isinstance(got[0], BookUpdate)
    assert got[0].deltas == ((1, 100, 5), (-1, 101, 4), (1, 99, 3)) and got[0].is_snapshot
    ev.pending.clear()
    ev.origin.clear()
    assert ev.flush_carries()
    src, last = ev.popleft()
    assert src == 0
    assert last.ts_event == T0 + 2 * S and last.deltas == ((1, 100, 6),) and not last.is_snapshot


def test_quotes_and_bars_come_out_as_the_driver_delivers_them():
    ev = ChunkEvents([Source("quotes", "X", 0, ("lit",)), Source("bars", "X", 60 * S)])
    q = quotes((0, 100, 101, 5, None))
    b = bars((0, 10, 12, 9, 11, 7))
    q.source, b.source = 0, 1
    ev.add_chunk(q)
    ev.add_chunk(b)
    quote, bar = ev.pending
    assert isinstance(quote, QuoteTick) and quote.ask_lots is None and quote.bid_lots == 5
    assert quote.venue == "lit"  # data routed to one venue carries its name
    assert isinstance(bar, Bar) and bar.ts_event == T0 + 60 * S and bar.interval_ns == 60 * S


def test_data_no_venue_up_would_show_is_dropped():
    ev = ChunkEvents([Source("quotes", "X")], ["v"], {"v": [[T0 + S, T0 + 3 * S]]})
    c = quotes((0, 100, 101), (2, 100, 101), (4, 100, 101))
    c.source = 0
    ev.add_chunk(c)
    assert [e.ts_event for e in ev.pending] == [T0, T0 + 4 * S]


def test_session_stamped_bars_keep_their_open_time():
    """Daily bars on a session (``open_ns`` set by the runner's session mapping) open at the
    session's open, for paper trading as in a backtest; other bars open at ts - interval."""
    import numpy as np

    ev = ChunkEvents([Source("bars", "X", 60 * S)])
    b = bars((0, 10, 12, 9, 11, 7), (60, 11, 13, 10, 12, 5))
    b.source = 0
    b.cols["open_ns"] = np.array([T0 + 30 * S, T0 + 90 * S], dtype=np.int64)
    ev.add_chunk(b)
    plain = bars((120, 12, 14, 11, 13, 5))
    plain.source = 0
    ev.add_chunk(plain)
    opens = []
    while ev.pending:
        ev.popleft()
        opens.append(ev.last_open - T0)
    assert opens == [30 * S, 90 * S, 120 * S]


def test_what_is_due_next_follows_one_rule():
    from sim.due import MESSAGE, NONE, TIMER, WAKE, next_due

    never = 1 << 62
    assert next_due(5, 5, 5, 10, False) == MESSAGE  # equal times: the venue's message first
    assert next_due(never, 5, 5, 10, False) == TIMER  # then the kernel's timer
    assert next_due(never, never, 5, 10, False) == WAKE
    assert next_due(never, never, 10, 10, False) == NONE  # a wake-up at the limit waits ...
    assert next_due(never, never, 10, 10, True) == WAKE  # ... unless it is inclusive
    assert next_due(7, never, 6, 10, False) == WAKE  # the earlier wake-up first
    assert next_due(11, 12, never, 10, True) == NONE  # nothing due by the limit
