# The compiled build's declarations for sim/broker.py (SimBroker): Cython reads this
# "augmenting" .pxd beside the .py and builds each class as an extension type whose
# attributes are C-level fields, which its own methods reach directly. Plain Python never
# reads it. One line per name in each class's __slots__ (tests/accel checks they agree).

from kernel.orders cimport Order
from kernel.ports cimport KernelStats


cdef class SimBroker:
    cdef public object _fixed
    cdef public object _last_in
    cdef public object _last_out
    cdef public object _link_marks
    cdef public object _lost
    cdef public object _n
    cdef public object _outage_marks
    cdef public object _outages
    cdef public object _resent
    cdef public object _resent_arrived
    cdef public object _seq
    cdef public object clock
    cdef public object cmd_md
    cdef public object down
    cdef public object faults
    cdef public object fees
    cdef public object fifo
    cdef public object has_outages
    cdef public object latency
    cdef public object link_down
    cdef public dict markets
    cdef public KernelStats md_stats
    cdef public object mode
    cdef public object name
    cdef public object queue
    cdef public object session
    cdef public object view
    cdef public object wake_ns
