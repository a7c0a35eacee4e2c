"""The spot account's balances per asset (free and locked, exact ``Decimal``) and its marks.

Binance's spot bookkeeping: an open order locks what it may spend (a buy with a limit price:
quantity x limit in the quote asset; a sell: the quantity in the base asset; a market buy locks
nothing: it is checked against the free quote at the last price); a fill releases its share of
the lock and moves the assets at the fill's price; the commission is charged in the asset
received (a buy pays it in the base asset, a sell in the quote asset) at the maker or taker
rate, rounded half-even to 8 decimals; a cancel or expiry releases the rest of the lock.
Amounts may not go below zero except a market buy's quote, which the last price only
estimates. ``mark(symbol, ticks)`` is how the shared market core reports the last price.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

EIGHT = Decimal("0.00000001")


def fmt8(value: Decimal) -> str:
    """Binance's decimal text: eight places (``"0.00100000"``)."""
    return f"{value.quantize(EIGHT, rounding=ROUND_HALF_EVEN):.8f}"


def commission(amount: Decimal, bps: Decimal) -> Decimal:
    """``amount`` x ``bps`` / 10000, rounded half-even to 8 decimals."""
    return (amount * bps / 10000).quantize(EIGHT, rounding=ROUND_HALF_EVEN)


class Wallet:
    """Free and locked amounts per asset; ``changed`` collects the assets a step touched."""

    __slots__ = ("changed", "free", "locked", "marks")

    def __init__(self, balances: dict[str, str]) -> None:
        self.free: dict[str, Decimal] = {a: Decimal(v) for a, v in sorted(balances.items())}
        self.locked: dict[str, Decimal] = dict.fromkeys(self.free, Decimal(0))
        self.marks: dict[str, Fraction] = {}  # venue symbol -> last price in ticks
        self.changed: list[str] = []

    def mark(self, symbol: str, ticks: int | Fraction) -> None:
        self.marks[symbol] = Fraction(ticks)

    def _touch(self, asset: str) -> None:
        self.free.setdefault(asset, Decimal(0))
        self.locked.setdefault(asset, Decimal(0))
        if asset not in self.changed:
            self.changed.append(asset)

    def can_spend(self, asset: str, amount: Decimal) -> bool:
        return self.free.get(asset, Decimal(0)) >= amount

    def lock(self, asset: str, amount: Decimal) -> None:
        self._touch(asset)
        assert self.free[asset] >= amount, (asset, amount)
        self.free[asset] -= amount
        self.locked[asset] += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        if amount:
            self._touch(asset)
            self.locked[asset] -= amount
            self.free[asset] += amount
            assert self.locked[asset] >= 0, (asset, amount)

    def move(self, asset: str, amount: Decimal) -> None:
        """Add ``amount`` (negative: take it) to the free balance."""
        self._touch(asset)
        self.free[asset] += amount

    def take_changed(self) -> list[str]:
        out, self.changed = self.changed, []
        return out

    def total(self, asset: str) -> Decimal:
        return self.free.get(asset, Decimal(0)) + self.locked.get(asset, Decimal(0))

    def balances_json(self) -> list[dict[str, str]]:
        """``GET /api/v3/account``'s ``balances``: every asset, in name order."""
        return [
            {"asset": a, "free": fmt8(self.free[a]), "locked": fmt8(self.locked[a])}
            for a in sorted(self.free)
        ]

    def position_json(self, assets: list[str]) -> list[dict[str, str]]:
        """``outboundAccountPosition``'s ``B``: the assets that changed."""
        return [{"a": a, "f": fmt8(self.free[a]), "l": fmt8(self.locked[a])} for a in assets]
