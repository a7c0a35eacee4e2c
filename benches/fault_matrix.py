"""The Alpaca fault matrix: every fault kind of the local venue x seeds, through the full live
path (``executioncore live`` + AlpacaAdapter + the fake venue on 127.0.0.1), with the counts the
issue asks for: runs, faults injected, fills, lost, duplicated, mismatches.

    python benches/fault_matrix.py [--seeds 1 2 3] [--run-for 3s] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "adapters" / "alpaca"))

from live_harness import FAULTS, KEY, SECRET, run_session  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--run-for", default="3s")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("EC_TEST_KEY", KEY)
    os.environ.setdefault("EC_TEST_SECRET", SECRET)
    rows = []
    for kind in sorted(FAULTS):
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                r = run_session(Path(tmp), kind, seed, args.run_for)
            c = r.consistency
            rows.append(
                {
                    "fault": kind,
                    "seed": seed,
                    "injected": r.injected,
                    "orders": r.orders,
                    "fills": c.venue_fills,
                    "lost": len(c.lost),
                    "duplicated": len(c.duplicated) + len(c.duplicate_orders),
                    "mismatches": len(c.mismatches),
                    "reconciliations": r.adapter["reconciliations"],
                    "recovered_events": r.adapter["recovered_events"],
                    "dropped_duplicates": r.adapter["duplicates_dropped"],
                }
            )
            if not args.json:
                x = rows[-1]
                print(
                    f"{kind:>14} seed {seed}: injected {x['injected']:>3}  orders {x['orders']:>3}  fills {x['fills']:>3}  "
                    f"lost {x['lost']}  dup {x['duplicated']}  mismatch {x['mismatches']}  "
                    f"(reconciliations {x['reconciliations']}, recovered {x['recovered_events']})",
                    flush=True,
                )
    total = {
        k: sum(r[k] for r in rows)
        for k in ("injected", "orders", "fills", "lost", "duplicated", "mismatches")
    }
    total["runs"] = len(rows)
    print(json.dumps({"rows": rows, "total": total}) if args.json else f"TOTAL {total}")


if __name__ == "__main__":
    main()
