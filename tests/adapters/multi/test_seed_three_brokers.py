"""The brief's full ``executioncore.yaml``: all three brokers (``primary`` Alpaca, ``backup`` IBKR,
``crypto`` ccxt/Binance), the seed's text with only their URLs pointed at the three local venues on
127.0.0.1, trading a stock and BTC/USDT in one session: each at its broker, one book over all
three (USD at Alpaca and IB, USDT and BTC at Binance), each broker's books equal its venue's."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from seed_config import SEED

from executioncore.cli import main
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.thread import VenueThread as AlpacaVenue
from live.fakes.binance import FakeBinanceConfig
from live.fakes.binance import VenueThread as BinanceVenue
from live.fakes.ibkr import FakeIbkrConfig
from live.fakes.ibkr import VenueThread as IbVenue

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
TRADES = ROOT / "scenarios" / "data" / "binance_btcusdt-trades.parquet"
ALPACA = ("seed-alpaca-key", "seed-alpaca-secret")
BINANCE = ("seed-binance-key", "seed-binance-secret")
STOCK: dict[str, Any] = {"data": USDJPY, "symbol": "XYZ", "tick_size": "0.001", "lot_size": "1",
                         "cash": "100000", "step_ms": 8, "loop": True}  # fmt: skip


def pointed(primary: AlpacaVenue, backup: IbVenue, crypto: BinanceVenue) -> str:
    """The seed verbatim, each broker's URL lines added (IB's port replaced)."""
    text = SEED.replace("    paper: true\n\n  backup:", (
        f"    paper: true\n    base_url: {primary.base_url}\n    stream_url: {primary.stream_url}"
        f"\n    data_url: {primary.data_url}\n\n  backup:"
    ))  # fmt: skip
    text = text.replace("port: 7497", f"port: {backup.port}")
    text = text.replace("    sandbox: true\n", (
        f"    sandbox: true\n    base_url: {crypto.base_url}\n    stream_url: {crypto.stream_url}\n"
    ))  # fmt: skip
    assert text.count("127.0.0.1") == 6  # the seed's own IB host, and five URLs
    return text


SCRIPT = {
    "orders": [
        {"at": "+1.0s", "id": "stock", "symbol": "XYZ", "side": "buy", "quantity": 100},
        {"at": "+1.2s", "id": "coin", "symbol": "BTC/USDT", "side": "buy", "quantity": 0.02},
        {"at": "+2.0s", "id": "stock_out", "symbol": "XYZ", "side": "sell", "quantity": 40},
        {"at": "+2.2s", "id": "coin_out", "symbol": "BTC/USDT", "side": "sell", "quantity": 0.01},
    ]
}


def test_the_brief_config_with_three_brokers_trades_a_stock_and_btc_each_at_its_broker(
    tmp_path, capsys, monkeypatch
):
    for var, value in zip(("ALPACA_API_KEY", "ALPACA_API_SECRET"), ALPACA, strict=True):
        monkeypatch.setenv(var, value)
    for var, value in zip(("BINANCE_API_KEY", "BINANCE_API_SECRET"), BINANCE, strict=True):
        monkeypatch.setenv(var, value)
    primary = AlpacaVenue(FakeAlpacaConfig(key=ALPACA[0], secret=ALPACA[1], **STOCK))
    backup = IbVenue(FakeIbkrConfig(market=FakeAlpacaConfig(**STOCK)))
    crypto = BinanceVenue(
        FakeBinanceConfig(
            market=FakeAlpacaConfig(symbol="BTCUSDT", data=TRADES, kind="trades",
                                    tick_size="0.01", lot_size="0.000001", step_ms=5, loop=True),
            api_key=BINANCE[0], api_secret=BINANCE[1], balances={"USDT": "100000"},
        )
    )  # fmt: skip
    try:
        cfg = tmp_path / "executioncore.yaml"
        cfg.write_text(pointed(primary, backup, crypto))
        orders = tmp_path / "orders.yaml"
        orders.write_text(yaml.safe_dump(SCRIPT))
        code = main(["live", "--config", str(cfg), "--orders", str(orders), "--run-for", "4s",
                     "--json", "--out", str(tmp_path / "run")])  # fmt: skip
        out = capsys.readouterr()
        states = {"primary": primary.state(), "backup": backup.state(), "crypto": crypto.state()}
    finally:
        for venue in (primary, backup, crypto):
            venue.close()
    assert code == 0, out.err[-3000:]
    import json

    s = json.loads(out.out.strip().splitlines()[-1])
    for secret in (*ALPACA, *BINANCE):
        assert secret not in out.out and secret not in out.err
    # each symbol at its broker: the stock at the primary (the first broker that lists it),
    # BTC/USDT at the crypto broker; the backup lists the stock (failover) but took nothing
    assert sorted(o["symbol"] for o in states["primary"]["orders"]) == ["XYZ", "XYZ"]
    assert states["backup"]["orders"] == []
    crypto_orders = states["crypto"]["orders"]
    assert [o["symbol"] for o in crypto_orders] == ["BTCUSDT", "BTCUSDT"]
    assert not [c for c, n in Counter(o["clientOrderId"] for o in crypto_orders).items() if n > 1]
    assert s["orders"] == 4 and s["open_orders"] == 0 and s["rejects"] == 0
    # one book: each broker's own view equals its venue's; the total is the sum
    assert s["brokers"]["primary"]["positions"] == {"XYZ": 60}
    assert states["primary"]["positions"] == {"XYZ": "60"}
    assert Decimal(str(s["brokers"]["primary"]["cash"])) == Decimal(states["primary"]["cash"])
    assert Decimal(str(s["brokers"]["backup"]["cash"])) == Decimal(states["backup"]["cash"])
    wallet = {a: Decimal(b["free"]) + Decimal(b["locked"])
              for a, b in states["crypto"]["balances"].items()}  # fmt: skip
    got = {a: Decimal(str(v)) for a, v in s["brokers"]["crypto"]["balances"].items()}
    assert got == {a: v for a, v in wallet.items() if v}
    assert s["positions"]["XYZ"] == 60
    assert Decimal(str(s["positions"]["BTC/USDT"])) == wallet["BTC"]
    assert Decimal(str(s["balances"]["BTC"])) == wallet["BTC"]
    assert Decimal(str(s["balances"]["USDT"])) == wallet["USDT"]
    usd = Decimal(states["primary"]["cash"]) + Decimal(states["backup"]["cash"])
    assert Decimal(str(s["balances"]["USD"])) == usd
