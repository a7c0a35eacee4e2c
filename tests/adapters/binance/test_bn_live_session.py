"""The brief's ``crypto`` broker end to end: ``executioncore live`` with the seed's ccxt/binance
entry (the other brokers removed) plus ``base_url``/``stream_url`` onto the local Binance venue
(``live.fakes.binance``) on 127.0.0.1, trading BTC/USDT. The venue's own books are the oracle:
its trades (by id), its orders (by ``clientOrderId``) and its balances per asset.

The helpers here (``start_venue``, ``write_config``, ``check``) serve the fault matrix and the
restart test too.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_checks import Consistency, run_seed_session
from live_churn import CHURN
from seed_config import crypto_only

from executioncore.live_cmd import live_command
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.binance import FakeBinanceConfig, VenueThread

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]

ROOT = Path(__file__).resolve().parents[3]
TRADES = ROOT / "scenarios" / "data" / "binance_btcusdt-trades.parquet"
KEY, SECRET = "bn-test-key-4f1d", "bn-test-secret-9a7c"


def start_venue(faults: dict[str, float] | None = None, seed: int = 1, **kw: Any) -> VenueThread:
    """The local Binance venue replaying the bundled BTCUSDT trades (looping), the account
    holding 100,000 USDT, 0.1 BTC (adopted at the start) and 1 BNB, under the test's keys."""
    market: dict[str, Any] = {"symbol": "BTCUSDT", "data": TRADES, "kind": "trades",
              "tick_size": "0.01", "lot_size": "0.000001", "step_ms": 5, "loop": True,
              "seed": seed}  # fmt: skip
    bn = {k: kw.pop(k) for k in ("balances", "retry_after_s", "ban_s") if k in kw}
    bn.setdefault("balances", {"USDT": "100000", "BTC": "0.1", "BNB": "1"})
    market.update(kw)
    cfg = FakeBinanceConfig(
        market=FakeAlpacaConfig(**market), api_key=KEY, api_secret=SECRET, faults=faults or {},
        **bn,
    )  # fmt: skip
    return VenueThread(cfg)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET)


def write_config(tmp: Path, venue: VenueThread, strategy: bool = True) -> Path:
    """A live config with the venue as its one ccxt broker (and the churning strategy on
    BTC/USDT, 0.001 BTC at a time)."""
    (tmp / "churn_strategy.py").write_text(CHURN)
    doc: dict[str, Any] = {
        "name": "bn-test",
        "seed": 1,
        "id_prefix": "t-",
        "brokers": {
            "bn": {"type": "binance", "api_key": "${BINANCE_API_KEY}",
                   "api_secret": "${BINANCE_API_SECRET}", "base_url": venue.base_url,
                   "stream_url": venue.stream_url},
        },
        "failsafes": {"cancel_on_exit": True},
    }  # fmt: skip
    if strategy:
        doc["strategy"] = {
            "class": "churn_strategy:Churn",
            "params": {"symbol": "BTC/USDT", "qty": 0.001},
        }
    path = tmp / "executioncore.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def venue_balances(state: dict[str, Any]) -> dict[str, Decimal]:
    """Each asset's total (free + locked) at the venue, zeros left out."""
    out = {}
    for asset, b in state["balances"].items():
        total = Decimal(b["free"]) + Decimal(b["locked"])
        if total:
            out[asset] = total.normalize()
    return out


def trade_ids(state: dict[str, Any]) -> list[str]:
    """The venue's trades as the kernel names them: Binance's trade ids count per symbol, so
    the adapter's are ``SYMBOL:id`` (``BTCUSDT:12``)."""
    return [f"{t['symbol']}:{t['id']}" for t in state["trades"]]


def check(summary: dict[str, Any], kernel_trades: list[str], venue: VenueThread) -> Consistency:
    """The kernel's books against the venue's: every trade once, every client order id once,
    every asset's balance equal to the unit."""
    state = venue.state()
    venue_trades = trade_ids(state)
    out = Consistency(len(venue_trades), len(kernel_trades))
    out.lost = sorted(set(venue_trades) - set(kernel_trades))
    out.duplicated = sorted(t for t, n in Counter(kernel_trades).items() if n > 1)
    coids = [o["clientOrderId"] for o in state["orders"]]
    out.duplicate_orders = sorted(c for c, n in Counter(coids).items() if n > 1)
    mine = {a: Decimal(str(v)).normalize() for a, v in summary["balances"].items() if v}
    for asset in sorted(set(mine) | set(venue_balances(state))):
        want = venue_balances(state).get(asset, Decimal(0))
        if mine.get(asset, Decimal(0)) != want:
            out.mismatches.append(f"{asset}: kernel {mine.get(asset)}, venue {want}")
    return out


SCRIPT = {
    "orders": [
        {"at": "+1.0s", "id": "buy1", "symbol": "BTC/USDT", "side": "buy", "quantity": 0.05},
        {"at": "+1.2s", "id": "far", "symbol": "BTC/USDT", "side": "buy", "quantity": 0.01,
         "type": "limit", "limit_price": 20000.0, "time_in_force": "gtc"},
        {"at": "+1.6s", "cancel": "far"},
        {"at": "+1.8s", "id": "take", "symbol": "BTC/USDT", "side": "buy", "quantity": 0.01,
         "type": "limit", "limit_price": 60000.0, "time_in_force": "gtc"},
        {"at": "+2.6s", "id": "sell1", "symbol": "BTC/USDT", "side": "sell", "quantity": 0.03},
    ]
}  # fmt: skip


def test_the_seed_configs_crypto_broker_trades_btc_usdt_end_to_end(tmp_path, env, capsys):
    venue = start_venue(balances={"USDT": "100000", "BNB": "1"})
    try:
        code, summary, err = run_seed_session(
            tmp_path, crypto_only(venue.base_url, venue.stream_url), SCRIPT, capsys, "4s"
        )
        state = venue.state()
    finally:
        venue.close()
    assert code == 0, err
    assert summary is not None and "Traceback" not in err
    assert KEY not in err and SECRET not in err
    assert summary["orders"] == 4 and summary["cancels"] == 1 and summary["open_orders"] == 0
    by_coid = {o["clientOrderId"]: o for o in state["orders"]}
    assert len(by_coid) == len(state["orders"]) == 4  # every order once, under the kernel's id
    assert sorted(o["status"] for o in state["orders"]) == [
        "CANCELED", "FILLED", "FILLED", "FILLED"
    ]  # fmt: skip
    # partial fills: the 0.05 market buy took several prints
    trades_per_order = Counter(t["orderId"] for t in state["trades"])
    assert max(trades_per_order.values()) >= 2
    assert summary["fills"] == len(state["trades"])
    # the balances after the run are the venue's, to the unit (fees in BTC on the buys,
    # in USDT on the sell)
    want = venue_balances(state)
    got = {a: Decimal(str(v)).normalize() for a, v in summary["balances"].items() if v}
    assert got == want
    assert want["BTC"] < Decimal("0.03")  # 0.06 bought less 0.03 sold, less the BTC fees
    assert Decimal(str(summary["positions"]["BTC/USDT"])) == want["BTC"]
    crypto = summary["brokers"]["crypto"]
    assert crypto["connected"] is True
    assert {a: Decimal(str(v)).normalize() for a, v in crypto["balances"].items()} == want
    assert summary["overfills"] == 0 and summary["rejects"] == 0


def test_a_strategy_trades_and_every_fill_and_balance_is_the_venues(tmp_path, env):
    venue = start_venue(faults={"partial": 0.5})
    try:
        cfg = write_config(tmp_path, venue)
        result = live_command(cfg, None, "3s", False, tmp_path / "run", True)
        consistency = check(result.summary, [f["trade_id"] for f in result.record.fills], venue)
    finally:
        venue.close()
    assert consistency.ok, consistency
    assert consistency.venue_fills >= 5
    assert result.summary["live"]["stop"] == "RUN_FOR_ELAPSED"


def test_an_order_under_the_minimum_notional_is_denied_before_it_leaves(tmp_path, env):
    venue = start_venue()
    try:
        cfg = write_config(tmp_path, venue, strategy=False)
        orders = tmp_path / "orders.yaml"
        tiny = {"at": "+0.2s", "id": "tiny", "symbol": "BTC/USDT", "side": "buy",
                "quantity": 0.00001}  # fmt: skip
        orders.write_text(yaml.safe_dump({"orders": [tiny]}))
        result = live_command(cfg, orders, "1.5s", False, tmp_path / "run", True)
        state = venue.state()
    finally:
        venue.close()
    assert state["orders"] == []  # the venue never saw it
    assert result.summary["rejects"] == 1
    (row,) = result.record.orders
    assert row["status"] == "rejected" and row["reason"].startswith("BELOW_MIN_NOTIONAL"), row
