# Generated with kernel/codec_encoders.py (see there): do not edit.

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
