# The compiled build's declarations for kernel/timers.py (TimerQueue): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class TimerQueue:
    cdef public list _heap
    cdef public dict _live
    cdef public object _seq
