"""The in-process sweep of the 3 x 3 grid, run once: every executor must give these rows."""

from __future__ import annotations

import pytest
from sweep_helpers import DEMO, GRID, sweep_json


@pytest.fixture(scope="session")
def local_sweep(tmp_path_factory):
    """(rows, output folder) of the grid run in this process (``--workers 1``)."""
    out = tmp_path_factory.mktemp("sweep-local")
    code, rows, err = sweep_json(DEMO, *GRID, "--workers", 1, "--out", out)
    assert code == 0, err
    return rows, out
