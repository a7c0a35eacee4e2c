"""Call auctions: one clearing price for a set of buy and sell orders, and who trades with whom.

Clearing price (the usual exchange rule, e.g. Xetra/Euronext): the candidates are the limit
prices of all participating orders plus the reference price (the last trade, if any). At each
candidate ``p`` the demand is every market buy plus every buy limited at ``>= p``, the supply
every market sell plus every sell limited at ``<= p``; the executable volume is
``min(demand, supply)``. The price is the candidate that

1. maximises the executable volume, then
2. minimises the imbalance ``|demand - supply|``, then
3. is nearest the reference price (without one: the middle of the tied candidates), then
4. is the lower price.

Only market orders on both sides and no reference price: no price, no trade.

Allocation at the price: eligible orders in priority order (market orders first, then the
better limit, then time) are paired off; the smaller side fills completely. Self-trade
prevention applies to a pair with the same (non-None) owner: the policy cancels the newer
(higher sequence), the older, or both, and pairing continues with the next order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate

STP_NONE, STP_NEWEST, STP_OLDEST, STP_BOTH = 0, 1, 2, 3


def clearing_price(
    buys: Sequence[tuple[int | None, int]],
    sells: Sequence[tuple[int | None, int]],
    reference: int | None,
) -> tuple[int, int] | None:
    """Return ``(price, volume)`` of the auction, or None when nothing can trade.

    ``buys`` and ``sells`` are ``(limit_ticks or None for market, qty_lots)``. O(n log n).
    """
    buy_mkt = sum(q for p, q in buys if p is None)
    sell_mkt = sum(q for p, q in sells if p is None)
    buy_lim = sorted((p, q) for p, q in buys if p is not None)
    sell_lim = sorted((p, q) for p, q in sells if p is not None)
    buy_px = [p for p, _ in buy_lim]
    sell_px = [p for p, _ in sell_lim]
    # suffix sums of buy qty (limit >= p) and prefix sums of sell qty (limit <= p)
    buy_suffix = [*list(accumulate(reversed([q for _, q in buy_lim])))[::-1], 0]
    sell_prefix = [0, *accumulate(q for _, q in sell_lim)]
    candidates = set(buy_px) | set(sell_px)
    if reference is not None:
        candidates.add(reference)
    best_key: tuple[int, int] | None = None
    tied: list[int] = []
    for p in sorted(candidates):
        demand = buy_mkt + buy_suffix[bisect_left(buy_px, p)]
        supply = sell_mkt + sell_prefix[bisect_right(sell_px, p)]
        volume = min(demand, supply)
        if volume <= 0:
            continue
        key = (-volume, abs(demand - supply))
        if best_key is None or key < best_key:
            best_key, tied = key, [p]
        elif key == best_key:
            tied.append(p)
    if best_key is None:
        return None
    ref = reference if reference is not None else (tied[0] + tied[-1]) // 2
    price = min(tied, key=lambda p: (abs(p - ref), p))
    return price, -best_key[0]


def pair(
    buys: Sequence[tuple[object, int, int]],
    sells: Sequence[tuple[object, int, int]],
    stp: int,
) -> list[tuple[int, int, int]]:
    """Pair eligible orders given in priority order as ``(owner, seq, qty_lots)``.

    Returns actions in order: ``(i, j, qty)`` buy ``i`` trades ``qty`` with sell ``j``;
    ``(i, -1, 0)`` / ``(-1, j, 0)`` cancel buy ``i`` / sell ``j`` (self-trade prevention).
    """
    out: list[tuple[int, int, int]] = []
    i = j = 0
    nb, ns = len(buys), len(sells)
    b_left = buys[0][2] if nb else 0
    s_left = sells[0][2] if ns else 0
    while i < nb and j < ns:
        b_owner, b_seq, _ = buys[i]
        s_owner, s_seq, _ = sells[j]
        if stp != STP_NONE and b_owner is not None and b_owner == s_owner:
            if stp == STP_BOTH:
                drop_buy = drop_sell = True
            else:
                drop_buy = (b_seq > s_seq) == (stp == STP_NEWEST)
                drop_sell = not drop_buy
            if drop_buy:
                out.append((i, -1, 0))
                i += 1
                b_left = buys[i][2] if i < nb else 0
            if drop_sell:
                out.append((-1, j, 0))
                j += 1
                s_left = sells[j][2] if j < ns else 0
            continue
        qty = min(b_left, s_left)
        out.append((i, j, qty))
        b_left -= qty
        s_left -= qty
        if b_left == 0:
            i += 1
            b_left = buys[i][2] if i < nb else 0
        if s_left == 0:
            j += 1
            s_left = sells[j][2] if j < ns else 0
    return out
