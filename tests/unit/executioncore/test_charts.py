"""The SVG chart helpers: downsampling, ticks, time labels, escaping, the rendered element."""

from __future__ import annotations

import re

import pytest

from executioncore.charts import (
    Chart,
    Markers,
    Series,
    downsample,
    esc,
    iso_utc,
    nice_ticks,
    render_chart,
    thin,
    time_ticks,
)

SEC = 1_000_000_000


def test_downsample_long_series_keeps_bound_and_extremes():
    pts = [(i, float(i % 97)) for i in range(50_000)]
    pts[31_337] = (31_337, -1e6)
    pts[4_242] = (4_242, 1e6)
    out = downsample(pts, 2000)
    assert len(out) <= 2000
    assert (31_337, -1e6) in out and (4_242, 1e6) in out
    assert [t for t, _ in out] == sorted(t for t, _ in out)


def test_downsample_short_series_is_unchanged():
    pts = [(i, 1.0) for i in range(10)]
    assert downsample(pts, 2000) is pts


def test_thin_keeps_at_most_the_bound():
    assert len(thin(list(range(10_001)), 2000)) <= 2000
    assert thin([1, 2, 3], 2000) == [1, 2, 3]


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0.0, 10_000.0, [0, 2000, 4000, 6000, 8000, 10_000]),
        (100_000.0, 100_430.0, [100_000, 100_100, 100_200, 100_300, 100_400]),
        (-1.0, 1.0, [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ],
)
def test_nice_ticks_ranges_give_round_steps(lo, hi, expected):
    ticks, _ = nice_ticks(lo, hi)
    assert ticks == pytest.approx(expected)


def test_nice_ticks_small_step_reports_decimals():
    ticks, decimals = nice_ticks(86.69, 86.72)
    assert decimals == 2 and len(ticks) >= 3


def test_time_ticks_one_hour_span_gives_round_ten_minutes():
    t0 = 1_357_077_600 * SEC + 7 * SEC  # 22:00:07Z
    ticks = time_ticks(t0, t0 + 3600 * SEC)
    assert 3 <= len(ticks) <= 7
    assert all(t % (600 * SEC) == 0 for t in ticks)


def test_time_ticks_one_month_span_gives_mondays():
    t0 = 1_640_995_200 * SEC  # 2022-01-01, a Saturday
    ticks = time_ticks(t0, t0 + 31 * 86_400 * SEC)
    assert [iso_utc(t)[:10] for t in ticks] == ["2022-01-03", "2022-01-10", "2022-01-17",
                                                "2022-01-24", "2022-01-31"]  # fmt: skip


def test_iso_utc_formats_whole_and_fractional_seconds():
    assert iso_utc(1_357_077_600 * SEC) == "2013-01-01T22:00:00Z"
    assert iso_utc(1_357_077_600 * SEC + 123_456_789) == "2013-01-01T22:00:00.123Z"


def test_esc_markup_and_url_scheme_are_neutralised():
    assert esc("<b>x&y</b>") == "&lt;b&gt;x&amp;y&lt;/b&gt;"
    assert "://" not in esc("see https://example.com")


def test_render_chart_series_and_markers_gives_svg_with_viewbox_and_legend():
    chart = Chart(
        "P<&>",
        series=[Series("price", "#000", [(0, 1.0), (10 * SEC, 2.0)])],
        markers=[Markers("buy", "#0a0", [(5 * SEC, 1.5)], up=True)],
    )
    svg = render_chart(chart)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
    assert "P&lt;&amp;&gt;" in svg and "P<&>" not in svg
    assert ">price<" in svg and ">buy (1)<" in svg


def test_render_chart_no_data_is_empty():
    assert render_chart(Chart("empty", series=[Series("s", "#000", [])])) == ""


def test_render_chart_single_point_does_not_divide_by_zero():
    svg = render_chart(Chart("one", series=[Series("s", "#000", [(5, 0.0)])], include_zero=True))
    assert "<path" in svg and "nan" not in svg.lower()
