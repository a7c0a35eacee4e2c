"""IB account values and positions -> the kernel's ``AccountReport``. Pure.

The account's money comes from ``reqAccountUpdates`` (``updateAccountValue`` rows: ``tag``,
``value``, ``currency``, ``account``): ``TotalCashValue`` is the cash, ``NetLiquidation`` the
equity, ``BuyingPower`` the buying power, each in the account's base currency (the row whose
currency is the ``Currency`` tag's value; IB repeats some tags per currency and as ``BASE``).
Positions come from ``reqPositions`` (``account``, ``contract``, ``position``, ``avgCost``):
``avgCost`` is the average price including commissions, times the multiplier for futures and
options, so the cost basis is ``avgCost / multiplier / tick x lots`` (ticks x lots), rounded
to a whole number (``AccountReport``'s unit). A position in a symbol the session has no instrument
for is left out (the kernel reports it as untracked from the symbols ``held`` gives).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from kernel.events import AccountReport
from kernel.units import Instrument
from live.adapters.ibkr.errors import MalformedMessage
from live.adapters.ibkr.wire import lots, money, number

CASH, EQUITY, BUYING_POWER = "TotalCashValue", "NetLiquidation", "BuyingPower"


def _mine(account: str, wanted: str) -> bool:
    return not wanted or account == wanted


def base_currency(values: Iterable[Any], account: str = "") -> str:
    """The account's base currency (the ``Currency`` tag), else USD."""
    for v in values:
        if v.tag == "Currency" and _mine(v.account, account) and v.value:
            return str(v.value)
    return "USD"


def money_values(values: Iterable[Any], account: str = "") -> tuple[str, dict[str, int]]:
    """``(currency, {tag: money units})`` for cash, equity and buying power."""
    rows = [v for v in values if _mine(v.account, account)]
    currency = base_currency(rows)
    out: dict[str, int] = {}
    for tag in (CASH, EQUITY, BUYING_POWER):
        for v in rows:
            if v.tag == tag and v.currency in (currency, "BASE", "") and tag not in out:
                out[tag] = money(v.value, tag)
    return currency, out


def position_row(pos: Any, symbol: str, inst: Instrument) -> tuple[str, int, int]:
    """One ``Position`` -> ``(symbol, signed lots, signed cost in ticks x lots)``."""
    qty = lots(inst, pos.position, "position")
    avg = number(pos.avgCost)
    if avg is None:
        raise MalformedMessage("avgCost", f"{pos.avgCost!r} for {symbol}")
    per_unit = avg / inst.multiplier
    cost = (per_unit / inst.tick_size * qty).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return symbol, qty, int(cost)


def account_report(
    venue: str,
    values: Iterable[Any],
    positions: Iterable[Any],
    symbol_of: Callable[[Any], str],
    instrument_of: Callable[[str], Instrument | None],
    account: str,
    final: bool,
    now: int,
) -> AccountReport:
    """The ``AccountReport`` of one IB account (``account`` "" = every row: a single account)."""
    currency, cash = money_values(values, account)
    rows = []
    for pos in positions:
        if not _mine(pos.account, account):
            continue
        symbol = symbol_of(pos.contract)
        inst = instrument_of(symbol)
        if inst is None or not number(pos.position):
            continue
        rows.append(position_row(pos, symbol, inst))
    equity = cash.get(EQUITY, cash.get(CASH, 0))
    return AccountReport(
        venue,
        currency,
        cash.get(CASH, 0),
        equity,
        cash.get(BUYING_POWER, cash.get(CASH, 0)),
        tuple(sorted(rows)),
        final,
        now,
        now,
    )


def held_symbols(
    positions: Iterable[Any], symbol_of: Callable[[Any], str], account: str
) -> list[str]:
    """The symbols the account holds (not flat), sorted."""
    return sorted(
        {
            symbol_of(p.contract)
            for p in positions
            if _mine(p.account, account) and number(p.position)
        }
    )
