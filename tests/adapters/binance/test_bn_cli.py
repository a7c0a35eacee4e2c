"""``executioncore venue binance``'s command line: flags, help, errors."""

from __future__ import annotations

import pytest

from live.fakes.alpaca.config import ConfigError
from live.fakes.binance import FakeBinanceConfig, cli_parser, main

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_from_cli_reads_symbol_balances_fees_and_faults():
    config = FakeBinanceConfig.from_cli([
        "--data", "scenarios/data/binance_btcusdt-trades.parquet", "--symbol", "BTC/USDT",
        "--balance", "USDT=5000", "--balance", "BTC=0.5", "--fees", "2,7.5",
        "--faults", "rate_limit=0.1,partial=0.2", "--seed", "3", "--loop", "--speed", "2",
        "--api-key", "k", "--api-secret", "s",
    ])  # fmt: skip
    [sym] = config.symbols()
    assert (sym.name, sym.base, sym.quote) == ("BTCUSDT", "BTC", "USDT")
    assert str(sym.inst.tick_size) == "0.01" and config.market.kind == "trades"
    assert config.balances == {"USDT": "5000", "BTC": "0.5"}
    assert (config.maker_bps, config.taker_bps) == ("2", "7.5")
    assert config.faults == {"rate_limit": 0.1, "partial": 0.2} and config.seed == 3
    assert config.market.loop and config.market.speed == 2.0 and config.api_key == "k"


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit):
        cli_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in ("--data", "--symbol", "--port", "--start", "--loop", "--speed", "--faults",
                 "--seed", "--balance", "--api-key", "--api-secret", "--fees", "--ban",
                 "--retry-after", "--min-notional"):  # fmt: skip
        assert flag in text


def test_unknown_fault_kind_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown kind"):
        FakeBinanceConfig.from_cli(["--faults", "explode=0.5"])


def test_main_with_a_missing_data_file_exits_2(capsys):
    assert main(["--data", "no/such.parquet", "--symbol", "BTC/USDT"]) == 2
    assert "no such data file" in capsys.readouterr().err
