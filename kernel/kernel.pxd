# The compiled build's declaration of kernel/kernel.py's Kernel: an extension type, subclass of
# kernel/ordering.pxd's OrderCommands, whose fields it inherits. Plain Python never reads it.

from kernel.ordering cimport OrderCommands


cdef class Kernel(OrderCommands):
    pass
