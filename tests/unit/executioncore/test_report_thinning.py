"""Chart thinning keeps what the eye looks for: each bucket's first, last, min and max; every
position change while they fit; a bounded number of fill markers that still account for every
fill (issue 15, point 5). Properties checked with Hypothesis, then on the demo's report."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st
from report_runs import charts, ran

from executioncore.charts import Chart, Series, render_chart
from executioncore.thinning import aggregate_markers, bucket_extremes, step_changes

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def series(vals: list[float]) -> list[tuple[int, float]]:
    return [(i * 7, v) for i, v in enumerate(vals)]


@given(st.lists(values, min_size=1, max_size=400), st.integers(min_value=4, max_value=120))
def test_bucket_extremes_keeps_first_last_min_max_of_every_bucket(vals, max_points):
    pts = series(vals)
    out = bucket_extremes(pts, max_points)
    assert len(out) <= max_points
    assert list(out) == sorted(out)  # time order, no duplicates (distinct times)
    assert len(set(out)) == len(out)
    kept = set(out)
    if len(pts) <= max_points:
        assert list(out) == pts
        return
    n, buckets = len(pts), max_points // 4
    for b in range(buckets):
        chunk = pts[b * n // buckets : (b + 1) * n // buckets]
        if not chunk:
            continue
        assert chunk[0] in kept and chunk[-1] in kept
        inside = [p for p in chunk if p in kept]
        assert min(v for _, v in inside) == min(v for _, v in chunk)
        assert max(v for _, v in inside) == max(v for _, v in chunk)


@given(
    st.lists(st.sampled_from([-2.0, -1.0, 0.0, 1.0, 3.0]), min_size=1, max_size=300),
    st.integers(min_value=8, max_value=400),
)
def test_step_changes_keeps_every_change_when_under_the_limit(vals, max_points):
    pts = series(vals)
    out = list(step_changes(pts, max_points))
    changes = [pts[0]] + [b for a, b in itertools.pairwise(pts) if b[1] != a[1]]
    if len(changes) + 1 <= max_points:
        assert set(changes) <= set(out)
        # the step line through what is kept has the value of the full series at every time
        j = 0
        for t, v in pts:
            while j + 1 < len(out) and out[j + 1][0] <= t:
                j += 1
            assert out[j][1] == v
    assert len(out) <= max(max_points, 2)
    assert out[0] == pts[0] and out[-1] == pts[-1]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.floats(1.0, 1e5, allow_nan=False),
            st.floats(0.0, 100.0, allow_nan=False),
        ),
        max_size=300,
    ),
    st.integers(min_value=1, max_value=60),
)
def test_aggregate_markers_is_bounded_and_accounts_for_every_fill(raw, max_markers):
    fills = sorted(raw)
    marks = aggregate_markers(fills, max_markers, (0, 10_000))
    assert len(marks) <= max_markers
    assert sum(m.count for m in marks) == len(fills)
    assert abs(sum(m.qty for m in marks) - sum(q for _, _, q in fills)) < 1e-6 * (1 + len(fills))
    for m in marks:
        assert m.first_ns <= m.ts <= m.last_ns
        lo = min(p for t, p, _ in fills if m.first_ns <= t <= m.last_ns)
        hi = max(p for t, p, _ in fills if m.first_ns <= t <= m.last_ns)
        assert lo - 1e-6 <= m.price <= hi + 1e-6
    if len(fills) <= max_markers:
        assert [(m.ts, m.price, m.qty) for m in marks] == fills


def test_position_chart_is_a_step_line_through_every_flip():
    pos = [(i, 1.0 if (i // 3) % 2 else -1.0) for i in range(0, 600)]
    svg = render_chart(Chart("p", series=[Series("net", "#000", pos, step=True)], max_points=500))
    d = re.search(r'<path d="([^"]*)" fill="none"', svg).group(1)
    assert "L" not in d  # horizontal and vertical moves only
    levels = [re.match(r"M[\d.]+ ([\d.]+)", d).group(1), *re.findall(r"V([\d.]+)", d)]
    flips = sum(1 for a, b in itertools.pairwise(levels) if a != b)
    assert flips == 600 // 3 - 1  # every flip, none invented


def test_report_demo_price_chart_draws_fills_merged_and_the_line_on_top():
    demo = ran("demo")
    svg = charts(demo.html)["BTC-PERP · price and fills"]
    fills = demo.result.record.fills
    for side in ("buy", "sell"):
        group = re.search(rf'<g data-markers="{side}" data-fills="(\d+)"[^>]*>(.*?)</g>', svg)
        assert int(group.group(1)) == sum(f["side"] == side for f in fills)
        counts = [int(c) for c in re.findall(r'data-count="(\d+)"', group.group(2))]
        assert len(counts) <= 50 and sum(counts) == int(group.group(1))
    # the price line is drawn after (over) the markers
    assert svg.index('data-markers="sell"') < svg.index('stroke="#334155" stroke-width="1.4"')


def test_report_demo_position_chart_keeps_every_position_change():
    demo = ran("demo")
    svg = charts(demo.html)["BTC-PERP · position"]
    positions = demo.result.record.positions["BTC-PERP"]
    changes = sum(1 for a, b in itertools.pairwise(positions) if a[1] != b[1])
    line = re.search(r'<path d="([^"]*)" fill="none"', svg).group(1)
    levels = re.findall(r"M[\d.]+ ([\d.]+)H", line)
    drawn_changes = sum(1 for a, b in itertools.pairwise(levels) if a != b)
    assert changes > 400 and drawn_changes == changes
    assert 'fill="#16a34a"' in svg and 'fill="#dc2626"' in svg  # long and short areas
