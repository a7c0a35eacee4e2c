"""``executioncore venue ibkr`` (``live.fakes.ibkr.main``): its help, its flags into
``FakeIbkrConfig``, its errors, and a real run in a subprocess that ib_async connects to."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from ib_async import IB, Forex

from live.fakes.ibkr import FakeIbkrConfig, cli_parser, main

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def test_help_lists_every_option_with_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    options = [a for a in cli_parser()._actions if a.option_strings]
    assert len(options) >= 20
    helpless = [a.option_strings for a in options if not a.help or a.help == argparse.SUPPRESS]
    unlisted = [flag for a in options for flag in a.option_strings if flag not in out]
    assert (helpless, unlisted) == ([], [])
    for word in ("usage: executioncore venue ibkr", "on-connect", "drop_exec", "socket_close",
                 "conn_lost", "pacing", "dup_status", "partial", "SYMBOL=QTY@PRICE"):  # fmt: skip
        assert word in out, word


def test_flags_make_the_config() -> None:
    config = FakeIbkrConfig.from_cli(
        ["--data", str(USDJPY), "--symbol", "USDJPY", "--data", str(USDJPY), "--symbol", "EURX",
         "--tick-size", "0.001", "--lot-size", "1000", "--sec-type", "EURX=CASH", "--port", "7497",
         "--start", "now", "--loop", "--speed", "10", "--faults", "partial=0.2,pacing=0.01",
         "--seed", "9", "--cash", "5000", "--position", "USDJPY=2000@86.5", "--account", "DU42",
         "--conn-lost", "1.5", "--max-rate", "20"]
    )  # fmt: skip
    market = config.market
    assert [(f.symbol, f.tick_size, f.lot_size) for f in market.feeds()] == [
        ("USDJPY", "0.001", "1000"), ("EURX", "0.001", "1000"),
    ]  # fmt: skip
    assert (market.start, market.loop, market.speed, market.seed, market.cash) == (
        "now", True, 10.0, 9, "5000",
    )  # fmt: skip
    assert market.initial_positions == {"USDJPY": ("2000", "86.5")}
    assert (config.port, config.account, config.sec_types) == (7497, "DU42", {"EURX": "CASH"})
    assert config.faults == {"partial": 0.2, "pacing": 0.01}
    assert (config.conn_lost_s, config.max_rate, config.seed) == (1.5, 20, 9)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--data", "nope.csv"], "nope.csv: no such data file"),
        (["--faults", "drop=0.1"], "unknown kind 'drop'"),
        (["--sec-type", "XYZ=BOND"], "'BOND' is not one of STK, CASH, CRYPTO"),
        (["--sec-type", "ABC=STK"], "'ABC' is not a symbol"),
        (["--position", "XYZ=ten@1"], "qty 'ten' is not a number"),
        (["--account", "A,B"], "one account id"),
    ],
)
def test_bad_flags_are_a_message_and_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("executioncore venue ibkr: ") and words in err, err


def test_venue_process_prints_where_it_listens_and_serves_ib_async() -> None:
    code = "import sys; from live.fakes.ibkr import main; sys.exit(main(sys.argv[1:]))"
    ib = IB()
    with subprocess.Popen(
        [sys.executable, "-c", code, "--data", str(USDJPY), "--symbol", "USDJPY",
         "--tick-size", "0.001", "--lot-size", "1000", "--port", "0", "--step-ms", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            head = json.loads(proc.stdout.readline())  # the JSON line comes first
            assert (head["host"], head["account"], head["symbols"]) == (
                "127.0.0.1", "DU0000001", ["USDJPY"],
            )  # fmt: skip
            said = [proc.stdout.readline()]
            while "waiting for an API client" not in said[-1]:
                assert len(said) < 10, said
                said.append(proc.stdout.readline())
            assert any("CASH USD.JPY" in line and "tick 0.001" in line for line in said), said
            ib.connect("127.0.0.1", head["port"], clientId=1, timeout=5)
            assert "a client connected: replaying" in proc.stdout.readline()
            fx = Forex("USDJPY")
            ib.qualifyContracts(fx)
            ticker = ib.reqMktData(fx)
            for _ in range(300):
                if ticker.bid > 0:
                    break
                ib.sleep(0.01)
            assert 80 < ticker.bid < 90 and ticker.ask > ticker.bid
        finally:
            ib.disconnect()
            proc.terminate()  # the venue serves until stopped
