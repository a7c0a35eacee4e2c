# The compiled build's declarations for kernel/risk.py (RiskGuard): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.orders cimport Order


cdef class RiskGuard:
    cdef public object _recent
    cdef public object config
    cdef public object consecutive_rejects
    cdef public object denials
    cdef public object next_day_ns
    cdef public object orders_today
    cdef public object start_of_day_equity
    cdef public object state
    cdef public object state_before_disconnect
