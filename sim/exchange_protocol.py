"""What the exchange engine's collaborators may ask of it: one small protocol for each.

The matching engine (``sim.exchange.MatchingEngine``, its core in ``sim.matching``) keeps the
book and the index of live records; two collaborators keep the rest of the state on their own
and reach the engine only through these operations, never through its private attributes:

- ``sim.exchange_reduce_only.ReduceOnly`` (reduce-only orders) sees it as ``ReduceOnlyEngine``;
- ``sim.exchange_auction.Auctions`` (sessions, auctions, expiries) sees it as ``AuctionsEngine``.

The operations, by name (all take the record, never an id, except ``order``):

- ``order(oid)``: the live record of ``oid``, or None.
- ``work(rec, now, out)``: match a record against the book now; rest or cancel what is left.
- ``kill(rec, now, out, event)``: take a live record out of wherever it is and report ``event``
  (``OrderCanceled`` or ``OrderExpired``); a reduce-only one leaves its index on the next
  ``settle``.
- ``settle(now, out)``: drop closed reduce-only orders from their index, re-check the others
  and work triggered orders until nothing is left.
- ``detach(rec)``: take a collected record out of the live index, silently, to be worked next.
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


class ReduceOnlyEngine(Protocol):
    """The engine as ``sim.exchange_reduce_only.ReduceOnly`` uses it."""

    @property
    def positions(self) -> dict[object, int]: ...

    def kill(self, rec: Rec, now: int, out: list, event: type) -> None: ...

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
