# The compiled build's declarations for kernel/accounts.py (Accounts): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

cdef class Accounts:
    cdef public object buying_power
    cdef public object cash
    cdef public object held
    cdef public object k
    cdef public object latest
    cdef public object mismatch
    cdef public object session_equity
