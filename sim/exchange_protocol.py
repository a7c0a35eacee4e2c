"""What the exchange engine's collaborators may ask of it: one small protocol for each.

The matching engine (``sim.exchange.MatchingEngine``, its core in ``sim.matching``) keeps the
book and the index of live records; two collaborators keep the rest of the state on their own
and reach the engine only through these operations, never through its private attributes:

- ``sim.exchange_links.Links`` (OCO, OTO, brackets, reduce-only) sees it as ``LinksEngine``;
- ``sim.exchange_auction.Auctions`` (sessions, auctions, expiries) sees it as ``AuctionsEngine``.

The operations, by name (all take the record, never an id, except ``order``):

- ``order(oid)``: the live record of ``oid``, or None.
- ``route(rec, now, out)``: send an accepted or released record where it works (trigger, auction
  collection or the book).
- ``work(rec, now, out)``: match a record against the book now; rest or cancel what is left.
- ``kill(rec, now, out, event)``: take a live record out of wherever it is and report ``event``
  (``OrderCanceled`` or ``OrderExpired``); its links are followed on the next ``settle``.
- ``settle(now, out)``: follow links, re-check reduce-only orders and work triggered orders
  until nothing is left.
- ``hold(rec)``: keep a new record live but waiting (an OTO child whose parent is working).
- ``detach(rec)``: take a waiting record (held or collected) out of the live index, silently,
  to be routed or worked next.
- ``shrink(rec, leaves)``: lower a live record's open quantity (a resting one keeps its place).
- ``cross(maker, taker, qty, price, now, out)``: one execution between two live records outside
  continuous matching (an auction): both fill reports, positions, the book.
- ``traded(price, now, out)``: trades outside a sweep happened at ``price`` (last price,
  triggers, reduce-only re-check).

``out`` is the list of events of the current call; ``now`` int ns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sim.book import Book
    from sim.exchange_orders import Rec


class LinksEngine(Protocol):
    """The engine as ``sim.exchange_links.Links`` uses it."""

    @property
    def positions(self) -> dict[object, int]: ...

    def order(self, oid: str) -> Rec | None: ...

    def route(self, rec: Rec, now: int, out: list) -> None: ...

    def kill(self, rec: Rec, now: int, out: list, event: type) -> None: ...

    def hold(self, rec: Rec) -> None: ...

    def detach(self, rec: Rec) -> None: ...

    def shrink(self, rec: Rec, leaves: int) -> None: ...


class AuctionsEngine(Protocol):
    """The engine as ``sim.exchange_auction.Auctions`` uses it."""

    @property
    def book(self) -> Book: ...

    @property
    def last_price(self) -> int | None: ...

    @property
    def stp(self) -> str: ...

    def order(self, oid: str) -> Rec | None: ...

    def work(self, rec: Rec, now: int, out: list) -> None: ...

    def kill(self, rec: Rec, now: int, out: list, event: type) -> None: ...

    def settle(self, now: int, out: list) -> None: ...

    def detach(self, rec: Rec) -> None: ...

    def cross(self, maker: Rec, taker: Rec, qty: int, price: int, now: int, out: list) -> None: ...

    def traded(self, price: int, now: int, out: list) -> None: ...
