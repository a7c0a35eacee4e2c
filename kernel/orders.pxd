# The compiled build's declarations for kernel/orders.py (Order): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.events cimport OrderFilled


cdef class Order:
    cdef public object _restore
    cdef public object _trade_ids
    cdef public object algo_id
    cdef public object child_ids
    cdef public object client_order_id
    cdef public object commission
    cdef public object contingency
    cdef public object display_lots
    cdef public object duplicate_fills
    cdef public object event_count
    cdef public object expire_ns
    cdef public object fill_cost
    cdef public object filled_lots
    cdef public object limit_ticks
    cdef public object linked_ids
    cdef public object order_type
    cdef public object parent_id
    cdef public object post_only
    cdef public object quantity
    cdef public object reason
    cdef public object reduce_only
    cdef public object side
    cdef public object status
    cdef public object stop_ticks
    cdef public object strategy_id
    cdef public object symbol
    cdef public object time_in_force
    cdef public object trail_ppm
    cdef public object trail_ticks
    cdef public object ts_init
    cdef public object ts_last
    cdef public object venue
    cdef public object venue_order_id
