"""The property-testing kit at its full count (``make fuzz-full``): every strategy and algo that
``make test`` runs with a modest count (tests/testing/test_kit_ours.py), here with
``--examples`` each over several seeds, plus the worked example's planted bug (found, the
examples it took) and its fix. Prints one row per run with examples per second; exit 1 when a
strategy that should pass fails (its reproducing scenario's path is printed).

    python benches/fuzz_kit.py [--examples 1000] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scenarios" / "examples"))


def cases() -> list[tuple[str, type, dict[str, Any], dict[str, Any], bool]]:
    from bracket import BracketBuyer, FixedBracketBuyer
    from market_maker import InventoryMarketMaker
    from signal_strategy import MovingAverageCross

    from executioncore.strategies.market_maker import BookMarketMaker
    from executioncore.strategies.trend import TrendFollower
    from tests.testing.kit_strategies import AlgoOnce

    out: list[tuple[str, type, dict[str, Any], dict[str, Any], bool]] = [
        ("bracket (planted bug)", BracketBuyer, {"symbol": "XYZ"}, {}, False),
        ("bracket (fixed)", FixedBracketBuyer, {"symbol": "XYZ"}, {}, True),
    ]
    for algo in ("twap", "vwap", "pov", "iceberg", "sor"):
        for cancel in (None, 5):
            opts = {"venues": 2} if algo == "sor" else {}
            name = f"{algo}" + (" (canceled)" if cancel else "")
            out.append((name, AlgoOnce, {"algo": algo, "cancel_after": cancel}, opts, True))
    out += [
        ("trend (bars)", TrendFollower, {"symbol": "XYZ", "fast": 3, "slow": 8, "quantity": 5},
         {}, True),
        ("book market maker (L2)", BookMarketMaker, {"symbol": "XYZ", "quantity": 2}, {}, True),
        ("example market maker", InventoryMarketMaker,
         {"symbol": "XYZ", "quantity": 10, "max_inventory": 30}, {}, True),
        ("example MA cross", MovingAverageCross,
         {"symbol": "XYZ", "fast": 3, "slow": 8, "quantity": 5}, {}, True),
    ]  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    from executioncore.testing import fuzz

    bad = 0
    out_root = Path(tempfile.mkdtemp(prefix="fuzz-kit-"))
    print(f"{'strategy':28} {'seed':>4} {'result':>7} {'examples':>8} {'ex/s':>7}")
    for name, cls, params, opts, should_pass in cases():
        for seed in args.seeds:
            folder = out_root / f"{cls.__name__}-{seed}"
            r = fuzz(cls, params, examples=args.examples, seed=seed, out=folder, **opts)
            verdict = "pass" if r.passed else "FAIL"
            print(f"{name:28} {seed:>4} {verdict:>7} {r.examples:>8} {r.examples_per_second:>7.1f}",
                  flush=True)  # fmt: skip
            if r.passed != should_pass:
                bad += 1
                print(f"    unexpected: {r.failure or 'no failure found'}\n    {r.scenario or ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
