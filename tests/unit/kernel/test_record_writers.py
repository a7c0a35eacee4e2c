"""The generated record writers (``kernel.codec_encoders.write_record``): what a compiled
kernel writes into its journal's block, field by field with no tuple in between, is exactly
what the packer writes for the record's tuple (``codec.encode``), for any field values; a value
the packer refuses leaves nothing behind. Run compiled (C writers) and as plain Python."""

from __future__ import annotations

import dataclasses
import enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import codec
from kernel import events as ev
from kernel.clock import SimClock
from kernel.codec import IN, OUT, encode
from kernel.codec_encoders import write_record
from kernel.commands import SubmitOrder
from kernel.enums import Contingency, OrderType, Side, TimeInForce
from kernel.journal import Journal, MemorySink, pack_record
from kernel.kernel import Kernel
from kernel.orders import Order
from kernel.packer import DIRECT, RecordWriter


class Kind(enum.IntEnum):
    A = 3
    BIG = 2**40
    HUGE = 2**64


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -(10**30)])
    | st.sampled_from(list(Kind))
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | st.floats(allow_nan=False)
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=6)
# the records with a writer, but the submit (its order is built below)
_TYPED = [c for c in codec.typed_classes() if c is not SubmitOrder]


def _writer(max_records: int = 10**6) -> RecordWriter:
    return RecordWriter(pack_record, lambda: None, max_records, 1 << 22)


def _same_bytes(direction: int, obj: object) -> None:
    by_tuple, by_fields = _writer(), _writer()
    by_tuple.put(encode(direction, obj))
    assert write_record(by_fields, direction, obj) == 1
    assert by_fields.count == 1
    assert by_fields.block(b"") == by_tuple.block(b"")


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(_TYPED), st.data(), st.sampled_from([IN, OUT]))
def test_a_record_written_field_by_field_is_its_tuple_s_bytes(cls, data, direction):
    values = {f.name: data.draw(_values, label=f.name) for f in dataclasses.fields(cls)}
    _same_bytes(direction, cls(**values))


_orders = st.builds(
    Order,
    client_order_id=st.text(min_size=1, max_size=12),
    strategy_id=st.text(min_size=1, max_size=6),
    symbol=st.sampled_from(["AAPL", "BTC-USD", "ÄÖ"]),
    side=st.sampled_from(list(Side)),
    order_type=st.just(OrderType.LIMIT),
    quantity=st.integers(10, 2**40),
    limit_ticks=st.integers(-(2**40), 2**40),
    time_in_force=st.sampled_from([TimeInForce.GTC, TimeInForce.DAY]),
    post_only=st.booleans(),
    reduce_only=st.booleans(),
    display_lots=st.none() | st.integers(1, 10),
    venue=st.sampled_from(["SIM", "alpaca"]),
    contingency=st.sampled_from([Contingency.NONE, Contingency.OCO]),
    linked_ids=st.lists(st.text(min_size=1, max_size=4), max_size=2).map(tuple),
    parent_id=st.none() | st.just("p-1"),
    algo_id=st.none() | st.just("twap-1"),
    ts_init=st.sampled_from([0, 7, 2**62]),
)


@settings(max_examples=80, deadline=None)
@given(_orders, st.sampled_from(["SIM", "alpaca"]), st.sampled_from([0, 7, 2**62]))
def test_a_submit_written_field_by_field_is_its_tuple_s_bytes_in_either_form(order, venue, ts):
    _same_bytes(OUT, SubmitOrder(order, venue, ts))


def test_both_submit_forms_are_written():
    order = Order("c-1", "mm", "AAPL", Side.BUY, OrderType.LIMIT, 5, 100, venue="SIM", ts_init=3)
    for cmd, tag in ((SubmitOrder(order, "SIM", 3), 44), (SubmitOrder(order, "SIM", 4), 40)):
        assert encode(OUT, cmd)[1] == tag
        _same_bytes(OUT, cmd)


def test_a_refused_value_leaves_nothing_and_the_writer_goes_on():
    w = _writer()
    assert write_record(w, IN, ev.OrderCanceled("c-1", 1, 2)) == 1
    before = (w.pos, w.count)
    with pytest.raises(TypeError, match="cannot journal a value of type set"):
        write_record(w, IN, ev.OrderAccepted("c-2", "x" * 40, {1}, 2))
    assert (w.pos, w.count) == before
    assert write_record(w, IN, ev.OrderCanceled("c-3", 1, 2)) == 1
    want = pack_record(encode(IN, ev.OrderCanceled("c-1", 1, 2)))
    assert w.block(b"") == want + pack_record(encode(IN, ev.OrderCanceled("c-3", 1, 2)))


def test_a_type_without_a_writer_writes_nothing():
    w = _writer()
    assert write_record(w, IN, ev.TimerFired("twap", "slice", 7, 1, 1)) == 0
    assert write_record(w, IN, object()) == 0
    assert (w.pos, w.count) == (0, 0)


def test_a_full_block_is_cut_by_a_written_record():
    blocks: list[bytes] = []
    w = RecordWriter(pack_record, lambda: blocks.append(w.block(b"")), 3, 1 << 20)
    events = [ev.OrderCanceled(f"c-{i}", i, i) for i in range(7)]
    for e in events:
        write_record(w, IN, e)
    assert len(blocks) == 2 and w.count == 1
    assert blocks[0] == b"".join(pack_record(encode(IN, e)) for e in events[:3])


def test_a_kernel_writes_through_its_compiled_journal_s_writer():
    journal = Journal(MemorySink())
    kernel = Kernel(SimClock(0), [], journal=journal)
    assert kernel._jw is (journal.writer if codec.WRITERS else None)
    assert (journal.writer is not None) is DIRECT
    kernel.attach_journal(None)
    assert kernel._jw is None
