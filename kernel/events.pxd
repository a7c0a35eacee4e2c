# The compiled build's declarations for kernel/events.py: the market-data records and the order
# events (Cython dataclasses over extension types, see the module) with their fields, in field
# order, so other compiled modules can hold one in a typed local (``@cython.locals``) and read
# its fields directly. Plain Python never reads it. tests/accel checks the fields against the
# classes.

cdef class QuoteTick:
    cdef public object symbol
    cdef public object bid_ticks
    cdef public object ask_ticks
    cdef public object bid_lots
    cdef public object ask_lots
    cdef public object ts_event
    cdef public object ts_init
    cdef public object venue

cdef class TradeTick:
    cdef public object symbol
    cdef public object price_ticks
    cdef public object size_lots
    cdef public object aggressor
    cdef public object trade_id
    cdef public object ts_event
    cdef public object ts_init
    cdef public object venue

cdef class Bar:
    cdef public object symbol
    cdef public object open_ticks
    cdef public object high_ticks
    cdef public object low_ticks
    cdef public object close_ticks
    cdef public object volume_lots
    cdef public object interval_ns
    cdef public object ts_event
    cdef public object ts_init

cdef class BookUpdate:
    cdef public object symbol
    cdef public object deltas
    cdef public object is_snapshot
    cdef public object ts_event
    cdef public object ts_init
    cdef public object venue


cdef class OrderEvent:
    pass


cdef class OrderSubmitted(OrderEvent):
    cdef public object client_order_id
    cdef public object venue
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderDenied(OrderEvent):
    cdef public object client_order_id
    cdef public object reason
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderAccepted(OrderEvent):
    cdef public object client_order_id
    cdef public object venue_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderRejected(OrderEvent):
    cdef public object client_order_id
    cdef public object reason
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderTriggered(OrderEvent):
    cdef public object client_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderPendingCancel(OrderEvent):
    cdef public object client_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderPendingUpdate(OrderEvent):
    cdef public object client_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderModified(OrderEvent):
    cdef public object client_order_id
    cdef public object quantity_lots
    cdef public object limit_ticks
    cdef public object stop_ticks
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderCancelRejected(OrderEvent):
    cdef public object client_order_id
    cdef public object reason
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderModifyRejected(OrderEvent):
    cdef public object client_order_id
    cdef public object reason
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderCanceled(OrderEvent):
    cdef public object client_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderExpired(OrderEvent):
    cdef public object client_order_id
    cdef public object ts_event
    cdef public object ts_init


cdef class OrderFilled(OrderEvent):
    cdef public object client_order_id
    cdef public object venue_order_id
    cdef public object trade_id
    cdef public object symbol
    cdef public object side
    cdef public object price_ticks
    cdef public object qty_lots
    cdef public object liquidity
    cdef public object commission
    cdef public object ts_event
    cdef public object ts_init
    cdef public object commission_currency
