"""Read ahead: a file's next batches decoded by a thread while the run handles the current one.

Decoding a Parquet batch (decompression, Arrow's column decoders) runs in C with the GIL released,
so on a second core it costs the run nothing: reading W3's file (decoding, then converting to
ticks) is ~10% of its run, the decoding about half of that. ``read_ahead`` runs an iterator in a
daemon thread, at most ``depth`` items ahead, and yields exactly its items in its order, so a run
reads the same data either way. Only what has no side effect goes ahead: the raw batches of a
Parquet file, in backtests (``read_chunks(..., ahead=True)``: ``executioncore run`` and the
benchmarks). Live runs read without it: with it, the local Alpaca venue's ``rest_down`` fault
case lost a fill in 2 of 4 runs under CPU load (0 of 10 without), a timing the adapter should
survive. Later not reproduced (6 of 6 passed with it on, under load); the adapter's final
reconciliation now asks again while the venue's REST is down (a way such a fill was missed), and
live stays without read-ahead until the failure is understood. Everything that counts (row numbers, bad rows, ``FeedStats``) happens as the run
takes each batch, so early stops (``--max-events``, a paused agent) report the same counts.

The iterator's exception is raised where its item would have been. Closing the reader (the run
stopped early, or the iterator was dropped) stops the thread after the batch it is decoding; the
thread closes the iterator itself (a generator is closed by the thread that runs it).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

DEPTH = 2  # batches decoded ahead (a batch is at most ``chunk_rows`` rows: bounded memory)
_ITEM, _END, _ERROR = 0, 1, 2


def read_ahead(items: Iterator[T], depth: int = DEPTH, name: str = "read-ahead") -> Iterator[T]:
    """Yield ``items``' items in order, produced by a thread up to ``depth`` items ahead."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    handoff: queue.Queue[tuple[int, object]] = queue.Queue(maxsize=depth)
    closed = threading.Event()

    def work() -> None:
        try:
            for item in items:
                handoff.put((_ITEM, item))
                if closed.is_set():
                    return
            handoff.put((_END, None))
        except BaseException as exc:  # why: raised in the reader's thread, where it belongs
            handoff.put((_ERROR, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == _ITEM:
                yield value  # type: ignore[misc]
            elif kind == _END:
                return
            else:
                raise value  # type: ignore[misc]
    finally:
        # why: a put waiting for room returns once the hand-off is emptied; the thread then sees
        # ``closed`` (only it puts, so its next put, if any, finds room and it stops after it)
        closed.set()
        while True:
            try:
                handoff.get_nowait()
            except queue.Empty:
                break
        thread.join()
