"""Merging sources in (ts, source, row) order, and the Chunk slice/encode/decode contract."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.feeds import CHUNK_COLUMNS, Chunk, merge

ROOT = Path(__file__).resolve().parents[3]


def make_chunk(source: int, ts: list[int], rows: list[int], kind: str = "trades") -> Chunk:
    """A chunk whose first column carries each row's index in its source (to check order)."""
    n = len(ts)
    cols = {name: np.zeros(n, dtype=np.int64) for name in CHUNK_COLUMNS[kind]}
    first = CHUNK_COLUMNS[kind][0]
    cols[first] = np.array(rows, dtype=np.int64)
    return Chunk(kind, f"S{source}", source, np.array(ts, dtype=np.int64), cols)


def split(source: int, ts: list[int], cuts: list[int]) -> list[Chunk]:
    bounds = sorted({0, len(ts), *(c for c in cuts if 0 < c < len(ts))})
    rows = list(range(len(ts)))
    return [make_chunk(source, ts[a:b], rows[a:b]) for a, b in itertools.pairwise(bounds)]


def flatten(chunks) -> list[tuple[int, int, int]]:
    out = []
    for c in chunks:
        first = CHUNK_COLUMNS[c.kind][0]
        out += [(int(t), c.source, int(r)) for t, r in zip(c.ts, c.cols[first])]
    return out


sources_st = st.lists(
    st.tuples(
        st.lists(st.integers(0, 12), max_size=25).map(sorted),
        st.lists(st.integers(0, 25), max_size=6),
    ),
    min_size=1,
    max_size=5,
)


@given(sources_st, st.randoms(use_true_random=False))
def test_merge_matches_sorted_reference(sources, rnd):
    streams = [iter(split(i, ts, cuts)) for i, (ts, cuts) in enumerate(sources)]
    rnd.shuffle(streams)  # the source index orders ties, not the position in the list
    merged = list(merge(streams))
    reference = sorted((t, i, row) for i, (ts, _) in enumerate(sources) for row, t in enumerate(ts))
    assert flatten(merged) == reference
    for c in merged:
        assert len(c) > 0
        c._check()
        assert bool(np.all(c.ts[1:] >= c.ts[:-1]))


@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=30).map(sorted), st.lists(st.integers(0, 30))
)
def test_merge_single_stream_yields_its_chunks_unchanged(ts, cuts):
    chunks = split(0, ts, cuts)
    assert [id(c) for c in merge([iter(chunks)])] == [id(c) for c in chunks]


def test_merge_ties_go_to_the_lower_source_index():
    a = make_chunk(1, [5, 5, 7], [0, 1, 2])
    b = make_chunk(0, [5, 6], [0, 1])
    # stream order is not source order: the source index decides ties
    assert flatten(merge([iter([a]), iter([b])])) == [
        (5, 0, 0),
        (5, 1, 0),
        (5, 1, 1),
        (6, 0, 1),
        (7, 1, 2),
    ]


def test_merge_yields_whole_runs_as_single_slices():
    a = make_chunk(0, [1, 2, 3, 10, 11], [0, 1, 2, 3, 4])
    b = make_chunk(1, [4, 5, 6], [0, 1, 2])
    out = list(merge([iter([a]), iter([b])]))
    assert [(c.source, c.ts.tolist()) for c in out] == [
        (0, [1, 2, 3]),
        (1, [4, 5, 6]),
        (0, [10, 11]),
    ]
    assert np.shares_memory(out[0].ts, a.ts)  # a view, not a copy


def test_merge_skips_empty_streams_and_chunks():
    empty = make_chunk(0, [], [])
    a = make_chunk(1, [3], [0])
    assert flatten(merge([iter([]), iter([empty, a, empty]), iter([empty])])) == [(3, 1, 0)]
    assert list(merge([])) == []


# --- chunk ------------------------------------------------------------------------------------
int64s = st.integers(-(2**63), 2**63 - 1)


@given(
    st.sampled_from(sorted(CHUNK_COLUMNS)),
    st.integers(0, 20).flatmap(
        lambda n: st.lists(st.lists(int64s, min_size=n, max_size=n), min_size=6, max_size=6)
    ),
)
def test_chunk_encode_decode_round_trip(kind, columns):
    names = CHUNK_COLUMNS[kind]
    ts = np.array(columns[0], dtype=np.int64)
    cols = {name: np.array(columns[i + 1], dtype=np.int64) for i, name in enumerate(names)}
    chunk = Chunk(kind, "SYM", 4, ts, cols)
    data = chunk.encode()
    back = Chunk.decode(kind, "SYM", 4, data)
    back._check()
    assert (back.kind, back.symbol, back.source) == (kind, "SYM", 4)
    assert back.ts.tolist() == ts.tolist()
    assert {k: v.tolist() for k, v in back.cols.items()} == {k: v.tolist() for k, v in cols.items()}
    assert back.encode() == data
    assert len(data) <= 16 + (17 + 8 * len(ts)) * (len(names) + 1)


@given(st.lists(int64s, min_size=1, max_size=30))
def test_chunk_decodes_the_plain_int64_version_1(values):
    """Journals written before the narrow encoding still replay."""
    import struct

    n = len(values)
    names = CHUNK_COLUMNS["trades"]
    arrays = [np.array(values, dtype=np.int64)] * (len(names) + 1)
    data = struct.pack("<4sBBHQ", b"ECCK", 1, 2, len(names), n) + b"".join(
        a.astype("<i8").tobytes() for a in arrays
    )
    back = Chunk.decode("trades", "S", 0, data)
    assert back.ts.tolist() == values
    assert all(col.tolist() == values for col in back.cols.values())


def test_chunk_encoding_is_narrow_for_market_data():
    """Prices near each other, small sizes, timestamps in small steps: ~12 bytes a row, not 40."""
    n = 10_000
    rng = np.random.default_rng(7)
    ts = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(1, 200_000_000, n))
    bid = 9_700 + np.cumsum(rng.integers(-2, 3, n))
    chunk = Chunk(
        "quotes",
        "S",
        0,
        ts.astype(np.int64),
        {
            "bid": bid,
            "ask": bid + 1,
            "bid_sz": rng.integers(1, 500, n),
            "ask_sz": np.full(n, -1, dtype=np.int64),
        },
    )
    data = chunk.encode()
    assert len(data) < 16 + 5 * 17 + n * (4 + 2 + 1 + 2 + 1)
    back = Chunk.decode("quotes", "S", 0, data)
    assert back.ts.tolist() == chunk.ts.tolist()
    assert back.cols["ask_sz"].tolist() == [-1] * n


def test_chunk_encode_ignores_dict_order_and_dtype_of_views():
    a = make_chunk(0, [1, 2, 3], [7, 8, 9], "quotes")
    reordered = Chunk(a.kind, a.symbol, a.source, a.ts, dict(reversed(list(a.cols.items()))))
    assert reordered.encode() == a.encode()
    assert a.slice(1, 3).encode() == make_chunk(0, [2, 3], [8, 9], "quotes").encode()


def test_chunk_encode_layout_is_documented_header_then_columns():
    c = make_chunk(0, [1], [2], "book")
    data = c.encode()
    assert data[:4] == b"ECCK" and data[4] == 2 and data[5] == 4
    assert int.from_bytes(data[6:8], "little") == 4 and int.from_bytes(data[8:16], "little") == 1
    # ts: width 1, first value 1, minimum difference 0, then the one difference (0)
    assert data[16] == 1 and int.from_bytes(data[17:25], "little") == 1
    assert int.from_bytes(data[25:33], "little", signed=True) == 0 and data[33] == 0
    # side: width 1, first 0 (unused), minimum 2, then 2 - 2
    assert data[34] == 1 and int.from_bytes(data[43:51], "little", signed=True) == 2
    assert data[51] == 0


@pytest.mark.parametrize(
    ("kind", "mangle", "message"),
    [
        ("trades", lambda d: d, "not of kind 'trades'"),
        ("quotes", lambda d: b"XXXX" + d[4:], "bad magic"),
        ("quotes", lambda d: d[:-1], "wrong length"),
        ("quotes", lambda d: d[:5], "shorter than the header"),
    ],
)
def test_chunk_decode_rejects_wrong_bytes(kind, mangle, message):
    data = make_chunk(0, [1, 2], [3, 4], "quotes").encode()
    with pytest.raises(ValueError, match=message):
        Chunk.decode(kind, "S", 0, mangle(data))


def test_chunk_slice_is_a_view_of_all_columns():
    c = make_chunk(2, [1, 2, 3, 4], [0, 1, 2, 3], "bars")
    s = c.slice(1, 3)
    assert len(s) == 2 and s.source == 2 and s.ts.tolist() == [2, 3]
    assert all(np.shares_memory(s.cols[k], c.cols[k]) for k in c.cols)


_DIGEST_SCRIPT = """
import hashlib, sys
from pathlib import Path
from kernel.units import Instrument
from sim.feeds import DataSpec, merge, read_chunks
d = Path(sys.argv[1])
q = DataSpec("quotes", "USDJPY", d / "truefx_usdjpy-ticks.csv", chunk_rows=100)
b = DataSpec("book", "BTCUSDT", d / "binance_btcusdt-depth-snap.csv", chunk_rows=30)
h = hashlib.sha256()
streams = [read_chunks(q, Instrument("USDJPY", "0.001", "1"), 0),
           read_chunks(b, Instrument("BTCUSDT", "0.1", "0.001"), 1)]
for c in merge(streams):
    h.update(c.encode())
print(h.hexdigest())
"""


def test_encoded_stream_is_identical_across_hash_seeds():
    data = ROOT / "scenarios" / "data"
    digests = set()
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT, str(data)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    here = subprocess.run(
        [sys.executable, "-c", _DIGEST_SCRIPT, str(data)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert digests == {here} and len(here) == 64
