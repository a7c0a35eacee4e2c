"""The journal's record encoders and writers, generated from ``kernel.codec.FIELDS`` by
``kernel.codec_source`` (see there for what each kind does): do not edit.

Rewritten by ``executioncore accel generate``; tests/unit/kernel/test_codec_generated.py
fails while it is not current, and ``kernel.codec`` does not use a stale one.
"""
# fmt: off

from kernel.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import Contingency, OrderType, Side, TimeInForce
from kernel.events import (
    Bar,
    BookUpdate,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    QuoteTick,
    TradeTick,
)
from kernel.orders import Order

try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

# why: the enums as plain ints (the same MessagePack bytes): the packer takes a slow path for int
# subclasses, which nearly doubled the cost of the most frequent output record; a dict lookup
# costs less than int()
_SIDES = {s: int(s) for s in Side}
_TYPES = {t: int(t) for t in OrderType}
_TIFS = {t: int(t) for t in TimeInForce}
_LINKS = {c: int(c) for c in Contingency}
_NO_LINK = Contingency.NONE


@cython.locals(obj=QuoteTick)
def encode_1(direction, obj):
    return (direction, 1, obj.symbol, obj.bid_ticks, obj.ask_ticks, obj.bid_lots, obj.ask_lots, obj.ts_event, obj.ts_init, obj.venue)


@cython.locals(obj=TradeTick)
def encode_2(direction, obj):
    return (direction, 2, obj.symbol, obj.price_ticks, obj.size_lots, obj.aggressor, obj.trade_id, obj.ts_event, obj.ts_init, obj.venue)


@cython.locals(obj=Bar)
def encode_3(direction, obj):
    return (direction, 3, obj.symbol, obj.open_ticks, obj.high_ticks, obj.low_ticks, obj.close_ticks, obj.volume_lots, obj.interval_ns, obj.ts_event, obj.ts_init)


@cython.locals(obj=BookUpdate)
def encode_4(direction, obj):
    return (direction, 4, obj.symbol, obj.deltas, obj.is_snapshot, obj.ts_event, obj.ts_init, obj.venue)


@cython.locals(obj=OrderSubmitted)
def encode_10(direction, obj):
    return (direction, 10, obj.client_order_id, obj.venue, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderDenied)
def encode_11(direction, obj):
    return (direction, 11, obj.client_order_id, obj.reason, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderAccepted)
def encode_12(direction, obj):
    return (direction, 12, obj.client_order_id, obj.venue_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderRejected)
def encode_13(direction, obj):
    return (direction, 13, obj.client_order_id, obj.reason, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderTriggered)
def encode_14(direction, obj):
    return (direction, 14, obj.client_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderPendingCancel)
def encode_15(direction, obj):
    return (direction, 15, obj.client_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderPendingUpdate)
def encode_16(direction, obj):
    return (direction, 16, obj.client_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderModified)
def encode_17(direction, obj):
    return (direction, 17, obj.client_order_id, obj.quantity_lots, obj.limit_ticks, obj.stop_ticks, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderCancelRejected)
def encode_18(direction, obj):
    return (direction, 18, obj.client_order_id, obj.reason, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderModifyRejected)
def encode_19(direction, obj):
    return (direction, 19, obj.client_order_id, obj.reason, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderCanceled)
def encode_20(direction, obj):
    return (direction, 20, obj.client_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderExpired)
def encode_21(direction, obj):
    return (direction, 21, obj.client_order_id, obj.ts_event, obj.ts_init)


@cython.locals(obj=OrderFilled)
def encode_22(direction, obj):
    if obj.commission_currency:
        return (direction, 22, obj.client_order_id, obj.venue_order_id, obj.trade_id, obj.symbol, obj.side, obj.price_ticks, obj.qty_lots, obj.liquidity, obj.commission, obj.ts_event, obj.ts_init, obj.commission_currency)
    return (direction, 22, obj.client_order_id, obj.venue_order_id, obj.trade_id, obj.symbol, obj.side, obj.price_ticks, obj.qty_lots, obj.liquidity, obj.commission, obj.ts_event, obj.ts_init)


def encode_30(direction, obj):
    return (direction, 30, obj.owner, obj.name, obj.handle, obj.ts_event, obj.ts_init)


def encode_31(direction, obj):
    return (direction, 31, obj.old, obj.new, obj.reason, obj.ts_event, obj.ts_init)


def encode_32(direction, obj):
    return (direction, 32, obj.venue, obj.connected, obj.reconciled, obj.ts_event, obj.ts_init)


def encode_33(direction, obj):
    return (direction, 33, obj.code, obj.detail, obj.ts_event, obj.ts_init)


def encode_34(direction, obj):
    return (direction, 34, obj.action, obj.reason, obj.ts_event, obj.ts_init)


def encode_35(direction, obj):
    if obj.balances:
        return (direction, 35, obj.venue, obj.currency, obj.cash, obj.equity, obj.buying_power, obj.positions, obj.final, obj.ts_event, obj.ts_init, obj.balances)
    return (direction, 35, obj.venue, obj.currency, obj.cash, obj.equity, obj.buying_power, obj.positions, obj.final, obj.ts_event, obj.ts_init)


def encode_36(direction, obj):
    return (direction, 36, obj.venue, obj.code, obj.detail, obj.ts_event, obj.ts_init)


@cython.locals(obj=CancelOrder)
def encode_41(direction, obj):
    return (direction, 41, obj.client_order_id, obj.symbol, obj.venue, obj.ts_init)


@cython.locals(obj=ModifyOrder)
def encode_42(direction, obj):
    return (direction, 42, obj.client_order_id, obj.symbol, obj.venue, obj.quantity_lots, obj.limit_ticks, obj.stop_ticks, obj.ts_init)


@cython.locals(obj=CancelAllOrders)
def encode_43(direction, obj):
    return (direction, 43, obj.symbol, obj.strategy_id, obj.ts_init)


@cython.locals(cmd=SubmitOrder, o=Order)
def encode_submit(direction, cmd):
    o = cmd.order
    if o.stop_ticks is None and o.trail_ticks is None and o.trail_ppm is None and o.expire_ns is None and o.display_lots is None and o.parent_id is None and o.algo_id is None and o.contingency is _NO_LINK and not o.post_only and not o.reduce_only and not o.linked_ids and not o.child_ids and o.ts_init == cmd.ts_init and o.venue == cmd.venue:
        return (direction, 44, cmd.venue, cmd.ts_init, o.client_order_id, o.strategy_id, o.symbol, _SIDES[o.side], _TYPES[o.order_type], o.quantity, o.limit_ticks, _TIFS[o.time_in_force])
    return (direction, 40, cmd.venue, cmd.ts_init, o.client_order_id, o.strategy_id, o.symbol, _SIDES[o.side], _TYPES[o.order_type], o.quantity, o.limit_ticks, o.stop_ticks, o.trail_ticks, o.trail_ppm, _TIFS[o.time_in_force], o.expire_ns, o.post_only, o.reduce_only, o.display_lots, o.venue, _LINKS[o.contingency], o.linked_ids, o.child_ids, o.parent_id, o.algo_id, o.ts_init)


@cython.locals(cmd=SubmitOrder, o=Order)
def full_submit(direction, cmd):
    o = cmd.order
    return (direction, 40, cmd.venue, cmd.ts_init, o.client_order_id, o.strategy_id, o.symbol, _SIDES[o.side], _TYPES[o.order_type], o.quantity, o.limit_ticks, o.stop_ticks, o.trail_ticks, o.trail_ppm, _TIFS[o.time_in_force], o.expire_ns, o.post_only, o.reduce_only, o.display_lots, o.venue, _LINKS[o.contingency], o.linked_ids, o.child_ids, o.parent_id, o.algo_id, o.ts_init)


BY_TAG = {1: encode_1, 2: encode_2, 3: encode_3, 4: encode_4, 10: encode_10, 11: encode_11, 12: encode_12, 13: encode_13, 14: encode_14, 15: encode_15, 16: encode_16, 17: encode_17, 18: encode_18, 19: encode_19, 20: encode_20, 21: encode_21, 22: encode_22, 30: encode_30, 31: encode_31, 32: encode_32, 33: encode_33, 34: encode_34, 35: encode_35, 36: encode_36, 41: encode_41, 42: encode_42, 43: encode_43}


def write_1(w, direction, obj):
    w._begin(10)
    w._int(direction)
    w._int(1)
    w._value(obj.symbol, 1)
    w._value(obj.bid_ticks, 1)
    w._value(obj.ask_ticks, 1)
    w._value(obj.bid_lots, 1)
    w._value(obj.ask_lots, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    w._value(obj.venue, 1)
    return 0


def write_2(w, direction, obj):
    w._begin(10)
    w._int(direction)
    w._int(2)
    w._value(obj.symbol, 1)
    w._value(obj.price_ticks, 1)
    w._value(obj.size_lots, 1)
    w._value(obj.aggressor, 1)
    w._value(obj.trade_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    w._value(obj.venue, 1)
    return 0


def write_3(w, direction, obj):
    w._begin(11)
    w._int(direction)
    w._int(3)
    w._value(obj.symbol, 1)
    w._value(obj.open_ticks, 1)
    w._value(obj.high_ticks, 1)
    w._value(obj.low_ticks, 1)
    w._value(obj.close_ticks, 1)
    w._value(obj.volume_lots, 1)
    w._value(obj.interval_ns, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_4(w, direction, obj):
    w._begin(8)
    w._int(direction)
    w._int(4)
    w._value(obj.symbol, 1)
    w._value(obj.deltas, 1)
    w._value(obj.is_snapshot, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    w._value(obj.venue, 1)
    return 0


def write_10(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(10)
    w._value(obj.client_order_id, 1)
    w._value(obj.venue, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_11(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(11)
    w._value(obj.client_order_id, 1)
    w._value(obj.reason, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_12(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(12)
    w._value(obj.client_order_id, 1)
    w._value(obj.venue_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_13(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(13)
    w._value(obj.client_order_id, 1)
    w._value(obj.reason, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_14(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(14)
    w._value(obj.client_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_15(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(15)
    w._value(obj.client_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_16(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(16)
    w._value(obj.client_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_17(w, direction, obj):
    w._begin(8)
    w._int(direction)
    w._int(17)
    w._value(obj.client_order_id, 1)
    w._value(obj.quantity_lots, 1)
    w._value(obj.limit_ticks, 1)
    w._value(obj.stop_ticks, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_18(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(18)
    w._value(obj.client_order_id, 1)
    w._value(obj.reason, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_19(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(19)
    w._value(obj.client_order_id, 1)
    w._value(obj.reason, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_20(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(20)
    w._value(obj.client_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_21(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(21)
    w._value(obj.client_order_id, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_22(w, direction, obj):
    extra = obj.commission_currency
    w._begin(14 if extra else 13)
    w._int(direction)
    w._int(22)
    w._value(obj.client_order_id, 1)
    w._value(obj.venue_order_id, 1)
    w._value(obj.trade_id, 1)
    w._value(obj.symbol, 1)
    w._value(obj.side, 1)
    w._value(obj.price_ticks, 1)
    w._value(obj.qty_lots, 1)
    w._value(obj.liquidity, 1)
    w._value(obj.commission, 1)
    w._value(obj.ts_event, 1)
    w._value(obj.ts_init, 1)
    if extra:
        w._value(extra, 1)
    return 0


def write_41(w, direction, obj):
    w._begin(6)
    w._int(direction)
    w._int(41)
    w._value(obj.client_order_id, 1)
    w._value(obj.symbol, 1)
    w._value(obj.venue, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_42(w, direction, obj):
    w._begin(9)
    w._int(direction)
    w._int(42)
    w._value(obj.client_order_id, 1)
    w._value(obj.symbol, 1)
    w._value(obj.venue, 1)
    w._value(obj.quantity_lots, 1)
    w._value(obj.limit_ticks, 1)
    w._value(obj.stop_ticks, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_43(w, direction, obj):
    w._begin(5)
    w._int(direction)
    w._int(43)
    w._value(obj.symbol, 1)
    w._value(obj.strategy_id, 1)
    w._value(obj.ts_init, 1)
    return 0


def write_submit(w, direction, cmd):
    o = cmd.order
    if o.stop_ticks is None and o.trail_ticks is None and o.trail_ppm is None and o.expire_ns is None and o.display_lots is None and o.parent_id is None and o.algo_id is None and o.contingency is _NO_LINK and not o.post_only and not o.reduce_only and not o.linked_ids and not o.child_ids and o.ts_init == cmd.ts_init and o.venue == cmd.venue:
        w._begin(12)
        w._int(direction)
        w._int(44)
        w._value(cmd.venue, 1)
        w._value(cmd.ts_init, 1)
        w._value(o.client_order_id, 1)
        w._value(o.strategy_id, 1)
        w._value(o.symbol, 1)
        w._int(o.side)
        w._int(o.order_type)
        w._value(o.quantity, 1)
        w._value(o.limit_ticks, 1)
        w._int(o.time_in_force)
        return 0
    w._begin(26)
    w._int(direction)
    w._int(40)
    w._value(cmd.venue, 1)
    w._value(cmd.ts_init, 1)
    w._value(o.client_order_id, 1)
    w._value(o.strategy_id, 1)
    w._value(o.symbol, 1)
    w._int(o.side)
    w._int(o.order_type)
    w._value(o.quantity, 1)
    w._value(o.limit_ticks, 1)
    w._value(o.stop_ticks, 1)
    w._value(o.trail_ticks, 1)
    w._value(o.trail_ppm, 1)
    w._int(o.time_in_force)
    w._value(o.expire_ns, 1)
    w._value(o.post_only, 1)
    w._value(o.reduce_only, 1)
    w._value(o.display_lots, 1)
    w._value(o.venue, 1)
    w._int(o.contingency)
    w._value(o.linked_ids, 1)
    w._value(o.child_ids, 1)
    w._value(o.parent_id, 1)
    w._value(o.algo_id, 1)
    w._value(o.ts_init, 1)
    return 0


def write_record(w, direction, obj):
    """Write the record of ``obj`` into ``w`` (a ``RecordWriter``) and count it; 0 (and
    nothing written) for a type with no writer here (its tuple is the packer's). A value
    the packer refuses is refused with its error, and the record's bytes are taken back."""
    t = type(obj)
    start = w.pos
    try:
        if t is SubmitOrder:
            write_submit(w, direction, obj)
        elif t is OrderAccepted:
            write_12(w, direction, obj)
        elif t is CancelOrder:
            write_41(w, direction, obj)
        elif t is OrderCanceled:
            write_20(w, direction, obj)
        elif t is OrderFilled:
            write_22(w, direction, obj)
        elif t is QuoteTick:
            write_1(w, direction, obj)
        elif t is TradeTick:
            write_2(w, direction, obj)
        elif t is Bar:
            write_3(w, direction, obj)
        elif t is BookUpdate:
            write_4(w, direction, obj)
        elif t is OrderSubmitted:
            write_10(w, direction, obj)
        elif t is OrderDenied:
            write_11(w, direction, obj)
        elif t is OrderRejected:
            write_13(w, direction, obj)
        elif t is OrderTriggered:
            write_14(w, direction, obj)
        elif t is OrderPendingCancel:
            write_15(w, direction, obj)
        elif t is OrderPendingUpdate:
            write_16(w, direction, obj)
        elif t is OrderModified:
            write_17(w, direction, obj)
        elif t is OrderCancelRejected:
            write_18(w, direction, obj)
        elif t is OrderModifyRejected:
            write_19(w, direction, obj)
        elif t is OrderExpired:
            write_21(w, direction, obj)
        elif t is ModifyOrder:
            write_42(w, direction, obj)
        elif t is CancelAllOrders:
            write_43(w, direction, obj)
        else:
            return 0
    except BaseException:
        w.pos = start
        raise
    w._done()
    return 1


LAYOUT = (((1, ('symbol', 'bid_ticks', 'ask_ticks', 'bid_lots', 'ask_lots', 'ts_event', 'ts_init', 'venue')), (2, ('symbol', 'price_ticks', 'size_lots', 'aggressor', 'trade_id', 'ts_event', 'ts_init', 'venue')), (3, ('symbol', 'open_ticks', 'high_ticks', 'low_ticks', 'close_ticks', 'volume_lots', 'interval_ns', 'ts_event', 'ts_init')), (4, ('symbol', 'deltas', 'is_snapshot', 'ts_event', 'ts_init', 'venue')), (10, ('client_order_id', 'venue', 'ts_event', 'ts_init')), (11, ('client_order_id', 'reason', 'ts_event', 'ts_init')), (12, ('client_order_id', 'venue_order_id', 'ts_event', 'ts_init')), (13, ('client_order_id', 'reason', 'ts_event', 'ts_init')), (14, ('client_order_id', 'ts_event', 'ts_init')), (15, ('client_order_id', 'ts_event', 'ts_init')), (16, ('client_order_id', 'ts_event', 'ts_init')), (17, ('client_order_id', 'quantity_lots', 'limit_ticks', 'stop_ticks', 'ts_event', 'ts_init')), (18, ('client_order_id', 'reason', 'ts_event', 'ts_init')), (19, ('client_order_id', 'reason', 'ts_event', 'ts_init')), (20, ('client_order_id', 'ts_event', 'ts_init')), (21, ('client_order_id', 'ts_event', 'ts_init')), (22, ('client_order_id', 'venue_order_id', 'trade_id', 'symbol', 'side', 'price_ticks', 'qty_lots', 'liquidity', 'commission', 'ts_event', 'ts_init', 'commission_currency')), (30, ('owner', 'name', 'handle', 'ts_event', 'ts_init')), (31, ('old', 'new', 'reason', 'ts_event', 'ts_init')), (32, ('venue', 'connected', 'reconciled', 'ts_event', 'ts_init')), (33, ('code', 'detail', 'ts_event', 'ts_init')), (34, ('action', 'reason', 'ts_event', 'ts_init')), (35, ('venue', 'currency', 'cash', 'equity', 'buying_power', 'positions', 'final', 'ts_event', 'ts_init', 'balances')), (36, ('venue', 'code', 'detail', 'ts_event', 'ts_init')), (40, ('venue', 'ts_init', 'order.client_order_id', 'order.strategy_id', 'order.symbol', 'order.side', 'order.order_type', 'order.quantity', 'order.limit_ticks', 'order.stop_ticks', 'order.trail_ticks', 'order.trail_ppm', 'order.time_in_force', 'order.expire_ns', 'order.post_only', 'order.reduce_only', 'order.display_lots', 'order.venue', 'order.contingency', 'order.linked_ids', 'order.child_ids', 'order.parent_id', 'order.algo_id', 'order.ts_init')), (41, ('client_order_id', 'symbol', 'venue', 'ts_init')), (42, ('client_order_id', 'symbol', 'venue', 'quantity_lots', 'limit_ticks', 'stop_ticks', 'ts_init')), (43, ('symbol', 'strategy_id', 'ts_init')), (44, ('venue', 'ts_init', 'order.client_order_id', 'order.strategy_id', 'order.symbol', 'order.side', 'order.order_type', 'order.quantity', 'order.limit_ticks', 'order.time_in_force'))), ((22, 'commission_currency'), (35, 'balances')), (('order.stop_ticks', ('o.stop_ticks is None', None)), ('order.trail_ticks', ('o.trail_ticks is None', None)), ('order.trail_ppm', ('o.trail_ppm is None', None)), ('order.expire_ns', ('o.expire_ns is None', None)), ('order.display_lots', ('o.display_lots is None', None)), ('order.parent_id', ('o.parent_id is None', None)), ('order.algo_id', ('o.algo_id is None', None)), ('order.contingency', ('o.contingency is _NO_LINK', None)), ('order.post_only', ('not o.post_only', None)), ('order.reduce_only', ('not o.reduce_only', None)), ('order.linked_ids', ('not o.linked_ids', None)), ('order.child_ids', ('not o.child_ids', None)), ('order.ts_init', ('o.ts_init == cmd.ts_init', 'ts_init')), ('order.venue', ('o.venue == cmd.venue', 'venue'))))
