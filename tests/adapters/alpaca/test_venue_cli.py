"""``executioncore venue alpaca``: its help, its flags into ``FakeAlpacaConfig``, its errors, and
a real run in a subprocess that prints its URLs and waits for a client before replaying."""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest
import requests

from executioncore.cli import main
from live.fakes.alpaca import FAULT_KINDS, ConfigError, FakeAlpacaConfig, SymbolFeed
from live.fakes.alpaca.config import parse_positions

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"
EXE = Path(sys.executable).with_name("executioncore")
DEFAULT_HEADERS = {"APCA-API-KEY-ID": "fake-key-id", "APCA-API-SECRET-KEY": "fake-secret-key"}

pytestmark = pytest.mark.timeout(60)


def test_help_lists_every_option_with_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["venue", "alpaca", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    parser = FakeAlpacaConfig.cli_parser()
    options = [a for a in parser._actions if a.option_strings]
    assert len(options) >= 25
    for action in options:
        assert action.help and action.help != argparse.SUPPRESS, action.option_strings
        for flag in action.option_strings:
            assert flag in out, flag
    for word in ("on-connect", "--loop", "--speed", "--max-wait", "rest_down", "mute"):
        assert word in out
    assert "usage: executioncore venue alpaca" in out


def test_help_lists_mode_and_account(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["venue", "alpaca", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for word in ("--mode", "{recorded,exchange}", "--account KEY:SECRET", "prevention"):
        assert word in out, word


def test_venue_without_a_name_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["venue"]) == 2
    assert "alpaca" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--speed", "2", "--step-ms", "1"], "not both"),
        (["--data", "a.csv", "--data", "b.csv", "--symbol", "A"], "one --data per --symbol"),
        (["--symbol", "A", "--symbol", "B", "--tick-size", "0.1", "0.2"], None),
        (
            [
                "--symbol",
                "A",
                "--symbol",
                "B",
                "--symbol",
                "C",
                "--lot-size",
                "1",
                "--lot-size",
                "2",
            ],
            "one each",
        ),
        (["--position", "XYZ=10"], "SYMBOL=QTY@PRICE"),
        (["--position", "ABC=10@150"], "not a symbol"),
        (["--faults", "gremlins=0.1"], "unknown kind"),
        (["--data", "no/such/file.csv", "--symbol", "X"], "no such data file"),
    ],
)
def test_bad_flags_exit_2_with_a_message(
    argv: list[str], words: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["venue", "alpaca", *argv])
    except SystemExit as exc:  # argparse's own refusal (an extra positional)
        code = exc.code
    assert code == 2
    if words is not None:
        assert words in capsys.readouterr().err


def test_flags_build_the_config(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    cfg = FakeAlpacaConfig.from_cli(
        [
            "--data",
            str(a),
            "--symbol",
            "AAA",
            "--data",
            str(b),
            "--symbol",
            "BBB",
            "--tick-size",
            "0.01",
            "--lot-size",
            "1",
            "--lot-size",
            "10",
            "--speed",
            "4",
            "--max-wait",
            "2",
            "--loop",
            "--start",
            "now",
            "--position",
            "AAA=10@150",
            "--position",
            "BBB=-20@50.5",
            "--faults",
            "rest_down=0.1,mute=0.2",
            "--rest-down",
            "1.5",
            "--silence",
            "0.5",
            "--cash",
            "5000",
            "--currency",
            "EUR",
            "--submit-timeout-mode",
            "drop",
        ]
    )
    assert cfg.symbols == [
        SymbolFeed("AAA", a, "0.01", "1"),
        SymbolFeed("BBB", b, "0.01", "10"),
    ]
    assert (cfg.symbol, cfg.data) == ("AAA", a)  # the first
    assert (cfg.speed, cfg.step_ms, cfg.max_wait_s, cfg.loop, cfg.start) == (
        4.0,
        None,
        2.0,
        True,
        "now",
    )
    assert cfg.initial_positions == {"AAA": ("10", "150"), "BBB": ("-20", "50.5")}
    assert cfg.faults == {"rest_down": 0.1, "mute": 0.2}
    assert (cfg.rest_down_s, cfg.silence_s, cfg.cash, cfg.currency) == (1.5, 0.5, "5000", "EUR")
    assert cfg.submit_timeout_mode == "drop"
    one = FakeAlpacaConfig.from_cli(["--data", str(a), "--symbol", "AAA"])
    assert (one.symbols, one.symbol, one.data, one.step_ms, one.start) == (
        None,
        "AAA",
        a,
        5.0,
        "on-connect",
    )
    assert "rest_down" in FAULT_KINDS and "mute" in FAULT_KINDS
    assert parse_positions(["X=1@2"]) == {"X": ("1", "2")}
    with pytest.raises(ConfigError):
        parse_positions(["X=1@two"])


def _lines(stream: IO[str]) -> queue.Queue[str]:
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            out.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return out


def _until_line(lines: queue.Queue[str], words: str, timeout: float = 10.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.1))
        except queue.Empty:
            continue
        if words in seen[-1]:
            return seen
    raise AssertionError(f"no line with {words!r} in {seen}")


@pytest.mark.network
def test_venue_command_prints_urls_and_waits_for_a_client() -> None:
    proc = subprocess.Popen(
        [
            str(EXE),
            "venue",
            "alpaca",
            "--data",
            "scenarios/data/truefx_usdjpy-ticks.csv",
            "--symbol",
            "USDJPY",
            "--tick-size",
            "0.001",
            "--lot-size",
            "1000",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        lines = _lines(proc.stdout)  # type: ignore[arg-type]
        first = lines.get(timeout=20)
        urls = json.loads(first)  # the JSON line comes first
        assert set(urls) >= {"base_url", "stream_url", "data_url"}
        assert urls["base_url"].startswith("http://127.0.0.1:")
        assert urls["stream_url"].endswith("/stream") and "/v2/" in urls["data_url"]
        text = _until_line(lines, "waiting for a client to connect")
        said = "\n".join(text)
        for key in ("base_url", "stream_url", "data_url"):
            assert urls[key] in said
        assert "USDJPY" in said and "tick 0.001" in said and "lot 1000" in said
        time.sleep(0.5)  # at the default 5 ms a step, ~100 rows would be gone by now
        stats = requests.get(urls["base_url"] + "/_fake/stats", timeout=5).json()
        assert (stats["replayed"], stats["waiting_for_client"]) == (0, True)
        r = requests.get(urls["base_url"] + "/v2/account", headers=DEFAULT_HEADERS, timeout=5)
        assert r.status_code == 200
        _until_line(lines, "a client connected")
        deadline = time.monotonic() + 5
        while requests.get(urls["base_url"] + "/_fake/stats", timeout=5).json()["replayed"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        asset = requests.get(
            urls["base_url"] + "/v2/assets/USDJPY", headers=DEFAULT_HEADERS, timeout=5
        ).json()
        assert (asset["price_increment"], asset["min_trade_increment"]) == (0.001, 1000)
        assert asset["min_order_size"] == 1000
    finally:
        proc.terminate()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            stream.close()  # type: ignore[union-attr]
