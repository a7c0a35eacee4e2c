"""What the journal costs a backtest, part by part (issue 22: journaling at most 10% of W2).

    python benches/journal_cost.py [W2|W3] [--data DIR] [--quotes FILE] [--bars FILE] [--runs N]
        [--json]

Runs ``benches/throughput.py``'s workload (default W2 over the 1M-quote file) in fresh processes,
``--runs`` times in each of five modes, interleaved (so a slower minute of the machine touches
every mode alike), and prints the medians. Each mode adds one part of journaling to the one
before it, so the difference between neighbours is what that part costs:

    off       no journal (the kernel encodes nothing)
    records   the kernel builds every record tuple, and drops it at once (plain Python only:
              compiled, the kernel builds no tuple, see ``packed``)
    packed    records become MessagePack bytes in blocks (compiled: each written field by field
              into the block by ``kernel.codec_encoders.write_record``; as plain Python: tuples
              buffered and packed by msgpack), not hashed, not stored
    hashed    blocks are hashed (SHA-256), and not stored
    stored    the blocks are written to SQLite: ``executioncore run``'s journal, in full

The modes other than ``off`` and ``stored`` replace a part of ``kernel.journal`` in their own
process (a stand-in journal, a digest that hashes nothing, a sink that stores nothing):
measurements only, never a journal anyone reads. Every mode must give the workload's same
result (orders, fills, position, P&L), or the bench stops.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODES = ("off", "records", "packed", "hashed", "stored")
PARTS = {
    "records": "building the record tuples",
    "packed": "MessagePack bytes, cut into blocks",
    "written": "records written into blocks (MessagePack bytes, no tuples)",
    "hashed": "SHA-256",
    "stored": "SQLite",
}


class _Dropper:
    """The ``records`` mode's journal: takes each record the kernel builds and drops it."""

    block_records = 8192
    pending = 0

    def __init__(self, *_: Any, **__: Any) -> None:
        # why: ``len`` is a C call that takes the tuple, like the journal's own list append
        self.raw_append = len
        self.tap = len
        self.buffer: list[tuple] = []

    def append(self, record: tuple) -> None:
        pass

    def append_blob(self, head: tuple, blob: bytes) -> None:
        pass

    def flush(self) -> None:
        pass

    def maybe_flush(self) -> None:
        pass

    def digest(self) -> str:
        return ""

    def close(self) -> str:
        return ""


def run_mode(mode: str, workload: str, data: Path, quotes: str, bars: str) -> dict[str, Any]:
    """One run in this process with ``mode``'s parts of the journal: its seconds and result."""
    sys.path.insert(0, str(HERE))
    import throughput

    from kernel import journal

    class _NoStore:
        @staticmethod
        def create(*_: Any, **__: Any) -> journal.NullSink:
            return journal.NullSink()

    if mode == "records":
        throughput.Journal = _Dropper  # type: ignore[assignment,misc]
    if mode in ("records", "packed", "hashed"):
        throughput.SqliteStore = _NoStore  # type: ignore[assignment,misc]
    if mode == "packed":
        journal._Digest.update = lambda self, body, count: None  # type: ignore[method-assign]
    r = throughput.run(workload, data, None, mode != "off", quotes, bars)
    return {
        "seconds": r["seconds"],
        "result": [r["orders"], r["fills"], r["final_position"], r["pnl"]],
    }


def _modes() -> tuple[str, ...]:
    """The modes that mean something for this build: compiled, the kernel builds no record
    tuples (it writes each record into the block), so there is no ``records`` mode."""
    from kernel.packer import DIRECT

    return tuple(m for m in MODES if not (DIRECT and m == "records"))


def measure(workload: str, data: Path, quotes: str, bars: str, runs: int) -> dict[str, Any]:
    """Every mode ``runs`` times, interleaved, in fresh processes; medians and parts."""
    modes = _modes()
    times: dict[str, list[float]] = {m: [] for m in modes}
    results = set()
    cmd = [sys.executable, __file__, workload, "--data", str(data)]
    cmd += ["--quotes", quotes, "--bars", bars]
    for i in range(runs):
        for mode in modes:
            out = subprocess.run(
                [*cmd, "--mode", mode], capture_output=True, text=True, check=True
            ).stdout
            one = json.loads(out.strip().splitlines()[-1])
            times[mode].append(one["seconds"])
            results.add(tuple(one["result"]))
            print(f"run {i + 1}/{runs} {mode:9s} {one['seconds']:.3f} s", file=sys.stderr)
    if len(results) != 1:
        raise SystemExit(f"the modes gave different results: {sorted(results)}")
    med = {m: statistics.median(v) for m, v in times.items()}
    off = med["off"]
    parts = {m: med[m] - med[prev] for prev, m in itertools.pairwise(modes)}
    return {
        "workload": workload,
        "quotes": quotes if workload == "W2" else None,
        "runs": runs,
        "seconds": med,
        "parts": parts,
        "journal_share": (med["stored"] - off) / off,
        "result": list(results.pop()),
        "all": times,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("workload", nargs="?", default="W2", choices=["W2", "W3"])
    ap.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "ec-bench-data" / "reference"
    )
    ap.add_argument("--quotes", default="quotes_1m.parquet", help="quotes file in --data (W2)")
    ap.add_argument("--bars", default="bars_200k.parquet", help="bars file in --data (W3)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one run, in this process
    args = ap.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.workload, args.data, args.quotes, args.bars)))
        return
    sys.path.insert(0, str(HERE))
    from workloads import reference_data

    if (args.quotes, args.bars) == ("quotes_1m.parquet", "bars_200k.parquet"):
        reference_data(args.data)
    res = measure(args.workload, args.data, args.quotes, args.bars, args.runs)
    if args.json:
        print(json.dumps(res))
        return
    off = res["seconds"]["off"]
    what = f"{args.workload}" + (f" over {args.quotes}" if args.workload == "W2" else "")
    print(f"{what}, medians of {args.runs} (seconds of the run; share of the run without it)")
    print(f"{'mode':10s} {'seconds':>8s}   part")
    for mode in res["seconds"]:
        sec = res["seconds"][mode]
        if mode == "off":
            print(f"{mode:10s} {sec:8.3f}")
            continue
        part = res["parts"][mode]
        what = PARTS["written" if mode == "packed" and "records" not in res["seconds"] else mode]
        print(f"{mode:10s} {sec:8.3f}   {part:+.3f} s {100 * part / off:+5.1f}%  {what}")
    print(f"journal in all: {100 * res['journal_share']:.1f}% (issue 22's target: at most 10%)")


if __name__ == "__main__":
    main()
