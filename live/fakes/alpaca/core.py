"""What the accounts of one fake venue share: ids, the clock, the symbols' markets, the routing.

Accounts. Each ``(key, secret)`` of the config (``config.key_pairs()``: ``key`` / ``secret``
first, then ``accounts``) is one account: a ``live.fakes.alpaca.venue.FakeVenue`` with its own
orders, ``client_order_id`` index, fills, ledger (cash, positions) and ``trade_updates``
publisher. They share one ``VenueCore``: the deterministic ids (order ids are uuids from one
sequence, so they never collide across accounts; asset ids are the same for every account), the
clock (the data's time) and the markets. A venue with one account behaves exactly as before
accounts existed.

Modes. ``recorded``: every account has its own ``RecordedMarket`` per symbol, so each meets the
recorded market on its own (the backtest's fill rules), as a venue with one account does.
``exchange``: one ``sim.exchange_market.ExchangeMarket`` per symbol for every account: the
recorded quotes (or trades) are background liquidity, the accounts' orders trade with each
other at the resting order's price (price-time priority), and self-trade prevention (cancel
newest) applies within an account -- the owner of an order in the engine is its account --
never across. A fill between two accounts reaches each side as its own report (maker and taker
share one execution id: a uuid named after the engine's trade id). What a market or IOC order
cannot take at once is canceled; stops trigger on trades only (the engine's and recorded ones).

Routing. An order's key in its market (``k1``, ``k2``, ... from one counter) maps to its
account; every report a market gives goes to the account owning its key (``FakeVenue.receive``).
Market data goes through the core (``on_quote`` / ``on_trade`` / ``on_bar`` / ``on_book``): the
clock moves (expiring what falls due, earliest first across every market), every account's marks
move, then the symbol's market(s) see the data. With book data the core also keeps each symbol's
recorded book as clients see it (``depth``: ``live.fakes.alpaca.depth``); marks are its mid. In exchange mode each execution an account's order took as
the taker is printed on the data stream's trades (``on_execution(symbol, ts, price, lots)``),
and the quotes stream shows the engine's touch (``on_top(symbol, ts, top)`` whenever the best
prices or their sizes change: the recorded market's and every account's orders alike);
fills of resting orders by the recorded market moving through them are not printed (the
recorded data is the market's own record of that). A symbol without data is marked (positions'
``current_price``, equity) at its last execution.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from kernel.enums import Liquidity
from kernel.events import BookUpdate, OrderFilled, QuoteTick, TradeTick
from kernel.units import Instrument
from live.fakes.alpaca.config import FakeAlpacaConfig
from live.fakes.alpaca.depth import Delta, Depth
from live.fakes.alpaca.orders import Ids
from sim.bars import on_bar
from sim.exchange_market import ExchangeMarket
from sim.recorded import RecordedMarket

if TYPE_CHECKING:
    from live.fakes.alpaca.venue import FakeVenue

Market = RecordedMarket | ExchangeMarket
_TAKER = int(Liquidity.TAKER)


def _no_fee(instrument: Instrument, price_ticks: int, qty_lots: int, maker: bool) -> int:
    return 0


class Book:
    """One symbol at the venue: its instrument, asset id and matching engine."""

    __slots__ = ("asset_id", "inst", "market", "symbol")

    def __init__(self, inst: Instrument, asset_id: str, market: Market) -> None:
        self.inst = inst
        self.symbol = inst.symbol
        self.asset_id = asset_id
        self.market = market


def working(market: Market, key: str) -> bool:
    """Whether the order ``key`` is still open in ``market`` (can be canceled or modified)."""
    if isinstance(market, ExchangeMarket):
        return market.engine.order(key) is not None
    return key in market.orders


class VenueCore:
    """The shared side of one venue (see the module docstring). Single-threaded."""

    def __init__(self, config: FakeAlpacaConfig) -> None:
        self.config = config
        self.ids = Ids(config.seed)
        self.exchange = config.mode == "exchange"
        self.instruments = config.instruments()
        self.inst = self.instruments[0]
        self.now = 0
        self.accounts: list[FakeVenue] = []
        self.owners: dict[str, FakeVenue] = {}  # market key -> account
        self.markets: list[Market] = []  # every market, accounts in order, books in order
        self.by_symbol: dict[str, list[Market]] = {i.symbol: [] for i in self.instruments}
        self.on_execution: Callable[[str, int, int, int], None] | None = None
        self.on_top: Callable[[str, int, tuple[int | None, int, int | None, int]], None] | None = (
            None
        )
        self._tops: dict[str, tuple[int | None, int, int | None, int]] = {}
        self._keys = 0
        self._logins: dict[str, FakeVenue] = {}
        self._shared = self._books() if self.exchange else None
        self._undata = {f.symbol for f in config.feeds() if f.data is None}  # marked by trades
        self.depth: dict[str, Depth] = (
            {i.symbol: Depth() for i in self.instruments} if config.kind == "book" else {}
        )

    # --- accounts --------------------------------------------------------------------------------
    def join(self, account: FakeVenue) -> dict[str, Book]:
        """Register ``account`` (its ``key``); return the books its orders go to."""
        self.accounts.append(account)
        self._logins[account.key] = account
        return self._shared if self._shared is not None else self._books()

    def login(self, key: str | None, secret: str | None) -> FakeVenue | None:
        """The account of a key pair (None: no such key, or the wrong secret)."""
        account = self._logins.get(key or "")
        return account if account is not None and account.secret == secret else None

    def counts(self) -> dict[str, int]:
        """Orders, fills, cancels, replaces and updates summed over the accounts."""
        out: dict[str, int] = {}
        for account in self.accounts:
            for k, v in account.counts.items():
                out[k] = out.get(k, 0) + v
        return out

    # --- markets ---------------------------------------------------------------------------------
    def _books(self) -> dict[str, Book]:
        books = {}
        for inst in self.instruments:
            cls = ExchangeMarket if self.exchange else RecordedMarket
            market = cls(inst, "alpaca", self.config.kind, fee=_no_fee, next_id=self._market_id)
            self.markets.append(market)
            self.by_symbol[inst.symbol].append(market)
            books[inst.symbol] = Book(inst, self.ids.name(f"asset:{inst.symbol}"), market)
        return books

    def _market_id(self, kind: str) -> str:
        return self.ids.next("execution" if kind == "t" else "venue")

    def new_key(self, account: FakeVenue) -> str:
        """A fresh key for an order of ``account`` in its market."""
        self._keys += 1
        key = f"k{self._keys}"
        self.owners[key] = account
        return key

    def deliver(self, events: list | None, market: Any = None) -> None:
        """Route the reports a market returned to the accounts whose orders they concern; in
        exchange mode publish ``market``'s touch if it changed."""
        if market is not None and self.exchange:
            self._top(market)
        if not events:
            return
        for ev in events:
            if self.exchange and type(ev) is OrderFilled:
                ev.trade_id = self.ids.name(f"execution:{ev.trade_id}")  # why: Alpaca's are uuids
                if ev.liquidity == _TAKER:
                    if ev.symbol in self._undata:
                        self._mark(ev.symbol, ev.price_ticks)
                    if self.on_execution is not None:
                        self.on_execution(ev.symbol, self.now, ev.price_ticks, ev.qty_lots)
            account = self.owners.get(ev.client_order_id)
            if account is not None:
                account.receive(ev)

    # --- market data (the venue clock) -----------------------------------------------------------
    def advance_to(self, ts: int) -> None:
        """Move the clock to ``ts`` (never back), expiring what falls due on the way (every
        market, earliest first; a tie in account, then book order)."""
        while True:
            due: int | None = None
            market: Market | None = None
            for m in self.markets:
                d = m.next_wakeup()
                if d is not None and (due is None or d < due):
                    due, market = d, m
            if due is None or market is None or due > ts:
                break
            self.now = max(self.now, due)
            self.deliver(market.wake(self.now), market)
        self.now = max(self.now, ts)

    def _top(self, market: Any) -> None:
        top = market.top()
        symbol = market.symbol
        if self._tops.get(symbol) != top:
            self._tops[symbol] = top
            if self.on_top is not None:
                self.on_top(symbol, self.now, top)

    def _mark(self, symbol: str, ticks: int | Fraction) -> None:
        for account in self.accounts:
            account.ledger.mark(symbol, ticks)

    def on_quote(
        self,
        symbol: str,
        ts: int,
        bid: int,
        ask: int,
        bid_lots: int | None,
        ask_lots: int | None,
    ) -> None:
        self.advance_to(ts)
        self._mark(symbol, Fraction(bid + ask, 2))
        for m in self.by_symbol[symbol]:
            self.deliver(m.on_quote(QuoteTick(symbol, bid, ask, bid_lots, ask_lots, ts, ts)), m)

    def on_trade(self, symbol: str, ts: int, price: int, lots: int, side: int) -> None:
        self.advance_to(ts)
        self._mark(symbol, price)
        for m in self.by_symbol[symbol]:
            self.deliver(m.on_trade(TradeTick(symbol, price, lots, side, None, ts, ts)), m)

    def on_bar(self, symbol: str, ts: int, open_ns: int, o: int, h: int, low: int, c: int) -> None:
        self.advance_to(ts)
        for m in self.by_symbol[symbol]:
            self.deliver(on_bar(m, open_ns, o, h, low, c, ts))  # type: ignore[arg-type]
        self._mark(symbol, c)

    def on_book(
        self, symbol: str, ts: int, deltas: tuple[Delta, ...], snapshot: bool
    ) -> list[Delta]:
        """A recorded L2 update (a snapshot replaces the book); return the levels of the shown
        book (``depth``) it changed."""
        self.advance_to(ts)
        depth = self.depth[symbol]
        changed = depth.apply(deltas, snapshot)
        bid, _, ask, _ = depth.top()
        if bid is not None and ask is not None:
            self._mark(symbol, Fraction(bid + ask, 2))
        update = BookUpdate(symbol, deltas, snapshot, ts, ts)
        for m in self.by_symbol[symbol]:
            self.deliver(m.on_book(update), m)
        return changed
