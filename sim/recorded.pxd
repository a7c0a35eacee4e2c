# The compiled build's declarations for sim/recorded.py (RecordedMarket): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.events cimport QuoteTick
from kernel.events cimport TradeTick
from kernel.orders cimport Order
from sim.book cimport Book
from sim.recorded_order cimport VOrder


cdef class RecordedMarket:
    cdef public object ask
    cdef public object ask_avail
    cdef public object bar_wait
    cdef public object bid
    cdef public object bid_avail
    cdef public Book book
    cdef public object cls
    cdef public list expiries
    cdef public object fee
    cdef public object idle
    cdef public object inst
    cdef public object kind
    cdef public object l2
    cdef public object last_avail
    cdef public object last_bar_close
    cdef public object last_px
    cdef public object next_id
    cdef public object next_open
    cdef public object now
    cdef public list opg
    cdef public dict orders
    cdef public list out
    cdef public object parked
    cdef public list pending
    cdef public object position
    cdef public object queue_ahead_default
    cdef public object queue_position
    cdef public object seq
    cdef public object session
    cdef public list stops
    cdef public object symbol
    cdef public object touch
    cdef public object trade_is_touch
    cdef public object venue
    cdef public object waits_for_bar
