"""The run report's tables and cell formats: money, percentages, times, and prices by tick.

A price is shown with its instrument's tick decimals (a 0.001 tick: ``86.728``; a 0.125 tick:
``46,803.125``). Averages and benchmarks (``avg_price``, ``arrival_price``, ``market_vwap``,
``market_twap``) keep the tick decimals when they sit on the tick grid and get two more places
when they fall between ticks (an average of several fills, a mid between two ticks). Without a
known tick a column of numbers gets the places its values need, so it lines up. Every string is
HTML-escaped; tables stop at ``MAX_ROWS`` rows and say how many they left out.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from executioncore.charts import esc, iso_utc

MAX_ROWS = 500
NONE = '<p class="note">None.</p>'
# preferred column orders; keys a record has beyond these follow in first-seen order
# fmt: off
ORDER_KEYS = ["id", "user_id", "strategy", "symbol", "side", "type", "qty", "limit", "stop", "tif",
              "status", "filled", "avg_price", "reason"]
FILL_KEYS = ["ts", "order_id", "user_id", "strategy", "symbol", "side", "qty", "price",
             "liquidity", "commission", "realized", "trade_id", "algo"]
RISK_KEYS = ["ts", "code", "detail"]
ALERT_KEYS = ["ts", "rule", "severity", "state", "message"]
TCA_KEYS = ["parent_id", "user_id", "algo", "symbol", "side", "qty", "filled", "arrival_price",
            "avg_price", "shortfall_bps", "shortfall_money", "market_vwap", "market_twap",
            "slippage_vs_vwap_bps", "slippage_vs_twap_bps", "participation", "fill_ratio",
            "children", "time_to_complete_s"]
MONEY_KEYS = {"commission", "realized", "shortfall_money", "realized_pnl", "unrealized_pnl",
              "commissions", "cash", "equity", "avg_win", "avg_loss", "net_pnl"}
SIGNED_KEYS = {"realized", "realized_pnl", "unrealized_pnl", "avg_win", "avg_loss", "net_pnl"}
PERCENT_KEYS = {"participation", "fill_ratio", "total_return", "max_drawdown", "hit_rate",
                "exposure"}
# fmt: on
TIME_KEYS = {"ts", "ts_event", "ts_init", "at", "expire_at"}
TICK_PRICE_KEYS = {"price", "limit", "stop"}  # always on the tick grid
AVG_PRICE_KEYS = {"avg_price", "arrival_price", "market_vwap", "market_twap"}


def tick_decimals(tick: str | None) -> int | None:
    """Return the decimal places of a tick size (``"0.125"`` -> 3, ``"5"`` -> 0; None if unknown)."""
    if not tick:
        return None
    try:
        exponent = Decimal(tick).normalize().as_tuple().exponent
    except InvalidOperation:
        return None
    return max(0, -exponent) if isinstance(exponent, int) else None


def price_decimals(key: str, v: Any, tick: str | None) -> int | None:
    """Return the places for price ``v`` in column ``key`` (None: not a price or no tick)."""
    places = tick_decimals(tick)
    if places is None or not isinstance(v, float | int) or not math.isfinite(v):
        return None
    if key in TICK_PRICE_KEYS:
        return places
    if key in AVG_PRICE_KEYS:
        steps = float(v) / float(Decimal(str(tick)))
        return places if abs(steps - round(steps)) < 1e-6 else places + 2
    return None


def fmt_number(v: float) -> str:
    """Format a number compactly: thousands separators, up to 8 significant digits."""
    if isinstance(v, int) or (v.is_integer() and abs(v) < 1e15):
        return f"{int(v):,}"
    return f"{v:,.8g}" if abs(v) >= 1e-4 else f"{v:.3g}"


def fmt_value(key: str, v: Any, decimals: int | None = None) -> tuple[str, str]:
    """Return (escaped text, css class) for the cell ``key`` holding ``v`` (a plain number gets
    ``decimals`` places when given, so a column of prices lines up)."""
    if v is None:
        return "—", ""
    if isinstance(v, bool):
        return ("yes" if v else "no"), ""
    if isinstance(v, int | float) and not math.isfinite(v):
        return "—", ""
    if isinstance(v, int) and (key in TIME_KEYS or key.endswith(("_ns", "_ts"))):
        return iso_utc(v), "mono"
    if isinstance(v, int | float):
        if key in MONEY_KEYS:
            tone = (" pos" if v > 0 else " neg" if v < 0 else "") if key in SIGNED_KEYS else ""
            return f"{v:,.2f}", "n" + tone
        if key in PERCENT_KEYS:
            return f"{v * 100:,.2f}%", "n"
        if key == "turnover":
            return f"{v:,.2f}×", "n"
        if key.endswith("_bps"):
            return f"{v:,.2f}", "n"
        if key.endswith("_s"):
            return f"{v:,.1f} s", "n"
        return (fmt_number(v) if decimals is None else f"{v:,.{decimals}f}"), "n"
    if isinstance(v, dict | list | tuple):
        return esc(json.dumps(v, sort_keys=True, default=str)), "mono"
    return esc(v), ""


def _column_decimals(rows: list[dict[str, Any]], key: str) -> int | None:
    # why: repr is the shortest exact decimal; its fraction length is what the value needs
    places = []
    for row in rows:
        v = row.get(key)
        if isinstance(v, float) and math.isfinite(v):
            text = repr(v)
            if "e" in text:
                return None
            places.append(0 if text.endswith(".0") else len(text.partition(".")[2]))
    return min(max(places), 8) if places else None


def _td(text: str, cls: str) -> str:
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def table(
    rows: list[dict[str, Any]], preferred: list[str], ticks: dict[str, str] | None = None
) -> str:
    """Render ``rows`` as a scrolling table (``preferred`` columns first; prices by the tick of
    the row's ``symbol`` in ``ticks``)."""
    if not rows:
        return NONE
    shown = rows[:MAX_ROWS]
    seen: dict[str, None] = {}
    for row in shown:
        seen.update(dict.fromkeys(row))
    keys = [k for k in preferred if k in seen] + [k for k in seen if k not in preferred]
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    places = {k: _column_decimals(shown, k) for k in keys}
    ticks = ticks or {}
    priced = [k for k in keys if k in TICK_PRICE_KEYS or k in AVG_PRICE_KEYS]
    body = []
    for row in shown:
        tick = ticks.get(row.get("symbol"))  # type: ignore[arg-type]
        own = dict(places)
        for k in priced:
            d = price_decimals(k, row.get(k), tick)
            if d is not None:
                own[k] = d
        cells = (fmt_value(k, row.get(k), own[k]) for k in keys)
        body.append("<tr>" + "".join(_td(t, c) for t, c in cells) + "</tr>")
    note = f'<p class="note">{len(rows):,} row{"s" if len(rows) != 1 else ""}</p>'
    if len(rows) > MAX_ROWS:
        left = len(rows) - MAX_ROWS
        note = f'<p class="note">Showing the first {MAX_ROWS:,} of {len(rows):,} rows ({left:,} not shown).</p>'
    return f'{note}<div class="scroll long"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def kv_table(pairs: list[tuple[str, str, Any]]) -> str:
    """Render (label, key, value) rows as a two-column table (``data-key`` on each row)."""
    rows = []
    for label, key, value in pairs:
        text, cls = fmt_value(key, value)
        rows.append(
            f'<tr data-key="{esc(key)}"><td>{esc(label)}</td>'
            f'<td class="{cls or "n"}">{text}</td></tr>'
        )
    return f'<div class="scroll"><table><tbody>{"".join(rows)}</tbody></table></div>'


def with_user_ids(
    rows: list[dict[str, Any]], user_ids: dict[str, str], id_key: str
) -> list[dict[str, Any]]:
    """Return ``rows`` with ``user_id`` (the user's own order id) after ``id_key`` when known."""
    if not user_ids:
        return rows
    out = []
    for row in rows:
        new: dict[str, Any] = {}
        for k, v in row.items():
            new[k] = v
            if k == id_key:
                new["user_id"] = user_ids.get(v)  # type: ignore[arg-type]
        out.append(new)
    return out
