"""Fixtures of the local IB venue's tests: a venue in a thread on recorded quotes, ib_async
clients connected to it (disconnected after the test), and a bounded wait on ib_async's loop."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ib_async import IB, Stock

from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.ibkr import FakeIbkrConfig, VenueThread

QUOTES = """\
2024-01-02T14:30:00Z,100.00,100.02,500,700
2024-01-02T14:30:01Z,100.01,100.03,500,700
2024-01-02T14:30:02Z,100.02,100.04,500,700
2024-01-02T14:30:03Z,99.90,99.95,500,700
2024-01-02T14:30:04Z,100.10,100.12,500,700
"""  # ts, bid, ask, bid size, ask size: one row a second
IB_KEYS = ("account", "sec_types", "faults", "conn_lost_s", "max_rate")


@dataclass
class Client:
    """An ib_async ``IB`` connected to the venue and every error it reported."""

    ib: IB
    errors: list[tuple[int, int, str]] = field(default_factory=list)

    def codes(self) -> list[int]:
        return [code for _, code, _ in self.errors if code not in (2104, 2106, 2158)]

    def wait(self, pred: Callable[[], Any], timeout: float = 3.0) -> None:
        """Run ib_async's loop until ``pred()`` holds (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, "timed out waiting"
            self.ib.sleep(0.01)

    def settle(self, seconds: float = 0.1) -> None:
        """Let pending messages arrive (for checks that nothing more comes)."""
        self.ib.sleep(seconds)


@pytest.fixture
def make_venue(tmp_path: Path) -> Iterator[Callable[..., VenueThread]]:
    """``make_venue(quotes=QUOTES, **kw)``: a paused venue on ``quotes`` (CSV rows) for XYZ
    (tick 0.01, lot 1); keywords of ``FakeIbkrConfig`` go there, the others to the market's."""
    names = itertools.count()
    with contextlib.ExitStack() as running:

        def make(quotes: str = QUOTES, **kw: Any) -> VenueThread:
            ib_kw = {k: kw.pop(k) for k in IB_KEYS if k in kw}
            kw.setdefault("start_paused", True)
            if "symbols" not in kw and "data" not in kw:
                path = tmp_path / f"quotes{next(names)}.csv"
                path.write_text("ts,bid_px,ask_px,bid_sz,ask_sz\n" + quotes)
                kw.update(data=path, symbol="XYZ")
            config = FakeIbkrConfig(market=FakeAlpacaConfig(**kw), **ib_kw)
            return running.enter_context(VenueThread(config))

        yield make


@pytest.fixture
def xyz() -> Stock:
    return Stock("XYZ", "SMART", "USD")


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    """``connect(venue, client_id=1)``: an ib_async client of the venue."""
    clients: list[Client] = []

    def make(venue: VenueThread, client_id: int = 1, **kw: Any) -> Client:
        ib = IB()
        client = Client(ib)
        ib.errorEvent += lambda req_id, code, msg, contract: client.errors.append(
            (req_id, code, msg)
        )
        ib.connect("127.0.0.1", venue.port, clientId=client_id, timeout=5, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.ib.disconnect()
