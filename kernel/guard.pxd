# The compiled build's declarations for kernel/guard.py (Guard): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class Guard:
    cdef public object disconnected
    cdef public object flattening
    cdef public object halted_for_the_day
    cdef public object k
    cdef public object must_cancel
    cdef public object offsets
    cdef public object retrying
    cdef public object unfilled
