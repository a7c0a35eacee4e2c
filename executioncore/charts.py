"""Inline SVG line charts for the run report: time axis, nice ticks, legend, fill markers.

Charts are plain strings built in Python: no JavaScript, no fonts or images fetched, no XML
namespace URL (inline SVG in HTML5 needs none). A chart scales with the page through its
``viewBox``. Lines are thinned to ``max_points`` by keeping each bucket's first, last, minimum and
maximum (step series: every change of value while they fit), fill markers beyond ``max_markers``
are merged per time slice (``executioncore.thinning``); coordinates are rounded to 0.1 of a view
unit to keep the file small. Markers carry a ``<title>`` tooltip (prices with the instrument's
tick decimals); risk events are vertical lines, halted periods shaded bands. Drawing order:
bands, grid, areas, reference lines, markers, lines (so the price line stays visible over dense
fills), event lines, legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape

from executioncore.thinning import Marker, aggregate_markers, bucket_extremes, step_changes

MAX_POINTS = 2000
MAX_MARKERS = 2000
WIDTH = 960
LEFT, RIGHT, TOP, BOTTOM = 82, 18, 28, 30
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS = 1_000_000_000
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
_TIME_STEPS_S = [
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12)),
    *(86400 * d for d in (1, 2, 7, 14, 30, 60, 91, 182, 365, 730, 1826, 3652)),
]


@dataclass
class Series:
    """One line: ``points`` are ``(ts_ns, value)`` sorted by time."""

    name: str
    color: str
    points: Sequence[tuple[int, float]]
    step: bool = False  # draw as a step function (positions): thinned keeping every change
    area: bool = False  # fill between the line and zero (drawdown)
    signed_area: bool = False  # fill above zero green, below zero red (positions)


@dataclass
class Markers:
    """Triangles at ``(ts_ns, price)``: pointing up (buys) or down (sells). ``qty`` (one per
    point) weights merged markers; ``decimals`` formats prices in tooltips (the tick's)."""

    name: str
    color: str
    points: Sequence[tuple[int, float]]
    up: bool = True
    qty: Sequence[float] | None = None
    decimals: int | None = None


@dataclass
class Event:
    """A vertical line at ``ts`` (a risk event); ``code`` is its kind (``HALT``, ``KILL_SWITCH``:
    the legend and ``data-risk-event``), ``label`` its tooltip."""

    ts: int
    code: str
    label: str
    color: str


@dataclass
class Band:
    """A shaded period ``[t0, t1]`` (trading halted), tooltip ``label``."""

    t0: int
    t1: int
    label: str
    color: str


@dataclass
class HLine:
    """A dashed horizontal reference line (arrival price, average fill price, VWAP)."""

    name: str
    color: str
    value: float


@dataclass
class Chart:
    """What one SVG chart shows; ``y_format`` turns a tick value and its decimals into text."""

    title: str
    height: int = 260
    series: list[Series] = field(default_factory=list)
    markers: list[Markers] = field(default_factory=list)
    hlines: list[HLine] = field(default_factory=list)
    x_range: tuple[int, int] | None = None
    include_zero: bool = False
    percent: bool = False
    max_points: int = MAX_POINTS  # per series
    max_markers: int = MAX_MARKERS  # per marker set; beyond it markers are merged per slice
    events: list[Event] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)


def esc(value: object) -> str:
    """Escape a value for HTML/SVG text or an attribute value."""
    # why: the report promises no "http://" string at all; ":&#47;/" reads the same on screen
    return escape(str(value)).replace("://", ":&#47;/")


def iso_utc(ts_ns: int, seconds: bool = True) -> str:
    """Format int ns since the epoch as ISO-8601 UTC (milliseconds shown when not whole)."""
    dt = EPOCH + timedelta(microseconds=ts_ns // 1000)
    if not seconds:
        return dt.strftime("%Y-%m-%dT%H:%MZ")
    ms = (ts_ns // 1_000_000) % 1000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms:03d}Z" if ms else "Z")


def downsample(points: Sequence[tuple[int, float]], max_points: int) -> Sequence:
    """Keep at most ``max_points`` points: each bucket's first, last, min and max."""
    return bucket_extremes(points, max_points)


def thin(points: Sequence, max_points: int) -> Sequence:
    """Keep every k-th item so that at most ``max_points`` remain (markers are not min/max data)."""
    if len(points) <= max_points:
        return points
    k = math.ceil(len(points) / max_points)
    return points[::k]


def nice_ticks(lo: float, hi: float, target: int = 5) -> tuple[list[float], int]:
    """Return ticks at a 1/2/5 x 10^k step giving at most ``target + 1`` ticks over ``[lo, hi]``,
    and the decimals the step needs."""
    span = hi - lo
    exp = math.floor(math.log10(span)) - 2
    step = span
    for m in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        step = m * 10.0**exp
        if span / step <= target + 1:
            break
    first = math.ceil(lo / step - 1e-9)
    ticks = [(first + i) * step for i in range(int(span / step) + 2)]
    eps = 1e-9 * span
    return [t for t in ticks if lo - eps <= t <= hi + eps], max(0, -math.floor(math.log10(step)))


def time_ticks(t0: int, t1: int, target: int = 6) -> list[int]:
    """Return ticks at a round UTC step (1 s ... 10 years) giving about ``target`` labels."""
    span_s = (t1 - t0) / NS
    step_s = next((s for s in _TIME_STEPS_S if span_s / s <= target), _TIME_STEPS_S[-1])
    step = step_s * NS
    # why: weekly steps counted from the epoch (a Thursday) would land on Thursdays
    offset = 4 * 86400 * NS if step_s in (7 * 86400, 14 * 86400) else 0
    first = -(-(t0 - offset) // step) * step + offset
    return list(range(first, t1 + 1, step))


def _time_label(ts: int, span_ns: int) -> str:
    if span_ns >= 4 * 86400 * NS:
        return iso_utc(ts)[:10]
    return iso_utc(ts, seconds=span_ns < 600 * NS)


def _y_label(v: float, decimals: int, percent: bool) -> str:
    if percent:
        return f"{v * 100:,.{max(0, decimals - 2)}f}%"
    return f"{v:,.{decimals}f}"


def _y_range(chart: Chart, drawn: list[Sequence[tuple[int, float]]]) -> tuple[float, float]:
    values = [v for pts in drawn for _, v in pts] + [h.value for h in chart.hlines]
    if chart.include_zero:
        values.append(0.0)
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(hi) * 0.01 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.06
    # why: a drawdown or a long-only position sits on zero; do not float it off the axis
    return (lo if chart.include_zero and lo == 0 else lo - pad), (
        hi if chart.include_zero and hi == 0 else hi + pad
    )


def render_chart(chart: Chart) -> str:
    """Render ``chart`` as an inline ``<svg>`` element (empty string if it has no data)."""
    if not any(s.points for s in chart.series) and not any(m.points for m in chart.markers):
        return ""
    h = chart.height
    t0, t1 = chart.x_range or _x_range(chart)
    if t1 <= t0:
        t0, t1 = t0 - NS, t1 + NS
    # why: thinning keeps each series' extremes, so the range needs only what is drawn
    lines = [_thinned(s, chart.max_points) for s in chart.series]
    marks = [aggregate_markers(_fills(m), chart.max_markers, (t0, t1)) for m in chart.markers]
    y0, y1 = _y_range(chart, lines + [[(mk.ts, mk.price) for mk in ms] for ms in marks])
    pw, ph = WIDTH - LEFT - RIGHT, h - TOP - BOTTOM

    def sx(t: int) -> float:
        return round(LEFT + (t - t0) * pw / (t1 - t0), 1)

    def sy(v: float) -> float:
        return round(TOP + (y1 - v) * ph / (y1 - y0), 1)

    # why: presentation attributes, not page CSS, so a chart copied out of the page still renders
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {h}" role="img" '
        f'aria-label="{esc(chart.title)}" font-family="{FONT}">',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#cbd5e1"/>',
        *(_band(b, (t0, t1), sx, ph) for b in chart.bands),
        _axes(chart, (t0, t1), (y0, y1), sx, sy),
    ]
    parts += [_area_path(s, pts, sx, sy) for s, pts in zip(chart.series, lines)]
    for line in chart.hlines:
        y = sy(line.value)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y}" y2="{y}" stroke="{line.color}" '
            'stroke-dasharray="5 4" stroke-width="1.2"/>'
        )
    parts += [_marker_group(m, ms, sx, sy) for m, ms in zip(chart.markers, marks)]
    parts += [_series_path(s, pts, sx, sy) for s, pts in zip(chart.series, lines)]
    parts += [_event(e, (t0, t1), sx, h) for e in chart.events]
    parts += [_legend(chart, marks), "</svg>"]
    return "".join(parts)


def _thinned(s: Series, max_points: int) -> Sequence[tuple[int, float]]:
    return step_changes(s.points, max_points) if s.step else bucket_extremes(s.points, max_points)


def _fills(m: Markers) -> list[tuple[int, float, float]]:
    qty = m.qty if m.qty is not None and len(m.qty) == len(m.points) else [1.0] * len(m.points)
    return [(t, p, q) for (t, p), q in zip(m.points, qty)]


def _x_range(chart: Chart) -> tuple[int, int]:
    ts = [p[0] for s in chart.series for p in (s.points[0], s.points[-1]) if s.points]
    ts += [t for m in chart.markers for t, _ in m.points]
    return min(ts), max(ts)


def _axes(chart: Chart, xr: tuple[int, int], yr: tuple[float, float], sx, sy) -> str:
    grid, ylab, xlab = [], [], []
    ticks, decimals = nice_ticks(*yr)
    for v in ticks:
        y = sy(v)
        grid.append(f"M{LEFT} {y}H{WIDTH - RIGHT}")
        ylab.append(
            f'<text x="{LEFT - 6}" y="{y + 4}">{esc(_y_label(v, decimals, chart.percent))}</text>'
        )
    base = chart.height - BOTTOM
    for t in time_ticks(*xr):
        x = sx(t)
        grid.append(f"M{x} {TOP}V{base}")
        label = _time_label(t, xr[1] - xr[0])
        half = 3.2 * len(label)  # why: ~6.4 px a character at 11 px; a cut-off label is noise
        if half <= x <= WIDTH - half:
            xlab.append(f'<text x="{x}" y="{base + 18}">{esc(label)}</text>')
    return (
        f'<path d="{"".join(grid)}" stroke="#e2e8f0" stroke-width="1" fill="none"/>'
        f'<g font-size="11" fill="#475569" text-anchor="end">{"".join(ylab)}</g>'
        f'<g font-size="11" fill="#475569" text-anchor="middle">{"".join(xlab)}</g>'
    )


def _line_d(pts: Sequence[tuple[int, float]], step: bool, sx, sy) -> str:
    head = f"M{sx(pts[0][0])} {sy(pts[0][1])}"
    if step:
        return head + "".join(f"H{sx(t)}V{sy(v)}" for t, v in pts[1:])
    return head + "".join(f"L{sx(t)} {sy(v)}" for t, v in pts[1:])


def _closed_area(
    pts: Sequence[tuple[int, float]], step: bool, color: str, sx, sy, opacity: float = 0.18
) -> str:
    zero = sy(0.0)
    d = _line_d(pts, step, sx, sy) + f"L{sx(pts[-1][0])} {zero}L{sx(pts[0][0])} {zero}Z"
    return f'<path d="{d}" fill="{color}" fill-opacity="{opacity}"/>'


def _area_path(s: Series, pts: Sequence[tuple[int, float]], sx, sy) -> str:
    if not pts:
        return ""
    if s.signed_area:
        up = [(t, max(v, 0.0)) for t, v in pts]
        down = [(t, min(v, 0.0)) for t, v in pts]
        return _closed_area(up, s.step, "#16a34a", sx, sy, 0.45) + _closed_area(
            down, s.step, "#dc2626", sx, sy, 0.45
        )
    return _closed_area(pts, s.step, s.color, sx, sy) if s.area else ""


def _series_path(s: Series, pts: Sequence[tuple[int, float]], sx, sy) -> str:
    if not pts:
        return ""
    if s.step and s.signed_area:
        # why: the coloured areas already show each flip; vertical strokes at every flip of a
        # busy strategy would paint the chart solid, so only the levels are stroked
        xs = [sx(t) for t, _ in pts] + [sx(pts[-1][0])]
        d = "".join(f"M{xs[i]} {sy(v)}H{xs[i + 1]}" for i, (_, v) in enumerate(pts))
    else:
        d = _line_d(pts, s.step, sx, sy)
    return f'<path d="{d}" fill="none" stroke="{s.color}" stroke-width="1.4"/>'


def _triangle(up: bool) -> str:
    # why: the apex sits on the price, the body points away from it
    return "l-5 9h10z" if up else "l-5 -9h10z"


def fmt_price(v: float, decimals: int | None) -> str:
    """Format a price with ``decimals`` places (the tick's), else up to 8 significant digits."""
    return f"{v:,.8g}" if decimals is None else f"{v:,.{decimals}f}"


def _marker_tip(m: Markers, mk: Marker) -> str:
    if mk.count == 1:
        return f"{m.name} {mk.qty:,.8g} @ {fmt_price(mk.price, m.decimals)} · {iso_utc(mk.ts)}"
    avg = fmt_price(mk.price, m.decimals)
    if m.decimals is not None:
        # why: an average of tick prices may need two places more than the tick, not more zeros
        avg = fmt_price(mk.price, m.decimals + 2)
        avg = avg[:-2].rstrip(".") if avg.endswith("00") else avg
    return (
        f"{mk.count:,} {m.name} fills · qty {mk.qty:,.8g} · avg {avg} · "
        f"{iso_utc(mk.first_ns)} → {iso_utc(mk.last_ns)}"
    )


def _marker_group(m: Markers, marks: list[Marker], sx, sy) -> str:
    if not marks:
        return ""
    shape = _triangle(m.up)
    items = "".join(
        f'<path data-count="{mk.count}" d="M{sx(mk.ts)} {sy(mk.price)}{shape}">'
        f"<title>{esc(_marker_tip(m, mk))}</title></path>"
        for mk in marks
    )
    return (
        f'<g data-markers="{esc(m.name)}" data-fills="{len(m.points)}" fill="{m.color}" '
        f'fill-opacity="0.8" stroke="#fff" stroke-width="0.6">{items}</g>'
    )


def _band(b: Band, xr: tuple[int, int], sx, ph: int) -> str:
    lo, hi = max(b.t0, xr[0]), min(b.t1, xr[1])
    if hi <= lo:
        return ""
    x0, x1 = sx(lo), sx(hi)
    return (
        f'<rect data-risk-band="{esc(b.label)}" x="{x0}" y="{TOP}" width="{round(x1 - x0, 1)}" '
        f'height="{ph}" fill="{b.color}" fill-opacity="0.10"><title>{esc(b.label)}</title></rect>'
    )


def _event(e: Event, xr: tuple[int, int], sx, h: int) -> str:
    if not xr[0] <= e.ts <= xr[1]:
        return ""
    x = sx(e.ts)
    return (
        f'<g data-risk-event="{esc(e.code)}" stroke="{e.color}" fill="{e.color}">'
        f"<title>{esc(e.label)}</title>"
        f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{h - BOTTOM}" stroke-dasharray="3 3" '
        f'stroke-width="1.2"/><path d="M{x} {TOP}l-4 -6h8z" stroke="none"/></g>'
    )


def _legend(chart: Chart, marks: list[list[Marker]]) -> str:
    out = [f'<text x="{LEFT}" y="18" font-size="13" font-weight="600" fill="#0f172a">'
           f"{esc(chart.title)}</text>"]  # fmt: skip
    x = LEFT + 8 * len(chart.title) + 28
    items = [(s.name, _swatch_line(s.color)) for s in chart.series]
    for m, ms in zip(chart.markers, marks):
        n = len(m.points)
        count = f"{n:,}" if len(ms) == n else f"{n:,}, merged"
        swatch = f'<path d="M8 {9 if m.up else 19}{_triangle(m.up)}" fill="{m.color}"/>'
        items.append((f"{m.name} ({count})", swatch))
    items += [(hl.name, _swatch_line(hl.color, dash=True)) for hl in chart.hlines]
    kinds: dict[str, tuple[str, int]] = {}
    for e in chart.events:
        color, n = kinds.get(e.code, (e.color, 0))
        kinds[e.code] = (color, n + 1)
    for code, (color, n) in kinds.items():
        swatch = f'<line x1="8" x2="8" y1="6" y2="20" stroke="{color}" stroke-dasharray="3 2"/>'
        items.append((f"{code.lower().replace('_', ' ')} ({n})", swatch))
    for name, swatch in items:
        out.append(
            f'<g transform="translate({x} 0)">{swatch}<text x="22" y="18">{esc(name)}</text></g>'
        )
        x += 22 + 7 * len(name) + 18
    return f'<g font-size="12" fill="#334155">{"".join(out)}</g>'


def _swatch_line(color: str, dash: bool = False) -> str:
    extra = ' stroke-dasharray="4 3"' if dash else ""
    return f'<line x1="0" x2="16" y1="14" y2="14" stroke="{color}" stroke-width="2"{extra}/>'
