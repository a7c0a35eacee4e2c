#!/usr/bin/env python3
# Copied unchanged from the reference workloads (shared/bench/gen_workload.py): the same data the
# peer benchmarks (NautilusTrader, backtrader, hftbacktest) were measured on. Not linted.
"""Deterministic synthetic market-data generator for peer benchmarks.

One instrument "XYZ", tick size 0.01, lot size 1.

A single underlying event stream is generated in fixed-size chunks from one
numpy Generator (PCG64, --seed), so the output is a pure function of the seed
(and of CHUNK, a constant): the quotes file is the first --rows quotes of the
stream, the trades file holds the trades that happen among those quotes, and
the bars are 1-minute OHLCV of the trades of the same (continued) stream, for
as many whole minutes as --bars asks.

Stream law (per quote i, all integer ticks, 1 tick = 0.01):
  gap_i      ~ U{50_000_000 .. 150_000_000} ns  (mean 100 ms; ts strictly increasing)
  bid_i      = bid_{i-1} + step_i,  step ~ {-1: .2, 0: .6, +1: .2}, reflected at >= 100 ticks
  spread_i   ~ U{1, 2, 3} ticks;  ask_i = bid_i + spread_i
  bid_sz_i, ask_sz_i ~ U{1 .. 500}
  a trade follows quote i with prob 0.3, at ts_i + U{1 .. 40} ms (before the next
  quote, since gaps are >= 50 ms); aggressor BUY/SELL 50/50; px = ask_i (BUY) or
  bid_i (SELL); sz ~ U{1 .. 200}
Bars: minute m covers [T0 + 60s*m, T0 + 60s*(m+1)); ts_ns = bar OPEN time;
  OHLC of trade prices, volume = sum of trade sizes (a minute without a trade
  repeats the previous close with volume 0).

Outputs (in --out-dir): quotes_<L>.csv/.parquet, trades_<L>.csv/.parquet,
bars_<B>.csv/.parquet, manifest_<L>_<B>.json (row counts, sha256, first/last rows).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

T0_NS = 1_704_205_800_000_000_000  # 2024-01-02 14:30:00 UTC
START_BID_TICKS = 10_000  # 100.00
MIN_BID_TICKS = 100  # 1.00 (reflecting floor)
CHUNK = 1_000_000
MINUTE_NS = 60_000_000_000
TRADE_PROB = 0.3


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def ticks_to_px(t: np.ndarray) -> np.ndarray:
    return np.round(t.astype(np.float64) * 0.01, 2)


class Stream:
    def __init__(self, seed: int):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.last_ts = T0_NS
        self.last_bid = START_BID_TICKS

    def chunk(self):
        rng = self.rng
        n = CHUNK
        gaps = rng.integers(50_000_000, 150_000_001, size=n, dtype=np.int64)
        steps = rng.choice(np.array([-1, 0, 1], dtype=np.int64), size=n, p=[0.2, 0.6, 0.2])
        spread = rng.integers(1, 4, size=n, dtype=np.int64)
        bid_sz = rng.integers(1, 501, size=n, dtype=np.int64)
        ask_sz = rng.integers(1, 501, size=n, dtype=np.int64)
        has_trade = rng.random(n) < TRADE_PROB
        t_off = rng.integers(1_000_000, 40_000_001, size=n, dtype=np.int64)
        t_buy = rng.random(n) < 0.5
        t_sz = rng.integers(1, 201, size=n, dtype=np.int64)

        ts = self.last_ts + np.cumsum(gaps)
        bid = self.last_bid + np.cumsum(steps)
        # reflect at the floor (rarely, if ever, active for the default seed)
        if bid.min() < MIN_BID_TICKS:
            b = np.empty(n, dtype=np.int64)
            cur = self.last_bid
            for i in range(n):
                cur = cur + steps[i]
                if cur < MIN_BID_TICKS:
                    cur = 2 * MIN_BID_TICKS - cur
                b[i] = cur
            bid = b
        ask = bid + spread
        self.last_ts = int(ts[-1])
        self.last_bid = int(bid[-1])

        idx = np.nonzero(has_trade)[0]
        trades = dict(
            ts_ns=ts[idx] + t_off[idx],
            px_ticks=np.where(t_buy[idx], ask[idx], bid[idx]),
            sz=t_sz[idx],
            buy=t_buy[idx],
        )
        quotes = dict(ts_ns=ts, bid=bid, ask=ask, bid_sz=bid_sz, ask_sz=ask_sz)
        return quotes, trades


def quotes_table(q) -> pa.Table:
    return pa.table(
        {
            "ts_ns": pa.array(q["ts_ns"], pa.int64()),
            "bid_px": pa.array(ticks_to_px(q["bid"]), pa.float64()),
            "ask_px": pa.array(ticks_to_px(q["ask"]), pa.float64()),
            "bid_sz": pa.array(q["bid_sz"], pa.int64()),
            "ask_sz": pa.array(q["ask_sz"], pa.int64()),
        }
    )


def trades_table(t) -> pa.Table:
    side = np.where(t["buy"], "BUY", "SELL")
    return pa.table(
        {
            "ts_ns": pa.array(t["ts_ns"], pa.int64()),
            "px": pa.array(ticks_to_px(t["px_ticks"]), pa.float64()),
            "sz": pa.array(t["sz"], pa.int64()),
            "aggressor": pa.array(side, pa.string()),
        }
    )


def write(table: pa.Table, out_dir: str, stem: str) -> dict:
    csv_path = os.path.join(out_dir, stem + ".csv")
    pq_path = os.path.join(out_dir, stem + ".parquet")
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, pq_path, compression="zstd")
    res = {}
    for p in (csv_path, pq_path):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for blk in iter(lambda: f.read(1 << 22), b""):
                h.update(blk)
        res[os.path.basename(p)] = {"bytes": os.path.getsize(p), "sha256": h.hexdigest()}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="number of quotes (default 1,000,000)")
    ap.add_argument("--bars", type=int, default=200_000, help="number of 1-minute bars (default 200,000)")
    ap.add_argument("--out-dir", default=os.path.join(os.environ.get("EC_PEERS_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "ec-peers")), "data"))
    ap.add_argument("--seed", type=int, default=20240102)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    t_start = time.perf_counter()

    stream = Stream(a.seed)
    q_parts, t_parts = [], []
    n_q = 0
    # bar accumulators (per whole minute index)
    bar_o, bar_h, bar_l, bar_c, bar_v = [], [], [], [], []
    pend = None  # partial aggregate of the last (possibly unfinished) minute: (m, o, h, l, c, v)
    bars_done = 0
    need_bars = a.bars
    while n_q < a.rows or bars_done < need_bars:
        quotes, trades = stream.chunk()
        if n_q < a.rows:
            take = min(CHUNK, a.rows - n_q)
            q_parts.append({k: v[:take] for k, v in quotes.items()})
            last_ts = quotes["ts_ns"][take - 1]
            tm = trades["ts_ns"] < (quotes["ts_ns"][take] if take < CHUNK else np.iinfo(np.int64).max)
            if take < CHUNK:
                t_parts.append({k: v[tm] for k, v in trades.items()})
            else:
                t_parts.append(trades)
            n_q += take
        if bars_done < need_bars:
            m = (trades["ts_ns"] - T0_NS) // MINUTE_NS
            px = trades["px_ticks"]
            sz = trades["sz"]
            if len(m) == 0:
                continue
            starts = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
            ends = np.r_[starts[1:], len(m)]
            um = m[starts]
            o = px[starts]
            c = px[ends - 1]
            h = np.maximum.reduceat(px, starts)
            l_ = np.minimum.reduceat(px, starts)
            v = np.add.reduceat(sz, starts)
            groups = list(zip(um.tolist(), o.tolist(), h.tolist(), l_.tolist(), c.tolist(), v.tolist()))
            if pend is not None and groups and groups[0][0] == pend[0]:
                g = groups[0]
                groups[0] = (g[0], pend[1], max(pend[2], g[2]), min(pend[3], g[3]), g[4], pend[5] + g[5])
            elif pend is not None:
                groups.insert(0, pend)
            pend = groups.pop()  # last minute may continue in the next chunk
            for (mi, go, gh, gl, gc, gv) in groups:
                # fill empty minutes with the previous close
                while bars_done < mi and bars_done < need_bars:
                    pc = bar_c[-1] if bar_c else START_BID_TICKS
                    bar_o.append(pc); bar_h.append(pc); bar_l.append(pc); bar_c.append(pc); bar_v.append(0)
                    bars_done += 1
                if bars_done >= need_bars:
                    break
                bar_o.append(go); bar_h.append(gh); bar_l.append(gl); bar_c.append(gc); bar_v.append(gv)
                bars_done += 1

    q = {k: np.concatenate([p[k] for p in q_parts]) for k in q_parts[0]}
    t = {k: np.concatenate([p[k] for p in t_parts]) for k in t_parts[0]}
    assert len(q["ts_ns"]) == a.rows
    assert np.all(np.diff(q["ts_ns"]) > 0)
    allts = np.sort(np.concatenate([q["ts_ns"], t["ts_ns"]]))
    assert np.all(np.diff(allts) > 0), "quote/trade timestamps must be unique"

    manifest = {"seed": a.seed, "rows": a.rows, "bars": need_bars, "chunk": CHUNK, "files": {}}
    qt = quotes_table(q)
    manifest["files"].update(write(qt, a.out_dir, f"quotes_{label(a.rows)}"))
    tt = trades_table(t)
    manifest["files"].update(write(tt, a.out_dir, f"trades_{label(a.rows)}"))
    bars_ts = T0_NS + MINUTE_NS * np.arange(need_bars, dtype=np.int64)
    bt = pa.table(
        {
            "ts_ns": pa.array(bars_ts, pa.int64()),
            "open": pa.array(ticks_to_px(np.array(bar_o[:need_bars])), pa.float64()),
            "high": pa.array(ticks_to_px(np.array(bar_h[:need_bars])), pa.float64()),
            "low": pa.array(ticks_to_px(np.array(bar_l[:need_bars])), pa.float64()),
            "close": pa.array(ticks_to_px(np.array(bar_c[:need_bars])), pa.float64()),
            "volume": pa.array(np.array(bar_v[:need_bars], dtype=np.int64), pa.int64()),
        }
    )
    manifest["files"].update(write(bt, a.out_dir, f"bars_{label(need_bars)}"))
    manifest["counts"] = {"quotes": qt.num_rows, "trades": tt.num_rows, "bars": bt.num_rows}
    manifest["quotes_first"] = {k: qt.column(k)[0].as_py() for k in qt.column_names}
    manifest["quotes_last"] = {k: qt.column(k)[-1].as_py() for k in qt.column_names}
    manifest["bars_last"] = {k: bt.column(k)[-1].as_py() for k in bt.column_names}
    manifest["gen_seconds"] = round(time.perf_counter() - t_start, 2)
    mpath = os.path.join(a.out_dir, f"manifest_{label(a.rows)}_{label(need_bars)}.json")
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({"manifest": mpath, **manifest["counts"], "gen_seconds": manifest["gen_seconds"]}))


if __name__ == "__main__":
    main()
