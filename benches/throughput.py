"""The reference workloads through ExecutionCore: kernel + simulated venue + a Python strategy.

    python benches/throughput.py W1|W2|W3 [--data DIR] [--max-events N] [--no-journal]
        [--retain-closed N] [--json]

W1: 1,000,000 quotes, a strategy subscribed to quotes that does nothing. W2: the same quotes, the
market maker of the shared README. W3: 200,000 one-minute bars, the SMA(10)/SMA(30) crossover
(market orders fill at the next bar's open: our default bar rule). Data: the reference generator
(``gen_workload.py``, seed 20240102), written once to ``--data``. The journal is on (SQLite, as
``executioncore run`` writes it) unless ``--no-journal``. The kernel keeps the newest
``--retain-closed`` closed orders in full (default 10,000; ``-1``: every order, the kernel's own
default), so W2's memory is bounded by its open orders, not its history (``kernel.oms``).

``seconds`` is the run only: from the first chunk read to the last event handled (reading and
decoding the Parquet file is inside: it is streamed). ``peak_rss_mb`` is the process's.
``pnl`` is mark-to-market: cash flow + position x the last mid (W1/W2) or the last close (W3).
``rss_libs_mb`` and ``rss_anon_mb`` split the resident memory at the end of the run (Linux): the
mapped files (shared libraries: libarrow alone is ~30 MB) and the process's own memory. Peak RSS
counts both, and the libraries' part depends on the page cache: libraries just installed (a
fresh clone) sit there in large folios and map ~40 MB more than the same libraries read back
from disk.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import executioncore  # noqa: F401  (before pyarrow: it picks Arrow's memory pool)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from strategies import NullQuotes, QuoteMaker, SmaCross  # noqa: E402
from workloads import reference_data  # noqa: E402

from executioncore.store import SqliteStore  # noqa: E402
from kernel.clock import SimClock  # noqa: E402
from kernel.journal import Journal  # noqa: E402
from kernel.kernel import Kernel  # noqa: E402
from kernel.monitor import Monitor  # noqa: E402
from kernel.units import MONEY_SCALE, Instrument  # noqa: E402
from sim.broker import SimBroker  # noqa: E402
from sim.driver import Driver, Source, fewer_collections  # noqa: E402
from sim.feeds import DataSpec, FeedStats, merge, read_chunks  # noqa: E402

MINUTE_NS = 60_000_000_000
RETAIN_CLOSED = 10_000  # closed orders the kernel keeps in full (``--retain-closed``)


MONITOR_RULES = {
    "alert_on_rejection": True,
    "alerts": [
        {"name": "dd", "when": "drawdown > 0.02", "quantity": "drawdown", "op": ">",
         "value": 0.02, "severity": "warning"},
        {"name": "rejects", "when": "rejects_1m > 5", "quantity": "rejects_1m", "op": ">",
         "value": 5.0, "severity": "warning"},
        {"name": "state", "when": "trading_state == halted", "quantity": "trading_state",
         "op": "==", "value": "halted", "severity": "critical"},
    ],
}  # fmt: skip


def _limited(stream, n: int | None):  # type: ignore[no-untyped-def]
    if n is None:
        yield from stream
        return
    left = n
    for chunk in stream:
        if left <= 0:
            return
        if len(chunk) > left:
            chunk = chunk.slice(0, left)
        left -= len(chunk)
        yield chunk


def run(
    workload: str,
    data_dir: Path,
    max_events: int | None,
    journal_on: bool,
    quotes: str = "quotes_1m.parquet",
    bars: str = "bars_200k.parquet",
    monitor: bool = False,
    retain_closed: int | None = RETAIN_CLOSED,
) -> dict:
    inst = Instrument("XYZ", "0.01", "1")
    if workload == "W3":
        spec = DataSpec("bars", "XYZ", data_dir / bars, interval_ns=MINUTE_NS)
        kind, strategy = "bars", SmaCross()
    else:
        spec = DataSpec("quotes", "XYZ", data_dir / quotes)
        kind, strategy = "quotes", (NullQuotes() if workload == "W1" else QuoteMaker())
    clock = SimClock(0)
    broker = SimBroker("sim", [inst], {"XYZ": kind}, clock)
    tmp = tempfile.TemporaryDirectory()
    journal = (
        Journal(SqliteStore.create(Path(tmp.name) / "journal", durable=False))
        if journal_on
        else None
    )
    kernel = Kernel(
        clock, [inst], {"sim": broker}, journal, journal_market_data=False,
        retain_closed=retain_closed,
    )  # fmt: skip
    if monitor:
        # why: the monitoring layer's cost, rules on the marks (evaluated once a second of data
        # time) and on every fill, reject and notice (make bench: within 10% of off)
        Monitor.install(kernel, MONITOR_RULES)
    kernel.add_strategy(strategy)
    source = Source(kind, "XYZ", MINUTE_NS if kind == "bars" else 0)
    driver = Driver(kernel, clock, [broker], [source], journal)
    # why: the driver raises the collector's first-generation threshold while it runs and
    # restores it after; the collection that restoring makes due would fall on the first
    # allocations after the run, which are the journal's ``close`` with the journal on and
    # outside the timing without it. Kept raised to the end of the timing, neither pays it.
    with fewer_collections():
        t0 = time.perf_counter()
        chunks = merge([read_chunks(spec, inst, 0, FeedStats(), ahead=True)])
        driver.run(_limited(chunks, max_events))
        if journal is not None:
            journal.close()
        seconds = time.perf_counter() - t0
    libs, anon = _resident()
    pf = kernel.portfolio
    pos = pf.positions["XYZ"]
    market = pf.markets["XYZ"]
    mark2 = market.mark2 if kind == "quotes" else 2 * market.last_bar.close_ticks
    pnl = (pos.realized + pos.unrealized(mark2)) / MONEY_SCALE
    st = kernel.stats
    return {
        "workload": {"W1": "W1-replay", "W2": "W2-market-maker", "W3": "W3-bars-sma"}[workload],
        "engine": "executioncore",
        "events": st.md_events,
        "seconds": round(seconds, 4),
        "events_per_s": round(st.md_events / seconds),
        "orders": st.orders,
        "cancels": st.cancels,
        "fills": st.fills,
        "final_position": pos.qty,
        "pnl": round(pnl, 2),
        "journal": journal_on,
        "monitor": monitor,
        "retain_closed": retain_closed,
        "orders_held": len(kernel.oms.orders),
        "alerts": len(kernel.monitor.alerts) if kernel.monitor is not None else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_libs_mb": libs,
        "rss_anon_mb": anon,
    }


def _resident() -> tuple[float | None, float | None]:
    """(mapped files, own memory) resident now, in MB; None where /proc is not there."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None, None
    kb = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("RssFile", "RssAnon"):
            kb[key] = int(value.split()[0])
    if "RssFile" not in kb or "RssAnon" not in kb:
        return None, None
    return round(kb["RssFile"] / 1024, 1), round(kb["RssAnon"] / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("workload", choices=["W1", "W2", "W3"])
    ap.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "ec-bench-data" / "reference"
    )
    ap.add_argument("--max-events", type=int)
    ap.add_argument("--quotes", default="quotes_1m.parquet", help="quotes file in --data")
    ap.add_argument("--bars", default="bars_200k.parquet", help="bars file in --data")
    ap.add_argument("--no-journal", action="store_true")
    ap.add_argument("--monitor", action="store_true", help="with the monitoring layer's rules")
    ap.add_argument(
        "--retain-closed", type=int, default=RETAIN_CLOSED,
        help=f"closed orders the kernel keeps in full (default {RETAIN_CLOSED:,}; -1: all)",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if (args.quotes, args.bars) == ("quotes_1m.parquet", "bars_200k.parquet"):
        reference_data(args.data)
    result = run(
        args.workload, args.data, args.max_events, not args.no_journal, args.quotes, args.bars,
        args.monitor, None if args.retain_closed < 0 else args.retain_closed,
    )  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['workload']}: {result['events']:,} events in {result['seconds']:.2f} s = "
            f"{result['events_per_s']:,}/s; orders {result['orders']:,} cancels {result['cancels']:,} "
            f"fills {result['fills']:,} position {result['final_position']} pnl {result['pnl']:,.2f}; "
            f"peak RSS {result['peak_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
