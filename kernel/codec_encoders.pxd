# Generated with kernel/codec_encoders.py (see there): do not edit.

cimport cython

from kernel.commands cimport CancelAllOrders
from kernel.commands cimport CancelOrder
from kernel.commands cimport ModifyOrder
from kernel.commands cimport SubmitOrder
from kernel.events cimport Bar
from kernel.events cimport BookUpdate
from kernel.events cimport OrderAccepted
from kernel.events cimport OrderCancelRejected
from kernel.events cimport OrderCanceled
from kernel.events cimport OrderDenied
from kernel.events cimport OrderExpired
from kernel.events cimport OrderFilled
from kernel.events cimport OrderModified
from kernel.events cimport OrderModifyRejected
from kernel.events cimport OrderPendingCancel
from kernel.events cimport OrderPendingUpdate
from kernel.events cimport OrderRejected
from kernel.events cimport OrderSubmitted
from kernel.events cimport OrderTriggered
from kernel.events cimport QuoteTick
from kernel.events cimport TradeTick
from kernel.orders cimport Order
from kernel.packer cimport RecordWriter

cdef int write_1(RecordWriter w, int direction, QuoteTick obj) except -1
cdef int write_2(RecordWriter w, int direction, TradeTick obj) except -1
cdef int write_3(RecordWriter w, int direction, Bar obj) except -1
cdef int write_4(RecordWriter w, int direction, BookUpdate obj) except -1
cdef int write_10(RecordWriter w, int direction, OrderSubmitted obj) except -1
cdef int write_11(RecordWriter w, int direction, OrderDenied obj) except -1
cdef int write_12(RecordWriter w, int direction, OrderAccepted obj) except -1
cdef int write_13(RecordWriter w, int direction, OrderRejected obj) except -1
cdef int write_14(RecordWriter w, int direction, OrderTriggered obj) except -1
cdef int write_15(RecordWriter w, int direction, OrderPendingCancel obj) except -1
cdef int write_16(RecordWriter w, int direction, OrderPendingUpdate obj) except -1
cdef int write_17(RecordWriter w, int direction, OrderModified obj) except -1
cdef int write_18(RecordWriter w, int direction, OrderCancelRejected obj) except -1
cdef int write_19(RecordWriter w, int direction, OrderModifyRejected obj) except -1
cdef int write_20(RecordWriter w, int direction, OrderCanceled obj) except -1
cdef int write_21(RecordWriter w, int direction, OrderExpired obj) except -1
cdef int write_22(RecordWriter w, int direction, OrderFilled obj) except -1
cdef int write_41(RecordWriter w, int direction, CancelOrder obj) except -1
cdef int write_42(RecordWriter w, int direction, ModifyOrder obj) except -1
cdef int write_43(RecordWriter w, int direction, CancelAllOrders obj) except -1
@cython.locals(o=Order)
cdef int write_submit(RecordWriter w, int direction, SubmitOrder cmd) except -1
cpdef int write_record(RecordWriter w, int direction, object obj) except -1
