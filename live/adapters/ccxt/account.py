"""A spot account's currency and holdings, in the terms the live session asks for. Pure.

- ``account_currency``: the account's currency is the quote asset its instruments trade in
  (``CcxtConfig.quote`` when set; the most common quote of the instruments; else the
  exchange's usual one: USDT for Binance).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from kernel.units import Instrument

DEFAULT_QUOTE = {"binance": "USDT"}


def account_currency(
    configured: str | None, instruments: Iterable[Instrument], exchange: str
) -> str:
    if configured:
        return configured
    quotes = Counter(i.currency for i in instruments if i.base)
    if quotes:
        return sorted(quotes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return DEFAULT_QUOTE.get(exchange, "USD")
