"""ExecutionCore, the application: command line, configuration, journal storage, reports."""

import os
import sys

__version__ = "0.1.0"

# why: Arrow's jemalloc pool (in the Linux wheels) peaks ~10 MB lower than the default
# mimalloc when a large Parquet row group is streamed; it must be chosen before pyarrow is
# imported. A user's own ARROW_DEFAULT_MEMORY_POOL wins.
if sys.platform == "linux" and "pyarrow" not in sys.modules:
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
