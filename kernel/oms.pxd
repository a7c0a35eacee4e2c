# The compiled build's declarations for kernel/oms.py (OrderManager): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.orders cimport Order


cdef class OrderManager:
    cdef public object _closed
    cdef public dict _open
    cdef public dict _open_by_strategy
    cdef public dict _open_by_symbol
    cdef public object _tomb_order
    cdef public dict _tombs
    cdef public list actions
    cdef public object added
    cdef public object duplicate_fills
    cdef public object events_applied
    cdef public object evicted
    cdef public dict evicted_counts
    cdef public dict held
    cdef public dict orders
    cdef public object retain_closed
    cdef public object tombstone_duplicates
    cdef public object tombstones_max
