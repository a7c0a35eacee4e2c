# The compiled build's declarations for kernel/commands.py: the commands (Cython dataclasses
# over extension types) with their fields, in field order, so other compiled modules can hold
# one in a typed local and read its fields directly. Plain Python never reads it. tests/accel
# checks the fields against the classes.

cdef class SubmitOrder:
    cdef public object order
    cdef public object venue
    cdef public object ts_init


cdef class CancelOrder:
    cdef public object client_order_id
    cdef public object symbol
    cdef public object venue
    cdef public object ts_init


cdef class ModifyOrder:
    cdef public object client_order_id
    cdef public object symbol
    cdef public object venue
    cdef public object quantity_lots
    cdef public object limit_ticks
    cdef public object stop_ticks
    cdef public object ts_init


cdef class CancelAllOrders:
    cdef public object symbol
    cdef public object strategy_id
    cdef public object ts_init
