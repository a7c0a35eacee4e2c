"""The run report: one self-contained HTML file (inline CSS and SVG) that opens offline.

Sections: header (scenario, seed, currency, digest, expectations), headline statistics, equity
and drawdown, per symbol the price with our fills and the position, orders, fills, risk events,
and per-order TCA when the run had algo orders. Every string from the record is HTML-escaped;
times are ISO-8601 UTC; tables stop at ``MAX_ROWS`` rows and say how many they left out. The
output depends only on the record and the statistics (no wall clock), so equal runs give equal
reports.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from executioncore import __version__
from executioncore.analytics import drawdown_series
from executioncore.charts import Chart, HLine, Markers, Series, esc, iso_utc, render_chart

if TYPE_CHECKING:
    from executioncore.record import RunRecord

MAX_ROWS = 500
NONE = '<p class="note">None.</p>'
MAX_TCA_CHARTS = 20
MAX_SYMBOL_CHARTS = 40
POINT_BUDGET = 40_000  # why: total drawn points across symbol charts keeps big runs well < 2 MB
BLUE, RED, GREEN, SLATE = "#2563eb", "#dc2626", "#16a34a", "#334155"
PURPLE, AMBER, GREY = "#7c3aed", "#d97706", "#64748b"
# preferred column orders; keys a record has beyond these follow in first-seen order
# fmt: off
ORDER_KEYS = ["id", "strategy", "symbol", "side", "type", "qty", "limit", "stop", "tif", "status",
              "filled", "avg_price", "reason"]
FILL_KEYS = ["ts", "order_id", "strategy", "symbol", "side", "qty", "price", "liquidity",
             "commission", "realized", "trade_id", "algo"]
RISK_KEYS = ["ts", "code", "detail"]
TCA_KEYS = ["parent_id", "algo", "symbol", "side", "qty", "filled", "arrival_price", "avg_price",
            "shortfall_bps", "shortfall_money", "market_vwap", "market_twap",
            "slippage_vs_vwap_bps", "slippage_vs_twap_bps", "participation", "fill_ratio",
            "children", "time_to_complete_s"]
MONEY_KEYS = {"commission", "realized", "shortfall_money", "realized_pnl", "unrealized_pnl",
              "commissions", "cash", "equity", "avg_win", "avg_loss"}
SIGNED_KEYS = {"realized", "realized_pnl", "unrealized_pnl", "avg_win", "avg_loss"}
PERCENT_KEYS = {"participation", "fill_ratio", "total_return", "max_drawdown", "hit_rate",
                "exposure"}
# fmt: on
TIME_KEYS = {"ts", "ts_event", "ts_init", "at", "expire_at"}

CSS = """
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;padding-bottom:6px;
border-bottom:1px solid var(--line)}h3{font-size:15px;margin:20px 0 6px}
.meta{color:var(--muted);margin:0 0 6px}.meta b{color:var(--fg);font-weight:600}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.digest{word-break:break-all}
nav{margin:14px 0 0;display:flex;flex-wrap:wrap;gap:6px 14px}nav a{color:#1d4ed8;text-decoration:none}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12.5px}
.ok{background:#dcfce7;color:#166534}.bad{background:#fee2e2;color:#991b1b}
.none{background:#e2e8f0;color:#334155}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:10px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px}
.long{max-height:560px;overflow-y:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:#f1f5f9;font-weight:600;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:last-child td{border-bottom:none}
.pos{color:#15803d}.neg{color:#b91c1c}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.chart{width:100%;height:auto;display:block;background:#fff;border:1px solid var(--line);
border-radius:8px;margin:8px 0}
footer{margin-top:40px;color:var(--muted);font-size:12px}
"""


def render_report(record: RunRecord, stats: dict[str, Any]) -> str:
    """Render the run report of ``record`` (with ``compute_stats`` output) as one HTML string."""
    sections = [
        _header(record),
        _headline(record, stats),
        _equity_section(record),
        _symbol_sections(record),
        _section("orders", "Orders", _table(record.orders, ORDER_KEYS)),
        _section("fills", "Fills", _table(record.fills, FILL_KEYS)),
        _section("risk", "Risk events", _table(record.risk_events, RISK_KEYS)),
        _tca_section(record) if record.tca else "",
    ]
    title = esc(f"ExecutionCore report — {record.scenario} (seed {record.seed})")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body><main>"
        + "".join(sections)
        + f"<footer>ExecutionCore {esc(__version__)} · self-contained report, no external "
        "resources</footer></main></body></html>\n"
    )


def write_report(record: RunRecord, stats: dict[str, Any], path: str | Path) -> Path:
    """Write the report to ``path`` (parents created) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(record, stats), encoding="utf-8")
    return out


# --- formatting ---------------------------------------------------------------------------------
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


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def _table(rows: list[dict[str, Any]], preferred: list[str]) -> str:
    if not rows:
        return NONE
    shown = rows[:MAX_ROWS]
    seen: dict[str, None] = {}
    for row in shown:
        seen.update(dict.fromkeys(row))
    keys = [k for k in preferred if k in seen] + [k for k in seen if k not in preferred]
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    places = {k: _column_decimals(shown, k) for k in keys}
    body = []
    for row in shown:
        cells = (fmt_value(k, row.get(k), places[k]) for k in keys)
        body.append("<tr>" + "".join(_td(t, c) for t, c in cells) + "</tr>")
    note = f'<p class="note">{len(rows):,} row{"s" if len(rows) != 1 else ""}</p>'
    if len(rows) > MAX_ROWS:
        left = len(rows) - MAX_ROWS
        note = f'<p class="note">Showing the first {MAX_ROWS:,} of {len(rows):,} rows ({left:,} not shown).</p>'
    return f'{note}<div class="scroll long"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


# --- sections -----------------------------------------------------------------------------------
def _header(record: RunRecord) -> str:
    s = record.summary
    exp = s.get("expectations")
    if not isinstance(exp, dict):
        badge, failures = '<span class="badge none">no expectations</span>', []
    elif exp.get("passed"):
        badge, failures = '<span class="badge ok">expectations passed</span>', []
    else:
        badge, failures = (
            '<span class="badge bad">expectations failed</span>',
            exp.get("failures") or [],
        )
    fails = "".join(f"<li>{esc(f)}</li>" for f in failures)
    period = ""
    if record.equity:
        first, last = record.equity[0][0], record.equity[-1][0]
        period = f" · <b>{iso_utc(first)}</b> → <b>{iso_utc(last)}</b>"
    nav = "".join(
        f'<a href="#{a}">{t}</a>'
        for a, t in [
            ("stats", "Statistics"),
            ("equity", "Equity"),
            ("symbols", "Symbols"),
            ("orders", "Orders"),
            ("fills", "Fills"),
            ("risk", "Risk events"),
        ]
        + ([("tca", "TCA")] if record.tca else [])
    )
    return (
        f"<header><h1>Run report · {esc(record.scenario or 'unnamed')}</h1>"
        f'<p class="meta">seed <b>{esc(record.seed)}</b> · currency <b>{esc(record.currency)}</b>'
        f"{period}</p>"
        f'<p class="meta">digest <code class="digest">{esc(s.get("digest") or "—")}</code></p>'
        f'<p class="meta">{badge}</p>'
        + (f"<ul>{fails}</ul>" if fails else "")
        + f"<nav>{nav}</nav></header>"
    )


def _kv_table(pairs: list[tuple[str, str, Any]]) -> str:
    rows = []
    for label, key, value in pairs:
        text, cls = fmt_value(key, value)
        rows.append(f'<tr><td>{esc(label)}</td><td class="{cls or "n"}">{text}</td></tr>')
    return f'<div class="scroll"><table><tbody>{"".join(rows)}</tbody></table></div>'


def _headline(record: RunRecord, stats: dict[str, Any]) -> str:
    s = record.summary
    mdd = s.get("max_drawdown", stats.get("max_drawdown"))
    equity = s.get("equity", record.equity[-1][1] if record.equity else None)
    cards = [
        (f"Equity ({record.currency})", fmt_value("equity", equity)[0]),
        ("Total return", fmt_value("total_return", stats.get("total_return"))[0]),
        ("Realized P&L", fmt_value("realized_pnl", s.get("realized_pnl"))[0]),
        ("Max drawdown", fmt_value("max_drawdown", mdd)[0]),
        ("Sharpe", _ratio(stats.get("sharpe"))),
        ("Fills", fmt_value("fills", s.get("fills", stats.get("fills")))[0]),
    ]
    card_html = "".join(
        f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{v}</div></div>'
        for k, v in cards
    )
    pnl = [
        ("Realized P&L", "realized_pnl", s.get("realized_pnl")),
        ("Unrealized P&L", "unrealized_pnl", s.get("unrealized_pnl")),
        ("Commissions", "commissions", s.get("commissions", stats.get("commissions"))),
        ("Cash", "cash", s.get("cash")),
        ("Equity", "equity", equity),
        ("Total return", "total_return", stats.get("total_return")),
        ("Average win", "avg_win", stats.get("avg_win")),
        ("Average loss", "avg_loss", stats.get("avg_loss")),
    ]
    risk = [
        ("Max drawdown", "max_drawdown", mdd),
        ("Sharpe (annualised)", "sharpe", _ratio(stats.get("sharpe"))),
        ("Sortino (annualised)", "sortino", _ratio(stats.get("sortino"))),
        ("Exposure", "exposure", stats.get("exposure")),
        ("Turnover", "turnover", stats.get("turnover")),
        ("Hit rate", "hit_rate", stats.get("hit_rate")),
        ("Profit factor", "profit_factor", _ratio(stats.get("profit_factor"))),
        ("Risk events", "risk_events", len(record.risk_events)),
    ]
    activity = [
        (label, key, s.get(key, stats.get(key)))
        for label, key in [
            ("Orders", "orders"),
            ("Fills", "fills"),
            ("Cancels", "cancels"),
            ("Expired", "expired"),
            ("Rejects", "rejects"),
            ("Events", "events"),
        ]
    ]
    activity.append(("Round trips", "round_trips", stats.get("round_trips")))
    positions = s.get("positions") or {
        sym: (p[-1][1] if p else 0) for sym, p in record.positions.items()
    }
    pos_rows = [(sym, "qty", q) for sym, q in sorted(positions.items())]
    body = (
        f'<div class="cards">{card_html}</div><div class="grid3">'
        f"<div><h3>P&amp;L ({esc(record.currency)})</h3>{_kv_table(pnl)}</div>"
        f"<div><h3>Risk</h3>{_kv_table(risk)}</div>"
        f"<div><h3>Activity</h3>{_kv_table(activity)}"
        f"<h3>Positions</h3>{_kv_table(pos_rows) if pos_rows else NONE}</div></div>"
    )
    return _section("stats", "Headline statistics", body)


def _ratio(v: Any) -> Any:
    # why: a ratio is a plain number shown with 2 decimals, not a significant-digit float
    return f"{v:.2f}" if isinstance(v, float) else v


def _run_range(record: RunRecord) -> tuple[int, int] | None:
    ts = [s[i][0] for s in [record.equity, *record.prices.values()] if s for i in (0, -1)]
    ts += [f["ts"] for f in (record.fills[:1] + record.fills[-1:]) if isinstance(f.get("ts"), int)]
    return (min(ts), max(ts)) if ts else None


def _equity_section(record: RunRecord) -> str:
    if not record.equity:
        return _section(
            "equity", "Equity and drawdown", '<p class="note">No equity samples recorded.</p>'
        )
    xr = _run_range(record)
    eq = Chart(
        "Equity", 300, [Series(f"equity ({record.currency})", BLUE, record.equity)], x_range=xr
    )
    dd = [(t, -d) for t, d in drawdown_series(record.equity)]
    ddc = Chart(
        "Drawdown",
        170,
        [Series("drawdown from peak", RED, dd, area=True)],
        x_range=xr,
        include_zero=True,
        percent=True,
    )
    return _section("equity", "Equity and drawdown", render_chart(eq) + render_chart(ddc))


def _symbol_sections(record: RunRecord) -> str:
    symbols = sorted(
        set(record.prices) | set(record.positions) | {f.get("symbol", "") for f in record.fills}
    )
    if not symbols:
        return _section("symbols", "Symbols", '<p class="note">No symbols.</p>')
    fills_by_symbol: dict[str, list[dict]] = defaultdict(list)
    for f in record.fills:
        fills_by_symbol[f.get("symbol", "")].append(f)
    charted = symbols[:MAX_SYMBOL_CHARTS]
    budget = max(200, min(2000, POINT_BUDGET // (2 * len(charted))))
    xr, out = _run_range(record), []
    for sym in charted:
        name, fills = esc(sym), fills_by_symbol.get(sym, [])
        buys = [(f["ts"], f["price"]) for f in fills if f.get("side") == "buy"]
        sells = [(f["ts"], f["price"]) for f in fills if f.get("side") != "buy"]
        price = Chart(
            f"{sym} · price and fills",
            280,
            [Series("mid / price", SLATE, record.prices.get(sym, []))],
            [
                Markers("buy", GREEN, buys, up=True),
                Markers("sell", RED, sells, up=False),
            ],
            x_range=xr,
            max_points=budget,
            max_markers=budget,
        )
        pos = Chart(
            f"{sym} · position",
            160,
            [Series("net position", PURPLE, record.positions.get(sym, []), step=True)],
            x_range=xr,
            include_zero=True,
            max_points=budget,
        )
        charts = render_chart(price) + render_chart(pos)
        out.append(
            f"<h3>{name}</h3>"
            + (charts or '<p class="note">No prices, positions or fills recorded.</p>')
        )
    if len(symbols) > len(charted):
        rest = ", ".join(esc(sym) for sym in symbols[len(charted) :])
        out.append(f'<p class="note">Not charted ({len(symbols) - len(charted):,}): {rest}</p>')
    return _section("symbols", "Symbols", "".join(out))


def _tca_section(record: RunRecord) -> str:
    children: dict[Any, list[dict]] = defaultdict(list)
    for f in record.fills:
        if f.get("algo") is not None:
            children[f["algo"]].append(f)
    charts = []
    for row in record.tca[:MAX_TCA_CHARTS]:
        charts.append(_tca_chart(record, row, children.get(row.get("parent_id"), [])))
    left = len(record.tca) - MAX_TCA_CHARTS
    more = (
        f'<p class="note">Charts for the first {MAX_TCA_CHARTS} parent orders ({left:,} not charted).</p>'
        if left > 0
        else ""
    )
    body = (
        _table(record.tca, TCA_KEYS)
        + "<h3>Child fills over the market price</h3>"
        + "".join(charts)
        + more
    )
    return _section("tca", "Transaction cost analysis", body)


def _tca_chart(record: RunRecord, row: dict[str, Any], fills: list[dict]) -> str:
    pid, sym = row.get("parent_id"), row.get("symbol", "")
    title = f"{pid} · {row.get('algo', '')} {row.get('side', '')} {sym}".strip()
    if not fills:
        return f'<p class="note">{esc(title)}: no child fills.</p>'
    t0, t1 = min(f["ts"] for f in fills), max(f["ts"] for f in fills)
    pad = max((t1 - t0) // 20, 1_000_000_000)
    lo, hi = t0 - pad, t1 + pad
    prices = [p for p in record.prices.get(sym, []) if lo <= p[0] <= hi]
    hlines = [
        HLine(label, color, row[key])
        for key, label, color in [
            ("arrival_price", "arrival", GREY),
            ("avg_price", "avg fill", BLUE),
            ("market_vwap", "market VWAP", AMBER),
        ]
        if isinstance(row.get(key), int | float) and math.isfinite(row[key])
    ]
    side_buy = row.get("side", fills[0].get("side")) == "buy"
    marks = Markers(
        "child fills",
        GREEN if side_buy else RED,
        [(f["ts"], f["price"]) for f in fills],
        up=side_buy,
    )
    chart = Chart(
        title,
        240,
        [Series("market", SLATE, prices)],
        [marks],
        hlines,
        x_range=(lo, hi),
        max_points=600,
        max_markers=600,
    )
    return render_chart(chart)
