# The compiled build's declarations for kernel/ports.py (KernelStats): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class KernelStats:
    cdef public object cancels
    cdef public object denied
    cdef public object expired
    cdef public object failovers
    cdef public object fills
    cdef public object md_events
    cdef public object modifies
    cdef public object orders
    cdef public object overfills
    cdef public object refused_events
    cdef public object rejects
    cdef public object unknown_events
