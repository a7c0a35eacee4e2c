"""Prometheus metrics of a live kernel (``monitoring.metrics: {port}``), read at scrape time.

``KernelCollector`` is a custom collector: every scrape reads the kernel (its monitor's counters,
the portfolio, the risk state, the brokers' connections), so the kernel pays nothing per event.
It lives in a ``CollectorRegistry`` of its own (never prometheus_client's global one), served as
Prometheus text by ``MetricsServer``: an aiohttp app on the session's own event loop, so a
scrape reads the kernel on the kernel's thread, between two of its events.

Names (CONTRACT.md "Monitoring"): ``executioncore_orders_total{broker,status}`` (orders by their
current status: a gauge, since an order moves between statuses), ``executioncore_fills_total
{broker}``, ``executioncore_equity``, ``executioncore_realized_pnl``,
``executioncore_unrealized_pnl`` (account currency), ``executioncore_position{symbol}`` (in the
instrument's quantity), ``executioncore_broker_connected{broker}`` (1 or 0),
``executioncore_trading_state`` (0 active, 1 reducing, 2 halted),
``executioncore_heartbeat_timestamp_seconds`` and ``executioncore_alerts_total{rule}``. Beside
them: ``executioncore_drawdown``, ``executioncore_heartbeat_missed`` and
``executioncore_alert_sink_dropped_total{sink}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("executioncore.monitoring")

MONEY_SCALE = 10**9  # kernel money units per unit of currency (kernel.units.MONEY_SCALE)
TRADING_STATE_VALUES = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}


def status_label(status: Any) -> str:
    """An order status as a label value: ``PARTIALLY_FILLED`` -> ``partially_filled``."""
    name = getattr(status, "name", None)
    return str(name if name is not None else status).lower()


class KernelView:
    """The numbers the metrics (and the heartbeat's log line) show, read from a kernel that
    may lack any part (``kernel.monitor`` None until the monitoring layer is installed)."""

    def __init__(self, kernel: Any, adapters: list[Any] | tuple[Any, ...] = ()) -> None:
        self.kernel = kernel
        self.adapters = list(adapters)

    @property
    def monitor(self) -> Any:
        return getattr(self.kernel, "monitor", None)

    def order_counts(self) -> dict[tuple[str, str], int]:
        counts = getattr(self.monitor, "order_counts", None)
        out: dict[tuple[str, str], int] = {}
        if counts is not None:
            for (venue, status), n in list(counts.items()):
                key = (str(venue), status_label(status))
                out[key] = out.get(key, 0) + int(n)
            return out
        oms = getattr(self.kernel, "oms", None)
        for order in list(getattr(oms, "orders", {}).values()):
            key = (str(order.venue), status_label(order.status))
            out[key] = out.get(key, 0) + 1
        return out

    def fill_counts(self) -> dict[str, int]:
        counts = getattr(self.monitor, "fill_counts", None)
        if counts is not None:
            return {str(v): int(n) for v, n in list(counts.items())}
        out: dict[str, int] = {}
        oms = getattr(self.kernel, "oms", None)
        for order in list(getattr(oms, "orders", {}).values()):
            n = len(getattr(order, "_trade_ids", None) or ())
            if n:
                out[str(order.venue)] = out.get(str(order.venue), 0) + n
        return out

    def alert_counts(self) -> dict[str, int]:
        counts = getattr(self.monitor, "alert_counts", None) or {}
        return {str(r): int(n) for r, n in list(counts.items())}

    def drawdown(self) -> float | None:
        value = getattr(self.monitor, "drawdown", None)
        return None if value is None else float(value)

    def brokers(self) -> dict[str, bool]:
        """``{broker: connected}`` over the kernel's venues and the session's adapters."""
        names = list(getattr(self.kernel, "venues", None) or ())
        names += [a.name for a in self.adapters if getattr(a, "name", None) not in names]
        guard = getattr(self.kernel, "guard", None)
        down = getattr(guard, "disconnected", None) or set()
        return {str(n): n not in down for n in names}

    def trading_state(self) -> str:
        risk = getattr(self.kernel, "risk", None)
        state = getattr(risk, "state", None)
        return str(getattr(state, "name", state) or "ACTIVE")

    def money(self) -> tuple[float, float, float]:
        """``(equity, realized, unrealized)`` in the account currency, as the summary shows
        them (several currencies: each converted at its latest known rate)."""
        pf = self.kernel.portfolio
        cur = pf.currency
        if getattr(pf, "multi_currency", False):
            assets = pf.assets()
            realized = pf.converted(dict(pf.realized))
            unrealized = pf.converted({c: pf.unrealized_total(c) for c in assets})
            equity = pf.equity()
        else:
            realized = pf.realized.get(cur, 0)
            unrealized = pf.unrealized_total(cur)
            equity = pf.equity(cur)
        return equity / MONEY_SCALE, realized / MONEY_SCALE, unrealized / MONEY_SCALE

    def positions(self) -> dict[str, float]:
        """``{symbol: quantity}`` for every instrument (a spot pair: what it holds)."""
        pf = self.kernel.portfolio
        out: dict[str, float] = {}
        for sym, inst in list(self.kernel.instruments.items()):
            if getattr(inst, "base", None) is not None and hasattr(pf, "held"):
                out[sym] = float(pf.held(sym)) / MONEY_SCALE
                continue
            pos = pf.positions.get(sym)
            out[sym] = inst.lots_to_float(pos.qty) if pos is not None else 0.0
        return out


class KernelCollector:
    """A prometheus_client collector over a ``KernelView``; ``heartbeat`` is a callable
    returning ``(last_timestamp_or_None, missed)``, ``dropped`` one returning
    ``{sink: alerts dropped}``; ``rules`` are the configured alert names (shown at 0 until they
    fire, so the series exist from the start)."""

    def __init__(
        self,
        view: KernelView,
        *,
        heartbeat: Callable[[], tuple[float | None, int]] | None = None,
        dropped: Callable[[], dict[str, int]] | None = None,
        rules: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.view = view
        self.heartbeat = heartbeat
        self.dropped = dropped
        self.rules = list(rules)

    def describe(self) -> list[Any]:
        return []  # why: nothing to read at registration; every family comes from collect()

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        v = self.view
        orders = GaugeMetricFamily(
            "executioncore_orders_total",
            "Orders by broker and current status",
            labels=["broker", "status"],
        )
        for (broker, status), n in sorted(v.order_counts().items()):
            orders.add_metric([broker, status], n)
        yield orders

        fills = CounterMetricFamily(
            "executioncore_fills", "Fills received, by broker", labels=["broker"]
        )
        for broker, n in sorted(v.fill_counts().items()):
            fills.add_metric([broker], n)
        yield fills

        equity, realized, unrealized = v.money()
        yield GaugeMetricFamily("executioncore_equity", "Account equity", value=equity)
        yield GaugeMetricFamily("executioncore_realized_pnl", "Realized P&L", value=realized)
        yield GaugeMetricFamily(
            "executioncore_unrealized_pnl", "Unrealized P&L at the marks", value=unrealized
        )

        position = GaugeMetricFamily(
            "executioncore_position", "Net position by symbol", labels=["symbol"]
        )
        for sym, qty in sorted(v.positions().items()):
            position.add_metric([sym], qty)
        yield position

        connected = GaugeMetricFamily(
            "executioncore_broker_connected",
            "1 when the broker is connected and reconciled",
            labels=["broker"],
        )
        for broker, up in sorted(v.brokers().items()):
            connected.add_metric([broker], 1.0 if up else 0.0)
        yield connected

        yield GaugeMetricFamily(
            "executioncore_trading_state",
            "Trading state: 0 active, 1 reducing, 2 halted",
            value=TRADING_STATE_VALUES.get(v.trading_state().upper(), 2),
        )

        beat = GaugeMetricFamily(
            "executioncore_heartbeat_timestamp_seconds",
            "Unix time of the last heartbeat",
        )
        missed = 0
        if self.heartbeat is not None:
            last, missed = self.heartbeat()
            if last is not None:
                beat.add_metric([], last)
        yield beat
        yield GaugeMetricFamily(
            "executioncore_heartbeat_missed",
            "Heartbeat pings missed in a row",
            value=missed,
        )

        alerts = CounterMetricFamily(
            "executioncore_alerts", "Alerts fired, by rule", labels=["rule"]
        )
        counts = dict.fromkeys(self.rules, 0) | v.alert_counts()
        for rule, n in sorted(counts.items()):
            alerts.add_metric([rule], n)
        yield alerts

        drawdown = v.drawdown()
        if drawdown is not None:
            yield GaugeMetricFamily(
                "executioncore_drawdown", "Drawdown from the equity peak (fraction)", drawdown
            )
        if self.dropped is not None:
            dropped = CounterMetricFamily(
                "executioncore_alert_sink_dropped",
                "Alerts a sink could not deliver",
                labels=["sink"],
            )
            for sink, n in sorted(self.dropped().items()):
                dropped.add_metric([sink], n)
            yield dropped


def make_registry(collector: KernelCollector) -> Any:
    """A registry of its own holding ``collector`` (never the process-wide default one)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


class MetricsServer:
    """``GET /metrics`` (Prometheus text) on ``host:port`` with aiohttp, on the running loop.
    ``port`` 0 takes a free one; ``url`` is where it listens once started."""

    def __init__(self, registry: Any, port: int, host: str = "127.0.0.1") -> None:
        self.registry = registry
        self.host = host
        self.port = int(port)
        self._runner: Any = None
        self.url: str | None = None
        self.scrapes = 0

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        try:
            body = generate_latest(self.registry)
        except Exception:
            log.exception("metrics: a scrape failed")
            return web.Response(status=500, text="metrics unavailable\n")
        self.scrapes += 1
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> str:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/metrics", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1] if runner.addresses else self.port
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}/metrics"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
