"""Generated benchmark data: the reference workloads, and large quote files written in streams.

``reference_data(dir, rows, bars)`` runs the reference generator (``gen_workload.py``, the same
PCG64 stream the peers were measured on) unless its files are already there.
``quotes_parquet(path, rows)`` writes just the quotes of that stream, one million rows at a
time, so ten million rows never sit in memory at once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SEED = 20240102


def label(n: int) -> str:
    sys.path.insert(0, str(HERE))
    from gen_workload import label as _label

    return _label(n)  # type: ignore[no-any-return]


def reference_data(out_dir: Path, rows: int = 1_000_000, bars: int = 200_000) -> Path:
    """The reference quotes/trades/bars files (generated once, ~10 s for 1M quotes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / f"manifest_{label(rows)}_{label(bars)}.json"
    if not manifest.exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_workload.py"),
                "--rows",
                str(rows),
                "--bars",
                str(bars),
                "--out-dir",
                str(out_dir),
                "--seed",
                str(SEED),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out_dir


def quotes_parquet(path: Path, rows: int) -> Path:
    """Quotes only, streamed to Parquet (same law and seed as the reference generator)."""
    if path.exists():
        return path
    sys.path.insert(0, str(HERE))
    from gen_workload import CHUNK, Stream, quotes_table

    stream = Stream(SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    done = 0
    try:
        while done < rows:
            quotes, _ = stream.chunk()
            take = min(CHUNK, rows - done)
            table = quotes_table({k: v[:take] for k, v in quotes.items()})
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            # why: 128k-row groups; a reader decodes a whole column chunk of a row group at once
            writer.write_table(table, row_group_size=131_072)
            done += take
    finally:
        if writer is not None:
            writer.close()
    tmp.rename(path)
    return path
