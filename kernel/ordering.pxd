# The compiled build's declaration of kernel/ordering.py's OrderCommands, the kernel's base:
# Cython reads this "augmenting" .pxd beside the .py and builds the class as an extension type
# holding the kernel's fields (kernel/kernel.pxd: Kernel is its subclass), so the kernel's own
# methods reach them directly; other attributes go to the instance dict. Plain Python never
# reads it. tests/accel checks the names against the attributes kernel/kernel.py sets. The
# fields holding the kernel's own parts are typed: their fields are reached directly too.

from kernel.accounts cimport Accounts
from kernel.codec_encoders cimport write_record
from kernel.guard cimport Guard
from kernel.oms cimport OrderManager
from kernel.orders cimport Order
from kernel.packer cimport RecordWriter
from kernel.ports cimport KernelStats
from kernel.positions cimport Portfolio
from kernel.risk cimport RiskGuard
from kernel.timers cimport TimerQueue


cdef class OrderCommands:
    cdef dict __dict__
    cdef object __weakref__
    cdef public dict _algos
    cdef public dict _bar_h
    cdef public dict _book_h
    cdef public object _disconnected
    cdef public dict _dispatch
    cdef public dict _enc
    cdef public object _ids
    cdef public object _journal_md
    cdef public object _jrec
    cdef public object _jtap
    cdef public RecordWriter _jw
    cdef public object _loss_watch
    cdef public dict _markets
    cdef public object _next_day_ns
    cdef public dict _order_owners
    cdef public dict _positions
    cdef public dict _quote_h
    cdef public object _roll_day
    cdef public dict _timer_owners
    cdef public dict _trade_h
    cdef public object _watch_loss
    cdef public Accounts accounts
    cdef public object active_route
    cdef public object clock
    cdef public object default_tif
    cdef public object default_venue
    cdef public object deny_when_down
    cdef public object fill_listeners
    cdef public Guard guard
    cdef public object id_prefix
    cdef public object instruments
    cdef public object journal
    cdef public object monitor
    cdef public OrderManager oms
    cdef public Portfolio portfolio
    cdef public RiskGuard risk
    cdef public object risk_events
    cdef public object routes
    cdef public object routing_policy
    cdef public object seed
    cdef public KernelStats stats
    cdef public object strategies
    cdef public TimerQueue timers
    cdef public object venue_fees
    cdef public dict venue_markets
    cdef public object venues

    cdef int _journal(self, int direction, object obj, bint tap) except -1
