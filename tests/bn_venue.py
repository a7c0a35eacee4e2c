"""The local Binance venue (``live.fakes.binance``) of the Binance venue's and the CCXT
adapter's tests: paused on the bundled BTCUSDT trades, in a thread on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.binance import FakeBinanceConfig, VenueThread

ROOT = Path(__file__).resolve().parents[1]
TRADES = ROOT / "scenarios" / "data" / "binance_btcusdt-trades.parquet"
BN_KEYS = ("balances", "maker_bps", "taker_bps", "min_notional", "faults", "retry_after_s",
           "ban_s", "api_key", "api_secret")  # fmt: skip


@contextlib.contextmanager
def venue_maker(**fixed: Any) -> Iterator[Callable[..., VenueThread]]:
    """``make(advance=5, **kw)``: a paused venue with ``advance`` prints replayed (5: last
    39432.48 x 0.006329); keywords of ``FakeBinanceConfig`` go there (``fixed`` to every
    venue), the others to the market's. Every venue made stops when the block ends."""
    with contextlib.ExitStack() as running:

        def make(advance: int = 5, **kw: Any) -> VenueThread:
            bn = {**fixed, **{k: kw.pop(k) for k in BN_KEYS if k in kw}}
            market = FakeAlpacaConfig(
                symbol="BTCUSDT", data=TRADES, kind="trades", tick_size="0.01",
                lot_size="0.000001", start_paused=True, **kw,
            )  # fmt: skip
            venue = running.enter_context(VenueThread(FakeBinanceConfig(market=market, **bn)))
            if advance:
                venue.advance(advance)
            return venue

        yield make
