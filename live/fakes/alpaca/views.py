"""Read-only views of the fake venue: the account's fill activities and the test state dump."""

from __future__ import annotations

from typing import Any

from kernel.units import units_to_money
from live.fakes.alpaca.core import VenueCore
from live.fakes.alpaca.orders import dec_text, fmt_ns
from live.fakes.alpaca.venue import FakeVenue


def activities(
    venue: FakeVenue,
    after: int | None = None,
    until: int | None = None,
    direction: str = "desc",
    page_size: int = 100,
    page_token: str | None = None,
) -> list[dict[str, Any]]:
    """``GET /v2/account/activities/FILL``: one entry per fill, ids ``<time>::<execution>``.

    ``after`` / ``until`` bound the transaction time (exclusive, ns); ``page_token`` is the id
    of the last entry of the previous page; at most 100 a page.
    """
    fills = [
        f
        for f in venue.fills
        if (after is None or f["ts"] > after) and (until is None or f["ts"] < until)
    ]
    rows = [_activity(f) for f in fills]
    if direction != "asc":
        rows.reverse()
    if page_token is not None:
        ids = [r["id"] for r in rows]
        rows = rows[ids.index(page_token) + 1 :] if page_token in ids else []
    return rows[: max(1, min(page_size, 100))]


def _activity(fill: dict[str, Any]) -> dict[str, Any]:
    """A fill as Alpaca's ``FILL`` account activity (the execution id after ``::``)."""
    stamp = fill["timestamp"]  # 2024-01-02T14:30:00.123456789Z -> 20240102143000123
    seq = stamp[:23].replace("-", "").replace("T", "").replace(":", "").replace(".", "")
    return {
        "id": f"{seq}::{fill['execution_id']}",
        "activity_type": "FILL",
        "transaction_time": stamp,
        "type": fill["type"],
        "price": fill["price"],
        "qty": fill["qty"],
        "side": fill["side"],
        "symbol": fill["symbol"],
        "leaves_qty": fill["leaves_qty"],
        "order_id": fill["order_id"],
        "cum_qty": fill["cum_qty"],
        "order_status": fill["order_status"],
    }


def venue_state(core: VenueCore) -> dict[str, Any]:
    """``GET /_fake/state``: the first account's ``state`` (and the counts of all); with several
    accounts also ``accounts``: each one's ``state`` with its ``key`` and ``account_id``."""
    first = core.accounts[0]
    out = {**state(first), "counts": core.counts()}
    if len(core.accounts) > 1:
        out["accounts"] = [
            {"key": a.key, "account_id": a.ledger.account_id, **state(a)} for a in core.accounts
        ]
    return out


def state(venue: FakeVenue) -> dict[str, Any]:
    """Everything a test compares against: orders, fills, positions (in units), cash (one
    account)."""
    positions = {
        s: dec_text(venue.books[s].inst.lots_to_qty(p.qty))
        for s, p in venue.ledger.positions.items()
    }
    return {
        "now": fmt_ns(venue.now),
        "orders": [venue.order_view(o, nested=False) for o in venue.orders.values()],
        "fills": [{k: v for k, v in f.items() if k != "ts"} for f in venue.fills],
        "positions": positions,
        "cash": dec_text(units_to_money(venue.ledger.cash)),
        "counts": dict(venue.counts),
    }
