"""Replay 1,000,000 L1 quotes through the simulated venue with no resting orders.

What is timed, as the sim driver does it: turning each decoded chunk's int64 columns into
Python ints, building each ``QuoteTick``, and the venue's quote path (``SimBroker``'s entry point
for the symbol). Reading and decoding the Parquet file happens before timing. Target (issue 4): at least 1,500,000 quotes per second.

    python benches/venue_quotes.py [--rows 1000000] [--data DIR] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ec-bench-data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    path = args.data / f"quotes_only_{args.rows}.parquet"
    if not path.exists():
        gen = f"import sys; sys.path.insert(0, {str(HERE)!r}); import workloads; workloads.quotes_parquet(__import__('pathlib').Path({str(path)!r}), {args.rows})"
        subprocess.run([sys.executable, "-c", gen], check=True)

    from kernel.clock import SimClock
    from kernel.events import QuoteTick
    from kernel.units import Instrument
    from sim.broker import SimBroker
    from sim.feeds import DataSpec, FeedStats, read_chunks
    from sim.feeds.chunk import size_list

    inst = Instrument("XYZ", "0.01", "1")
    chunks = list(read_chunks(DataSpec("quotes", "XYZ", path), inst, 0, FeedStats()))
    rates = []
    for _ in range(args.repeat):
        broker = SimBroker("sim", [inst], {"XYZ": "quotes"}, SimClock())
        on_quote = broker.handler("quotes", "XYZ")
        n = 0
        t0 = time.perf_counter()
        for c in chunks:
            cols = c.cols
            rows = zip(
                c.ts.tolist(),
                cols["bid"].tolist(),
                cols["ask"].tolist(),
                size_list(cols["bid_sz"]),
                size_list(cols["ask_sz"]),
            )
            for ts, bid, ask, bs, az in rows:
                on_quote(QuoteTick("XYZ", bid, ask, bs, az, ts, ts))
            n += len(c)
        rates.append(n / (time.perf_counter() - t0))
    result = {
        "workload": "venue-l1-quotes",
        "quotes": n,
        "quotes_per_s_median": round(statistics.median(rates)),
        "quotes_per_s_runs": [round(r) for r in rates],
        "target": 1_500_000,
    }
    print(
        json.dumps(result)
        if args.json
        else f"{n:,} quotes through the venue: {result['quotes_per_s_median']:,} quotes/s (median of {args.repeat})"
    )


if __name__ == "__main__":
    main()
