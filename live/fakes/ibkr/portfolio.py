"""The account as IB reports it: account values, positions and portfolio items of the ledger.

The ledger (``live.fakes.alpaca.ledger.Ledger``: netting positions at average cost, cash, marks
at the last mid or trade) is the truth; this module only words it the IB way. Account values,
in the account currency and exact: ``NetLiquidation`` = ``EquityWithLoanValue`` = cash plus
every position marked; ``TotalCashValue`` = ``SettledCash`` = ``CashBalance`` = cash;
``GrossPositionValue`` = the sum of the positions' absolute market values; a Reg T style
margin of 50% initial and 25% maintenance: ``InitMarginReq`` = gross / 2, ``MaintMarginReq`` =
gross / 4, ``AvailableFunds`` = equity - initial margin, ``ExcessLiquidity`` = equity -
maintenance margin, ``BuyingPower`` = 2 x max(available funds, 0). The venue reports these; it
does not enforce them. ``averageCost`` of a position is its average entry price (multiplier 1).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kernel.units import MONEY_SCALE
from live.fakes.alpaca.ledger import Ledger, money_text
from live.fakes.alpaca.orders import dec_text
from live.fakes.ibkr.contracts import IbContract
from live.fakes.ibkr.wire import (
    ACCOUNT_SUMMARY,
    ACCOUNT_UPDATE_MULTI,
    ACCT_VALUE,
    PORTFOLIO_VALUE,
    POSITION_DATA,
)

SUMMARY_TAGS = (
    "AccountType", "NetLiquidation", "TotalCashValue", "SettledCash", "BuyingPower",
    "EquityWithLoanValue", "GrossPositionValue", "InitMarginReq", "MaintMarginReq",
    "AvailableFunds", "ExcessLiquidity", "FullInitMarginReq", "FullMaintMarginReq",
    "FullAvailableFunds", "FullExcessLiquidity",
)  # fmt: skip


def _money_per_ticklot(c: IbContract) -> Fraction:
    return Fraction(c.inst.ticklot_money, MONEY_SCALE)


def account_values(ledger: Ledger, contracts: list[IbContract]) -> dict[str, str]:
    """Every account value the venue reports, by IB tag (money as exact text)."""
    equity = ledger.equity()
    cash = Fraction(ledger.cash, MONEY_SCALE)
    gross = sum((abs(ledger.market_value(c.venue_symbol)) for c in contracts), Fraction(0))
    realized = unrealized = Fraction(0)
    for c in contracts:
        u, r = position_pnl(ledger, c)
        unrealized, realized = unrealized + u, realized + r
    init, maint = gross / 2, gross / 4
    money = {
        "NetLiquidation": equity, "EquityWithLoanValue": equity, "TotalCashValue": cash,
        "SettledCash": cash, "CashBalance": cash, "GrossPositionValue": gross,
        "InitMarginReq": init, "MaintMarginReq": maint, "FullInitMarginReq": init,
        "FullMaintMarginReq": maint, "AvailableFunds": equity - init,
        "FullAvailableFunds": equity - init, "ExcessLiquidity": equity - maint,
        "FullExcessLiquidity": equity - maint, "BuyingPower": max(equity - init, Fraction(0)) * 2,
        "UnrealizedPnL": unrealized, "RealizedPnL": realized,
    }  # fmt: skip
    out = {"AccountType": "INDIVIDUAL"}
    out.update((tag, money_text(v)) for tag, v in money.items())
    return out


def position_pnl(ledger: Ledger, c: IbContract) -> tuple[Fraction, Fraction]:
    """``(unrealized, realized)`` money of one symbol's position."""
    pos = ledger.positions[c.venue_symbol]
    per = _money_per_ticklot(c)
    unrealized = ledger.market_value(c.venue_symbol) - pos.cost * per
    return unrealized, pos.realized * per


def avg_cost(ledger: Ledger, c: IbContract) -> str:
    """The position's average entry price (0 when flat)."""
    pos = ledger.positions[c.venue_symbol]
    if not pos.qty:
        return "0"
    return dec_text(pos.cost / pos.qty * Fraction(c.inst.tick_size))


def position(account: str, ledger: Ledger, c: IbContract) -> list[Any]:
    """position (61, version 3): account, contract, position, avgCost."""
    qty = c.inst.lots_to_qty(ledger.positions[c.venue_symbol].qty)
    return [POSITION_DATA, 3, account, *c.fields(), qty, avg_cost(ledger, c)]


def portfolio(account: str, ledger: Ledger, c: IbContract) -> list[Any]:
    """updatePortfolio (7, version 8): position, marketPrice, marketValue, averageCost,
    unrealizedPNL, realizedPNL, accountName."""
    sym = c.venue_symbol
    pos = ledger.positions[sym]
    mark = ledger.marks.get(sym)
    if mark is None:
        mark = pos.cost / pos.qty if pos.qty else Fraction(0)
    unrealized, realized = position_pnl(ledger, c)
    return [
        PORTFOLIO_VALUE, 8, *c.portfolio_fields(), c.inst.lots_to_qty(pos.qty),
        dec_text(mark * Fraction(c.inst.tick_size)), money_text(ledger.market_value(sym)),
        avg_cost(ledger, c), money_text(unrealized), money_text(realized), account,
    ]  # fmt: skip


def account_value(tag: str, value: str, currency: str, account: str) -> list[Any]:
    """updateAccountValue (6, version 2)."""
    return [ACCT_VALUE, 2, tag, value, "" if tag == "AccountType" else currency, account]


def summary(req_id: int, account: str, tag: str, value: str, currency: str) -> list[Any]:
    """accountSummary (63, version 1)."""
    return [ACCOUNT_SUMMARY, 1, req_id, account, tag, value,
            "" if tag == "AccountType" else currency]  # fmt: skip


def update_multi(req_id: int, account: str, tag: str, value: str, currency: str) -> list[Any]:
    """accountUpdateMulti (73, version 1): the model code is empty."""
    return [ACCOUNT_UPDATE_MULTI, 1, req_id, account, "", tag, value,
            "" if tag == "AccountType" else currency]  # fmt: skip
