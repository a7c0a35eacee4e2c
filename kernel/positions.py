"""Netting positions with average-cost accounting, the account, marks and P&L, all in ints.

A position keeps its signed quantity (lots) and its signed cost basis (sum of price_ticks x
lots of what is open, so the average price is ``cost / qty``). A fill that adds to the position
adds to the cost; a fill that reduces it removes the closed part's share of the cost and
realizes ``proceeds - removed cost``; a fill larger than the position closes it and opens the
rest the other way at the fill price (a flip). When a reduction closes only part of the
position, the share of cost it removes is ``floor(cost x closed / open)``: the remainder of that
division stays in the open position, so cost is conserved and, exactly, at every moment

    realized + unrealized == sum over fills of side x qty x (mark - price)   (the cash-flow P&L)

and realized P&L is exact whenever the position is flat. Money is ``ticklots x ticklot_money``.

Marks, as the contract says: the last mid when the symbol has quotes, else the last trade, else
the last bar close. A mid can fall on a half tick, so marks are kept doubled (``mark2``).

The account is a margin account: cash = starting cash + realized P&L - commissions, and
equity = cash + unrealized P&L, per currency.

A crypto account holds several assets. A spot pair (an instrument with a ``base``, such as
BTC/USDT) trades its base asset against its quote currency: the position (lots) is what its
fills bought and sold; a commission charged in another asset than the quote (the base asset
bought, or a third one such as BNB) is booked to that asset's cash, so each asset's
``balance`` - its cash, plus the lots of the pairs based on it - is exact to the exchange's.
Equity over every currency (``equity()``) converts each at the latest known rate into the
account currency: 1 for the currency itself and, for USD, the USD stablecoins; a base asset at
its pair's mark; a currency without a known rate is left out.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kernel.units import MONEY_SCALE, Instrument

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

USD_STABLES = frozenset({"USDT", "USDC"})  # count 1:1 for USD (CONTRACT.md "Currencies")

# mark sources, in order of preference
MARK_NONE = 0
MARK_BAR = 1
MARK_TRADE = 2
MARK_MID = 3


class Position:
    """One netting position: ``qty`` (signed lots), ``cost`` (signed ticks x lots), P&L in money.

    ``apply_fill`` is O(1). ``realized`` and ``commission`` are money units; ``fills`` counts
    executions; ``turnover`` is the traded notional in money units.
    """

    __slots__ = (
        "commission",
        "cost",
        "fills",
        "qty",
        "realized",
        "strategy_id",
        "symbol",
        "ticklot_money",
        "turnover",
    )

    def __init__(self, symbol: str, ticklot_money: int, strategy_id: str | None = None) -> None:
        self.symbol = symbol
        self.strategy_id = strategy_id
        self.ticklot_money = ticklot_money
        self.qty = 0
        self.cost = 0
        self.realized = 0
        self.commission = 0
        self.fills = 0
        self.turnover = 0

    def apply_fill(self, side: int, price_ticks: int, qty_lots: int, commission: int = 0) -> int:
        """Book a fill; return the realized P&L it produced (money units, before commission)."""
        qty = self.qty
        signed = side * qty_lots
        self.fills += 1
        self.commission += commission
        self.turnover += price_ticks * qty_lots * self.ticklot_money
        if qty == 0 or (qty > 0) == (side > 0):
            self.qty = qty + signed
            self.cost += signed * price_ticks
            return 0
        open_lots = qty if qty > 0 else -qty
        close_lots = qty_lots if qty_lots < open_lots else open_lots
        if close_lots == open_lots:
            removed = self.cost
        else:
            removed = (self.cost * close_lots) // open_lots
        closing = side * close_lots
        realized_ticklots = -closing * price_ticks - removed
        self.qty = qty + closing
        self.cost -= removed
        rest = qty_lots - close_lots
        if rest:
            self.qty += side * rest
            self.cost += side * rest * price_ticks
        money = realized_ticklots * self.ticklot_money
        self.realized += money
        return money

    def unrealized(self, mark2: int) -> int:
        """Unrealized P&L in money units at a doubled mark (``bid + ask``, or ``2 x price``)."""
        if not self.qty:
            return 0
        # (qty x mark2 / 2 - cost) x ticklot_money; exact when ticklot_money is even (always at
        # the 1e-9 money scale unless tick x lot x multiplier has 9 decimals), floored otherwise
        return ((self.qty * mark2 - 2 * self.cost) * self.ticklot_money) // 2

    def avg_price_ticks(self) -> float | None:
        """Average open price in ticks (float, for display)."""
        return self.cost / self.qty if self.qty else None

    def __repr__(self) -> str:
        who = f"{self.strategy_id}:" if self.strategy_id else ""
        return (
            f"Position({who}{self.symbol} qty={self.qty} cost={self.cost} realized={self.realized})"
        )


class MarketState:
    """The last market data seen for one symbol; the mark is derived from it on demand.

    The kernel stores only the last quote, trade and bar objects (one attribute store per
    event on the hot path); ``mark2`` picks the contract's preferred source when asked.
    """

    __slots__ = ("book", "last_bar", "last_quote", "last_trade", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.last_quote: Any = None
        self.last_trade: Any = None
        self.last_bar: Any = None
        self.book: Any = None  # an L2Book once book data arrives

    @property
    def bid(self) -> int | None:
        q = self.last_quote
        if q is not None:
            return q.bid_ticks  # type: ignore[no-any-return]
        return None if self.book is None else self.book.best_bid

    @property
    def ask(self) -> int | None:
        q = self.last_quote
        if q is not None:
            return q.ask_ticks  # type: ignore[no-any-return]
        return None if self.book is None else self.book.best_ask

    @property
    def mark2(self) -> int | None:
        """Twice the mark in ticks: last quote mid, else book mid, else last trade, else last bar
        close (a book with one side only marks at that side)."""
        q = self.last_quote
        if q is not None:
            return q.bid_ticks + q.ask_ticks
        book = self.book
        if book is not None:
            bid, ask = book.best_bid, book.best_ask
            if bid is not None and ask is not None:
                return bid + ask  # type: ignore[no-any-return]
            if bid is not None or ask is not None:
                return 2 * (bid if bid is not None else ask)  # type: ignore[no-any-return]
        t = self.last_trade
        if t is not None:
            return 2 * t.price_ticks
        b = self.last_bar
        if b is not None:
            return 2 * b.close_ticks
        return None

    @property
    def mark_source(self) -> int:
        if self.last_quote is not None or self.book is not None:
            return MARK_MID
        if self.last_trade is not None:
            return MARK_TRADE
        return MARK_BAR if self.last_bar is not None else MARK_NONE

    def last_price(self) -> int | None:
        """A reference price in ticks (the mark, rounded down to a tick), or None."""
        m = self.mark2
        return None if m is None else m // 2


class Portfolio:
    """Positions per symbol and per (symbol, strategy), the account's cash, and the marks.

    ``apply_fill`` updates both levels and the account; equity and P&L are computed from the
    positions and the current marks on demand (O(number of positions)).
    """

    __slots__ = (
        "_by_currency",
        "_multi",
        "_pairs",
        "_spot",
        "base_fees",
        "commissions",
        "currency",
        "instruments",
        "markets",
        "positions",
        "realized",
        "start_cash",
        "strategy_positions",
    )

    def __init__(
        self,
        instruments: dict[str, Instrument],
        currency: str,
        starting_cash: dict[str, int] | None = None,
    ) -> None:
        self.instruments = instruments
        self.currency = currency
        self.start_cash: dict[str, int] = dict(starting_cash or {currency: 0})
        self.start_cash.setdefault(currency, 0)
        self.realized: dict[str, int] = dict.fromkeys(self.start_cash, 0)
        self.commissions: dict[str, int] = dict.fromkeys(self.start_cash, 0)
        self.positions: dict[str, Position] = {}
        self.strategy_positions: dict[tuple[str, str], Position] = {}
        self.markets: dict[str, MarketState] = {}
        self._by_currency: dict[str, list[str]] = {}
        # why: equity is computed on every fill when a loss limit is watched; (position, market)
        # pairs per currency let it read the marks without a method call per symbol
        self._pairs: dict[str, list[tuple[Position, MarketState]]] = {}
        for sym, inst in instruments.items():
            self.positions[sym] = Position(sym, inst.ticklot_money)
            self.markets[sym] = MarketState(sym)
            self._by_currency.setdefault(inst.currency, []).append(sym)
            self._pairs.setdefault(inst.currency, []).append(
                (self.positions[sym], self.markets[sym])
            )
            self.start_cash.setdefault(inst.currency, 0)
            self.realized.setdefault(inst.currency, 0)
            self.commissions.setdefault(inst.currency, 0)
        # spot pairs: base asset -> [(symbol, base units per lot)]; fees paid in a pair's base
        self._spot: dict[str, list[tuple[str, int]]] = {}
        self.base_fees: dict[str, int] = {}
        for sym, inst in instruments.items():
            if inst.base is not None:
                per_lot = inst.lot_size * inst.multiplier * MONEY_SCALE
                if per_lot != per_lot.to_integral_value():
                    raise ValueError(f"{sym}: lot {inst.lot_size} finer than 1e-9 {inst.base}")
                self._spot.setdefault(inst.base, []).append((sym, int(per_lot)))
                self._touch(inst.base)
        # why: equity() converts other currencies only when there is something to convert; a
        # single-currency account (every backtest so far) keeps the one-currency fast path
        self._multi = bool(self._spot) or any(
            self._fixed_rate(c) is not None for c in self.start_cash if c != currency
        )

    def _touch(self, currency: str) -> None:
        self.start_cash.setdefault(currency, 0)
        self.realized.setdefault(currency, 0)
        self.commissions.setdefault(currency, 0)

    # --- booking ------------------------------------------------------------------------------
    @cython.locals(pos=Position)
    def apply_fill(
        self,
        symbol: str,
        strategy_id: str,
        side: int,
        price_ticks: int,
        qty_lots: int,
        commission: int,
        commission_currency: str = "",
    ) -> int:
        """Book a fill at both levels; return the instrument-level realized P&L (money).
        ``commission`` is in ``commission_currency`` ("" = the instrument's): another asset's
        is charged to that asset's cash (the position's own commission is its currency's)."""
        if commission_currency and commission_currency != self.instruments[symbol].currency:
            self.charge(symbol, commission_currency, commission)
            commission = 0
        pos = self.positions[symbol]
        realized = pos.apply_fill(side, price_ticks, qty_lots, commission)
        key = (symbol, strategy_id)
        spos = self.strategy_positions.get(key)
        if spos is None:
            spos = self.strategy_positions[key] = Position(symbol, pos.ticklot_money, strategy_id)
        spos.apply_fill(side, price_ticks, qty_lots, commission)
        cur = self.instruments[symbol].currency
        self.realized[cur] += realized
        self.commissions[cur] += commission
        return realized

    def charge(self, symbol: str, asset: str, amount: int) -> None:
        """A commission of ``amount`` units of ``asset`` on a fill of ``symbol`` (a spot pair's
        base asset, or a third asset such as BNB)."""
        self._touch(asset)
        self.commissions[asset] += amount
        inst = self.instruments[symbol]
        if asset == inst.base:
            self.base_fees[symbol] = self.base_fees.get(symbol, 0) + amount
        self._multi = True

    # --- queries ------------------------------------------------------------------------------
    def position_qty(self, symbol: str, strategy_id: str | None = None) -> int:
        if strategy_id is None:
            return self.positions[symbol].qty
        spos = self.strategy_positions.get((symbol, strategy_id))
        return spos.qty if spos is not None else 0

    def unrealized(self, symbol: str) -> int:
        pos = self.positions[symbol]
        mark2 = self.markets[symbol].mark2
        return 0 if mark2 is None else pos.unrealized(mark2)

    def cash(self, currency: str | None = None) -> int:
        cur = currency or self.currency
        return (
            self.start_cash.get(cur, 0) + self.realized.get(cur, 0) - self.commissions.get(cur, 0)
        )

    def account_cash(self, currency: str | None = None) -> int:
        """Cash as a broker counts it (what buying spends): the margin-style ``cash`` less the
        cost of the open positions in ``currency``. Equity is the same either way."""
        cur = currency or self.currency
        held = 0
        for pos, _market in self._pairs.get(cur, ()):
            held += pos.cost * pos.ticklot_money
        return self.cash(cur) - held

    def set_account_cash(self, currency: str, cash: int) -> None:
        """Make ``account_cash(currency)`` equal a broker's ``cash`` (the starting cash moves;
        realized P&L and commissions are kept)."""
        if currency not in self.start_cash:
            self._touch(currency)
            self._multi = self._multi or self._fixed_rate(currency) is not None
        self.start_cash[currency] += cash - self.account_cash(currency)

    # --- the assets of a multi-asset (crypto) account -------------------------------------------
    def spot_pairs(self, asset: str) -> list[tuple[str, int]]:
        """The spot pairs based on ``asset``: ``(symbol, units of asset per lot)``."""
        return self._spot.get(asset, [])

    def balance(self, asset: str) -> int:
        """What the account holds of ``asset`` as an exchange counts it (units of 1e-9): its
        cash, plus the lots of the spot pairs based on it."""
        total = self.account_cash(asset)
        for sym, per_lot in self._spot.get(asset, ()):
            total += self.positions[sym].qty * per_lot
        return total

    def assets(self) -> list[str]:
        """Every currency and asset the account has booked anything in, sorted."""
        return sorted(self.start_cash)

    def held(self, symbol: str) -> int:
        """A spot pair's holding in units of its base asset: its lots less the fees paid in
        the base asset on its fills."""
        inst = self.instruments[symbol]
        per_lot = inst.lot_size * inst.multiplier * MONEY_SCALE
        return self.positions[symbol].qty * int(per_lot) - self.base_fees.get(symbol, 0)

    def _fixed_rate(self, currency: str) -> int | None:
        """1 where ``currency`` counts 1:1 for the account currency, else None."""
        if currency == self.currency or (self.currency == "USD" and currency in USD_STABLES):
            return 1
        return None

    def rate(self, currency: str) -> Fraction | None:
        """The latest known rate of ``currency`` in the account currency: 1:1 (itself, a USD
        stablecoin for USD), or a base asset's pair mark times its quote's rate; None when no
        rate is known."""
        fixed = self._fixed_rate(currency)
        if fixed is not None:
            return Fraction(fixed)
        for sym, _per_lot in self._spot.get(currency, ()):
            inst = self.instruments[sym]
            quote = self._fixed_rate(inst.currency)
            mark2 = self.markets[sym].mark2
            if quote is not None and mark2 is not None:
                return Fraction(mark2, 2) * Fraction(inst.tick_size) * quote
        return None

    def adopt(self, symbol: str, strategy_id: str, qty_lots: int, cost: int) -> None:
        """Set ``symbol``'s position to a broker's (``qty_lots``, ``cost`` in ticks x lots)
        without a fill: the difference is booked to ``strategy_id`` (positions adopted at start,
        or a broker's books taken as the truth), so strategy positions still sum to it."""
        pos = self.positions[symbol]
        dq, dc = qty_lots - pos.qty, cost - pos.cost
        if not dq and not dc:
            return
        pos.qty, pos.cost = qty_lots, cost
        key = (symbol, strategy_id)
        spos = self.strategy_positions.get(key)
        if spos is None:
            spos = self.strategy_positions[key] = Position(symbol, pos.ticklot_money, strategy_id)
        spos.qty += dq
        spos.cost += dc

    def unrealized_total(self, currency: str | None = None) -> int:
        """Unrealized P&L of every position in ``currency`` (O(symbols), no calls per symbol)."""
        total = 0
        for pos, market in self._pairs.get(currency or self.currency, ()):
            qty = pos.qty
            if not qty:
                continue
            q = market.last_quote
            if q is not None:
                mark2 = q.bid_ticks + q.ask_ticks
            else:  # book mid, trade, bar
                mark2 = market.mark2
                if mark2 is None:
                    continue
            total += ((qty * mark2 - 2 * pos.cost) * pos.ticklot_money) // 2
        return total

    def equity(self, currency: str | None = None) -> int:
        """Cash and unrealized P&L in ``currency``; with none given, the account's equity: with
        several currencies, each at its latest known rate (see the module's note)."""
        if currency is None and self._multi:
            return self.total_equity()
        return self.cash(currency) + self.unrealized_total(currency)

    @property
    def multi_currency(self) -> bool:
        """True when another currency than the account's counts (a crypto account)."""
        return self._multi

    def total_equity(self) -> int:
        """Equity over every currency in the account currency, each at its latest known rate
        (a currency without one is left out)."""
        return self.converted(
            {cur: self.cash(cur) + self.unrealized_total(cur) for cur in self.start_cash}
        )

    def converted(self, amounts: dict[str, int]) -> int:
        """The sum of per-currency ``amounts`` in the account currency at the latest known
        rates (floored to a unit; a currency without a rate is left out)."""
        total = Fraction(0)
        for cur, amount in amounts.items():
            if amount:
                rate = self.rate(cur)
                if rate is not None:
                    total += amount * rate
        return int(total // 1)

    def position_notional(self, symbol: str, qty_lots: int) -> int | None:
        """|qty| x the mark, in money units, or None without a mark."""
        mark2 = self.markets[symbol].mark2
        if mark2 is None:
            return None
        return abs(qty_lots) * mark2 * self.positions[symbol].ticklot_money // 2

    def _check(self) -> None:
        """Invariants, for tests: strategy positions sum to the instrument position."""
        for sym, pos in self.positions.items():
            total = sum(p.qty for (s, _), p in self.strategy_positions.items() if s == sym)
            assert total == pos.qty, (sym, total, pos.qty)
