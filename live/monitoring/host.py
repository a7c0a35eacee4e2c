"""The monitoring host of a live or paper session: alert sinks, heartbeat, metrics, dashboard.

``MonitoringHost(cfg, kernel, adapters, runner)`` takes the checked ``monitoring:`` mapping
(``executioncore.config_monitoring``). ``await start()`` on the session's loop subscribes to the
kernel's alerts (``kernel.monitor.listeners``: the listener only queues, so the kernel never
waits on I/O), starts a worker per sink, the heartbeat, the ``/metrics`` server when
``metrics`` is set and the dashboard when ``dashboard`` is set; ``await stop()`` after the run
delivers the queued alerts (bounded by ``flush_timeout_s``) and closes everything.

The kernel's ``heartbeat_missed`` alert rule reads ``host.heartbeat_missed`` (pings missed in
a row); ``on_heartbeat_missed`` (a callable taking that count, set by the session) is told each
missed ping as it happens. With ``log_all_orders``, every order event the kernel applies is
logged (``executioncore.orders``), queued the same way as the alerts. ``metrics_url`` and
``dashboard_url`` say where they listen (None when not set).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from live.monitoring.heartbeat import Heartbeat
from live.monitoring.metrics import KernelCollector, KernelView, MetricsServer, make_registry
from live.monitoring.sinks import AlertRouter

log = logging.getLogger("executioncore.monitoring")
order_log = logging.getLogger("executioncore.orders")
ORDER_LOG_QUEUE = 10_000


def order_line(order: Any, event: Any, instruments: dict[str, Any]) -> str:
    """``script-1 alpaca AAPL BUY LIMIT 10 @ 150.25 filled 10 (OrderFilled)``."""

    def name(value: Any) -> str:
        return str(getattr(value, "name", value))

    inst = instruments.get(order.symbol)
    qty: Any = order.quantity
    filled: Any = order.filled_lots
    price = ""
    if inst is not None:
        qty, filled = inst.lots_to_qty(qty), inst.lots_to_qty(filled)
        if order.limit_ticks is not None:
            price = f" @ {inst.ticks_to_price(order.limit_ticks)}"
    return (
        f"{order.client_order_id} {order.venue or '-'} {order.symbol} {name(order.side)} "
        f"{name(order.order_type)} {qty}{price} {name(order.status).lower()} {filled} "
        f"({type(event).__name__})"
    )


class MonitoringError(Exception):
    """What ``monitoring:`` asks for cannot be served (a metrics port in use, prometheus_client
    not installed)."""


class MonitoringHost:
    """Sinks, heartbeat, metrics and dashboard around one kernel (see the module's note).

    ``sink_options`` go to every sink (queue_size, attempts, retry_base_s, retry_max_s,
    timeout_s); ``heartbeat_method`` is GET or POST; ``flush_timeout_s`` bounds ``stop()``."""

    def __init__(
        self,
        cfg: dict[str, Any] | None,
        kernel: Any,
        adapters: list[Any] | tuple[Any, ...] = (),
        runner: Any = None,
        *,
        sink_options: dict[str, Any] | None = None,
        heartbeat_method: str = "GET",
        flush_timeout_s: float = 5.0,
    ) -> None:
        self.cfg = dict(cfg or {})
        self.kernel = kernel
        self.adapters = list(adapters)
        self.runner = runner
        self.flush_timeout_s = flush_timeout_s
        self.rules = list(self.cfg.get("alerts") or ())
        self.router = AlertRouter(self.cfg.get("sinks"), self.rules, **(sink_options or {}))
        self.view = KernelView(kernel, self.adapters)
        self.on_heartbeat_missed: Any = None  # set by the session: told each missed ping
        self.heartbeat = Heartbeat(
            self.cfg.get("heartbeat_interval"),
            self.cfg.get("heartbeat_url"),
            describe=self.status_line,
            on_missed=self._heartbeat_missed,
            method=heartbeat_method,
        )
        self.order_lines: asyncio.Queue[str] | None = None
        self.order_lines_dropped = 0
        self._order_task: asyncio.Task[None] | None = None
        self.metrics: MetricsServer | None = None
        self.dashboard: Any = None
        self.alerts_seen = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._listening: Any = None  # the monitor whose listeners hold ours
        self._started = False

    # --- what the kernel and the session read ----------------------------------------------------
    @property
    def heartbeat_missed(self) -> int:
        """Heartbeat pings missed in a row (0 once one is answered again)."""
        return self.heartbeat.missed

    @property
    def metrics_url(self) -> str | None:
        return None if self.metrics is None else self.metrics.url

    @property
    def dashboard_url(self) -> str | None:
        return getattr(self.dashboard, "url", None)

    def status_line(self) -> str:
        """The heartbeat's log line: trading state, equity, open orders, brokers."""
        v = self.view
        equity, realized, unrealized = v.money()
        oms = getattr(self.kernel, "oms", None)
        open_orders = len(oms.open_orders()) if oms is not None else 0
        brokers = ",".join(f"{b}:{'up' if up else 'down'}" for b, up in v.brokers().items())
        return (
            f"state={v.trading_state()} equity={equity:.2f} realized={realized:.2f} "
            f"unrealized={unrealized:.2f} open_orders={open_orders} brokers={brokers or '-'}"
        )

    # --- alerts ----------------------------------------------------------------------------------
    def on_alert(self, alert: Any) -> None:
        """The kernel's listener: queue ``alert`` on its sinks and return at once (from
        another thread than the loop's, it is handed over to the loop)."""
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._thread:
            self._dispatch(alert)
        else:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._dispatch, alert)

    def _dispatch(self, alert: Any) -> None:
        self.alerts_seen += 1
        self.router.dispatch(alert)

    def _heartbeat_missed(self, in_a_row: int) -> None:
        if self.on_heartbeat_missed is not None:
            self.on_heartbeat_missed(in_a_row)

    # --- log_all_orders --------------------------------------------------------------------------
    def on_order(self, order: Any, event: Any) -> None:
        """The kernel's order listener (``log_all_orders``): format one line and queue it."""
        loop = self._loop
        if self.order_lines is None or loop is None:
            return
        try:
            line = order_line(order, event, self.kernel.instruments)
        except Exception:  # why: a log line must never break the kernel
            return
        if threading.get_ident() == self._thread:
            self._queue_order_line(line)
        else:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._queue_order_line, line)

    def _queue_order_line(self, line: str) -> None:
        queue = self.order_lines
        if queue is None:
            return
        if queue.full():
            queue.get_nowait()
            self.order_lines_dropped += 1
        queue.put_nowait(line)

    async def _log_orders(self) -> None:
        assert self.order_lines is not None
        while True:
            order_log.info("ORDER %s", await self.order_lines.get())

    def _flush_order_lines(self) -> None:
        queue = self.order_lines
        while queue is not None and not queue.empty():
            order_log.info("ORDER %s", queue.get_nowait())
        if self.order_lines_dropped:
            log.warning("log_all_orders: %d order lines dropped", self.order_lines_dropped)

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.router.start()
        monitor = getattr(self.kernel, "monitor", None)
        self._listening = monitor
        listeners = getattr(monitor, "listeners", None)
        if listeners is not None:
            listeners.append(self.on_alert)
        if self.cfg.get("log_all_orders"):
            self.order_lines = asyncio.Queue(ORDER_LOG_QUEUE)
            self._order_task = self._loop.create_task(self._log_orders(), name="order-log")
            order_listeners = getattr(monitor, "order_listeners", None)
            if order_listeners is not None:
                order_listeners.append(self.on_order)
            else:
                log.warning("log_all_orders: the kernel has no monitor to report order events")
        self._started = True
        try:
            if self.cfg.get("metrics") is not None:
                await self._start_metrics(int(self.cfg["metrics"].get("port", 0)))
            self.heartbeat.start()
            if self.cfg.get("dashboard"):
                await self._start_dashboard()
        except BaseException:
            await self.stop()
            raise
        log.info(
            "monitoring: sinks %s, heartbeat every %g s%s%s%s",
            ", ".join(s.describe() for s in self.router.sinks.values()),
            self.heartbeat.interval_s,
            f" pinging {self.heartbeat.url}" if self.heartbeat.url else "",
            f", metrics on {self.metrics_url}" if self.metrics_url else "",
            f", dashboard on {self.dashboard_url}" if self.dashboard_url else "",
        )

    async def _start_metrics(self, port: int) -> None:
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            raise MonitoringError(
                "monitoring.metrics needs prometheus_client: pip install 'executioncore[live]'"
            ) from None
        sinks = list(self.router.sinks.values())
        collector = KernelCollector(
            self.view,
            heartbeat=lambda: (self.heartbeat.last_ts, self.heartbeat.missed),
            dropped=lambda: {s.kind: s.dropped for s in sinks},
            rules=[str(r["name"]) for r in self.rules if "name" in r],
        )
        server = MetricsServer(make_registry(collector), port)
        try:
            await server.start()
        except OSError as exc:
            raise MonitoringError(
                f"monitoring.metrics: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}"
            ) from None
        self.metrics = server

    async def _start_dashboard(self) -> None:
        try:
            from live.dashboard.server import start_dashboard  # type: ignore[import-not-found]
        except ImportError as exc:
            log.warning("monitoring.dashboard is set but the dashboard is not available: %s", exc)
            return
        self.dashboard = await start_dashboard(
            self.cfg["dashboard"], self.kernel, self.runner, self.adapters
        )

    async def stop(self) -> None:
        """Stop listening, close the dashboard and the heartbeat, deliver the queued alerts
        (within ``flush_timeout_s``), then close the metrics server."""
        if not self._started:
            return
        self._started = False
        monitor, self._listening = self._listening, None
        if monitor is not None:
            with contextlib.suppress(ValueError, AttributeError):
                monitor.listeners.remove(self.on_alert)
            with contextlib.suppress(ValueError, AttributeError):
                monitor.order_listeners.remove(self.on_order)
        if self._order_task is not None:
            self._order_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._order_task
            self._order_task = None
            self._flush_order_lines()
        if self.dashboard is not None:
            dashboard, self.dashboard = self.dashboard, None
            try:
                await asyncio.wait_for(dashboard.close(), self.flush_timeout_s)
            except Exception as exc:
                log.warning("monitoring: the dashboard did not close cleanly: %r", exc)
        await self.heartbeat.stop()
        await self.router.close(self.flush_timeout_s)
        if self.metrics is not None:
            await self.metrics.close()
            self.metrics = None
        self._loop = None
