"""Replay a journal: re-drive a fresh kernel from its recorded inputs and compare every output.

The fresh kernel is built from the journal's header (instruments, account, risk, seed, strategy,
scripted orders) with venue ports that only listen, and its journal is a *comparer*: every
record the kernel writes must equal the next recorded one, or the replay stops at the first
divergence and says which record, what was recorded and what the replay produced.

Inputs are re-fed in their recorded order. Market data recorded as columnar chunks becomes
events again exactly as the sim driver built them (book rows grouped by timestamp, rows in a
venue outage dropped), and is delivered lazily: up to each recorded ``MDPOS`` mark, or one event
at a time while the next recorded record is an output that only a data event can have caused.
Timers fire one at a time at their recorded times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executioncore.build import build_kernel
from executioncore.store import SqliteStore, StoreError
from kernel.codec import (
    IN,
    OUT,
    TAG_CHUNK,
    TAG_MDPOS,
    TAG_RUN,
    TAG_SUBMIT,
    TAG_SUBMIT_PLAIN,
    TAGS,
    decode,
    expand,
    normalize,
)
from kernel.commands import CancelOrder, ModifyOrder
from kernel.events import TimerFired
from kernel.journal import Journal, JournalCorrupt, read_records
from kernel.kernel import Kernel
from sim.market_events import ChunkEvents

TAG_TIMER = TAGS[TimerFired]


class Divergence(Exception):
    def __init__(self, index: int, expected: Any, got: Any, why: str) -> None:
        super().__init__(why)
        self.index = index
        self.expected = expected
        self.got = got
        self.why = why


@dataclass
class ReplayReport:
    path: str
    records: int = 0
    inputs: int = 0
    outputs: int = 0
    recorded_digest: str | None = None
    replayed_digest: str | None = None
    divergence: dict[str, Any] | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.divergence is None
            and self.error is None
            and self.recorded_digest == self.replayed_digest
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "journal": self.path,
            "ok": self.ok,
            "records": self.records,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "recorded_digest": self.recorded_digest,
            "replayed_digest": self.replayed_digest,
            "divergence": self.divergence,
            "error": self.error,
        }


class _Stream:
    """The recorded records, one look-ahead, with their index."""

    def __init__(self, records: Iterator[tuple]) -> None:
        self._it = records
        self.index = -1
        self._next: tuple | None = None
        self._done = False
        self._advance()

    def _advance(self) -> None:
        try:
            self._next = next(self._it)
        except StopIteration:
            self._next = None
            self._done = True

    def peek(self) -> tuple | None:
        return self._next

    def take(self) -> tuple | None:
        rec = self._next
        if rec is not None:
            self.index += 1
            self._advance()
        return rec


class _Comparer:
    """The replay kernel's journal: compares each record with the next recorded one."""

    def __init__(
        self,
        stream: _Stream,
        report: ReplayReport,
        journal: Journal | None = None,
        recovering: bool = False,
    ) -> None:
        self.stream = stream
        self.report = report
        # replay: a fresh journal recomputes the digest; recovery: the resumed journal on disk
        self.journal = journal if journal is not None else Journal()
        self.recovering = recovering
        self.beyond: list[tuple] = []  # recovery: records past the recorded end

    def append(self, record: tuple) -> None:
        got = normalize(record)
        expected = self.stream.take()
        if expected is None and self.recovering:
            # why: the crash came before these reached the disk, so (write-ahead) no command
            # among them was sent: they are journaled now and handed back to be sent
            self.beyond.append(record)
            self.journal.append(record)
            return
        if expected is None:
            raise Divergence(
                self.stream.index + 1,
                None,
                got,
                "the replay produced a record the journal does not have",
            )
        if expected != got:
            if expand(expected) != expand(got):
                raise Divergence(
                    self.stream.index, expected, got, "the replay differs from the journal"
                )
            # the same order in the other submit form (a journal from before the plain form):
            # the replayed journal keeps the recorded bytes, so the digests still agree
            record = expected
        self.report.records += 1
        if got[0] == OUT:
            self.report.outputs += 1
        else:
            self.report.inputs += 1
        if not self.recovering:
            self.journal.append(record)

    def flush(self) -> None:
        pass


def open_journal(path: str | Path) -> SqliteStore:
    """A run folder or a journal file."""
    p = Path(path)
    if p.is_dir():
        p = p / "journal"
    return SqliteStore.open(p)


def replay(path: str | Path) -> ReplayReport:
    """Replay the journal at ``path`` (a run folder or a journal file)."""
    report = ReplayReport(str(path))
    try:
        store = open_journal(path)
    except StoreError as exc:
        report.error = str(exc)
        return report
    try:
        report.recorded_digest = store.last_digest()
        stream = _Stream(read_records(store.blocks()))
        _drive(stream, report, base_dir=_base_dir(store), retain_closed=_retain_closed(store))
    except JournalCorrupt as exc:
        report.error = f"the journal was altered: {exc}"
    except Divergence as d:
        report.divergence = {
            "record": d.index,
            "why": d.why,
            "expected": _describe(d.expected),
            "got": _describe(d.got),
        }
    finally:
        store.close()
    return report


def _drive(
    stream: _Stream,
    report: ReplayReport,
    comparer: _Comparer | None = None,
    finish: bool = True,
    clock: Any = None,
    base_dir: str | Path = ".",
    retain_closed: int | None = None,
) -> tuple[Kernel, Any, dict[str, Any]]:
    """Re-feed every recorded input. ``finish``: a replay (stop the kernel at the end and
    compute the digest); otherwise a recovery (the kernel goes on living). ``retain_closed``:
    the run's own (its meta), so the OMS forgets what the run's forgot."""
    header_rec = stream.peek()
    if header_rec is None or header_rec[1] != TAG_RUN:
        raise JournalCorrupt("the journal does not start with a run header")
    header = header_rec[2]
    comparer = comparer or _Comparer(stream, report)
    comparer.append(header_rec)
    kernel, clock = build_kernel(header, comparer, clock, base_dir, retain_closed=retain_closed)
    data = ChunkEvents.of_header(header)
    md_count = 0
    on_event = kernel.on_event

    def deliver_one() -> bool:
        nonlocal md_count
        if not data.pending and not data.flush_carries():
            return False
        if not data.pending:
            return False
        _, ev = data.popleft()
        clock.advance_to(ev.ts_init)
        on_event(ev)
        md_count += 1
        return True

    first = True
    stopped = False
    while True:
        rec = stream.peek()
        if rec is None:
            break
        if first:
            kernel.start()  # why: the run's on_start happened before any data
            first = False
            continue
        direction, tag = rec[0], rec[1]
        if tag == TAG_CHUNK:
            while data.pending:
                deliver_one()
            comparer.append(rec)
            data.add(rec[2], rec[3], rec[4])
        elif tag == TAG_MDPOS:
            while md_count < rec[2]:
                if not deliver_one():
                    raise Divergence(
                        stream.index + 1, rec, None, "the journal marks more data than it holds"
                    )
            comparer.append(rec)
        elif direction == OUT:
            if not deliver_one():
                if stopped or not finish:
                    raise Divergence(
                        stream.index + 1,
                        rec,
                        None,
                        "the journal has an output the replay did not produce",
                    )
                kernel.stop()
                stopped = True
        elif tag == TAG_TIMER:
            clock.advance_to(rec[-1])
            if not kernel.fire_next_timer():
                raise Divergence(
                    stream.index + 1, rec, None, "the recorded timer is not due in the replay"
                )
        else:
            _, event = decode(rec)
            clock.advance_to(event.ts_init)
            on_event(event)
    if not finish:
        if first:
            kernel.start()  # why: the run crashed before its first input was journaled
        return kernel, clock, header
    while deliver_one():
        pass
    if not stopped:
        kernel.stop()
    if first:
        raise JournalCorrupt("the journal holds only its header")
    report.replayed_digest = comparer.journal.digest()
    return kernel, clock, header


def _describe(record: Any) -> Any:
    """A record as readable text: its decoded object, or the raw tuple."""
    if record is None:
        return None
    try:
        direction, obj = decode(record)
    except Exception:
        return repr(record)[:500]
    return f"{'IN' if direction == IN else 'OUT'} {obj!r}"[:500]


@dataclass
class Recovered:
    """A kernel rebuilt from an unfinished journal, ready to go on living."""

    kernel: Kernel
    clock: Any
    header: dict[str, Any]
    journal: Journal
    unsent: list[Any]  # commands produced past the recorded end: never sent, send them now
    records: int


def _base_dir(store: SqliteStore) -> str:
    """Where the run's scenario or config lived (older journals kept it in the header)."""
    value = store.meta().get("scenario_dir")
    return value if isinstance(value, str) else "."


def _retain_closed(store: SqliteStore) -> int | None:
    """The run's ``kernel.retain_closed_orders`` (None: it kept every order, or is older)."""
    value = store.meta().get("retain_closed_orders")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def recover(store: SqliteStore, clock: Any) -> Recovered:
    """Rebuild the kernel of a crashed run from its journal (checking every output on the
    way); new records append to the same journal."""
    report = ReplayReport(str(store.path))
    journal = Journal.resume(store, list(store.blocks()))
    stream = _Stream(read_records(store.blocks()))
    comparer = _Comparer(stream, report, journal, recovering=True)
    kernel, clock, header = _drive(
        stream,
        report,
        comparer,
        finish=False,
        clock=clock,
        base_dir=_base_dir(store),
        retain_closed=_retain_closed(store),
    )
    kernel.attach_journal(journal)
    unsent = [decode(r)[1] for r in comparer.beyond if r[0] == OUT and r[1] in _COMMAND_TAGS]
    return Recovered(kernel, clock, header, journal, unsent, report.records)


_COMMAND_TAGS = {TAGS[CancelOrder], TAGS[ModifyOrder], TAG_SUBMIT, TAG_SUBMIT_PLAIN}
