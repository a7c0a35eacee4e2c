"""``merge``: many sources' chunk streams into one stream in global event order.

Order is ``(ts, source, row)``: by event time, then by the source's index in the scenario's data
list (so a quote and a trade with one timestamp come in the order the data entries are listed),
then by file order within a source. Each stream must be one source's chunks in non-decreasing
``ts`` (what ``read_chunks`` yields).

The merge works a round at a time, vectorized. The bound of a round is the smallest
``(last ts, source)`` over the streams' current chunks: no later chunk can hold a row before it,
so every current row up to the bound (found with ``np.searchsorted``) is ordered now by one
stable ``np.argsort`` and yielded as runs — the longest stretches from one source — each a slice
of its chunk (views, no copy). Each round uses up at least one chunk. With a single stream the
chunks pass through unchanged. Cost: a numpy sort per round (rows of the round, O(m log m)) plus
one Python step per yielded run; runs are as long as the sources' interleaving allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from sim.feeds.chunk import Chunk


class _Head:
    """A stream's current chunk and the position of its next row."""

    __slots__ = ("chunk", "key", "pos", "stream", "ts")

    def __init__(self, chunk: Chunk, stream: Iterator[Chunk], order: int) -> None:
        self.stream = stream
        self.chunk = chunk
        self.ts = chunk.ts
        self.pos = 0
        self.key = (chunk.source, order)

    def advance(self) -> bool:
        """Move to the stream's next non-empty chunk; False when the stream is done."""
        for chunk in self.stream:
            if len(chunk):
                self.chunk, self.ts, self.pos = chunk, chunk.ts, 0
                return True
        return False

    def take(self, start: int, stop: int) -> Chunk:
        chunk = self.chunk
        return chunk if start == 0 and stop == len(self.ts) else chunk.slice(start, stop)


def merge(streams: Iterable[Iterable[Chunk]]) -> Iterator[Chunk]:
    """Yield the rows of all ``streams`` ordered by ``(ts, source, row)`` as chunk slices.

    Empty chunks are dropped. Ties between sources go to the lower ``chunk.source`` (then to the
    stream listed first).
    """
    heads: list[_Head] = []
    for order, stream in enumerate(streams):
        it = iter(stream)
        for chunk in it:
            if len(chunk):
                heads.append(_Head(chunk, it, order))
                break
    heads.sort(key=lambda h: h.key)  # why: segments are concatenated in tie-break order
    while len(heads) > 1:
        yield from _round(heads)
        heads = [h for h in heads if h.pos < len(h.ts) or h.advance()]
    if heads:
        last = heads[0]
        yield last.take(last.pos, len(last.ts))
        for chunk in last.stream:
            if len(chunk):
                yield chunk


def _round(heads: list[_Head]) -> Iterator[Chunk]:
    # every current row ordered before the bound is safe to emit now
    bound_ts, bound_key = min((int(h.ts[-1]), h.key) for h in heads)
    segs = []
    for h in heads:
        side = "right" if h.key <= bound_key else "left"
        stop = max(int(np.searchsorted(h.ts, bound_ts, side=side)), h.pos)
        if stop > h.pos:
            segs.append((h, h.pos, stop))
    if len(segs) == 1:
        h, start, stop = segs[0]
        h.pos = stop
        yield h.take(start, stop)
        return
    ts = np.concatenate([h.ts[a:b] for h, a, b in segs])
    owner = np.repeat(np.arange(len(segs)), [b - a for _, a, b in segs])
    # why: stable, and segments are in (source, stream) order, so ties keep that order
    owner = owner[np.argsort(ts, kind="stable")]
    cut = np.flatnonzero(owner[1:] != owner[:-1]) + 1
    starts = [0, *cut.tolist()]
    ends = [*cut.tolist(), len(owner)]
    who = owner[starts].tolist()
    cursor = [a for _, a, _ in segs]
    for i, run_start, run_end in zip(who, starts, ends):
        h = segs[i][0]
        a = cursor[i]
        cursor[i] = a + run_end - run_start
        yield h.take(a, cursor[i])
    for h, _, stop in segs:
        h.pos = stop
