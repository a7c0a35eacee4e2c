"""The summary of a run (CONTRACT.md "Summary JSON"), backtest or live, its expectations
(``expect:``) and the order rows of the report; quantities in instrument units."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from executioncore.orders_spec import ScriptedOrders
from executioncore.record import RunRecorder
from kernel.kernel import Kernel
from kernel.units import MONEY_SCALE, Instrument


def _qty(inst: Instrument, lots: int) -> int | float:
    d = inst.lots_to_qty(lots)
    return int(d) if d == d.to_integral_value() else float(d)


def summarize(
    k: Kernel,
    recorder: RunRecorder,
    name: str,
    seed: int,
    digest: str,
    wall: float,
    run_dir: Path,
    skipped_rows: int = 0,
    skipped_examples: list[Any] | None = None,
) -> dict[str, Any]:
    """The contract's summary JSON of a kernel after a run (backtest or live)."""
    pf = k.portfolio
    cur = pf.currency
    st = k.stats
    events = st.md_events
    unreal = pf.unrealized_total(cur)
    return {
        "scenario": name,
        "seed": seed,
        "events": events,
        "orders": st.orders,
        "fills": st.fills,
        "cancels": st.cancels,
        "expired": st.expired,
        "rejects": st.rejects + st.denied,
        "denied": st.denied,
        "positions": {s: _qty(i, pf.positions[s].qty) for s, i in k.instruments.items()},
        "realized_pnl": pf.realized.get(cur, 0) / MONEY_SCALE,
        "unrealized_pnl": unreal / MONEY_SCALE,
        "commissions": pf.commissions.get(cur, 0) / MONEY_SCALE,
        "cash": pf.cash(cur) / MONEY_SCALE,
        "equity": pf.equity(cur) / MONEY_SCALE,
        "starting_cash": pf.start_cash.get(cur, 0) / MONEY_SCALE,
        "total_return": (pf.equity(cur) / pf.start_cash[cur] - 1)
        if pf.start_cash.get(cur)
        else None,
        "currency": cur,
        "max_drawdown": round(recorder.max_drawdown, 6),
        "trading_state": k.risk.state.name,
        "risk_events": len(k.risk_events),
        "refused_events": st.refused_events,
        "overfills": st.overfills,
        "failovers": st.failovers,
        "open_orders": len(k.oms.open_orders()),
        "open_order_list": open_order_list(k),
        "alerts": [a.as_dict() for a in k.monitor.alerts] if k.monitor is not None else [],
        "skipped_rows": skipped_rows,
        "skipped_examples": skipped_examples or [],
        "digest": digest,
        "run_dir": str(run_dir),
        "journal": str(run_dir / "journal"),
        "wall_seconds": round(wall, 3),
        "events_per_second": round(events / wall, 1) if wall > 0 else None,
    }


OPEN_ORDER_LIST_MAX = 100  # why: a market maker may end with thousands; the count is exact


def open_order_list(kernel: Kernel, limit: int = OPEN_ORDER_LIST_MAX) -> list[dict[str, Any]]:
    """The orders still open at the end (the first ``limit``, oldest first): ``id`` (client
    order id), ``script_id`` (the ``orders:`` entry's id, for a scripted order), symbol, side,
    type, ``tif``, status, quantity and filled in instrument units."""
    script_ids: dict[str, str] = {}
    for s in kernel.strategies.values():
        if isinstance(s, ScriptedOrders):
            script_ids.update({coid: sid for sid, coid in s.ids.items()})
    rows = []
    for order in kernel.oms.open_orders()[:limit]:
        inst = kernel.instruments.get(order.symbol)
        row: dict[str, Any] = {"id": order.client_order_id}
        if order.client_order_id in script_ids:
            row["script_id"] = script_ids[order.client_order_id]
        row |= {
            "symbol": order.symbol,
            "side": order.side.name.lower(),
            "type": order.order_type.name.lower(),
            "tif": order.time_in_force.name.lower(),
            "status": order.status.name.lower(),
            "quantity": _qty(inst, order.quantity) if inst else order.quantity,
            "filled": _qty(inst, order.filled_lots) if inst else order.filled_lots,
        }
        rows.append(row)
    return rows


def check_expectations(
    expect: dict[str, Any], summary: dict[str, Any], kernel: Kernel
) -> list[str]:
    """Every expectation that does not hold, as a sentence."""
    failures = []
    for key, want in expect.items():
        if key == "positions":
            for sym, qty in want.items():
                got = summary["positions"].get(sym)
                if got is None or Decimal(str(got)) != Decimal(str(qty)):
                    failures.append(f"positions.{sym}: expected {qty}, got {got}")
        elif key == "digest":
            if summary["digest"] != want:
                failures.append(f"digest: expected {want}, got {summary['digest']}")
        elif key == "trading_state":
            if summary["trading_state"] != str(want).upper():
                failures.append(f"trading_state: expected {want}, got {summary['trading_state']}")
        elif key == "invariants":
            continue  # checked while the run goes (executioncore.invariants)
        elif key == "risk_events":
            codes = {code for _, code, _ in kernel.risk_events}
            for code in want:
                if code not in codes:
                    failures.append(f"risk_events: {code} did not happen")
        else:
            failures += _check_number(key, summary.get(key), want)
    return failures


def _check_number(key: str, got: Any, want: Any) -> list[str]:
    if got is None:
        return [f"{key}: no value"]
    if isinstance(want, dict):
        out = []
        if "min" in want and got < float(want["min"]) - 1e-9:
            out.append(f"{key}: {got} is below the minimum {want['min']}")
        if "max" in want and got > float(want["max"]) + 1e-9:
            out.append(f"{key}: {got} is above the maximum {want['max']}")
        return out
    return [] if abs(got - float(want)) <= 1e-9 else [f"{key}: expected {want}, got {got}"]


def order_rows(kernel: Kernel, limit: int = 20_000) -> list[dict[str, Any]]:
    """Orders as plain rows for the report (the first ``limit``)."""
    rows = []
    for order in list(kernel.oms.orders.values())[:limit]:
        inst = kernel.instruments.get(order.symbol)
        if inst is None:
            continue
        avg = order.avg_price_ticks()
        rows.append(
            {
                "id": order.client_order_id,
                "strategy": order.strategy_id,
                "symbol": order.symbol,
                "side": order.side.name.lower(),
                "type": order.order_type.name.lower(),
                "qty": _qty(inst, order.quantity),
                "limit": None
                if order.limit_ticks is None
                else inst.ticks_to_float(order.limit_ticks),
                "stop": None if order.stop_ticks is None else inst.ticks_to_float(order.stop_ticks),
                "tif": order.time_in_force.name.lower(),
                "status": order.status.name.lower(),
                "filled": _qty(inst, order.filled_lots),
                "avg_price": None if avg is None else float(inst.tick_size) * avg,
                "reason": order.reason,
                "ts": order.ts_init,
            }
        )
    return rows
