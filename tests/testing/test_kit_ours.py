"""Our own strategies and execution algos pass the kit (a modest example count here; the full
count is `make fuzz-full`, benches/fuzz_kit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from executioncore.strategies.market_maker import BookMarketMaker
from executioncore.strategies.trend import TrendFollower
from executioncore.testing import check_strategy
from tests.testing.kit_strategies import AlgoOnce

EXAMPLES = 30
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("algo", ["twap", "vwap", "pov", "iceberg", "sor"])
@pytest.mark.parametrize("cancel_after", [None, 5])
def test_execution_algos_pass(algo: str, cancel_after: int | None, tmp_path: Path) -> None:
    result = check_strategy(AlgoOnce, {"algo": algo, "cancel_after": cancel_after},
                            examples=EXAMPLES, seed=1, venues=2 if algo == "sor" else 1,
                            out=tmp_path / "f")  # fmt: skip
    assert result.passed and result.examples == EXAMPLES


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (TrendFollower, {"symbol": "XYZ", "fast": 3, "slow": 8, "quantity": 5}),
        (BookMarketMaker, {"symbol": "XYZ", "quantity": 2}),
    ],
)
def test_bundled_strategies_pass(cls: type, params: dict, tmp_path: Path) -> None:
    assert check_strategy(cls, params, examples=EXAMPLES, seed=1, out=tmp_path / "f").passed


def test_the_examples_strategies_pass(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scenarios" / "examples"))
    from market_maker import InventoryMarketMaker
    from signal_strategy import MovingAverageCross

    for cls, params in (
        (InventoryMarketMaker, {"symbol": "XYZ", "quantity": 10, "max_inventory": 30}),
        (MovingAverageCross, {"symbol": "XYZ", "fast": 3, "slow": 8, "quantity": 5}),
    ):
        assert check_strategy(cls, params, examples=EXAMPLES, seed=1, out=tmp_path / "f").passed
