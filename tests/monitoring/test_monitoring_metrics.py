"""``/metrics``: a kernel driven by hand (two recording venues, the kernel's own monitor), the
metrics server scraped over HTTP and parsed with prometheus_client's parser: every contract
name with its labels, and values equal to the kernel's at scrape time."""

from __future__ import annotations

import asyncio

import aiohttp
import prometheus_client
import pytest
from monitoring_helpers import RULES, Session, free_port
from prometheus_client.parser import text_string_to_metric_families

from kernel.enums import Side, TradingState
from kernel.kernel import Kernel
from kernel.monitor import Monitor
from live.monitoring.host import MonitoringError, MonitoringHost
from live.monitoring.metrics import MONEY_SCALE, KernelCollector, KernelView, make_registry

pytestmark = [pytest.mark.network, pytest.mark.timeout(20)]

CONTRACT = {  # sample name -> its labels (CONTRACT.md "Monitoring")
    "executioncore_orders_total": {"broker", "status"},
    "executioncore_fills_total": {"broker"},
    "executioncore_equity": set(),
    "executioncore_realized_pnl": set(),
    "executioncore_unrealized_pnl": set(),
    "executioncore_position": {"symbol"},
    "executioncore_broker_connected": {"broker"},
    "executioncore_trading_state": set(),
    "executioncore_heartbeat_timestamp_seconds": set(),
    "executioncore_alerts_total": {"rule"},
}


async def scrape(url: str) -> dict[str, dict[tuple, float]]:
    """``{sample name: {sorted label items: value}}`` of one scrape."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        out.setdefault(family.name, {})  # a family with no sample yet still shows its name
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def expected(k: Kernel, m: Monitor) -> dict[str, dict[tuple, float]]:
    pf = k.portfolio
    return {
        "executioncore_orders_total": {
            (("broker", v), ("status", s)): n for (v, s), n in m.order_counts.items()
        },
        "executioncore_fills_total": {(("broker", v),): n for v, n in m.fill_counts.items()},
        "executioncore_equity": {(): pf.equity("USD") / MONEY_SCALE},
        "executioncore_realized_pnl": {(): pf.realized["USD"] / MONEY_SCALE},
        "executioncore_unrealized_pnl": {(): pf.unrealized_total("USD") / MONEY_SCALE},
        "executioncore_position": {
            (("symbol", s),): k.instruments[s].lots_to_float(pf.positions[s].qty)
            for s in ("X", "Y")
        },
        "executioncore_broker_connected": {
            (("broker", "a"),): 1.0,
            (("broker", "b"),): 0.0 if "b" in k.guard.disconnected else 1.0,
        },
        "executioncore_trading_state": {(): {1: 0, 2: 1, 3: 2}[int(k.risk.state)]},
        "executioncore_alerts_total": {
            (("rule", r),): n for r, n in ({"deep_dd": 0, "halted": 0} | m.alert_counts).items()
        },
    }


def test_metrics_scraped_over_http_carry_every_contract_name_and_the_kernels_values():
    s = Session()
    s.drive()
    k, m = s.kernel, s.monitor
    assert m is not None
    assert m.fill_counts == {"a": 3, "b": 1} and m.alert_counts.get("rejection") == 1
    assert k.guard.disconnected == {"b"}

    async def main():
        host = MonitoringHost(
            {"metrics": {"port": 0}, "heartbeat_interval": 30.0, "alerts": RULES}, k, runner=None
        )
        await host.start()
        try:
            assert host.metrics_url is not None
            assert host.metrics_url.startswith("http://127.0.0.1:")
            first = await scrape(host.metrics_url)
            # the kernel moves on; the next scrape reads it again (no per-event cost)
            # REDUCING (b is down): a sell that reduces X goes through
            oid = s.strategy.ctx.limit("X", Side.SELL, 2, 10_090).client_order_id
            s.fill(oid, "X", -1, 10_090, 2)
            k.set_trading_state(TradingState.HALTED, "TEST")
            second = await scrape(host.metrics_url)
            return first, second, host.heartbeat.last_ts
        finally:
            await host.stop()

    first, second, beat = asyncio.run(main())
    for metrics in (first, second):
        for name, labels in CONTRACT.items():
            assert name in metrics, name
            for key in metrics[name]:
                assert {label for label, _ in key} == labels, (name, key)
    assert first["executioncore_heartbeat_timestamp_seconds"] == {(): beat}
    assert first["executioncore_broker_connected"][(("broker", "b"),)] == 0.0
    assert first["executioncore_position"] == {(("symbol", "X"),): 6.0, (("symbol", "Y"),): 1.5}
    assert first["executioncore_fills_total"] == {(("broker", "a"),): 3, (("broker", "b"),): 1}
    assert first["executioncore_alerts_total"][(("rule", "rejection"),)] == 1
    assert second["executioncore_trading_state"] == {(): 2.0}
    assert second["executioncore_alerts_total"][(("rule", "halted"),)] == 1
    assert second["executioncore_fills_total"][(("broker", "a"),)] == 4
    assert second["executioncore_position"][(("symbol", "X"),)] == 4.0
    for name, values in expected(k, m).items():
        assert second[name] == pytest.approx(values), name
    assert first["executioncore_equity"] != second["executioncore_equity"]


def test_without_the_monitor_the_order_manager_gives_the_same_counts():
    s = Session()
    s.drive()
    m = s.monitor
    assert m is not None
    with_monitor = KernelView(s.kernel)
    s.kernel.monitor = None
    from_oms = KernelView(s.kernel)
    counted = {key: n for key, n in m.order_counts.items() if n}
    oms = from_oms.order_counts()
    assert oms == counted  # an order sent and not yet acknowledged counts too
    assert from_oms.fill_counts() == m.fill_counts == with_monitor.fill_counts()


def test_the_monitor_counts_an_order_submitted_and_not_yet_acknowledged():
    s = Session()
    s.strategy.ctx.limit("X", Side.BUY, 1, 9_000)
    assert s.monitor is not None
    assert s.monitor.order_counts.get(("a", "submitted")) == 1


def test_metrics_without_a_monitor_count_orders_and_fills_from_the_order_manager():
    s = Session(monitor=False)
    s.drive()
    registry = make_registry(KernelCollector(KernelView(s.kernel)))
    value = registry.get_sample_value
    assert value("executioncore_orders_total", {"broker": "a", "status": "filled"}) == 2
    assert value("executioncore_orders_total", {"broker": "a", "status": "rejected"}) == 1
    assert value("executioncore_orders_total", {"broker": "a", "status": "submitted"}) == 1
    assert value("executioncore_orders_total", {"broker": "b", "status": "filled"}) == 1
    assert value("executioncore_fills_total", {"broker": "a"}) == 3
    assert value("executioncore_trading_state") == 1  # b down: REDUCING
    assert value("executioncore_heartbeat_timestamp_seconds") is None  # no heartbeat here
    assert value("executioncore_equity") == s.kernel.portfolio.equity() / MONEY_SCALE
    # its own registry: nothing lands in prometheus_client's process-wide one
    assert prometheus_client.REGISTRY.get_sample_value("executioncore_equity") is None


def test_a_metrics_port_in_use_is_a_monitoring_error():
    s = Session(monitor=False)

    async def main():
        first = MonitoringHost({"metrics": {"port": free_port()}}, s.kernel)
        await first.start()
        try:
            port = int(first.metrics_url.rsplit(":", 1)[1].split("/")[0])
            second = MonitoringHost({"metrics": {"port": port}}, s.kernel)
            with pytest.raises(MonitoringError, match=f"127.0.0.1:{port}"):
                await second.start()
            assert second.metrics_url is None and second.heartbeat._task is None
        finally:
            await first.stop()
        assert first.metrics_url is None

    asyncio.run(main())


def test_only_metrics_is_served():
    s = Session(monitor=False)

    async def main():
        host = MonitoringHost({"metrics": {"port": 0}}, s.kernel)
        await host.start()
        try:
            base = host.metrics_url.removesuffix("/metrics")
            async with aiohttp.ClientSession() as http, http.get(base + "/") as resp:
                return resp.status
        finally:
            await host.stop()

    assert asyncio.run(main()) == 404
