# The compiled build's declarations for sim/recorded_order.py (VOrder): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.orders cimport Order


cdef class VOrder:
    cdef public object ahead
    cdef public object arrival_ns
    cdef public object book_order
    cdef public object closed
    cdef public object display
    cdef public object expire_ns
    cdef public object filled
    cdef public object limit
    cdef public object oid
    cdef public object otype
    cdef public object post_only
    cdef public object qty
    cdef public object queue_known
    cdef public object reduce_only
    cdef public object side
    cdef public object stop
    cdef public object tif
    cdef public object trail_ppm
    cdef public object trail_ref
    cdef public object trail_ticks
    cdef public object triggered
    cdef public object vid
