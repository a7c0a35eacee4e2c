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

    __slots__ = ("buying_power", "cash", "held", "k", "latest", "mismatch", "session_equity")

    def __init__(self, kernel: Kernel) -> None:
        self.k = kernel
        self.latest: dict[str, AccountReport] = {}  # the latest report per venue
        self.buying_power: dict[str, int] = {}
        self.mismatch: dict[str, tuple[Any, int]] = {}  # a difference seen once, per venue
        self.session_equity: int | None = None  # the equity the brokers first reported
        # several venues: what each holds as the kernel books it (its fills since its report)
        self.held: dict[tuple[str, str], int] = {}  # (venue, symbol) -> lots
        self.cash: dict[str, int] = {}  # venue -> cash in its report's currency

    def venue_symbols(self, venue: str) -> list[str]:
        """The symbols that trade at ``venue``: pinned to it, routed to it among others, or
        unpinned (any venue)."""
        routes = self.k.routes
        return [
            s
            for s, i in self.k.instruments.items()
            if i.venue in (None, venue) or venue in routes.get(s, ())
        ]

    def on_fill(self, venue: str | None, order_fill: tuple[str, int, int, int, int, str]) -> None:
        """With several venues, a fill at ``venue`` moves that venue's books (position, cash):
        each broker's report is compared with its own share. ``order_fill``: symbol, side,
        price in ticks, lots, commission and its currency."""
        report = self.latest.get(venue) if venue is not None else None
        if report is None or len(self.k.venues) < 2:
            return
        symbol, side, price, lots, commission, fee_currency = order_fill
        key = (report.venue, symbol)
        self.held[key] = self.held.get(key, 0) + side * lots
        inst = self.k.instruments[symbol]
        if inst.currency == report.currency:
            fee = commission if fee_currency in ("", report.currency) else 0
            money = price * lots * inst.ticklot_money
            self.cash[report.venue] = self.cash.get(report.venue, 0) - side * money - fee

    def _have(self, venue: str, symbol: str) -> int:
        """What the kernel books ``venue`` as holding of ``symbol`` (one venue: the position)."""
        if len(self.k.venues) < 2:
            return self.k.portfolio.positions[symbol].qty
        return self.held.get((venue, symbol), 0)

    def _cash(self, venue: str, currency: str) -> int:
        if len(self.k.venues) < 2:
            return self.k.portfolio.account_cash(currency)
        return self.cash.get(venue, 0)

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
            (sym, reported.get(sym, (0, 0))[0] - self._have(venue, sym))
            for sym in symbols
            if sym not in spot and reported.get(sym, (0, 0))[0] != self._have(venue, sym)
        )
        if report.balances:
            diffs += tuple(
                (asset, units - pf.balance(asset))
                for asset, units in self._assets(report, spot)
                if units != pf.balance(asset)
            )
        cash_diff = report.cash - self._cash(venue, report.currency)
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
        venue = report.venue
        for sym in symbols:
            qty, cost = reported.get(sym, (0, 0))
            if sym not in spot and (self._have(venue, sym) != qty or why != "mismatch"):
                self._adopt_position(venue, sym, qty, cost)
        differ = [(a, u) for a, u in self._assets(report, spot) if pf.balance(a) != u]
        for asset, _units in differ:  # why: the kernel's lots and fees kept where they agree
            pairs = [s for s, _per in pf.spot_pairs(asset) if s in spot]
            if pairs:
                qty, cost = reported.get(pairs[0], (0, 0))
                pf.adopt(pairs[0], EXTERNAL_ID, qty, cost)
        # why: after the positions' costs; with several venues in one currency, their sum
        self.cash[venue] = report.cash
        pf.set_account_cash(report.currency, self._currency_cash(report))
        for asset, units in differ:
            pf.set_account_cash(asset, units - (pf.balance(asset) - pf.account_cash(asset)))

    def _adopt_position(self, venue: str, sym: str, qty: int, cost: int) -> None:
        """``venue``'s holding of ``sym`` becomes ``(qty, cost)``; what other venues hold
        stays, at its share of the cost."""
        pf = self.k.portfolio
        if len(self.k.venues) < 2:
            pf.adopt(sym, EXTERNAL_ID, qty, cost)
            return
        pos = pf.positions[sym]
        other = pos.qty - self.held.get((venue, sym), 0)
        other_cost = pos.cost * other // pos.qty if pos.qty and other else 0
        pf.adopt(sym, EXTERNAL_ID, other + qty, other_cost + cost)
        self.held[(venue, sym)] = qty

    def _currency_cash(self, report: AccountReport) -> int:
        """The cash the kernel holds in the report's currency: the venue's (one venue), or the
        sum over the venues that report in it."""
        if len(self.k.venues) < 2:
            return report.cash
        cur = report.currency
        return sum(self.cash.get(v, 0) for v, r in sorted(self.latest.items()) if r.currency == cur)

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
