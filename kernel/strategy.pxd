# The compiled build's declarations for kernel/strategy.py (StrategyContext): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.orders cimport Order


cdef class StrategyContext:
    cdef public object _k
    cdef public object _rng
    cdef public object _seed
    cdef public object strategy_id
