# The compiled build's declaration of kernel/kernel.py's Kernel: an extension type, subclass of
# kernel/ordering.pxd's OrderCommands, whose fields it inherits. Plain Python never reads it.

from kernel.events cimport Bar
from kernel.events cimport OrderFilled
from kernel.events cimport QuoteTick
from kernel.events cimport TradeTick
from kernel.oms cimport OrderManager
from kernel.ordering cimport OrderCommands
from kernel.orders cimport Order
from kernel.positions cimport MarketState


cdef class Kernel(OrderCommands):
    pass
