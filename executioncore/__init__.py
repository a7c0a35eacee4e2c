"""ExecutionCore, the application: command line, configuration, journal storage, reports."""

import os
import sys

__version__ = "0.1.0"

# why: Arrow's jemalloc pool (in the Linux wheels) peaks ~10 MB lower than the default
# mimalloc when a large Parquet row group is streamed; it must be chosen before pyarrow is
# imported. A user's own ARROW_DEFAULT_MEMORY_POOL wins.
if sys.platform == "linux" and "pyarrow" not in sys.modules:
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

# why: OpenBLAS (numpy's wheels) starts a thread per core whose workers spin for a while after
# any call into it; a run is single-threaded, and on a 2-core machine the spinning took ~6% of
# the samples of a W2 backtest away from the other core. A user's own setting wins.
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
