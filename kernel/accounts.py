"""The brokers' accounts, live: what each broker reports is the truth.

``Kernel.on_account`` journals an ``AccountReport`` and hands it here. The first report of a
venue adopts its cash and positions (positions opened before the session, at their average cost,
booked to the ``external`` owner) and sets the daily-loss baseline to the session's equity; the
final report (after the session's last reconciliation) is adopted too, so the summary's cash and
positions are the broker's. In between, a difference is adopted only when two reports repeat it
with no fill in between (a fill in flight explains a one-off). Buying power is kept for the
pre-trade check (``over_buying_power``).

A multi-asset (crypto) account reports its ``balances`` per asset: a spot pair's position is
then compared through its base asset's balance (the kernel's ``Portfolio.balance``: the pairs'
lots and the fees paid in the asset), exactly, and so is every other asset reported; adopting
a differing base balance sets the first pair's lots to the broker's and the rest (dust, fees)
to the asset's cash, so the balance is the broker's to the unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.events import AccountReport
from kernel.risk import reduces_position, touch_price

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.orders import Order

EXTERNAL_ID = "external"  # positions from fills of orders the kernel did not place


class Accounts:
    """One kernel's view of its brokers' accounts."""

    __slots__ = ("buying_power", "k", "latest", "mismatch", "session_equity")

    def __init__(self, kernel: Kernel) -> None:
        self.k = kernel
        self.latest: dict[str, AccountReport] = {}  # the latest report per venue
        self.buying_power: dict[str, int] = {}
        self.mismatch: dict[str, tuple[Any, int]] = {}  # a difference seen once, per venue
        self.session_equity: int | None = None  # the equity the brokers first reported

    def venue_symbols(self, venue: str) -> list[str]:
        """The symbols that trade at ``venue``: pinned to it, or unpinned (any venue)."""
        return [s for s, i in self.k.instruments.items() if i.venue in (None, venue)]

    def on_report(self, report: AccountReport) -> None:
        k = self.k
        venue = report.venue
        first = venue not in self.latest
        self.latest[venue] = report
        self.buying_power[venue] = report.buying_power
        reported = {sym: (qty, cost) for sym, qty, cost in report.positions}
        pf = k.portfolio
        if first:
            for sym in sorted(set(reported) - set(k.instruments)):
                k.notice(
                    "UNTRACKED_POSITION", f"{venue}: {sym} {reported[sym][0]} lots (no instrument)"
                )
        symbols = sorted(set(self.venue_symbols(venue)) | (set(reported) & set(k.instruments)))
        spot = {s for s in symbols if k.instruments[s].base is not None} if report.balances else ()
        diffs = tuple(
            (sym, reported.get(sym, (0, 0))[0] - pf.positions[sym].qty)
            for sym in symbols
            if sym not in spot and reported.get(sym, (0, 0))[0] != pf.positions[sym].qty
        )
        if report.balances:
            diffs += tuple(
                (asset, units - pf.balance(asset))
                for asset, units in self._assets(report, spot)
                if units != pf.balance(asset)
            )
        cash_diff = report.cash - pf.account_cash(report.currency)
        if first or report.final:
            self._adopt(report, symbols, reported, "start" if first else "final")
            if first:
                # why: the daily loss is measured from the session's start when it is later than
                # the day's: the equity the broker holds now, not the kernel's empty books
                k.risk.start_of_day_equity = pf.equity()
                if self.session_equity is None:
                    self.session_equity = pf.equity()
            self.mismatch.pop(venue, None)
            return
        if not diffs and not cash_diff:
            self.mismatch.pop(venue, None)
            return
        seen = (diffs, report.cash)
        if self.mismatch.get(venue) == (seen, k.stats.fills):
            k.notice(
                "ACCOUNT_ADOPTED",
                f"{venue}: positions {dict(diffs)} lots and cash {cash_diff} units differed "
                "in two reports: the broker's books adopted",
            )
            self._adopt(report, symbols, reported, "mismatch")
            self.mismatch.pop(venue, None)
        else:
            self.mismatch[venue] = (seen, k.stats.fills)

    def _adopt(
        self,
        report: AccountReport,
        symbols: list[str],
        reported: dict[str, tuple[int, int]],
        why: str,
    ) -> None:
        pf = self.k.portfolio
        spot = set()
        if report.balances:
            spot = {s for s in symbols if self.k.instruments[s].base is not None}
        for sym in symbols:
            qty, cost = reported.get(sym, (0, 0))
            if sym not in spot and (pf.positions[sym].qty != qty or why != "mismatch"):
                pf.adopt(sym, EXTERNAL_ID, qty, cost)
        differ = [(a, u) for a, u in self._assets(report, spot) if pf.balance(a) != u]
        for asset, _units in differ:  # why: the kernel's lots and fees kept where they agree
            pairs = [s for s, _per in pf.spot_pairs(asset) if s in spot]
            if pairs:
                qty, cost = reported.get(pairs[0], (0, 0))
                pf.adopt(pairs[0], EXTERNAL_ID, qty, cost)
        pf.set_account_cash(report.currency, report.cash)  # why: after the positions' costs
        for asset, units in differ:
            pf.set_account_cash(asset, units - (pf.balance(asset) - pf.account_cash(asset)))

    def _assets(self, report: AccountReport, spot: Any) -> list[tuple[str, int]]:
        """The assets of a multi-asset report compared with the kernel's balances: every one it
        reports, and the base of each of its spot pairs (0 when not reported); its cash
        currency is compared as cash."""
        have = dict(report.balances)
        for sym in spot:
            have.setdefault(self.k.instruments[sym].base, 0)
        have.pop(report.currency, None)
        return sorted(have.items())

    def over_buying_power(self, order: Order, venue: str) -> bool:
        """The order's value with the venue's other open orders on its side beyond the venue's
        buying power (orders that only reduce the position always pass)."""
        bp = self.buying_power.get(venue)
        if bp is None:
            return False
        k = self.k
        pf = k.portfolio
        sym = order.symbol
        buy_open, sell_open = k.oms.open_leaves(sym)
        same = buy_open if order.side > 0 else sell_open
        if reduces_position(pf.positions[sym].qty, order.side, order.quantity, same):
            return False
        market = pf.markets[sym]
        px = order.limit_ticks if order.limit_ticks is not None else order.stop_ticks
        if px is None:
            px = touch_price(market, order.side, market.last_price())
        if px is None:
            return False
        value = abs(px) * order.quantity * pf.positions[sym].ticklot_money
        for o in k.oms.open_orders():
            if o.venue == venue and o.side == order.side:
                opx = o.limit_ticks if o.limit_ticks is not None else (o.stop_ticks or px)
                leaves = o.quantity - o.filled_lots
                value += abs(opx) * leaves * pf.positions[o.symbol].ticklot_money
        return value > bp
