"""File access: stream a CSV (plain or gzipped) or Parquet file as Arrow batches of raw columns.

Only the columns in use are read, and only a bounded block at a time: CSV through Arrow's
streaming reader (``open_csv``, every used column read as text and converted later, so one bad
cell is a bad row, not a failed file), Parquet through ``ParquetFile.iter_batches``. A source
also numbers its rows the way ``DataError`` reports them: the physical line of a CSV file (the
header is line 1; a line with the wrong number of fields is reported as a bad row of its own,
and blank lines keep the count right), or the 1-based row of a Parquet file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sim.feeds.ahead import read_ahead
from sim.feeds.spec import DataError

_SNIFF_BYTES = 1 << 16
_MIN_BLOCK = 1 << 20
_MAX_BLOCK = 1 << 21  # why: Arrow reads a few blocks ahead; bigger blocks are no faster


def _compression(path: Path) -> str | None:
    return "gzip" if path.suffix.lower() == ".gz" else None


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


class CsvSource:
    """A CSV file read as text columns in blocks, with physical line numbers for its rows."""

    unit = "line"

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self.path = path
        self.names, line_bytes = self._sniff()
        self.block_size = int(min(max(line_bytes * chunk_rows * 1.25, _MIN_BLOCK), _MAX_BLOCK))
        self._next_line = 2
        self._invalid: list[tuple[int, str]] = []

    def _open(self) -> pa.NativeFile:
        try:
            return pa.input_stream(str(self.path), compression=_compression(self.path))
        except FileNotFoundError:
            raise DataError(self.path, "file not found") from None
        except OSError as exc:
            raise DataError(self.path, f"cannot open the file: {exc}") from None

    def _sniff(self) -> tuple[list[str], float]:
        # why: the header decides which columns to read and as what, before Arrow opens the file
        stream = self._open()
        try:
            head = stream.read(_SNIFF_BYTES)
        except OSError as exc:
            raise DataError(self.path, f"cannot read the file: {exc}") from None
        finally:
            stream.close()
        text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
        lines = text.split("\n")
        if not lines[0].strip():
            raise DataError(self.path, "the file is empty or has no header line")
        names = next(csv.reader([lines[0].rstrip("\r")]))
        complete = max(len(lines) - 1, 1)
        return names, max(len(head) / complete, 8.0)

    def columns(self) -> list[str]:
        return self.names

    def _on_invalid(self, row: pacsv.InvalidRow) -> str:
        line = row.number if row.number is not None else -1
        why = f"malformed line: expected {row.expected_columns} fields, found {row.actual_columns}"
        self._invalid.append((line, why))
        return "skip"

    def batches(self, wanted: list[str]) -> Iterator[pa.RecordBatch]:
        """Yield record batches holding the ``wanted`` columns as text, in file order."""
        read = pacsv.ReadOptions(block_size=self.block_size, use_threads=False)
        # why: empty lines stay rows (all blank) so Arrow's line numbers match the file's
        parse = pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=self._on_invalid)
        convert = pacsv.ConvertOptions(
            include_columns=wanted, column_types={name: pa.string() for name in wanted}
        )
        stream = self._open()
        try:
            reader = pacsv.open_csv(
                stream, read_options=read, parse_options=parse, convert_options=convert
            )
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                yield batch
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(self.path, f"cannot read the file as CSV: {exc}") from None
        finally:
            stream.close()

    def take_rows(self, n: int) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """Line numbers of the next ``n`` rows, and the malformed lines that come before them."""
        lines = self._next_line + np.arange(n, dtype=np.int64)
        pending = sorted(self._invalid)
        for line, _ in pending:
            lines[lines >= line] += 1
        last = int(lines[-1]) if n else self._next_line - 1
        before = [item for item in pending if item[0] <= last]
        self._invalid = [item for item in pending if item[0] > last]
        self._next_line = last + 1
        return lines, before

    def finish(self) -> list[tuple[int, str]]:
        """The malformed lines after the last row."""
        rest, self._invalid = sorted(self._invalid), []
        return rest


class ParquetSource:
    """A Parquet file read in batches of at most ``chunk_rows`` rows."""

    unit = "row"

    def __init__(self, path: Path, chunk_rows: int, ahead: bool = False) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        self.ahead = ahead
        self._next_row = 1
        try:
            # why: buffer_size streams each column chunk instead of loading a row group whole
            self.file = pq.ParquetFile(str(path), buffer_size=1 << 16, pre_buffer=False)
        except FileNotFoundError:
            raise DataError(path, "file not found") from None
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(path, f"cannot read the file as Parquet: {exc}") from None

    def columns(self) -> list[str]:
        return list(self.file.schema_arrow.names)

    def batches(self, wanted: list[str]) -> Iterator[pa.RecordBatch]:
        """Yield record batches of the ``wanted`` columns, in file order; with ``ahead``, decoded
        a few batches ahead by a thread (``sim.feeds.ahead``: decoding releases the GIL)."""
        if not self.ahead:
            return self._batches(wanted)
        return read_ahead(self._batches(wanted), name=f"read-ahead {self.path.name}")

    def _batches(self, wanted: list[str]) -> Iterator[pa.RecordBatch]:
        try:
            yield from self.file.iter_batches(
                batch_size=self.chunk_rows, columns=wanted, use_threads=False
            )
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(self.path, f"cannot read the file as Parquet: {exc}") from None

    def take_rows(self, n: int) -> tuple[np.ndarray, list[tuple[int, str]]]:
        rows = self._next_row + np.arange(n, dtype=np.int64)
        self._next_row += n
        return rows, []

    def finish(self) -> list[tuple[int, str]]:
        return []


def open_source(path: Path, chunk_rows: int, ahead: bool = False) -> CsvSource | ParquetSource:
    """The source for ``path``: Parquet by its ``.parquet``/``.pq`` suffix, else CSV. ``ahead``:
    a Parquet file's batches are decoded ahead by a thread (backtests; a CSV is never read
    ahead, as reading it collects its malformed lines)."""
    if _is_parquet(path):
        return ParquetSource(path, chunk_rows, ahead)
    return CsvSource(path, chunk_rows)
