"""One account of the fake venue: a netting position per symbol, cash, marks; their JSON.

Average-cost accounting, exact: a position keeps its signed quantity (lots) and its signed cost
(sum of entry price ticks x lots, a ``Fraction`` once reductions have happened); a reduction
takes the average cost off, a flip opens the rest at the fill price. Cash moves by each fill's
exact notional (int money units); Alpaca charges no commission on equities. The mark is the
last mid (quotes), else the last trade, else the last bar close; before any, the average entry
price. Equity = cash + every position marked (a short's market value is negative);
``portfolio_value`` = equity; ``long_market_value`` / ``short_market_value`` sum the longs and
the shorts; ``buying_power`` is twice the equity (a 2x margin account). A position opened
before the session (``open_position``) takes its cost from the cash, like a fill. Money fields
are exact, rounded half-even to 1e-9 when finer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from kernel.units import MONEY_SCALE, Instrument, money_to_units, units_to_money
from live.fakes.alpaca.orders import dec_text, fmt_ns
from sim.session import utc_midnight_after


@dataclass(slots=True)
class Position:
    qty: int = 0  # signed lots
    cost: Fraction = field(default_factory=Fraction)  # signed ticks x lots of the open quantity
    realized: Fraction = field(default_factory=Fraction)  # ticks x lots


class Ledger:
    """Positions, cash and marks of the fake account."""

    def __init__(
        self,
        instruments: dict[str, Instrument],
        cash: str,
        ids: Any,
        currency: str = "USD",
        tag: str = "",
    ) -> None:
        """``tag`` tells one account's ids from another's (``""`` for the first account)."""
        self.instruments = instruments
        self.initial_cash = money_to_units(cash, "cash")
        self.cash = self.initial_cash
        self.currency = currency
        self.positions: dict[str, Position] = {s: Position() for s in sorted(instruments)}
        self.opening_value = Fraction(0)  # money: positions held from before, at their cost
        self.marks: dict[str, Fraction] = {}  # ticks
        self.account_id = ids.name("account" + tag)
        number = ids.name("account-number" + tag)
        self.account_number = "PA" + number.replace("-", "")[:10].upper()
        self.created_ns = 0

    def open_position(self, symbol: str, lots: int, cost: Fraction, cost_money: int) -> None:
        """Hold ``lots`` (signed) at a cost of ``cost`` ticks x lots from before the session;
        ``cost_money`` (signed money units) comes out of the cash (and the starting cash)."""
        pos = self.positions[symbol]
        pos.qty, pos.cost = lots, Fraction(cost)
        self.opening_value += self._money(self.instruments[symbol], pos.cost)
        self.cash -= cost_money
        self.initial_cash -= cost_money

    def on_fill(self, symbol: str, side: int, price: int, lots: int) -> int:
        """Book a fill; return the position after it (signed lots)."""
        inst = self.instruments[symbol]
        self.cash -= side * inst.notional_money(price, lots)
        pos = self.positions[symbol]
        q = pos.qty
        if q == 0 or (q > 0) == (side > 0):
            pos.cost += side * price * lots
            pos.qty += side * lots
            return pos.qty
        closing = min(lots, abs(q))
        avg = pos.cost / q
        pos.realized += (price - avg) * closing * (1 if q > 0 else -1)
        pos.cost -= avg * closing * (1 if q > 0 else -1)
        pos.qty += side * closing
        rest = lots - closing
        if pos.qty == 0:
            pos.cost = Fraction(0)
        if rest:
            pos.cost = Fraction(side * price * rest)
            pos.qty = side * rest
        return pos.qty

    def mark(self, symbol: str, ticks: int | Fraction) -> None:
        self.marks[symbol] = Fraction(ticks)

    def _money(self, inst: Instrument, ticks_lots: Fraction) -> Fraction:
        """Ticks x lots -> money (currency units), exact."""
        return ticks_lots * Fraction(inst.ticklot_money, MONEY_SCALE)

    def market_value(self, symbol: str) -> Fraction:
        inst = self.instruments[symbol]
        pos = self.positions[symbol]
        mark = self.marks.get(symbol)
        if mark is None:
            return self._money(inst, pos.cost)
        return self._money(inst, mark * pos.qty)

    def equity(self) -> Fraction:
        cash = Fraction(self.cash, MONEY_SCALE)
        return cash + sum((self.market_value(s) for s in self.positions), Fraction(0))

    # --- JSON -------------------------------------------------------------------------------
    def position_json(self, symbol: str, asset_id: str, exchange: str) -> dict[str, Any] | None:
        """alpaca-py ``Position`` (None when flat)."""
        pos = self.positions.get(symbol)
        if pos is None or pos.qty == 0:
            return None
        inst = self.instruments[symbol]
        tick = Fraction(inst.tick_size)
        shares = Fraction(inst.lot_size) * pos.qty
        avg_px = pos.cost / pos.qty * tick
        mark = self.marks.get(symbol, pos.cost / pos.qty)
        price = mark * tick
        cost_basis = self._money(inst, pos.cost)
        value = self._money(inst, mark * pos.qty)
        pl = value - cost_basis
        plpc = pl / abs(cost_basis) if cost_basis else Fraction(0)
        return {
            "asset_id": asset_id,
            "symbol": symbol,
            "exchange": exchange,
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": dec_text(avg_px),
            "qty": dec_text(shares),
            "qty_available": dec_text(shares),
            "side": "long" if pos.qty > 0 else "short",
            "market_value": money_text(value),
            "cost_basis": money_text(cost_basis),
            "unrealized_pl": money_text(pl),
            "unrealized_plpc": dec_text(plpc),
            "unrealized_intraday_pl": money_text(pl),
            "unrealized_intraday_plpc": dec_text(plpc),
            "current_price": dec_text(price),
            "lastday_price": dec_text(price),
            "change_today": "0",
        }

    def initial_equity(self) -> Fraction:
        """Cash and positions at their entry cost when the session began."""
        return Fraction(self.initial_cash, MONEY_SCALE) + self.opening_value

    def account_json(self, now_ns: int) -> dict[str, Any]:
        """alpaca-py ``TradeAccount``."""
        cash = units_to_money(self.cash)
        equity = self.equity()
        longs = sum(
            (self.market_value(s) for s, p in self.positions.items() if p.qty > 0), Fraction(0)
        )
        shorts = sum(
            (self.market_value(s) for s, p in self.positions.items() if p.qty < 0), Fraction(0)
        )
        power = max(equity, Fraction(0)) * 2
        return {
            "id": self.account_id,
            "account_number": self.account_number,
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": self.currency,
            "buying_power": money_text(power),
            "regt_buying_power": money_text(power),
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": dec_text(max(cash, 0)),
            "cash": dec_text(cash),
            "accrued_fees": "0",
            "pending_transfer_out": "0",
            "pending_transfer_in": "0",
            "portfolio_value": money_text(equity),
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": fmt_ns(self.created_ns),
            "trade_suspended_by_user": False,
            "multiplier": "2",
            "shorting_enabled": True,
            "equity": money_text(equity),
            "last_equity": money_text(self.initial_equity()),
            "long_market_value": money_text(longs),
            "short_market_value": money_text(shorts),
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "daytrade_count": 0,
            "options_approved_level": 0,
            "options_trading_level": 0,
        }


def money_text(value: Fraction) -> str:
    """A money amount as exact decimal text, rounded half-even to 1e-9 when finer."""
    units = Fraction(value) * MONEY_SCALE
    if units.denominator != 1:
        units = Fraction(round(units))  # why: round() on a Fraction is half-even
    return dec_text(Fraction(int(units), MONEY_SCALE))


def clock_json(now_ns: int) -> dict[str, Any]:
    """alpaca-py ``Clock``: the venue trades around the clock on its data's time, so it is
    always open and "reopens" at once after each UTC midnight close."""
    close = utc_midnight_after(now_ns)
    return {
        "timestamp": fmt_ns(now_ns),
        "is_open": True,
        "next_open": fmt_ns(close),
        "next_close": fmt_ns(close),
    }
