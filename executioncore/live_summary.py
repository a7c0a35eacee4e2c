"""The live fields of a session's summary (CONTRACT.md "Summary JSON"): each broker's own view,
the broker's cash after the final reconciliation, balances per asset, alerts, open orders."""

from __future__ import annotations

from typing import Any

from executioncore.record import RunRecorder
from kernel.kernel import Kernel


def live_summary(
    summary: dict[str, Any], kernel: Kernel, adapters: list[Any], recorder: RunRecorder
) -> None:
    """Live fields: each broker's own view, the broker's cash (after the final reconciliation),
    overfills and open orders."""
    from kernel.units import MONEY_SCALE

    pf = kernel.portfolio
    cur = pf.currency
    brokers: dict[str, Any] = {}
    for a in adapters:
        report = kernel.accounts.latest.get(a.name)
        orders = [o for o in kernel.oms.orders.values() if o.venue == a.name]
        entry: dict[str, Any] = {
            "connected": a.name not in kernel.guard.disconnected,
            "orders": len(orders),
            "fills": sum(len(o._trade_ids or ()) for o in orders),
        }
        if report is not None:
            entry["positions"] = {
                sym: _qty_of(kernel, sym, qty) for sym, qty, _cost in report.positions
            }
            entry["cash"] = report.cash / MONEY_SCALE
            entry["equity"] = report.equity / MONEY_SCALE
            entry["buying_power"] = report.buying_power / MONEY_SCALE
            entry["currency"] = report.currency
            if report.balances:
                entry["balances"] = {a: _number(u) for a, u in report.balances}
        brokers[a.name] = entry
    summary["brokers"] = brokers
    if kernel.accounts.latest:
        summary["cash"] = pf.account_cash(cur) / MONEY_SCALE
    if kernel.accounts.session_equity:
        # why: live, the session starts with what the brokers held: its return is against that
        summary["starting_equity"] = kernel.accounts.session_equity / MONEY_SCALE
        summary["total_return"] = pf.equity(cur) / kernel.accounts.session_equity - 1
        recorder.record.starting_cash = kernel.accounts.session_equity / MONEY_SCALE
    summary["alerts"] = [a.as_dict() for a in kernel.monitor.alerts] if kernel.monitor else []
    summary["open_orders"] = len(kernel.oms.open_orders())
    summary["balances"] = {cur: summary["cash"]}
    if pf.multi_currency:
        _multi_currency_summary(summary, kernel)


def _multi_currency_summary(summary: dict[str, Any], kernel: Kernel) -> None:
    """A session with several currencies (a crypto account): ``balances`` per asset exact to
    the brokers' (units of 1e-9 as numbers); a spot pair's position is what it holds (its fees
    in the base asset taken off); P&L, cash and equity in the account currency at the latest
    known rates (CONTRACT.md "Currencies")."""
    from kernel.units import MONEY_SCALE

    pf = kernel.portfolio
    assets = pf.assets()
    summary["balances"] = {
        a: _number(pf.balance(a)) for a in assets if pf.balance(a) or a == pf.currency
    }
    for sym, inst in kernel.instruments.items():
        if inst.base is not None:
            summary["positions"][sym] = _number(pf.held(sym))
    summary["realized_pnl"] = pf.converted(pf.realized) / MONEY_SCALE
    summary["commissions"] = pf.converted(pf.commissions) / MONEY_SCALE
    summary["unrealized_pnl"] = (
        pf.converted({c: pf.unrealized_total(c) for c in assets}) / MONEY_SCALE
    )
    cash_like = {c: pf.account_cash(c) for c in assets if not pf.spot_pairs(c)}
    summary["cash"] = pf.converted(cash_like) / MONEY_SCALE
    summary["equity"] = pf.equity() / MONEY_SCALE
    if kernel.accounts.session_equity:
        summary["total_return"] = pf.equity() / kernel.accounts.session_equity - 1
    unconverted = [a for a in assets if pf.balance(a) and pf.rate(a) is None]
    if unconverted:
        # why: left out of equity and P&L (no known rate); position limits on instruments in
        # them apply within their own currency
        summary["unconverted_currencies"] = unconverted


def _number(units: int) -> int | float:
    """Units of 1e-9 as a JSON number: an int when whole, else the float whose shortest form
    is the exact decimal (9 places at most)."""
    from decimal import Decimal

    from kernel.units import MONEY_SCALE

    value = Decimal(units) / MONEY_SCALE
    return int(value) if value == value.to_integral_value() else float(value)


def _qty_of(kernel: Kernel, symbol: str, lots: int) -> Any:
    inst = kernel.instruments.get(symbol)
    if inst is None:
        return lots
    value = inst.lots_to_float(lots)
    return int(value) if float(value).is_integer() else value
