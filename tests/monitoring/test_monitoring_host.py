"""MonitoringHost around a kernel with its monitor: the kernel's alerts reach the sinks their
rules name (the listener only queues), the heartbeat pings, ``stop()`` flushes within its bound,
``log_all_orders``, and the dashboard hook (present, or not built yet)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
import types

import pytest
from monitoring_helpers import RULES, Receiver, Session, alert, fake_monitor, free_port, until

from kernel.enums import Side
from live.monitoring.host import MonitoringHost

pytestmark = [pytest.mark.network, pytest.mark.timeout(20)]

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05}


def routed_rules() -> list[dict]:
    # deep_dd to the file only, halted to the webhook only; the built-ins to every sink
    return [dict(RULES[0], sinks=["file"]), dict(RULES[1], sinks=["webhook"])]


def test_the_kernels_alerts_reach_their_sinks_and_stop_flushes_them(tmp_path, caplog):
    path = tmp_path / "alerts.jsonl"
    s = Session()

    async def main():
        async with Receiver(statuses=[500, 200]) as hook, Receiver() as ping:
            cfg = {
                "heartbeat_interval": 0.05,
                "heartbeat_url": f"{ping.url}/ping/UUID-SECRET",
                "alerts": routed_rules(),
                "sinks": {"file": {"path": str(path)}, "webhook": {"url": f"{hook.url}/T/SECRET"}},
            }
            host = MonitoringHost(cfg, s.kernel, sink_options=FAST)
            await host.start()
            assert s.monitor is not None and host.on_alert in s.monitor.listeners
            t0 = time.perf_counter()
            s.drive()  # a rejection (built-in), then b goes down: risk_state REDUCING
            s.kernel.set_trading_state(s.kernel.risk.state.HALTED, "TEST")
            took = time.perf_counter() - t0
            assert await until(lambda: len(ping.requests) >= 2)
            await host.stop()
            assert host.on_alert not in s.monitor.listeners
            return took, hook.requests, ping.requests, host

    with caplog.at_level(logging.WARNING):
        took, hooks, pings, host = asyncio.run(main())
    assert took < 0.2  # the kernel only queued
    fired = [(a.rule, a.state) for a in s.monitor.alerts]
    assert ("rejection", "firing") in fired and ("halted", "firing") in fired
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["rule"], r["state"]) for r in rows] == [f for f in fired if f[0] != "halted"]
    assert rows[0] == s.monitor.alerts[0].as_dict()
    posted = [(r["json"]["rule"], r["json"]["state"]) for r in hooks[1:]]  # the 500 retried
    assert posted == fired and hooks[0]["json"] == hooks[1]["json"]
    assert host.heartbeat_missed == 0 and all(r["method"] == "GET" for r in pings)
    assert "SECRET" not in caplog.text


def test_stop_is_bounded_when_a_sink_hangs(tmp_path):
    s = Session(monitor=False)
    s.kernel.monitor = fake_monitor()

    async def main():
        async with Receiver(delay_s=1.5) as hook:
            host = MonitoringHost(
                {"sinks": {"webhook": {"url": f"{hook.url}/h"}}},
                s.kernel,
                sink_options=FAST,
                flush_timeout_s=0.3,
            )
            await host.start()
            for i in range(3):
                for listener in list(s.kernel.monitor.listeners):
                    listener(alert(f"r{i}"))
            t0 = time.perf_counter()
            await host.stop()
            return time.perf_counter() - t0, host

    took, host = asyncio.run(main())
    assert took < 1.0 and host.router.sinks["webhook"].dropped == 3


def test_an_alert_from_another_thread_is_handed_to_the_loop(tmp_path):
    path = tmp_path / "a.jsonl"
    s = Session(monitor=False)
    s.kernel.monitor = fake_monitor()

    async def main():
        host = MonitoringHost({"sinks": {"file": {"path": str(path)}}}, s.kernel)
        await host.start()
        thread = threading.Thread(target=host.on_alert, args=(alert("from_thread"),))
        thread.start()
        thread.join()
        assert await until(lambda: host.router.sinks["file"].sent == 1)
        await host.stop()

    asyncio.run(main())
    assert json.loads(path.read_text())["rule"] == "from_thread"


def test_missed_heartbeats_are_counted_and_reported_as_they_happen(caplog):
    s = Session(monitor=False)
    told: list[int] = []

    async def main():
        host = MonitoringHost(
            {"heartbeat_interval": 0.05, "heartbeat_url": f"http://127.0.0.1:{free_port()}/x"},
            s.kernel,
        )
        host.on_heartbeat_missed = told.append
        await host.start()
        assert await until(lambda: host.heartbeat_missed >= 2, 5.0)
        await host.stop()
        return host

    with caplog.at_level(logging.INFO, logger="executioncore.heartbeat"):
        host = asyncio.run(main())
    assert told[:2] == [1, 2] and host.heartbeat.missed_total >= 2
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("heartbeat 1"))
    assert "state=ACTIVE equity=100000.00" in line and "brokers=a:up,b:up" in line


def test_log_all_orders_logs_every_order_event(caplog):
    s = Session()

    async def main():
        host = MonitoringHost({"log_all_orders": True}, s.kernel)
        await host.start()
        s.drive()
        await asyncio.sleep(0)
        await host.stop()

    with caplog.at_level(logging.INFO, logger="executioncore.orders"):
        asyncio.run(main())
    lines = [r.getMessage() for r in caplog.records if r.name == "executioncore.orders"]
    assert "ORDER s-1 a X BUY LIMIT 10 @ 100 accepted 0 (OrderAccepted)" in lines
    assert "ORDER s-3 b Y BUY LIMIT 1.5 @ 20 filled 1.5 (OrderFilled)" in lines
    assert any(line.endswith("rejected 0 (OrderRejected)") for line in lines)


def test_the_dashboard_starts_with_the_host_and_closes_with_it(monkeypatch):
    s = Session(monitor=False)
    calls = []

    class Handle:
        url = "http://127.0.0.1:9999/"
        closed = False

        async def close(self):
            Handle.closed = True

    async def start_dashboard(cfg, kernel, runner, adapters):
        calls.append((cfg, kernel, runner, adapters))
        return Handle()

    fake = types.ModuleType("live.dashboard.server")
    fake.start_dashboard = start_dashboard  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "live.dashboard.server", fake)
    runner, adapters = object(), [types.SimpleNamespace(name="a")]
    dash = {"port": 0, "token": "***"}

    async def main():
        host = MonitoringHost({"dashboard": dash}, s.kernel, adapters, runner)
        await host.start()
        url = host.dashboard_url
        await host.stop()
        return url, host

    url, host = asyncio.run(main())
    assert url == Handle.url and Handle.closed and host.dashboard_url is None
    assert calls == [(dash, s.kernel, runner, adapters)]


def test_a_dashboard_not_built_yet_is_a_warning_not_a_failure(monkeypatch, caplog):
    s = Session(monitor=False)
    monkeypatch.setitem(sys.modules, "live.dashboard.server", None)  # import fails

    async def main():
        host = MonitoringHost({"dashboard": {"port": 0, "token": "t"}}, s.kernel)
        await host.start()
        url = host.dashboard_url
        await host.stop()
        return url

    with caplog.at_level(logging.WARNING):
        assert asyncio.run(main()) is None
    assert "dashboard is not available" in caplog.text


def test_a_host_without_monitoring_config_logs_alerts_and_heartbeats():
    s = Session()

    async def main():
        host = MonitoringHost(None, s.kernel)
        await host.start()
        assert host.metrics_url is None and list(host.router.sinks) == ["log"]
        assert host.heartbeat.interval_s == 60.0 and host.heartbeat.ticks == 0
        await asyncio.sleep(0.01)
        ticks = host.heartbeat.ticks
        s.strategy.ctx.limit("X", Side.BUY, 1, 1)
        await host.stop()
        await host.stop()  # twice is harmless
        return ticks

    assert asyncio.run(main()) == 1  # the first heartbeat at once


def test_the_real_dashboard_starts_behind_its_token():
    pytest.importorskip("live.dashboard.server")
    import aiohttp

    s = Session()

    async def main():
        host = MonitoringHost({"dashboard": {"port": 0, "token": "tok"}}, s.kernel, [], None)
        await host.start()
        try:
            url = host.dashboard_url
            assert url is not None and url.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as http:
                async with http.get(url + "api/state") as resp:
                    denied = resp.status
                headers = {"Authorization": "Bearer tok"}
                async with http.get(url + "api/state", headers=headers) as resp:
                    return denied, resp.status, await resp.json()
        finally:
            await host.stop()

    denied, ok, state = asyncio.run(main())
    assert (denied, ok) == (401, 200) and state["trading_state"] in ("ACTIVE", "active")
