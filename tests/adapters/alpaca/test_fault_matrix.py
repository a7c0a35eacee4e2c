"""Every fault kind of the fake venue, one seed each in ``make test`` (the full matrix, every kind
x seeds 1-3, is ``make faults``): no lost fill, no duplicate order, and the kernel's final
positions and cash equal the venue's."""

from __future__ import annotations

import pytest
from live_harness import FAULTS, KEY, SECRET, run_session

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]
SEEDS = (1,)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_fault_matrix_no_lost_fill_no_duplicate_positions_match(tmp_path, monkeypatch, kind, seed):
    monkeypatch.setenv("EC_TEST_KEY", KEY)
    monkeypatch.setenv("EC_TEST_SECRET", SECRET)
    r = run_session(tmp_path, kind, seed)
    c = r.consistency
    why = f"{kind} seed {seed}: {c} injected={r.injected} orders={r.orders} adapter={r.adapter}"
    assert not c.lost, f"lost fills {c.lost}; {why}"
    assert not c.duplicated, f"fills counted twice {c.duplicated}; {why}"
    assert not c.duplicate_orders, f"orders placed twice {c.duplicate_orders}; {why}"
    assert not c.mismatches, why
    assert r.injected > 0, f"no {kind} fault was injected: the test would prove nothing; {why}"
    assert c.venue_fills >= 5, why
