# The compiled build's declarations for sim/driver.py: the extension types its hot loops hold
# in typed locals (``@cython.locals``), so they reach those objects' fields directly. Plain
# Python never reads it.

from kernel.clock cimport SimClock
from kernel.kernel cimport Kernel
from sim.broker cimport SimBroker
from sim.recorded cimport RecordedMarket
