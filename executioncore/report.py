"""The run report: one self-contained HTML file (inline CSS and SVG) that opens offline.

Sections: header (scenario, seed, currency, digest, expectations), headline statistics, equity
and drawdown, per symbol the price with our fills and the position, orders, fills, risk events,
and per-order TCA when the run had algo orders. Every string from the record is HTML-escaped;
times are ISO-8601 UTC; tables and cell formats are ``report_tables``. The output depends only
on the record and the statistics (no wall clock), so equal runs give equal reports.

Headline cards put net P&L after fees (equity minus starting cash) beside realized P&L (before
fees) and commissions. Risk halts, reduce-only periods and kill switches (``risk_events``) are
drawn on the equity, drawdown and price charts: a dashed line where the state changed, a shaded
band while trading was halted. Stable markers for tests and tools: ``data-card`` /
``data-value`` on cards, ``data-key`` on statistics rows, ``data-note`` on notes,
``data-markers`` / ``data-risk-event`` / ``data-risk-band`` inside the charts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from executioncore import __version__
from executioncore.analytics import MIN_RETURN_PERIODS, drawdown_series
from executioncore.charts import (
    Band,
    Chart,
    Event,
    HLine,
    Markers,
    Series,
    esc,
    iso_utc,
    render_chart,
)
from executioncore.report_tables import (
    ALERT_KEYS,
    FILL_KEYS,
    MAX_ROWS,
    NONE,
    ORDER_KEYS,
    RISK_KEYS,
    TCA_KEYS,
    fmt_value,
    kv_table,
    table,
    tick_decimals,
    with_user_ids,
)

if TYPE_CHECKING:
    from executioncore.record import RunRecord

__all__ = ["MAX_ROWS", "render_report", "write_report"]
MAX_TCA_CHARTS = 20
MAX_SYMBOL_CHARTS = 40
MAX_FILL_MARKERS = 50  # per side on a symbol's chart: more are merged, so the price line shows
POINT_BUDGET = 40_000  # why: total drawn points across symbol charts keeps big runs well < 2 MB
BLUE, RED, GREEN, SLATE = "#2563eb", "#dc2626", "#16a34a", "#334155"
PURPLE, AMBER, GREY, DARK_RED = "#7c3aed", "#d97706", "#64748b", "#7f1d1d"
STEP_AREA = {"step": True, "signed_area": True}  # positions: a step line over long/short areas

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
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:12px;margin:10px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.card .s{color:var(--muted);font-size:11.5px}

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
    ticks = record.tick_sizes
    orders = with_user_ids(record.orders, record.user_ids, "id")
    fills = with_user_ids(record.fills, record.user_ids, "order_id")
    alerts = (record.summary or {}).get("alerts") or []
    sections = [
        _header(record),
        _headline(record, stats),
        _equity_section(record),
        _symbol_sections(record),
        _section("orders", "Orders", table(orders, ORDER_KEYS, ticks)),
        _section("fills", "Fills", table(fills, FILL_KEYS, ticks)),
        _section("alerts", "Alerts", table(alerts, ALERT_KEYS)) if alerts else "",
        _section("risk", "Risk events", table(record.risk_events, RISK_KEYS)),
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


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def _note(key: str, text: str) -> str:
    return f'<p class="note" data-note="{key}">{text}</p>'


# --- sections -----------------------------------------------------------------------------------
def _header(record: RunRecord) -> str:
    s = record.summary
    exp = s.get("expectations")
    failures: list[Any]
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


def net_pnl(record: RunRecord) -> float | None:
    """Return P&L after fees: equity minus starting cash (else realized + unrealized - fees)."""
    s = record.summary
    equity, start = s.get("equity"), s.get("starting_cash", record.starting_cash)
    if isinstance(equity, int | float) and isinstance(start, int | float) and start:
        return float(equity) - float(start)
    parts = [s.get(k) for k in ("realized_pnl", "unrealized_pnl", "commissions")]
    if all(isinstance(v, int | float) for v in parts):
        return float(parts[0]) + float(parts[1]) - float(parts[2])  # type: ignore[arg-type]
    return None


def _card(key: str, label: str, value: Any, sub: str = "") -> str:
    text = _ratio(value) if key in ("sharpe",) else fmt_value(key, value)[0]
    raw = value if isinstance(value, int | float) and math.isfinite(value) else ""
    cls = ""
    if key in ("net_pnl", "realized_pnl") and isinstance(value, int | float) and value:
        cls = " pos" if value > 0 else " neg"
    return (
        f'<div class="card" data-card="{key}" data-value="{raw}"><div class="k">{esc(label)}</div>'
        f'<div class="v{cls}">{text}</div>'
        + (f'<div class="s">{sub}</div>' if sub else "")
        + "</div>"
    )


def _headline(record: RunRecord, stats: dict[str, Any]) -> str:
    s = record.summary
    mdd = s.get("max_drawdown", stats.get("max_drawdown"))
    equity = s.get("equity", record.equity[-1][1] if record.equity else None)
    commissions = s.get("commissions", stats.get("commissions"))
    net = net_pnl(record)
    cards = "".join(
        [
            _card("equity", f"Equity ({record.currency})", equity),
            _card("net_pnl", "Net P&L after fees", net, "equity − starting cash"),
            _card("total_return", "Total return", stats.get("total_return")),
            _card("realized_pnl", "Realized P&L", s.get("realized_pnl"), "before fees"),
            _card("commissions", "Commissions", commissions, "fees paid"),
            _card("max_drawdown", "Max drawdown", mdd),
            _card("sharpe", "Sharpe (daily)", stats.get("sharpe"), "annualised"),
            _card("fills", "Fills", s.get("fills", stats.get("fills"))),
        ]
    )
    pnl = [
        ("Realized P&L (before fees)", "realized_pnl", s.get("realized_pnl")),
        ("Unrealized P&L", "unrealized_pnl", s.get("unrealized_pnl")),
        ("Commissions", "commissions", commissions),
        ("Net P&L after fees", "net_pnl", net),
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
        f'<div class="cards">{cards}</div><div class="grid3">'
        f"<div><h3>P&amp;L ({esc(record.currency)})</h3>{kv_table(pnl)}</div>"
        f"<div><h3>Risk</h3>{kv_table(risk)}{_ratio_note(stats)}</div>"
        f"<div><h3>Activity</h3>{kv_table(activity)}"
        f"<h3>Positions</h3>{kv_table(pos_rows) if pos_rows else NONE}</div></div>"
    )
    return _section("stats", "Headline statistics", body)


def _ratio_note(stats: dict[str, Any]) -> str:
    n = stats.get("return_periods")
    have = f" This run has {n:,} daily return{'s' if n != 1 else ''}." if isinstance(n, int) else ""
    return _note(
        "ratios",
        "Sharpe and Sortino: daily returns (equity at each UTC midnight), risk-free rate 0, "
        f"annualised ×√365; n/a with fewer than {MIN_RETURN_PERIODS} daily returns, where an "
        f"annualised figure would be noise.{have}",
    )


def _ratio(v: Any) -> Any:
    # why: a ratio is a plain number shown with 2 decimals, not a significant-digit float
    return f"{v:.2f}" if isinstance(v, float) else "n/a" if v is None else v


def _run_range(record: RunRecord) -> tuple[int, int] | None:
    ts = [s[i][0] for s in [record.equity, *record.prices.values()] if s for i in (0, -1)]
    ts += [f["ts"] for f in (record.fills[:1] + record.fills[-1:]) if isinstance(f.get("ts"), int)]
    return (min(ts), max(ts)) if ts else None


# why: state changes are what a reader looks for on a chart; notices (e.g. DAILY_LOSS_LIMIT)
# are the reason the state changed, shown in the line's tooltip and in the risk events table
STATE_MARKS = {"STATE_HALTED": ("HALT", RED), "STATE_REDUCING": ("REDUCING", AMBER)}


def risk_marks(record: RunRecord, end_ns: int | None) -> tuple[list[Event], list[Band]]:
    """Return the lines (halts, reduce-only, kill switches) and the shaded periods (halted or
    reducing until the next state change) of the run's risk events."""
    events: list[Event] = []
    bands: list[Band] = []
    open_since: tuple[int, str, str] | None = None
    seen: set[tuple[int, str]] = set()
    for ev in sorted(
        (e for e in record.risk_events if isinstance(e.get("ts"), int)), key=lambda e: e["ts"]
    ):
        ts, code, detail = ev["ts"], str(ev.get("code", "")), str(ev.get("detail") or "")
        kind, color = STATE_MARKS.get(code, ("", ""))
        if "KILL" in code.upper() or (kind and "KILL" in detail.upper()):
            kind, color = "KILL_SWITCH", DARK_RED
        if kind and (ts, kind) not in seen:
            seen.add((ts, kind))
            events.append(Event(ts, kind, f"{iso_utc(ts)} {code}: {detail}", color))
        if code.startswith("STATE_"):
            if open_since is not None:
                t0, name, c = open_since
                bands.append(Band(t0, ts, f"{name} {iso_utc(t0)} → {iso_utc(ts)}", c))
                open_since = None
            if code in STATE_MARKS:
                open_since = (ts, code[6:].lower(), STATE_MARKS[code][1])
    if open_since is not None and end_ns is not None and end_ns > open_since[0]:
        t0, name, c = open_since
        bands.append(Band(t0, end_ns, f"{name} {iso_utc(t0)} → end of run", c))
    return events, bands


def _duration(ns: int) -> str:
    s = ns / 1e9
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:,.3g} {unit}"
    return f"{s:,.3g} s"


def _equity_section(record: RunRecord) -> str:
    if not record.equity:
        return _section(
            "equity", "Equity and drawdown", '<p class="note">No equity samples recorded.</p>'
        )
    xr = _run_range(record)
    events, bands = risk_marks(record, xr[1] if xr else None)
    eq = Chart(
        "Equity",
        300,
        # why: equity only moves at events and every fill is a sample, so it holds its value
        # between samples; a sloped line would invent a move across a stretch with no data
        [Series(f"equity ({record.currency})", BLUE, record.equity, step=True)],
        x_range=xr,
        events=events,
        bands=bands,
    )
    dd = [(t, -d) for t, d in drawdown_series(record.equity)]
    deepest = min(v for _, v in dd)
    ddc = Chart(
        "Drawdown",
        170,
        [Series("drawdown from peak", RED, dd, step=True, area=True)],
        [],
        [HLine(f"max {-deepest:.2%}", GREY, deepest)] if deepest < 0 else [],
        x_range=xr,
        include_zero=True,
        percent=True,
        events=events,
        bands=bands,
    )
    how = f"{len(record.equity):,} samples"
    if record.step_ns:
        how = (
            f"Sampled on a fixed UTC clock every {_duration(record.step_ns)} (the first market "
            f"event after each tick of it) and at every fill: {len(record.equity):,} samples"
        )
    halted = " Shaded: trading halted (red) or reduce-only (amber)." if bands else ""
    note = _note("sampling", f"{how}.{halted}")
    return _section("equity", "Equity and drawdown", render_chart(eq) + render_chart(ddc) + note)


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
    events, bands = risk_marks(record, xr[1] if xr else None)
    for sym in charted:
        name, fills = esc(sym), fills_by_symbol.get(sym, [])
        decimals = tick_decimals(record.tick_sizes.get(sym))
        price = Chart(
            f"{sym} · price and fills",
            280,
            [Series("mid / price", SLATE, record.prices.get(sym, []))],
            [_side_markers(fills, True, decimals), _side_markers(fills, False, decimals)],
            x_range=xr,
            max_points=budget,
            max_markers=min(budget, MAX_FILL_MARKERS),
            events=events,
            bands=bands,
        )
        pos = Chart(
            f"{sym} · position",
            160,
            [Series("net position", PURPLE, record.positions.get(sym, []), **STEP_AREA)],
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
    note = _note(
        "markers",
        f"Fill markers: up to {MAX_FILL_MARKERS} per side are drawn one per fill; beyond that, "
        "fills close in time are merged into one marker at their average price (hover a marker "
        "for its fills). Position: green long, red short.",
    )
    return _section("symbols", "Symbols", "".join(out) + note)


def _side_markers(fills: list[dict], buy: bool, decimals: int | None) -> Markers:
    mine = [f for f in fills if (f.get("side") == "buy") == buy]
    return Markers(
        "buy" if buy else "sell",
        GREEN if buy else RED,
        [(f["ts"], f["price"]) for f in mine],
        up=buy,
        qty=[float(f.get("qty") or 0.0) for f in mine],
        decimals=decimals,
    )


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
        table(with_user_ids(record.tca, record.user_ids, "parent_id"), TCA_KEYS, record.tick_sizes)
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
        qty=[float(f.get("qty") or 0.0) for f in fills],
        decimals=tick_decimals(record.tick_sizes.get(sym)),
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
