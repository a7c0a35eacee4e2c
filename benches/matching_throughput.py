"""Throughput of the exchange matching engine on a deterministic random L3 order flow.

The flow (default 1,000,000 operations): 60% limit orders near the touch (one in six crosses
it by up to two ticks), 10% market orders, 30% cancels of a random live order; sizes 1-10 lots,
50 owners, self-trade prevention ``cancel_newest``. Random numbers come from numpy's PCG64 with
a fixed seed. The flow is generated *before* timing: a first, untimed engine decides prices from
the touch and picks live orders to cancel; the timed run replays the same operations on a fresh
engine, which reproduces the first run exactly (checked). Prints one JSON object.

    .venv/bin/python benches/matching_throughput.py [--ops N] [--seed S] [--repeat R] [--gc0 N]
        [--profile]

Python's cyclic GC costs about a quarter of the run at its default gen-0 threshold (700); a
simulation driver may raise it (``--gc0 10000`` shows the effect); the engine itself never
touches global GC settings.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.exchange import MatchingEngine

LIMIT, MARKET, CANCEL = 0, 1, 2
OWNERS = 50
START_PRICE = 10_000


def generate(n_ops: int, seed: int) -> tuple[list[tuple], int]:
    """Build the operation list ``(kind, oid, owner, side, qty, price, ts)``; return it and fills."""
    rng = np.random.Generator(np.random.PCG64(seed))
    u_kind = rng.random(n_ops).tolist()
    sides = (rng.integers(0, 2, n_ops) * 2 - 1).tolist()
    qtys = rng.integers(1, 11, n_ops).tolist()
    offsets = rng.integers(-2, 10, n_ops).tolist()
    owners = rng.integers(0, OWNERS, n_ops).tolist()
    picks = rng.random(n_ops).tolist()
    eng = MatchingEngine("BENCH", stp="cancel_newest")
    live: list[str] = []
    ops: list[tuple] = []
    for i in range(n_ops):
        ts = (i + 1) * 1_000
        u = u_kind[i]
        if u >= 0.7 and live:
            while live:
                j = int(picks[i] * len(live))
                oid = live[j]
                live[j] = live[-1]
                live.pop()
                if eng.order(oid) is not None:
                    ops.append((CANCEL, oid, 0, 0, 0, 0, ts))
                    eng.cancel(oid, ts)
                    break
            continue
        oid = f"o{i}"
        side, qty, owner = sides[i], qtys[i], owners[i]
        if u < 0.6 or u >= 0.7:
            bid, ask = eng.best_bid, eng.best_ask
            if side == 1:
                ref = ask - 1 if ask is not None else (bid if bid is not None else START_PRICE)
                price = ref - offsets[i]
            else:
                ref = bid + 1 if bid is not None else (ask if ask is not None else START_PRICE)
                price = ref + offsets[i]
            ops.append((LIMIT, oid, owner, side, qty, price, ts))
            eng.submit_limit(oid, owner, side, qty, price, ts)
            if eng.order(oid) is not None:
                live.append(oid)
        else:
            ops.append((MARKET, oid, owner, side, qty, 0, ts))
            eng.submit_market(oid, owner, side, qty, ts)
    return ops, eng.trades


def run(ops: list[tuple]) -> tuple[MatchingEngine, float, float]:
    """Replay ``ops`` on a fresh engine; return it, the elapsed and the CPU seconds."""
    eng = MatchingEngine("BENCH", stp="cancel_newest")
    # why: bound methods and constants in locals; the loop itself is part of what is timed
    lim, mkt, cxl = eng.submit_limit, eng.submit_market, eng.cancel
    c0 = time.process_time()
    t0 = time.perf_counter()
    for kind, oid, owner, side, qty, price, ts in ops:
        if kind == LIMIT:
            lim(oid, owner, side, qty, price, ts)
        elif kind == CANCEL:
            cxl(oid, ts)
        else:
            mkt(oid, owner, side, qty, ts)
    return eng, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="timed replays; the best is reported")
    parser.add_argument("--profile", action="store_true", help="run the timed part under cProfile")
    parser.add_argument(
        "--gc0", type=int, default=0, help="gen-0 GC threshold for the timed part (0: default 700)"
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    ops, expected_fills = generate(args.ops, args.seed)
    gen_s = time.perf_counter() - t0
    # why: the pre-generated flow is the harness's, not the engine's heap: keep the cyclic GC
    # from re-scanning its million tuples during the timed part (gc.freeze, Python >= 3.7)
    gc.collect()
    gc.freeze()
    if args.gc0:
        gc.set_threshold(args.gc0, *gc.get_threshold()[1:])
    times: list[tuple[float, float]] = []
    for _ in range(1 if args.profile else max(1, args.repeat)):
        eng = None  # why: a finished run's engine must not stay on the heap of the next one
        gc.collect()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            eng, seconds, cpu = run(ops)
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        else:
            eng, seconds, cpu = run(ops)
        times.append((seconds, cpu))
    seconds, cpu = min(times)
    median = sorted(t[0] for t in times)[len(times) // 2]
    assert eng.trades == expected_fills, (eng.trades, expected_fills)
    eng._check()
    result = {
        "ops": len(ops),
        "seconds": round(seconds, 3),
        "ops_per_s": round(len(ops) / seconds),
        "cpu_seconds": round(cpu, 3),
        "fills": eng.trades,
        "resting_at_end": len(eng.book.orders),
        "levels_at_end": len(eng.book.bids) + len(eng.book.asks),
        "runs": len(times),
        "median_seconds": round(median, 3),
        "gc_threshold": list(gc.get_threshold()),
        "generate_seconds": round(gen_s, 3),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
