"""Bundled scenarios run for the report tests: the result, the statistics and the HTML, cached
per process (each scenario runs in well under a second)."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from executioncore.analytics import compute_stats
from executioncore.report import render_report
from executioncore.runner import prepare
from executioncore.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@dataclass
class Ran:
    result: Any
    stats: dict[str, Any]
    html: str


@cache
def ran(name: str) -> Ran:
    """Run the bundled scenario ``name`` once; return its result, statistics and report."""
    out = Path(tempfile.mkdtemp(prefix=f"report-{name}-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    result = prepare(load_scenario(SCENARIOS / f"{name}.yaml"), out_dir=out).execute()
    stats = compute_stats(result.record)
    return Ran(result, stats, render_report(result.record, stats))


def section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert m, f"no section {anchor}"
    return m.group(1)


def charts(html: str) -> dict[str, str]:
    """Every inline chart of the report by its aria-label."""
    return dict(
        re.findall(r'<svg class="chart"[^>]*aria-label="([^"]*)"[^>]*>(.*?)</svg>', html, re.S)
    )


def card(html: str, key: str) -> tuple[str, str]:
    """(data-value, shown text) of the headline card ``key``."""
    m = re.search(
        rf'<div class="card" data-card="{key}" data-value="([^"]*)">'
        r'<div class="k">[^<]*</div><div class="v[^"]*">([^<]*)</div>',
        html,
    )
    assert m, f"no card {key}"
    return m.group(1), m.group(2)


def table_rows(html: str, anchor: str) -> list[dict[str, str]]:
    """The rows of the table in section ``anchor`` as {header: cell text}."""
    body = section(html, anchor)
    heads = re.findall(r"<th>(.*?)</th>", body)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.split("</thead>", 1)[-1], re.S):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        rows.append(dict(zip(heads, cells)))
    return rows
