"""``sweep.html``: one self-contained page (the run report's CSS, inline SVG) for a sweep.

Sections: the grid and its outcome (cards: runs, failed, best and worst by the metric), a heat
map of the metric over two parameters, the failed runs with their errors, and a table of every
run. With more than two parameters a heat-map cell is the mean over the runs that share its two
values. The page depends only on the rows (no wall clock, nothing about the executor), so a
sweep gives the same page whichever executor ran it.

Markers for tests and tools: ``data-heatmap`` (the two keys) and ``data-metric`` on the heat map,
``data-cell`` (column,row) and ``data-value`` on each cell, ``data-card`` on cards,
``data-failed-run`` on each failed run's row.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from executioncore import __version__
from executioncore.charts import FONT, esc
from executioncore.report import CSS
from executioncore.report_tables import fmt_value, table

DIVERGING = {"realized_pnl", "sharpe"}  # centred on zero: red below, green above
LOWER_IS_BETTER = {"max_drawdown"}
HEAT_CSS = """
.heat{display:block;background:#fff;border:1px solid var(--line);border-radius:8px;margin:8px 0;
width:100%;height:auto}
.err{white-space:normal;color:#991b1b;min-width:320px}
"""
CELL_H = 34
LEFT, TOP, BOTTOM, RIGHT = 150, 30, 94, 24


def render_sweep(
    name: str,
    scenario: str,
    grid: list[tuple[str, list[Any]]],
    rows: list[dict[str, Any]],
    heatmap: tuple[str, str] | None,
    metric: str,
) -> str:
    """The page for ``rows`` (sorted by run) of the sweep of ``grid`` over ``scenario``."""
    failed = [r for r in rows if r["status"] != "ok"]
    grid_text = "".join(
        f'<p class="meta"><b>{esc(k)}</b>: {esc(", ".join(_text(v) for v in vs))}</p>'
        for k, vs in grid
    )
    header = (
        f"<header><h1>Sweep — {esc(name)}</h1>"
        f'<p class="meta">scenario <b>{esc(scenario)}</b> · {len(rows)} runs · '
        f"{len(rows) - len(failed)} ok · {len(failed)} failed</p>{grid_text}</header>"
    )
    sections = [header, _cards(rows, metric)]
    if heatmap is not None:
        body = heatmap_svg(rows, heatmap, metric, grid)
        sections.append(_section("heatmap", f"Heat map: {esc(metric)}", body))
    else:
        note = '<p class="note">A heat map needs two parameters.</p>'
        sections.append(_section("heatmap", "Heat map", note))
    if failed:
        sections.append(_section("failed", "Failed runs", _failed_table(failed)))
    flat = [flat_row(r, short_digest=True) for r in rows]
    preferred = ["run", *(k for k, _ in grid)]
    sections.append(_section("runs", "Runs", table(flat, preferred)))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(f'ExecutionCore sweep — {name}')}</title>"
        f"<style>{CSS}{HEAT_CSS}</style></head><body><main>"
        + "".join(sections)
        + f"<footer>ExecutionCore {esc(__version__)} · self-contained report, no external "
        "resources</footer></main></body></html>\n"
    )


def flat_row(row: dict[str, Any], short_digest: bool = False) -> dict[str, Any]:
    """``run``, one column per param, then the outcome (the table's and the files' row)."""
    out: dict[str, Any] = {"run": row["run"], **row["params"]}
    for k, v in row.items():
        if k not in ("run", "params"):
            out[k] = v
    if short_digest and out.get("digest"):
        out["digest"] = out["digest"][:16]
    return out


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def _text(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_text(v)}" for k, v in params.items())


def _cards(rows: list[dict[str, Any]], metric: str) -> str:
    ok = [r for r in rows if r["status"] == "ok" and isinstance(r.get(metric), int | float)]
    cards = [
        _card("runs", "Runs", f"{len(rows):,}", ""),
        _card("failed", "Failed", f"{sum(r['status'] != 'ok' for r in rows):,}", ""),
    ]
    if ok:
        low = metric in LOWER_IS_BETTER
        best = sorted(ok, key=lambda r: (r[metric] if low else -r[metric], r["run"]))[0]
        worst = sorted(ok, key=lambda r: (-r[metric] if low else r[metric], r["run"]))[0]
        for key, label, r in (("best", "Best", best), ("worst", "Worst", worst)):
            text, _ = fmt_value(metric, r[metric])
            sub = f"run {r['run']}: {_params_text(r['params'])}"
            cards.append(_card(key, f"{label} {metric}", text, sub))
    return '<div class="cards">' + "".join(cards) + "</div>"


def _card(key: str, label: str, value: str, sub: str) -> str:
    return (
        f'<div class="card" data-card="{esc(key)}"><div class="k">{esc(label)}</div>'
        f'<div class="v">{value}</div><div class="s">{esc(sub)}</div></div>'
    )


def _failed_table(failed: list[dict[str, Any]]) -> str:
    body = "".join(
        f'<tr data-failed-run="{r["run"]}"><td class="n">{r["run"]}</td>'
        f'<td class="mono">{esc(_params_text(r["params"]))}</td>'
        f'<td class="err">{esc(r.get("error") or "")}</td></tr>'
        for r in failed
    )
    return (
        '<div class="scroll"><table><thead><tr><th>run</th><th>params</th><th>error</th></tr>'
        f"</thead><tbody>{body}</tbody></table></div>"
    )


# --- the heat map -------------------------------------------------------------------------------
def heat_cells(
    rows: list[dict[str, Any]], keys: tuple[str, str], metric: str, grid: dict[str, list[Any]]
) -> list[list[tuple[float | None, int, int]]]:
    """Per row value of ``keys[1]`` (outer) and column value of ``keys[0]`` (inner): the mean
    of ``metric`` over the ok runs with those values, how many ran ok, how many failed."""
    kx, ky = keys
    out = []
    for y in grid[ky]:
        line = []
        for x in grid[kx]:
            here = [
                r for r in rows if _same(r["params"].get(kx), x) and _same(r["params"].get(ky), y)
            ]
            values = [r[metric] for r in here if r["status"] == "ok"]
            numbers = [v for v in values if isinstance(v, int | float)]
            mean = statistics.fmean(numbers) if numbers else None
            line.append((mean, len(values), len(here) - len(values)))
        out.append(line)
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def heatmap_svg(
    rows: list[dict[str, Any]],
    keys: tuple[str, str],
    metric: str,
    grid: list[tuple[str, list[Any]]],
) -> str:
    """An inline SVG heat map of ``metric`` (``keys[0]`` across, ``keys[1]`` down)."""
    values = dict(grid)
    kx, ky = keys
    cells = heat_cells(rows, keys, metric, values)
    nx, ny = len(values[kx]), len(values[ky])
    cw = max(48, min(120, (960 - LEFT - RIGHT) // max(nx, 1)))
    w, h = LEFT + cw * nx + RIGHT, TOP + CELL_H * ny + BOTTOM
    numbers = [v for line in cells for v, _, _ in line if v is not None]
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    parts = [
        f'<svg class="heat" viewBox="0 0 {w} {h}" style="max-width:{w}px" role="img" '
        f'font-family="{FONT}" font-size="12" data-heatmap="{esc(kx)},{esc(ky)}" '
        f'data-metric="{esc(metric)}"><title>{esc(metric)} by {esc(kx)} and {esc(ky)}</title>',
        f'<text x="10" y="20" font-weight="600">{esc(ky)} ↓</text>',
    ]
    for j, line in enumerate(cells):
        y = TOP + j * CELL_H
        label = _text(values[ky][j])
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + CELL_H / 2 + 4}" text-anchor="end">{esc(label)}</text>'
        )
        for i, (v, n_ok, n_failed) in enumerate(line):
            x = LEFT + i * cw
            fill, ink = _colour(v, lo, hi, metric)
            text = _cell_text(v, metric) if n_ok else "failed"
            tip = (
                f"{kx}={_text(values[kx][i])}, {ky}={label}: {metric} "
                f"{fmt_value(metric, v)[0] if v is not None else 'n/a'}"
                f" ({n_ok} ok, {n_failed} failed)"
            )
            shown = "" if v is None else f"{v!r}"
            parts.append(
                f'<g data-cell="{i},{j}" data-value="{shown}"><title>{esc(tip)}</title>'
                f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{CELL_H - 2}" rx="3" '
                f'fill="{fill}"/><text x="{x + (cw - 2) / 2}" y="{y + CELL_H / 2 + 3}" '
                f'text-anchor="middle" font-size="11" fill="{ink}">{esc(text)}</text></g>'
            )
    base = TOP + ny * CELL_H
    for i, x_value in enumerate(values[kx]):
        cx = LEFT + i * cw + (cw - 2) / 2
        parts.append(
            f'<text x="{cx}" y="{base + 16}" text-anchor="middle">{esc(_text(x_value))}</text>'
        )
    parts.append(
        f'<text x="{LEFT + cw * nx / 2}" y="{base + 34}" text-anchor="middle" '
        f'font-weight="600">{esc(kx)} →</text>'
    )
    parts.append(_legend(lo, hi, metric, base + 50))
    parts.append("</svg>")
    note = ""
    if len(grid) > 2:
        others = ", ".join(k for k, _ in grid if k not in keys)
        note = (
            f'<p class="note">Each cell is the mean over the runs of the other parameters '
            f"({esc(others)}).</p>"
        )
    if not numbers:
        note += f'<p class="note">No run has a {esc(metric)} (n/a).</p>'
    return note + "".join(parts)


def _legend(lo: float, hi: float, metric: str, y: int) -> str:
    x0, width = LEFT, 220
    if metric in DIVERGING:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    steps = 11
    rects = "".join(
        f'<rect x="{x0 + k * width / steps:.1f}" y="{y}" width="{width / steps + 0.5:.1f}" '
        f'height="10" fill="{_colour(lo + (hi - lo) * k / (steps - 1), lo, hi, metric)[0]}"/>'
        for k in range(steps)
    )
    low_text, high_text = _cell_text(lo, metric), _cell_text(hi, metric)
    return (
        f'<g data-legend="1">{rects}<text x="{x0}" y="{y + 24}">{esc(low_text)}</text>'
        f'<text x="{x0 + width}" y="{y + 24}" text-anchor="end">{esc(high_text)}</text></g>'
    )


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def _colour(v: float | None, lo: float, hi: float, metric: str) -> tuple[str, str]:
    """(fill, text colour) of a cell."""
    if v is None:
        return "#e2e8f0", "#334155"
    if metric in DIVERGING:
        m = max(abs(lo), abs(hi)) or 1.0
        t = max(-1.0, min(1.0, v / m))
        fill = _mix("#f8fafc", "#16a34a" if t >= 0 else "#dc2626", abs(t))
        strength = abs(t)
    else:
        t = 0.5 if hi == lo else (v - lo) / (hi - lo)
        end = "#b91c1c" if metric in LOWER_IS_BETTER else "#1d4ed8"
        fill, strength = _mix("#f8fafc", end, t), t
    return fill, ("#ffffff" if strength > 0.6 else "#0f172a")


def _cell_text(v: float | None, metric: str) -> str:
    if v is None:
        return "n/a"
    if metric == "max_drawdown":
        return f"{v * 100:.2f}%"
    if metric == "fills":
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    if metric == "sharpe":
        return f"{v:.2f}"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{v / 1e6:,.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:,.1f}k"
    return f"{v:,.2f}"
