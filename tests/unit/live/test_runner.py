"""The live runner: paper trading through it, write-ahead journaling, operator actions, replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from executioncore.live_cmd import LiveError, live_command, parse_duration
from executioncore.replay import replay
from kernel.enums import OrderStatus, Side, TradingState
from kernel.events import QuoteTick
from kernel.journal import Journal, MemorySink
from kernel.kernel import Kernel
from kernel.strategy import Strategy
from kernel.units import Instrument
from live.clock import LiveClock
from live.runner import LiveRunner

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"


def write_config(tmp_path: Path, **extra) -> Path:
    cfg = {
        "name": "paper",
        "seed": 3,
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [
            {"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000, "currency": "JPY"}
        ],
        "brokers": {
            "paper": {
                "type": "sim",
                "data": {"kind": "quotes", "symbol": "USDJPY", "path": str(USDJPY)},
                "speed": 2000,
                "latency": {"order_ms": 5, "response_ms": 5},
            }
        },
        **extra,
    }
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "orders": [
                    {
                        "at": "+0.2s",
                        "id": "a",
                        "symbol": "USDJPY",
                        "side": "buy",
                        "quantity": 10000,
                        "type": "market",
                    },
                    {
                        "at": "+0.4s",
                        "id": "b",
                        "symbol": "USDJPY",
                        "side": "sell",
                        "quantity": 10000,
                        "type": "limit",
                        "limit_price": 87.5,
                    },
                ]
            }
        )
    )
    return path


@pytest.mark.timeout(60)
def test_live_paper_run_fills_cancels_on_exit_and_replays_exactly(tmp_path):
    result = live_command(
        write_config(tmp_path), write_orders(tmp_path), "2s", False, tmp_path / "run", True
    )
    s = result.summary
    assert s["fills"] == 1 and s["positions"] == {"USDJPY": 10000}
    assert s["cancels"] == 1  # the resting sell, canceled at shutdown
    assert s["live"]["stop"] == "RUN_FOR_ELAPSED" and s["live"]["paper"] is True
    report = replay(tmp_path / "run")
    assert report.ok, report.as_dict()
    assert report.replayed_digest == s["digest"]


def test_live_refuses_real_money_without_the_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("K", "key")
    cfg = write_config(
        tmp_path,
        brokers={
            "real": {"type": "alpaca", "api_key": "${K}", "api_secret": "${K}", "paper": False}
        },
    )
    doc = yaml.safe_load(cfg.read_text())
    del doc["account"]
    cfg.write_text(yaml.safe_dump(doc))
    with pytest.raises(LiveError, match="real money"):
        live_command(cfg, None, "1s", False, tmp_path / "run", True)


def test_parse_duration_units():
    assert (
        parse_duration("30s") == 30 and parse_duration("5m") == 300 and parse_duration("1.5") == 1.5
    )
    with pytest.raises(LiveError, match="--run-for"):
        parse_duration("soon")


class FakeAdapter:
    """Records, in order, journal commits and the moment each command is actually sent."""

    name = "v"

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.emit = None

    def bind(self, emit, kernel):
        self.emit = emit

    async def start(self):
        pass

    async def stop(self):
        pass

    def stats(self):
        return {}

    def submit(self, cmd):
        asyncio.get_running_loop().call_soon(self.log.append, f"sent {cmd.order.client_order_id}")

    def cancel(self, cmd):
        asyncio.get_running_loop().call_soon(self.log.append, f"sent cancel {cmd.client_order_id}")

    def modify(self, cmd):
        pass


class Buyer(Strategy):
    strategy_id = "b"

    def on_quote(self, q):
        if not self.ctx.open_orders():
            self.ctx.limit("X", Side.BUY, 1, q.bid_ticks)


@pytest.mark.timeout(20)
def test_runner_commits_the_journal_before_a_command_leaves():
    log: list[str] = []
    clock = LiveClock()
    journal = Journal(MemorySink())
    kernel = Kernel(clock, [Instrument("X", 1, 1)], {}, journal)
    adapter = FakeAdapter(log)
    kernel.venues["v"] = adapter
    kernel.add_strategy(Buyer())

    def commit():
        log.append(f"commit {journal.pending}")
        journal.flush()

    runner = LiveRunner(
        kernel, clock, [adapter], commit=commit, run_for_s=0.5, cancel_on_exit=True, grace_s=0.2
    )

    async def main():
        task = asyncio.ensure_future(runner.run())
        await asyncio.sleep(0.05)
        await runner.emit(QuoteTick("X", 10, 11, 1, 1, 0, 0))
        await task

    asyncio.run(main())
    first_send = next(i for i, x in enumerate(log) if x.startswith("sent b-1"))
    assert any(x.startswith("commit") and x != "commit 0" for x in log[:first_send])
    assert "sent cancel b-1" in log  # shutdown canceled it, as an operator action
    order = kernel.oms.get("b-1")
    assert order.status == OrderStatus.PENDING_CANCEL
    assert kernel.risk.state == TradingState.HALTED


@pytest.mark.timeout(20)
def test_runner_operator_actions_are_journaled_inputs():
    clock = LiveClock()
    sink = MemorySink()
    journal = Journal(sink)
    kernel = Kernel(clock, [Instrument("X", 1, 1)], {}, journal)
    runner = LiveRunner(kernel, clock, [], commit=journal.flush, run_for_s=0.05)
    asyncio.run(runner.run())
    from kernel.codec import IN, decode
    from kernel.journal import read_records

    journal.flush()
    inputs = [decode(r)[1] for r in read_records(sink.blocks) if r[0] == IN]
    assert [type(e).__name__ for e in inputs] == ["OperatorAction"]
    assert inputs[0].action == "halt" and inputs[0].reason == "SHUTDOWN:RUN_FOR_ELAPSED"


@pytest.mark.timeout(20)
def test_runner_fires_kernel_timers_on_the_wall_clock():
    clock = LiveClock()
    kernel = Kernel(clock, [Instrument("X", 1, 1)], {}, None)
    fired = []

    class T(Strategy):
        strategy_id = "t"

        def on_start(self):
            self.ctx.set_timer_in(50_000_000, "soon")

        def on_timer(self, timer):
            fired.append(clock.now_ns() - timer.ts_event)

    kernel.add_strategy(T())
    asyncio.run(LiveRunner(kernel, clock, [], run_for_s=0.3).run())
    assert len(fired) == 1 and 0 <= fired[0] < 200_000_000


@pytest.mark.timeout(60)
def test_live_process_shuts_down_cleanly_on_sigterm(tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    exe = Path(sys.executable).with_name("executioncore")
    proc = subprocess.Popen(
        [
            str(exe),
            "live",
            "--config",
            str(write_config(tmp_path)),
            "--orders",
            str(write_orders(tmp_path)),
            "--run-for",
            "60s",
            "--out",
            str(tmp_path / "run"),
            "--json",
            "--fresh",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["live"]["stop"] == "SIGTERM"
    assert summary["trading_state"] == "HALTED"
    assert summary["cancels"] == 1  # the resting sell, canceled on the way out
    assert replay(tmp_path / "run").ok


@pytest.mark.timeout(60)
def test_live_algo_order_uses_execution_defaults_reports_tca_and_replays(tmp_path):
    cfg = write_config(
        tmp_path,
        execution={"default_algo": "twap", "algos": {"twap": {"duration": "2s", "slices": 4}}},
    )
    orders = tmp_path / "orders.yaml"
    orders.write_text(
        yaml.safe_dump(
            {
                "orders": [
                    {
                        "at": "+0.2s",
                        "id": "p",
                        "symbol": "USDJPY",
                        "side": "buy",
                        "quantity": 40000,
                        "type": "market",
                        "algo": {},
                    },
                ]
            }
        )
    )
    result = live_command(cfg, orders, "3s", False, tmp_path / "run", True)
    tca = result.summary["tca"]
    assert len(tca) == 1 and tca[0]["algo"] == "twap" and tca[0]["children"] == 4
    assert result.summary["positions"] == {"USDJPY": 40000}
    assert replay(tmp_path / "run").ok
