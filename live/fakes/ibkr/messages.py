"""The order messages the venue sends, field for field as ib_async's decoder reads them.

openOrder (5), orderStatus (3), completedOrder (101), execDetails (11) and commissionReport (59)
for server versions 176-178 (``version`` decides ``faProfile`` and ``pendingPriceRevision``).
Unset values are empty fields (what ib_async parses as its ``UNSET_*`` defaults), a price an
order type does not use is ``0`` as TWS sends it, booleans ``1`` / ``0``, prices and sizes exact
decimal text. The field lists are long because the protocol is: each row of a list below is
one group of the decoder's tuple, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from live.fakes.alpaca.ledger import money_text
from live.fakes.ibkr.orders import IbOrder
from live.fakes.ibkr.wire import (
    COMMISSION_REPORT,
    COMPLETED_ORDER,
    EXECUTION_DATA,
    OPEN_ORDER,
    ORDER_STATUS,
    UNSET_DOUBLE_TEXT,
    ib_time,
)


@dataclass(slots=True)
class Execution:
    """One execution (a fill, or a piece of one): what execDetails and commissionReport say."""

    exec_id: str
    order: IbOrder
    ts_ns: int
    side: int
    lots: int
    price: int  # ticks
    cum_lots: int
    avg_price: Decimal
    liquidity: int  # 1 added (maker), 2 removed (taker): IB's lastLiquidity
    realized: Fraction | None  # money; None when the fill closed nothing
    currency: str

    @property
    def symbol(self) -> str:
        return self.order.contract.venue_symbol


def _prices(o: IbOrder) -> tuple[Any, Any]:
    """``(lmtPrice, auxPrice)`` as TWS shows them: 0 where the type takes none; TRAIL's aux is
    its amount."""
    px = o.inst.ticks_to_price
    lmt = px(o.lmt) if o.lmt is not None else 0
    aux = o.aux if o.aux is not None else o.trail_ticks
    return lmt, px(aux) if aux is not None else 0


def _trail(o: IbOrder) -> tuple[Any, Any]:
    """``(trailStopPrice, trailingPercent)``: empty unless a TRAIL order."""
    stop = o.inst.ticks_to_price(o.trail_stop) if o.trail_stop is not None else None
    return stop, (o.trail_pct or None)


def open_order(o: IbOrder, version: int) -> list[Any]:
    """openOrder (5) with the order's current ``status`` in its OrderState."""
    lmt, aux = _prices(o)
    stop, pct = _trail(o)
    fa = ["", "", ""] + (
        [""] if version < 177 else []
    )  # faGroup, faMethod, faPercentage[, faProfile]
    return [
        OPEN_ORDER, o.order_id, *o.contract.fields(),
        o.action, o.inst.lots_to_qty(o.qty), o.otype, lmt, aux, o.tif, "", o.account, "", 0,
        o.order_ref, o.client_id, o.perm_id, o.outside_rth, False, 0, "", "", *fa,
        "", o.gtd_text, "", None, "", 0, "", -1,  # modelCode .. exemptCode
        0, None, None, None, None, None,  # auctionStrategy .. stockRangeUpper
        None, False, False, False, None, 0, False, False, None,  # displaySize .. nbboPriceCap
        0, 0, None, None, "", None,  # parentId .. deltaNeutralAuxPrice
        False, None, stop, pct, None, None, "",  # continuousUpdate .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        None, None, None, "",  # scale sizes, scalePriceIncrement, hedgeType
        False, "", "IB", False, False, "",  # optOutSmartRouting .. algoStrategy
        False, False, o.status, *[""] * 9,  # solicited, whatIf, status, margins
        None, None, None, "", "", False, False,  # commissions .. randomizePrice
        0,  # conditions
        "", None, stop, None, None, None, None, 0,  # adjustedOrderType .. adjustableTrailingUnit
        "", "", "", None, False, False, False, False,  # softDollarTier .. usePriceMgmtAlgo
        None, None, False,  # duration, postToAts, autoCancelParent
        None, None, None, None, None,  # minTradeQty .. midOffsetAtHalf
    ]  # fmt: skip


def order_status(o: IbOrder) -> list[Any]:
    """orderStatus (3): status, filled, remaining, avgFillPrice, permId, parentId,
    lastFillPrice, clientId, whyHeld, mktCapPrice (no version field)."""
    qty = o.inst.lots_to_qty
    last = o.inst.ticks_to_price(o.last_fill) if o.last_fill is not None else 0
    remaining = o.qty - o.filled  # why: TWS keeps it on Cancelled and Inactive orders too
    return [
        ORDER_STATUS, o.order_id, o.status, qty(o.filled), qty(remaining), o.avg_price(),
        o.perm_id, 0, last, o.client_id, "", 0,
    ]  # fmt: skip


def completed_order(o: IbOrder, version: int) -> list[Any]:
    """completedOrder (101): a filled, cancelled or inactive order (no orderId on the wire)."""
    lmt, aux = _prices(o)
    stop, pct = _trail(o)
    fa = ["", "", ""] + ([""] if version < 177 else [])
    done = ib_time(o.done_ns) if o.done_ns is not None else ""
    return [
        COMPLETED_ORDER, *o.contract.fields(),
        o.action, o.inst.lots_to_qty(o.qty), o.otype, lmt, aux, o.tif, "", o.account, "", 0,
        o.order_ref, o.perm_id, o.outside_rth, False, 0, "", *fa,
        "", o.gtd_text, "", None, "", 0, "", -1,  # modelCode .. exemptCode
        None, None, None, None, None,  # startingPrice .. stockRangeUpper
        None, False, False, None, 0, 0,  # displaySize .. triggerMethod
        None, None, "", None,  # volatility .. deltaNeutralAuxPrice
        False, None, stop, pct, "",  # continuousUpdate .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        None, None, None, "",  # scale sizes, scalePriceIncrement, hedgeType
        "", "IB", False, False, "",  # clearingAccount .. algoStrategy
        False, o.status, False, False,  # solicited, status, randomizeSize, randomizePrice
        0,  # conditions
        stop, None, None, False, False, "", o.inst.lots_to_qty(o.filled), 0, False,
        "", False, False, 0,  # shareholder .. parentPermId
        done, o.reason or o.status,  # completedTime, completedStatus
        None, None, None, None, None,  # minTradeQty .. midOffsetAtHalf
    ]  # fmt: skip


def exec_details(req_id: int, ex: Execution, account: str, version: int) -> list[Any]:
    """execDetails (11): ``req_id`` -1 for a live execution, the request's id otherwise."""
    o = ex.order
    inst = o.inst
    out = [
        EXECUTION_DATA, req_id, o.order_id, *o.contract.fields(),
        ex.exec_id, ib_time(ex.ts_ns), account, o.contract.primary_exchange,
        "BOT" if ex.side > 0 else "SLD", inst.lots_to_qty(ex.lots), inst.ticks_to_price(ex.price),
        o.perm_id, o.client_id, 0, inst.lots_to_qty(ex.cum_lots), ex.avg_price, o.order_ref,
        "", None, "", ex.liquidity,  # evRule, evMultiplier, modelCode, lastLiquidity
    ]  # fmt: skip
    if version >= 178:
        out.append(False)  # pendingPriceRevision
    return out


def commission_report(ex: Execution) -> list[Any]:
    """commissionReport (59): the venue charges no commission; ``realizedPNL`` is TWS's unset
    double unless the execution closed (part of) a position."""
    realized = money_text(ex.realized) if ex.realized is not None else UNSET_DOUBLE_TEXT
    return [COMMISSION_REPORT, 1, ex.exec_id, 0, ex.currency, realized, UNSET_DOUBLE_TEXT, ""]
