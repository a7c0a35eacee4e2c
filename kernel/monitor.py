"""The monitoring layer's kernel side: order tracker, P&L monitor and alert engine, one observer.

It watches the kernel without acting (no I/O, no orders): every order event, fill, notice and
venue status the kernel handles, and the marks. The same alerts therefore fire in a backtest
(journaled, in the report and the summary) as live, where the host's sinks, metrics and dashboard
read them (``listeners``, ``alerts``, the counters).

- Order tracker: ``order_counts[(venue, status)]`` (orders by their current status, read from
  the order manager when asked), ``fill_counts[venue]``; ``order_listeners`` hear every order
  event (``log_all_orders``).
- P&L monitor: ``peak_equity``, ``drawdown`` (fraction of the peak), over the kernel's equity;
  ``realized_by_venue`` (the portfolio keeps it per strategy: ``strategy_positions``).
- Alert engine: rules ``QUANTITY OP NUMBER`` (``monitoring.alerts``) and the built-ins; an alert
  fires once per episode (``Alert(state="firing")``) and says when the episode ends
  (``state="resolved"``). Each is journaled as a ``RiskEvent`` with code ``ALERT`` (a replay
  repeats it) and handed to every listener.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel.enums import OrderStatus, TradingState
from kernel.events import K_ACCEPTED, K_DENIED, K_REJECTED

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert event: ``rule`` (its name, the metrics label), ``severity`` (info, warning,
    error, critical), ``state`` (``firing`` or ``resolved``), a ``message`` without secrets,
    ``ts`` (kernel time, ns)."""

    ts: int
    rule: str
    severity: str
    state: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "ts": self.ts,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "message": self.message,
        }


AlertListener = Callable[[Alert], None]

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS
OWNER = "monitor"  # the kernel timer owner of the time-based rules
MARK_RULES = {"drawdown", "daily_loss_used"}  # evaluated as the marks move (at most once a second)
TIMED_RULES = {"disconnected_s", "no_data_s"}  # evaluated by kernel timers
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}
# built-in rules: name -> (severity, the notice codes that start an episode, that end it)
BUILT_INS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "broker_down": ("error", ("BROKER_DOWN",), ("BROKER_UP",)),
    "failover": ("warning", ("FAILOVER",), ("FAILBACK",)),
    "overfill": ("error", ("OVERFILL",), ()),
}


_STATUS_NAMES = {s: s.name.lower() for s in OrderStatus}


def _show(value: Any) -> str:
    return value.name if hasattr(value, "name") else f"{value:.6g}"


class Monitor:
    """The order tracker, P&L monitor and alert engine of one kernel (see the module note).

    ``rules``: the checked ``monitoring.alerts`` entries (``name``, ``quantity``, ``op``,
    ``value``, ``severity``); ``alert_on_rejection``: the built-in ``rejection`` rule (a reject
    or denial starts an episode, the next accepted order ends it). Built-ins always on: risk state
    changes (``risk_state``), ``broker_down`` (per broker), ``failover``, ``overfill``.
    """

    def __init__(
        self, kernel: Any, rules: list[dict[str, Any]], alert_on_rejection: bool = False
    ) -> None:
        self.k = kernel
        self.rules = [dict(r) for r in rules]
        self.alert_on_rejection = alert_on_rejection
        self.alerts: list[Alert] = []
        self.listeners: list[AlertListener] = []
        self.order_listeners: list[Callable[[Any, Any], None]] = []  # log_all_orders (host)
        self.fill_counts: dict[str, int] = {}
        self.realized_by_venue: dict[str, int] = {}  # money units, before commissions
        self.alert_counts: dict[str, int] = {}
        self.peak_equity = 0
        self.drawdown = 0.0
        self.heartbeat_missed = 0
        self._firing: set[str] = set()  # episode keys (rule, or rule:broker)
        self._rejects: deque[int] = deque()
        self._down_since: dict[str, int] = {}
        self._last_data: int | None = None
        self._next_eval = 0
        self._md_seen = 0
        self._day_ns = -1
        self._roll_day: Callable[[], None] = lambda: None
        self._timer_at: int | None = None
        # (name, quantity, comparison, operand, severity, text) per rule, read once
        self._checks = [
            (r["name"], r["quantity"], _OPS[r["op"]],
             TradingState[str(r["value"]).upper()] if r["quantity"] == "trading_state"
             else float(r["value"]),
             r.get("severity", "warning"), r.get("when", ""))
            for r in self.rules
        ]  # fmt: skip
        quantities = {r["quantity"] for r in self.rules}
        self._marks = bool(quantities & MARK_RULES)
        # the time-based quantities -> the smallest threshold (s) a rule gives them
        self._timed: dict[str, float] = {}
        for r in self.rules:
            if r["quantity"] in TIMED_RULES:
                value = float(r["value"])
                self._timed[r["quantity"]] = min(value, self._timed.get(r["quantity"], value))

    @classmethod
    def install(cls, kernel: Any, cfg: dict[str, Any]) -> Monitor:
        """Watch ``kernel`` with the ``monitoring:`` rules ``cfg`` gives (``alerts``,
        ``alert_on_rejection``); ``kernel.monitor`` is the monitor."""
        m = cls(kernel, cfg.get("alerts") or [], bool(cfg.get("alert_on_rejection")))
        kernel.monitor = m
        kernel.register_owner(OWNER, lambda event: None, m.on_timer)
        if m._marks or "no_data_s" in m._timed:
            # why: no handler per data event (the hot path): the kernel's day gate, checked on
            # every input anyway, comes here too once a second of kernel time
            m._roll_day = kernel._roll_day
            m._day_ns = kernel._next_day_ns
            kernel._roll_day = m._gate
        kernel.fill_listeners.append(m.on_fill)
        return m

    # --- what the kernel tells it -----------------------------------------------------------------
    def on_order(self, order: Any, event: Any, kind: int) -> None:
        """An order event applied (or a denial): the tracker's counts, the rejection rule."""
        if self.order_listeners:
            for listener in self.order_listeners:
                listener(order, event)
        if kind in (K_REJECTED, K_DENIED):
            now = self.k.clock.now_ns()
            self._rejects.append(now)
            if self.alert_on_rejection:
                reason = getattr(event, "reason", "")
                status = _STATUS_NAMES[order.status]
                self._start("rejection", "warning", f"{order.client_order_id} {status}: {reason}")
            self._evaluate(now)
        elif kind == K_ACCEPTED and "rejection" in self._firing:
            self._end("rejection", "warning", f"{order.client_order_id} accepted")

    @property
    def order_counts(self) -> dict[tuple[str, str], int]:
        """Orders by (venue, current status), read from the order manager when asked (a scrape,
        a dashboard refresh): nothing to keep per order event. Closed orders the manager no
        longer holds (``retain_closed``) count by the status they had when they left."""
        oms = self.k.oms
        counts: dict[tuple[str, str], int] = {}
        for order in oms.orders.values():
            key = (order.venue or "", _STATUS_NAMES[order.status])
            counts[key] = counts.get(key, 0) + 1
        for (venue, status), n in oms.evicted_counts.items():
            key = (venue, _STATUS_NAMES[OrderStatus(status)])
            counts[key] = counts.get(key, 0) + n
        return counts

    def on_fill(self, order: Any, event: Any, realized: int) -> None:
        """A fill: counted per venue (the rules on the marks look at most once a second of
        data time, ``on_data``; a fill moves equity by what the marks say anyway)."""
        venue = order.venue or ""
        self.fill_counts[venue] = self.fill_counts.get(venue, 0) + 1
        self.realized_by_venue[venue] = self.realized_by_venue.get(venue, 0) + realized

    def _gate(self) -> None:
        """The kernel's day gate (``Kernel._roll_day``), shared: the trading day rolls as before,
        and at most once a second of kernel time the rules on the marks are evaluated and the
        market data seen meanwhile noted (``no_data_s``, to the second)."""
        k = self.k
        now = k.clock.now_ns()
        if now >= self._day_ns:
            self._roll_day()
            self._day_ns = k._next_day_ns
        if now >= self._next_eval:
            self._next_eval = now + SECOND_NS
            if k.stats.md_events != self._md_seen:
                self._md_seen = k.stats.md_events
                self._last_data = now
                if "no_data_s" in self._timed and self._timer_at is None:
                    self._arm(now + self._threshold_ns("no_data_s"))
            self._evaluate(now)
        k._next_day_ns = min(self._day_ns, self._next_eval)

    def on_notice(self, code: str, detail: str) -> None:
        """A risk notice: the built-in episodes (broker down, failover, overfill) and the counts
        a host reports through the journal (``HEARTBEAT_MISSED``)."""
        for rule, (severity, starts, ends) in BUILT_INS.items():
            key = rule
            if rule == "broker_down":
                key = f"{rule}:{detail.split(':', 1)[0]}"
            if code in starts:
                self._start(key, severity, f"{code} {detail}")
            elif code in ends and key in self._firing:
                self._end(key, severity, f"{code} {detail}")
        if code == "HEARTBEAT_MISSED":
            # why: the host says how many pings in a row were missed ("monitor: 3")
            count = detail.rsplit(" ", 1)[-1]
            self.heartbeat_missed = int(count) if count.isdigit() else self.heartbeat_missed + 1
        self._evaluate(self.k.clock.now_ns())

    def on_state(self, new: Any, reason: str) -> None:
        """The trading state moved: the built-in ``risk_state`` episode (not ACTIVE)."""
        if new.name == "ACTIVE":
            if "risk_state" in self._firing:
                self._end("risk_state", "warning", f"ACTIVE ({reason})")
        else:
            self._start("risk_state", "warning", f"{new.name} ({reason})")
        self._evaluate(self.k.clock.now_ns())

    def on_status(self, venue: str, connected: bool, reconciled: bool, now: int) -> None:
        """A venue went down (until it is back and reconciled): ``disconnected_s``."""
        if not connected:
            self._down_since.setdefault(venue, now)
            if "disconnected_s" in self._timed:
                self._arm(now + self._threshold_ns("disconnected_s"))
        elif reconciled:
            self._down_since.pop(venue, None)
        self._evaluate(now)

    def on_timer(self, event: Any) -> None:
        self._timer_at = None
        now = event.ts_event
        self._evaluate(now)
        if self._down_since and "disconnected_s" in self._timed:
            self._arm(min(self._down_since.values()) + self._threshold_ns("disconnected_s"))
        if "no_data_s" in self._timed and self._last_data is not None:
            due = self._last_data + self._threshold_ns("no_data_s")
            self._arm(due if due > now else now + self._threshold_ns("no_data_s"))

    # --- the rules ----------------------------------------------------------------------------------
    def quantity(self, name: str, now: int) -> float:
        k = self.k
        if name == "drawdown":
            return self.drawdown
        if name == "daily_loss_used":
            limit = k.risk.config.daily_loss_limit
            start = k.risk.start_of_day_equity
            if not limit or not start:
                return 0.0
            return max(0.0, (start - k.portfolio.equity()) / (float(limit) * start))
        if name == "rejects_1m":
            while self._rejects and self._rejects[0] <= now - MINUTE_NS:
                self._rejects.popleft()
            return float(len(self._rejects))
        if name == "disconnected_s":
            if not self._down_since:
                return 0.0
            return (now - min(self._down_since.values())) / SECOND_NS
        if name == "no_data_s":
            return 0.0 if self._last_data is None else (now - self._last_data) / SECOND_NS
        if name == "overfills":
            return float(k.stats.overfills)
        if name == "failovers":
            return float(k.stats.failovers)
        if name == "heartbeat_missed":
            return float(self.heartbeat_missed)
        raise KeyError(name)

    def _evaluate(self, now: int) -> None:
        if self._marks:
            equity = self.k.portfolio.equity()
            if equity > self.peak_equity:
                self.peak_equity = equity
            if self.peak_equity > 0:
                self.drawdown = (self.peak_equity - equity) / self.peak_equity
        firing = self._firing
        for name, quantity, op, target, severity, when in self._checks:
            if quantity == "trading_state":
                state = self.k.risk.state
                hit = state is target
                shown: Any = state
            else:
                value = self.quantity(quantity, now)
                hit = op(value, target)
                shown = value
            if hit:
                if name not in firing:
                    self._start(name, severity, f"{when} ({_show(shown)})")
            elif name in firing:
                self._end(name, severity, f"{when} no longer ({_show(shown)})")

    def _threshold_ns(self, quantity: str) -> int:
        return max(int(self._timed[quantity] * SECOND_NS), 1)

    def _arm(self, at: int) -> None:
        """A timer at ``at`` (the earliest one wins; a time already past needs none: the rule
        was evaluated now)."""
        if at <= self.k.clock.now_ns():
            return
        if self._timer_at is None or at < self._timer_at:
            self._timer_at = at
            self.k.set_timer(OWNER, at, "monitor")

    # --- episodes -----------------------------------------------------------------------------------
    def _start(self, key: str, severity: str, message: str) -> None:
        if key in self._firing:
            return
        self._firing.add(key)
        rule = key.split(":", 1)[0]
        self.alert_counts[rule] = self.alert_counts.get(rule, 0) + 1
        self._emit(Alert(self.k.clock.now_ns(), rule, severity, FIRING, message))

    def _end(self, key: str, severity: str, message: str) -> None:
        self._firing.discard(key)
        rule = key.split(":", 1)[0]
        self._emit(Alert(self.k.clock.now_ns(), rule, severity, RESOLVED, message))

    def _emit(self, alert: Alert) -> None:
        self.alerts.append(alert)
        self.k.notice("ALERT", f"{alert.rule} {alert.state} ({alert.severity}): {alert.message}")
        for listener in self.listeners:
            listener(alert)
