"""The terminal summary of a run: grouped key/value rows, numbers right-aligned, optional colour.

Money has thousands separators and 2 decimals, fractions are shown as percentages, a missing or
undefined value (a ratio with no data) as ``n/a``. ANSI colours only with ``color=True``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

BOLD, GREEN, RED, RESET = "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[0m"
NA = "n/a"


class Row(NamedTuple):
    label: str
    text: str
    numeric: bool  # numbers are right-aligned in one column, text starts where they start
    tone: str = ""  # "+" green, "-" red (with colour), "" plain


def fmt_money(v: Any) -> str:
    """Format money as ``-1,234.56`` (``n/a`` when missing)."""
    return f"{v:,.2f}" if isinstance(v, int | float) else NA


def fmt_percent(v: Any) -> str:
    """Format a fraction as a percentage with 2 decimals (``0.0123`` -> ``1.23%``)."""
    return f"{v * 100:,.2f}%" if isinstance(v, int | float) else NA


def fmt_ratio(v: Any) -> str:
    """Format a ratio with 2 decimals."""
    return f"{v:,.2f}" if isinstance(v, int | float) else NA


def fmt_count(v: Any) -> str:
    """Format a count (or a quantity) with thousands separators, decimals only when it has them."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return NA if v is None else str(v)
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.8f}".rstrip("0")


def _tone(v: Any) -> str:
    if not isinstance(v, int | float):
        return ""
    return "+" if v > 0 else "-" if v < 0 else ""


def _net(s: dict[str, Any]) -> float | None:
    # why: realized P&L excludes fees; equity minus starting cash is what the run made (live:
    # minus the equity the brokers held at the session's start)
    equity, start = s.get("equity"), s.get("starting_equity") or s.get("starting_cash")
    if isinstance(equity, int | float) and isinstance(start, int | float) and start:
        return float(equity) - float(start)
    return None


def _num(label: str, text: str, tone: str = "") -> Row:
    return Row(label, text, True, tone)


def _txt(label: str, text: Any, tone: str = "") -> Row:
    return Row(label, str(text), False, tone)


def _run_rows(s: dict[str, Any]) -> list[Row]:
    rows = [_txt("scenario", s.get("scenario", NA)), _num("seed", fmt_count(s.get("seed")))]
    if "events" in s:
        rows.append(_num("events", fmt_count(s["events"])))
    if isinstance(s.get("wall_seconds"), int | float):
        rows.append(_num("wall time (s)", f"{s['wall_seconds']:,.2f}"))
    if isinstance(s.get("events_per_second"), int | float):
        rows.append(_num("events / s", fmt_count(round(s["events_per_second"]))))
    rows += [_txt(k, s[k]) for k in ("digest", "report") if s.get(k)]
    return rows


def _groups(s: dict[str, Any], g: dict[str, Any]) -> list[tuple[str, list[Row]]]:
    def first(key: str) -> Any:  # why: the summary is the contract; stats fill what it lacks
        return s[key] if s.get(key) is not None else g.get(key)

    pnl = [
        _num("realized P&L", fmt_money(s.get("realized_pnl")), _tone(s.get("realized_pnl"))),
        _num("unrealized P&L", fmt_money(s.get("unrealized_pnl")), _tone(s.get("unrealized_pnl"))),
        _num("commissions", fmt_money(first("commissions"))),
        _num("net P&L after fees", fmt_money(_net(s)), _tone(_net(s))),
        _num("cash", fmt_money(s.get("cash"))),
        _num("equity", fmt_money(s.get("equity"))),
        _num("total return", fmt_percent(g.get("total_return")), _tone(g.get("total_return"))),
    ]
    activity = [
        _num(k, fmt_count(first(k))) for k in ("orders", "fills", "cancels", "expired", "rejects")
    ]
    risk_events = first("risk_events")
    if isinstance(risk_events, list | tuple):
        risk_events = len(risk_events)
    risk = [
        _num("max drawdown", fmt_percent(first("max_drawdown"))),
        _num("Sharpe", fmt_ratio(g.get("sharpe"))),
        _num("risk events", fmt_count(risk_events)),
    ]
    exp = s.get("expectations")
    if isinstance(exp, dict):
        passed = bool(exp.get("passed"))
        risk.append(_txt("expectations", "passed" if passed else "FAILED", "+" if passed else "-"))
        risk += [_txt("failure", f, "-") for f in exp.get("failures") or []]
    positions = s.get("positions") or {}
    pos_rows = [_num(str(sym), fmt_count(q)) for sym, q in sorted(positions.items())]
    currency = s.get("currency")
    groups = [
        ("run", _run_rows(s)),
        (f"P&L ({currency})" if currency else "P&L", pnl),
        ("activity", activity),
        ("risk", risk),
        ("positions", pos_rows or [_txt("(none)", "")]),
    ]
    balances = s.get("balances") or {}
    if len(balances) > 1:  # why: a crypto account's assets (one currency is its cash above)
        groups.append(
            ("balances", [_num(str(a), fmt_count(v)) for a, v in sorted(balances.items()) if v])
        )
    return groups


def summary_table(summary: dict[str, Any], stats: dict[str, Any], color: bool = False) -> str:
    """Render the run's headline numbers as an aligned plain-text table (ANSI colour if asked)."""
    groups = _groups(summary, stats)
    rows = [r for _, rs in groups for r in rs]
    label_w = max(len(r.label) for r in rows)
    num_w = max((len(r.text) for r in rows if r.numeric), default=0)
    lines = []
    for title, group_rows in groups:
        lines.append(f"{BOLD}{title}{RESET}" if color else title)
        for r in group_rows:
            cell = r.text.rjust(num_w) if r.numeric else r.text
            if color and r.tone:
                cell = f"{GREEN if r.tone == '+' else RED}{cell}{RESET}"
            lines.append(f"  {r.label.ljust(label_w)}  {cell}".rstrip())
    return "\n".join(lines) + "\n"
