"""Market data feeds: CSV/Parquet files streamed as validated chunks in kernel units, merged.

``DataSpec`` is one scenario data entry; ``read_chunks`` streams its file as ``Chunk`` s (int64
numpy columns: ticks, lots, ns) checking every row; ``merge`` orders many sources by
``(ts, source, row)``; ``FeedStats`` counts rows read and skipped; ``probe_time_range`` reads just
the timestamps. See CONTRACT.md, "Market data files", for the columns of each kind.
"""

from sim.feeds.chunk import CHUNK_COLUMNS, Chunk
from sim.feeds.columns import KIND_COLUMNS, resolve_columns
from sim.feeds.merge import merge
from sim.feeds.readers import probe_time_range, read_chunks
from sim.feeds.spec import KINDS, DataError, DataSpec, FeedStats, SourceStats, parse_interval

__all__ = [
    "CHUNK_COLUMNS",
    "KINDS",
    "KIND_COLUMNS",
    "Chunk",
    "DataError",
    "DataSpec",
    "FeedStats",
    "SourceStats",
    "merge",
    "parse_interval",
    "probe_time_range",
    "read_chunks",
    "resolve_columns",
]
