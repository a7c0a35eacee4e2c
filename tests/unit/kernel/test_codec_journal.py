"""The canonical codec (exact inverse on every type) and the journal (blocks, digest, corruption)."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from kernel import codec
from kernel import events as ev
from kernel.codec import IN, OUT, TAG_SUBMIT, TAGS, decode, encode, normalize
from kernel.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import Contingency, OrderStatus, OrderType, Side, TimeInForce
from kernel.journal import (
    Journal,
    JournalBlock,
    JournalCorrupt,
    MemorySink,
    digest_of,
    pack_record,
    read_records,
)
from kernel.orders import Order

T0 = 1_700_000_000_000_000_000

EXAMPLES: dict[type, object] = {
    ev.QuoteTick: ev.QuoteTick("AAPL", 18724, 18726, 300, None, T0, T0 + 5),
    ev.TradeTick: ev.TradeTick("AAPL", 18725, 100, -1, "X-9", T0, T0 + 5),
    ev.Bar: ev.Bar("AAPL", 1, 5, 0, 3, 1000, 60_000_000_000, T0, T0),
    ev.BookUpdate: ev.BookUpdate("BTC", ((1, 100, 5), (-1, 101, 0)), True, T0, T0),
    ev.OrderSubmitted: ev.OrderSubmitted("s-1", "SIM", T0, T0),
    ev.OrderDenied: ev.OrderDenied("s-1", "MAX_ORDER_VALUE", T0, T0),
    ev.OrderAccepted: ev.OrderAccepted("s-1", "V-1", T0, T0),
    ev.OrderRejected: ev.OrderRejected("s-1", "NO_LIQUIDITY", T0, T0),
    ev.OrderTriggered: ev.OrderTriggered("s-1", T0, T0),
    ev.OrderPendingCancel: ev.OrderPendingCancel("s-1", T0, T0),
    ev.OrderPendingUpdate: ev.OrderPendingUpdate("s-1", T0, T0),
    ev.OrderModified: ev.OrderModified("s-1", 20, None, 95, T0, T0),
    ev.OrderCancelRejected: ev.OrderCancelRejected("s-1", "TOO_LATE", T0, T0),
    ev.OrderModifyRejected: ev.OrderModifyRejected("s-1", "TOO_LATE", T0, T0),
    ev.OrderCanceled: ev.OrderCanceled("s-1", T0, T0),
    ev.OrderExpired: ev.OrderExpired("s-1", T0, T0),
    ev.OrderFilled: ev.OrderFilled("s-1", "V-1", "T-1", "AAPL", -1, 18725, 3, 2, -150, T0, T0),
    ev.TimerFired: ev.TimerFired("twap", "slice", 7, T0, T0),
    ev.TradingStateChanged: ev.TradingStateChanged(1, 3, "DAILY_LOSS", T0, T0),
    ev.VenueStatus: ev.VenueStatus("alpaca", False, True, T0, T0),
    ev.RiskEvent: ev.RiskEvent("KILL_SWITCH", "manual — ünïcode", T0, T0),
    ev.OperatorAction: ev.OperatorAction("halt", "SHUTDOWN:SIGTERM", T0, T0 + 1),
    ev.AccountReport: ev.AccountReport(
        "alpaca", "USD", 10**14, 10**14 + 5, 2 * 10**14, (("AAPL", 10, 1500000),), False, T0, T0
    ),
    ev.VenueNotice: ev.VenueNotice("alpaca", "RECONCILE_FAILED", "HTTP 503", T0, T0 + 1),
    CancelOrder: CancelOrder("s-1", "AAPL", "SIM", T0),
    ModifyOrder: ModifyOrder("s-1", "AAPL", "SIM", None, 18700, None, T0),
    CancelAllOrders: CancelAllOrders(None, "mm", T0),
}


def bracket_child() -> Order:
    return Order(
        "s-2",
        "mm",
        "AAPL",
        Side.SELL,
        OrderType.STOP_LIMIT,
        7,
        limit_ticks=90,
        stop_ticks=91,
        time_in_force=TimeInForce.GTD,
        expire_ns=T0 + 10,
        reduce_only=True,
        display_lots=2,
        venue="SIM",
        contingency=Contingency.OCO,
        linked_ids=("s-3", "s-4"),
        parent_id="s-1",
        algo_id="twap-1",
        ts_init=T0,
    )


def submit_example() -> SubmitOrder:
    return SubmitOrder(bracket_child(), "SIM", T0 + 1)


# --- codec --------------------------------------------------------------------------------------
def test_examples_cover_every_registered_type():
    assert set(EXAMPLES) == set(TAGS)
    assert codec.CLASSES[TAG_SUBMIT] is SubmitOrder


def test_tags_are_unique_and_classes_invert_them():
    tags = [*TAGS.values(), TAG_SUBMIT, codec.TAG_SUBMIT_PLAIN]
    assert len(tags) == len(set(tags))
    for cls, tag in TAGS.items():
        assert codec.CLASSES[tag] is cls


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("direction", [IN, OUT])
def test_encode_decode_every_type_round_trips(cls, direction):
    obj = EXAMPLES[cls]
    record = encode(direction, obj)
    assert record[:2] == (direction, TAGS[cls])
    assert decode(record) == (direction, obj)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_encode_decode_through_msgpack_round_trips(cls):
    obj = EXAMPLES[cls]
    record = _wire(encode(IN, obj))
    direction, back = decode(record)
    assert (direction, back) == (IN, obj)
    assert encode(IN, back) == normalize(record)


def _wire(record):
    """A record as it comes back from the journal's encoding."""
    return msgpack.unpackb(msgpack.packb(record, use_bin_type=True), use_list=False, raw=False)


def test_plain_submit_takes_the_short_record_and_round_trips():
    from kernel.codec import TAG_SUBMIT_PLAIN, expand

    order = Order("c-1", "s", "XYZ", Side.SELL, OrderType.LIMIT, 7, 10_001, venue="SIM", ts_init=T0)
    cmd = SubmitOrder(order, "SIM", T0)
    record = encode(OUT, cmd)
    assert record[:2] == (OUT, TAG_SUBMIT_PLAIN) and len(record) == 12
    assert all(type(v) in (int, str) for v in record)  # no enum members: the packer's fast path
    direction, back = decode(_wire(record))
    assert direction == OUT and (back.venue, back.ts_init) == ("SIM", T0)
    assert encode(OUT, back) == record
    for name in codec.ORDER_FIELDS:
        assert getattr(back.order, name) == getattr(order, name), name
    # the full form of the same order decodes to the same request
    full = expand(record)
    assert full[1] == TAG_SUBMIT and len(full) == 26
    again = decode(_wire(full))[1]
    for name in codec.ORDER_FIELDS:
        assert getattr(again.order, name) == getattr(order, name), name


@pytest.mark.parametrize(
    "change",
    [
        {"reduce_only": True},
        {"post_only": True},
        {"display_lots": 2},
        {"parent_id": "p-1"},
        {"algo_id": "twap-1"},
        {"time_in_force": TimeInForce.GTD, "expire_ns": T0 + 10},
    ],
    ids=lambda c: next(iter(c)),
)
def test_submit_with_any_optional_field_keeps_the_full_record(change):
    order = Order("c-1", "s", "XYZ", Side.BUY, OrderType.LIMIT, 7, 10_001, ts_init=T0, **change)
    record = encode(OUT, SubmitOrder(order, "SIM", T0))
    assert record[1] == TAG_SUBMIT
    back = decode(_wire(record))[1].order
    for name in change:
        assert getattr(back, name) == change[name]


def test_submit_whose_command_differs_from_its_order_keeps_the_full_record():
    order = Order("c-1", "s", "XYZ", Side.BUY, OrderType.MARKET, 7, venue="A", ts_init=T0)
    assert encode(OUT, SubmitOrder(order, "B", T0))[1] == TAG_SUBMIT
    assert encode(OUT, SubmitOrder(order, "A", T0 + 1))[1] == TAG_SUBMIT


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_encode_record_holds_every_field_in_the_order_fields_lists(cls):
    obj = EXAMPLES[cls]
    names = codec.FIELDS[TAGS[cls]]
    if codec.TRAILING_OPTIONAL.get(TAGS[cls]) == names[-1] and not getattr(obj, names[-1]):
        names = names[:-1]  # why: a trailing field added later is written only when set
    assert encode(IN, obj)[2:] == tuple(getattr(obj, n) for n in names)


def test_a_fill_charged_in_another_asset_carries_it_and_a_plain_fill_keeps_its_old_bytes():
    plain = ev.OrderFilled("c-1", "v-1", "t-1", "BTC/USDT", 1, 6_500_000, 12, 2, 0, T0, T0)
    assert len(encode(IN, plain)) == 2 + 11  # the record of every journal written before
    assert decode(_wire(encode(IN, plain)))[1] == plain
    in_btc = dataclasses.replace(plain, commission=12_000, commission_currency="BTC")
    record = encode(IN, in_btc)
    assert record[-1] == "BTC" and len(record) == 2 + 12
    assert decode(_wire(record))[1] == in_btc


def test_an_account_report_with_balances_round_trips_and_one_without_keeps_its_old_bytes():
    plain = ev.AccountReport("bn", "USDT", 10, 10, 10, (("BTC/USDT", 3, 900),), False, T0, T0)
    assert len(encode(IN, plain)) == 2 + 9
    assert decode(_wire(encode(IN, plain)))[1] == plain
    multi = dataclasses.replace(plain, balances=(("BTC", 5_994_000), ("USDT", 10)))
    back = decode(_wire(encode(IN, multi)))[1]
    assert back == multi and back.balances == (("BTC", 5_994_000), ("USDT", 10))


# --- the pinned layout (FIELDS) ------------------------------------------------------------------
def test_fields_list_every_tag_and_match_the_classes():
    assert set(codec.FIELDS) == {*TAGS.values(), TAG_SUBMIT, codec.TAG_SUBMIT_PLAIN}
    codec.check_fields(codec.FIELDS, TAGS, codec.PLAIN_OMITS)  # what import does


@dataclasses.dataclass(slots=True)
class QuoteWithAnExtraField:
    symbol: str
    bid_ticks: int
    ask_ticks: int
    bid_lots: int | None
    ask_lots: int | None
    ts_event: int
    ts_init: int
    venue: str | None = None
    mid_ticks: int = 0


@dataclasses.dataclass(slots=True)
class QuoteReordered:
    """QuoteTick's fields in another order: the record must not notice."""

    ts_init: int
    ts_event: int
    venue: str | None
    symbol: str
    ask_ticks: int
    bid_ticks: int
    ask_lots: int | None
    bid_lots: int | None


def test_a_class_with_a_field_the_list_lacks_fails_loudly():
    tags = {**TAGS, QuoteWithAnExtraField: 1}
    del tags[ev.QuoteTick]
    with pytest.raises(codec.LayoutMismatch, match=r"tag 1 \(QuoteWithAnExtraField\).*mid_ticks"):
        codec.check_fields(codec.FIELDS, tags, codec.PLAIN_OMITS)


def test_a_list_with_a_missing_unknown_or_repeated_name_fails_loudly():
    fields = dict(codec.FIELDS)
    fields[22] = (*fields[22][:-2], "ts_recv", fields[22][-1])
    fields[33] = (*fields[33], "code")
    fields[44] = fields[44][:-1]  # time_in_force neither in the plain form nor in PLAIN_OMITS
    del fields[43]
    with pytest.raises(codec.LayoutMismatch) as info:
        codec.check_fields(fields, TAGS, codec.PLAIN_OMITS)
    message = str(info.value)
    assert "tag 22 (OrderFilled): FIELDS lacks ['ts_init'] and names unknown ['ts_recv']" in message
    assert "tag 33 (RiskEvent): FIELDS names a field twice" in message
    assert "lacks [43]" in message
    assert "PLAIN_OMITS lacks ['order.time_in_force']" in message


def test_an_order_parameter_the_submit_lists_lack_fails_loudly():
    fields = dict(codec.FIELDS)
    fields[TAG_SUBMIT] = tuple(n for n in fields[TAG_SUBMIT] if n != "order.algo_id")
    with pytest.raises(codec.LayoutMismatch, match=r"tag 40 \(SubmitOrder\).*order\.algo_id"):
        codec.check_fields(fields, TAGS, codec.PLAIN_OMITS)


def test_a_reordered_class_keeps_the_record_and_decodes_by_name():
    quote = EXAMPLES[ev.QuoteTick]
    names = codec.FIELDS[1]
    moved = QuoteReordered(**{n: getattr(quote, n) for n in names})
    record = codec._make_encoder(names, 1)(IN, moved)
    assert record == encode(IN, quote)
    assert codec._make_decoder(QuoteReordered, names)(*record[2:]) == moved


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_the_decoder_by_name_matches_the_class_itself(cls):
    obj = EXAMPLES[cls]
    record = encode(IN, obj)
    assert codec._make_decoder(cls, codec.FIELDS[TAGS[cls]], by_name=True)(*record[2:]) == obj


def test_a_record_without_its_trailing_defaulted_fields_decodes():
    # a quote journaled before ``venue`` existed
    old = (IN, 1, "AAPL", 1, 2, None, 4, T0, T0)
    want = ev.QuoteTick("AAPL", 1, 2, None, 4, T0, T0)
    assert decode(old) == (IN, want)
    by_name = codec._make_decoder(ev.QuoteTick, codec.FIELDS[1], by_name=True)
    assert by_name(*old[2:]) == want


def test_encode_decode_submit_order_round_trips_order_fields():
    cmd = submit_example()
    record = encode(OUT, cmd)
    assert record[:4] == (OUT, TAG_SUBMIT, "SIM", T0 + 1)
    direction, back = decode(_wire(record))
    assert direction == OUT
    assert isinstance(back, SubmitOrder)
    assert (back.venue, back.ts_init) == ("SIM", T0 + 1)
    assert encode(OUT, back) == record
    for name in codec.ORDER_FIELDS:
        assert getattr(back.order, name) == getattr(cmd.order, name), name
    assert back.order.side is Side.SELL
    assert back.order.contingency is Contingency.OCO
    assert back.order.status == OrderStatus.INITIALIZED


def test_encode_submit_order_fields_follow_order_fields_with_enums_as_plain_ints():
    cmd = submit_example()
    record = encode(OUT, cmd)
    assert record[4:] == tuple(getattr(cmd.order, name) for name in codec.ORDER_FIELDS)
    # plain ints pack to the same bytes as the enums, on MessagePack's fast path
    assert all(type(v) is not Side and type(v) is not Contingency for v in record)
    assert msgpack.packb(record) == msgpack.packb(
        (*record[:4], *(getattr(cmd.order, n) for n in codec.ORDER_FIELDS))
    )


def test_encode_submit_order_snapshots_the_order_at_encode_time():
    order = bracket_child()
    record = encode(OUT, SubmitOrder(order, "SIM", T0))
    order.quantity = 3  # e.g. an OTO child resized later
    assert decode(record)[1].order.quantity == 7


def test_decode_unknown_tag_raises_value_error():
    with pytest.raises(ValueError, match="unknown journal record tag 999"):
        decode((IN, 999, 1, 2))


# --- journal ------------------------------------------------------------------------------------
def sample_records(n: int = 10) -> list[tuple]:
    objs = list(EXAMPLES.values())
    return [encode(i % 2, objs[i % len(objs)]) for i in range(n)]


def write(records: list[tuple], block_records: int, blobs: dict[int, bytes] | None = None):
    sink = MemorySink()
    journal = Journal(sink, block_records=block_records)
    for i, rec in enumerate(records):
        if blobs and i in blobs:
            journal.append_blob(rec, blobs[i])
        else:
            journal.append(rec)
    return journal, sink


def expected(records: list[tuple], blobs: dict[int, bytes] | None = None) -> list[tuple]:
    blobs = blobs or {}
    return [(*r, blobs[i]) if i in blobs else r for i, r in enumerate(records)]


def test_journal_blocks_every_block_records():
    records = sample_records(10)
    journal, sink = write(records, block_records=3)
    assert [b.count for b in sink.blocks] == [3, 3, 3]
    assert (journal.pending, journal.count) == (1, 9)
    journal.close()
    assert [b.count for b in sink.blocks] == [3, 3, 3, 1]
    assert [b.first_seq for b in sink.blocks] == [0, 3, 6, 9]
    assert [b.index for b in sink.blocks] == [0, 1, 2, 3]
    assert sink.closed
    assert journal.count == 10


def test_read_records_memory_sink_yields_exactly_what_was_appended():
    records = sample_records(40)
    blobs = {0: b"\x00\x01binary", 7: b"", 8: bytes(range(256)), 39: b"last"}
    journal, sink = write(records, block_records=4, blobs=blobs)
    journal.close()
    assert list(read_records(sink.blocks)) == expected(records, blobs)


def test_read_records_decodes_back_to_the_objects():
    objs = [*EXAMPLES.values()]
    journal, sink = write([encode(IN, o) for o in objs], block_records=5)
    journal.close()
    assert [decode(r)[1] for r in read_records(sink.blocks)] == objs


def test_journal_record_encodes_and_appends():
    sink = MemorySink()
    journal = Journal(sink)
    journal.record(OUT, EXAMPLES[CancelOrder])
    journal.record(OUT, submit_example())
    journal.close()
    got = list(read_records(sink.blocks))
    assert got == [encode(OUT, EXAMPLES[CancelOrder]), encode(OUT, submit_example())]


@pytest.mark.parametrize("block_records", [1, 2, 3, 7, 8192])
def test_journal_digest_independent_of_block_size(block_records):
    records = sample_records(25)
    blobs = {3: b"abc", 4: b"defg", 20: b"z" * 100}
    reference, _ = write(records, block_records=10_000, blobs=blobs)
    journal, sink = write(records, block_records=block_records, blobs=blobs)
    assert journal.digest() == reference.digest()
    assert digest_of(sink.blocks) == reference.digest()


def test_journal_digest_mid_run_flush_does_not_change_final_digest():
    records = sample_records(12)
    a, _ = write(records, block_records=100)
    b = Journal(MemorySink(), block_records=100)
    for i, r in enumerate(records):
        b.append(r)
        if i % 5 == 0:
            b.digest()  # flushes a short block
    assert a.digest() == b.digest()


def test_journal_digest_changes_with_content_and_order():
    records = sample_records(6)
    base = write(records, 100)[0].digest()
    assert write(records[::-1], 100)[0].digest() != base
    assert write(records[:-1], 100)[0].digest() != base
    assert write(records, 100, {2: b"x"})[0].digest() != write(records, 100, {2: b"y"})[0].digest()
    # why: moving a blob boundary changes each blob's length prefix, so it changes the digest
    assert (
        write(records, 100, {1: b"ab", 2: b"c"})[0].digest()
        != write(records, 100, {1: b"a", 2: b"bc"})[0].digest()
    )


def test_journal_empty_digest_is_stable_and_writes_no_block():
    sink = MemorySink()
    assert Journal(sink).digest() == Journal().digest()
    assert sink.blocks == []
    assert Journal().digest() != write(sample_records(1), 10)[0].digest()


def test_journal_block_records_below_one_is_one():
    journal, sink = write(sample_records(3), block_records=0)
    assert [b.count for b in sink.blocks] == [1, 1, 1]
    assert journal.pending == 0


def _written(n: int = 12, block_records: int = 4):
    records = sample_records(n)
    blobs = {5: b"blob-five", 9: b"blob-nine"}
    journal, sink = write(records, block_records, blobs)
    journal.close()
    return sink.blocks, expected(records, blobs)


def _edit(block: JournalBlock, field: str, pos: int) -> JournalBlock:
    data = bytearray(getattr(block, field))
    data[pos] ^= 0x01
    return dataclasses.replace(block, **{field: bytes(data)})


@pytest.mark.parametrize("pos", [0, 1, 10, -2, -1])
def test_read_records_edited_body_raises_journal_corrupt_naming_block(pos):
    blocks, _ = _written()
    blocks[1] = _edit(blocks[1], "body", pos)
    with pytest.raises(JournalCorrupt, match=r"^block 1 "):
        list(read_records(blocks))
    with pytest.raises(JournalCorrupt, match="block 1"):
        digest_of(blocks)


def test_read_records_edited_blob_raises_journal_corrupt_naming_block():
    blocks, _ = _written()
    at = blocks[2].body.index(b"blob-nine")  # records 8..11 hold blob-nine
    blocks[2] = _edit(blocks[2], "body", at + 3)
    with pytest.raises(JournalCorrupt, match=r"^block 2 "):
        list(read_records(blocks))


def test_read_records_records_before_the_edit_are_yielded():
    blocks, want = _written()
    blocks[2] = _edit(blocks[2], "body", 5)
    got = []
    with pytest.raises(JournalCorrupt):
        for rec in read_records(blocks):
            got.append(rec)
    assert got == want[:8]


def test_read_records_missing_block_raises_journal_corrupt():
    blocks, _ = _written()
    del blocks[1]
    with pytest.raises(JournalCorrupt, match="block 2 starts at record 8, expected 4"):
        list(read_records(blocks))


def test_read_records_edited_digest_raises_journal_corrupt():
    blocks, _ = _written()
    blocks[0] = _edit(blocks[0], "digest", 0)
    with pytest.raises(JournalCorrupt, match=r"^block 0 "):
        list(read_records(blocks))


def test_read_records_without_verify_skips_digest_check():
    blocks, want = _written()
    blocks[0] = _edit(blocks[0], "digest", 0)
    assert list(read_records(blocks, verify=False)) == want


# --- the buffer: raw appends, block cuts, ints beyond 64 bits -------------------------------------
def _records(n: int) -> list[tuple]:
    return [(IN, 51, i) if i % 3 else (OUT, 41, f"c-{i}", "AAPL", "SIM", T0 + i) for i in range(n)]


def test_raw_append_gives_the_same_journal_as_append_and_as_packing_each_record():
    recs = _records(50)
    a, b = Journal(MemorySink(), block_records=7), Journal(MemorySink(), block_records=7)
    for r in recs:
        a.append(r)
        b.raw_append(r)
        b.maybe_flush()
    assert a.digest() == b.digest()
    # a block packed whole is the array header and each record packed on its own
    first = a._sink.blocks[0]  # type: ignore[attr-defined]
    assert first.body == b"\x97" + b"".join(pack_record(r) for r in recs[:7])
    assert list(read_records(a._sink.blocks)) == recs  # type: ignore[attr-defined]
    assert list(read_records(b._sink.blocks)) == recs  # type: ignore[attr-defined]


def test_maybe_flush_cuts_a_block_only_at_block_records():
    journal = Journal(MemorySink(), block_records=4)
    for r in _records(3):
        journal.raw_append(r)
        journal.maybe_flush()
    assert journal.pending == 3 and journal.count == 0
    journal.raw_append(_records(4)[3])
    journal.maybe_flush()
    assert journal.pending == 0 and journal.count == 4
    assert [b.count for b in journal._sink.blocks] == [4]  # type: ignore[attr-defined]


def test_digest_does_not_depend_on_where_raw_appended_records_are_cut():
    recs = _records(40)
    digests = set()
    for block in (1, 3, 16, 1000):
        journal = Journal(MemorySink(), block_records=block)
        for r in recs:
            journal.raw_append(r)
            journal.maybe_flush()
        digests.add(journal.digest())
    assert len(digests) == 1


@pytest.mark.parametrize("value", [1 << 64, -(1 << 63) - 1, 10**40, -(10**40)])
def test_ints_beyond_64_bits_round_trip_exactly(value):
    journal = Journal(MemorySink(), block_records=2)
    recs = [(IN, 33, "X", value, T0), (OUT, 41, "c", "AAPL", "SIM", (1 << 64) - 1)]
    for r in recs:
        journal.append(r)
    journal.flush()
    assert list(read_records(journal._sink.blocks)) == recs  # type: ignore[attr-defined]


def test_a_value_the_journal_cannot_hold_is_refused_with_its_type():
    journal = Journal(MemorySink())
    with pytest.raises(TypeError, match="cannot journal a value of type set"):
        journal.append((IN, 33, {1, 2}))
    assert journal.pending == 0  # nothing half-written


def test_kernel_cuts_blocks_as_venue_events_arrive():
    from kernel_helpers import RecordingVenue

    from kernel.clock import SimClock
    from kernel.kernel import Kernel
    from kernel.strategy import Strategy
    from kernel.units import Instrument

    journal = Journal(MemorySink(), block_records=8)
    venue = RecordingVenue("SIM")
    kernel = Kernel(SimClock(1), [Instrument("AAPL", "0.01", "1")], {"SIM": venue}, journal)
    ctx = kernel.add_strategy(Strategy("s"))
    most = 0
    for i in range(40):
        order = ctx.submit("AAPL", Side.BUY, 1, OrderType.LIMIT, limit_ticks=100)
        kernel.on_order_event(ev.OrderAccepted(order.client_order_id, f"V-{i}", 2, 2))
        most = max(most, journal.pending)
    assert most <= 8  # bounded: never more than a block waits in memory
    assert journal.count >= 72
    records = list(read_records(journal._sink.blocks))  # type: ignore[attr-defined]
    assert [r[1] for r in records[:2]] == [44, 12]  # a plain submit, then its acceptance


def test_a_bad_value_that_came_in_raw_is_refused_at_the_block_and_the_others_are_kept():
    """As plain Python a tapped record is packed with its block, so a bad value is refused
    there; compiled (``direct``), it is refused at once, its bytes taken back."""
    journal = Journal(MemorySink(), block_records=100)
    good = _records(3)
    journal.raw_append(good[0])
    if journal.direct:
        with pytest.raises(TypeError, match="cannot journal a value of type set"):
            journal.tap((IN, 33, (1, "a", {1, 2})))
        journal.raw_append(good[1])
    else:
        journal.tap((IN, 33, {1, 2}))
        journal.raw_append(good[1])
        with pytest.raises(TypeError, match="cannot journal a value of type set"):
            journal.flush()
    journal.raw_append(good[2])
    journal.flush()
    assert list(read_records(journal._sink.blocks)) == good  # type: ignore[attr-defined]
