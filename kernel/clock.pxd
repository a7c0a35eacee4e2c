# The compiled build's declarations for kernel/clock.py (SimClock): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class SimClock:
    cdef public object _now_ns
