"""``make bench-peers``: the reference workloads on NautilusTrader, backtrader and hftbacktest,
and on ExecutionCore, in one run on this machine; our figures beside theirs as ratios.

    python benches/peers.py [--dir DIR] [--runs N] [--only nautilus,backtrader,hftbacktest]
                            [--skip-setup] [--json FILE]

Steps (each skipped when already done):

1. setup: one virtual environment per peer under ``--dir`` (default ``$EC_PEERS_DIR`` or
   ``/tmp/ec-peers``), installed from the package index with pinned versions:
   nautilus_trader 1.221.0, backtrader 1.9.78.123, hftbacktest 2.4.4 (+ numpy, pandas, pyarrow).
   The peers never enter our own environment.
2. data: the reference generator (``gen_workload.py``, seed 20240102) writes 1M quotes / 200k
   bars to ``DIR/data`` and the 100k-quote prefix to ``DIR/data-small``, the files every
   engine reads.
3. runs: each case once untimed (warm-up: page cache, numba cache), then ``--runs`` timed
   runs, each in a fresh process; the medians are compared. The peer scripts are
   ``benches/peers/`` (copied unchanged from the reference measurements).

NautilusTrader's W2 runs on the first 100k quotes only: over 1M quotes it is superlinear
(~26 minutes, 1.8 GB). We run W2 on 100k for the ratio and on 1M to show linear cost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_throughput import measure  # noqa: E402
from workloads import label, reference_data  # noqa: E402

PEERS = {
    "nautilus": ("venv-nautilus", ["nautilus_trader==1.221.0", "numpy", "pyarrow"]),
    "backtrader": ("venv-bt", ["backtrader==1.9.78.123", "numpy", "pandas", "pyarrow"]),
    "hftbacktest": ("venv-hft", ["hftbacktest==2.4.4", "numpy", "pyarrow"]),
}

# (row, our workload, our max events, peer, peer script, peer args, peer data folder)
CASES = [
    ("W1 replay 1M", "W1", None, "nautilus", "bench_nautilus.py", ["--workload", "replay"], "data"),
    ("W1 replay 1M", "W1", None, "hftbacktest", "bench_hftbacktest.py", ["--workload", "replay"], "data"),
    ("W2 market maker 100k", "W2", 100_000, "nautilus", "bench_nautilus.py",
     ["--workload", "mm", "--quotes", "quotes_100k.parquet"], "data-small"),
    ("W2 market maker 1M", "W2", None, "hftbacktest", "bench_hftbacktest.py", ["--workload", "mm"], "data"),
    ("W3 SMA bars 200k", "W3", None, "nautilus", "bench_nautilus.py", ["--workload", "sma"], "data"),
    ("W3 SMA bars 200k", "W3", None, "backtrader", "bench_backtrader.py", [], "data"),
]  # fmt: skip


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def setup(root: Path, peers: list[str]) -> None:
    for peer in peers:
        venv, packages = PEERS[peer]
        path = root / venv
        stamp = path / ".installed"
        if stamp.exists() and stamp.read_text() == " ".join(packages):
            continue
        log(f"setup: {peer} into {path} ({', '.join(packages)})")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
        subprocess.run(
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", *packages],
            check=True,
        )
        stamp.write_text(" ".join(packages))


def data(root: Path) -> None:
    for folder, rows, bars in (("data", 1_000_000, 200_000), ("data-small", 100_000, 20_000)):
        out = root / folder
        if not (out / f"manifest_{label(rows)}_{label(bars)}.json").exists():
            log(f"data: {rows:,} quotes / {bars:,} bars into {out}")
        reference_data(out, rows, bars)


def peer_once(root: Path, peer: str, script: str, args: list[str], folder: str) -> dict:
    python = root / PEERS[peer][0] / "bin" / "python"
    cmd = [str(python), str(HERE / "peers" / script), *args, "--data-dir", str(root / folder)]
    env = dict(os.environ, EC_PEERS_DIR=str(root))
    out = subprocess.run(
        cmd, capture_output=True, text=True, cwd=HERE / "peers", env=env, check=False
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def peer_measure(
    root: Path, peer: str, script: str, args: list[str], folder: str, runs: int
) -> dict:
    peer_once(root, peer, script, args, folder)  # warm-up
    results = [peer_once(root, peer, script, args, folder) for _ in range(runs)]
    med = dict(results[0])
    for key in ("seconds", "events_per_s", "peak_rss_mb"):
        med[key] = statistics.median(r[key] for r in results)
    med["all_events_per_s"] = [round(r["events_per_s"]) for r in results]
    return med


def table(rows: list[dict]) -> str:
    head = (
        f"{'workload':<22} {'peer':<12} {'peer ev/s':>11} {'peer RSS':>8} "
        f"{'ours ev/s':>11} {'our RSS':>8} {'ratio':>7}  results (orders / fills / position)"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        p, o = r["peer_result"], r["ours"]
        lines.append(
            f"{r['case']:<22} {r['peer']:<12} {p['events_per_s']:>11,.0f} "
            f"{p['peak_rss_mb']:>8.0f} {o['events_per_s']:>11,.0f} {o['peak_rss_mb']:>8.0f} "
            f"{o['events_per_s'] / p['events_per_s']:>6.2f}x  "
            f"peer {p.get('orders', 0):,} / {p.get('fills', 0):,} / {p.get('final_position', '-')}"
            f"; ours {o['orders']:,} / {o['fills']:,} / {o['final_position']}"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_dir = Path(
        os.environ.get("EC_PEERS_DIR", Path(os.environ.get("TMPDIR", "/tmp")) / "ec-peers")
    )
    ap.add_argument("--dir", type=Path, default=default_dir)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per case (median)")
    ap.add_argument("--only", help="comma-separated peers: " + ", ".join(PEERS))
    ap.add_argument("--skip-setup", action="store_true", help="use the peer venvs as they are")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    peers = args.only.split(",") if args.only else list(PEERS)
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        ap.error(f"--only: unknown peers {unknown} (known: {', '.join(PEERS)})")
    root = args.dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    if not args.skip_setup:
        setup(root, peers)
    data(root)
    ours: dict[tuple[str, int | None], dict] = {}
    rows = []
    for case, workload, max_events, peer, script, pargs, folder in CASES:
        if peer not in peers:
            continue
        t0 = time.perf_counter()
        key = (workload, max_events)
        if key not in ours:
            small = max_events is not None  # the 100k file, as the peer reads
            ours[key] = measure(
                workload,
                root / ("data-small" if small else "data"),
                None,
                True,
                args.runs,
                True,
                "quotes_100k.parquet" if small else None,
            )
        result = peer_measure(root, peer, script, pargs, folder, args.runs)
        rows.append({"case": case, "peer": peer, "peer_result": result, "ours": ours[key]})
        log(
            f"  {case} vs {peer}: ours {ours[key]['events_per_s']:,.0f}/s, "
            f"{peer} {result['events_per_s']:,.0f}/s ({time.perf_counter() - t0:.0f} s)"
        )
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
