"""Golden bytes of the journal's on-disk form: for each record tag, a fixed example and the
exact MessagePack bytes its record packs to (``kernel.journal.pack_record``).

Journals on disk outlive releases: a change to any of these bytes (a field reordered, added or
dropped in ``kernel.codec.FIELDS``, an enum journaled differently, a packer option) breaks every
stored journal's digest and replay. Such a change takes a new tag, never an edit of these
literals. The bytes were produced by the codec as it was before ``FIELDS`` pinned the layout.
"""

from __future__ import annotations

import pytest

from kernel import codec
from kernel import events as ev
from kernel.codec import IN, OUT, decode, encode
from kernel.codec_encoders import write_record
from kernel.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import Contingency, OrderType, Side, TimeInForce
from kernel.journal import Journal, MemorySink, pack_record, read_records
from kernel.orders import Order
from kernel.packer import RecordWriter

T0 = 1_700_000_000_000_000_000  # fits 64 bits: a uint64 on disk
BIG = 10**20  # does not: an extension value (EXT_BIGINT) holding its decimal text


def plain_submit() -> SubmitOrder:
    order = Order(
        "c-1", "mm", "AAPL", Side.BUY, OrderType.LIMIT, 100, 18_725, venue="SIM", ts_init=T0
    )
    return SubmitOrder(order, "SIM", T0)


def full_submit() -> SubmitOrder:
    order = Order(
        "c-2",
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
        linked_ids=("c-3", "c-4"),
        parent_id="c-1",
        algo_id="twap-1",
        ts_init=T0,
    )
    return SubmitOrder(order, "SIM", T0 + 1)


# tag -> (direction, example): every tag of ``codec.FIELDS``
EXAMPLES: dict[int, tuple[int, object]] = {
    1: (IN, ev.QuoteTick("AAPL", 18724, 18726, 300, None, T0, T0 + 5, "XNAS")),
    2: (IN, ev.TradeTick("AAPL", 18725, 100, -1, "X-9", T0, T0 + 5)),
    3: (IN, ev.Bar("AAPL", 1, 5, 0, 3, 1000, 60_000_000_000, T0, T0)),
    4: (IN, ev.BookUpdate("BTC", ((1, 100, 5), (-1, 101, 0)), True, T0, T0, "SIM")),
    10: (OUT, ev.OrderSubmitted("c-1", "SIM", T0, T0)),
    11: (OUT, ev.OrderDenied("c-1", "MAX_ORDER_VALUE", T0, T0)),
    12: (IN, ev.OrderAccepted("c-1", "V-1", T0, T0 + 1)),
    13: (IN, ev.OrderRejected("c-1", "NO_LIQUIDITY", T0, T0 + 1)),
    14: (IN, ev.OrderTriggered("c-1", T0, T0 + 1)),
    15: (OUT, ev.OrderPendingCancel("c-1", T0, T0)),
    16: (OUT, ev.OrderPendingUpdate("c-1", T0, T0)),
    17: (IN, ev.OrderModified("c-1", 20, None, 95, T0, T0 + 1)),
    18: (IN, ev.OrderCancelRejected("c-1", "TOO_LATE", T0, T0 + 1)),
    19: (IN, ev.OrderModifyRejected("c-1", "TOO_LATE", T0, T0 + 1)),
    20: (IN, ev.OrderCanceled("c-1", T0, T0 + 1)),
    21: (IN, ev.OrderExpired("c-1", T0, T0 + 1)),
    22: (IN, ev.OrderFilled("c-1", "V-1", "T-1", "AAPL", -1, 18725, 3, 2, -150, T0, T0 + 1)),
    30: (IN, ev.TimerFired("twap", "slice", 7, T0, T0)),
    31: (OUT, ev.TradingStateChanged(1, 3, "DAILY_LOSS", T0, T0)),
    32: (IN, ev.VenueStatus("alpaca", False, True, T0, T0)),
    33: (OUT, ev.RiskEvent("KILL_SWITCH", "manual — ünïcode", T0, T0)),
    34: (IN, ev.OperatorAction("halt", "SHUTDOWN:SIGTERM", T0, T0 + 1)),
    35: (
        IN,
        ev.AccountReport(
            "alpaca", "USD", 10**14, BIG, -(10**14), (("AAPL", 10, 1_500_000),), True, T0, T0 + 1
        ),
    ),
    36: (IN, ev.VenueNotice("alpaca", "RECONCILE_FAILED", "HTTP 503", T0, T0 + 1)),
    40: (OUT, full_submit()),  # TAG_SUBMIT
    41: (OUT, CancelOrder("c-1", "AAPL", "SIM", T0)),
    42: (OUT, ModifyOrder("c-1", "AAPL", "SIM", None, 18700, None, T0)),
    43: (OUT, CancelAllOrders(None, "mm", T0)),
    44: (OUT, plain_submit()),  # TAG_SUBMIT_PLAIN
}


# tag -> the exact bytes of the example's record
GOLDEN: dict[int, str] = {
    # QuoteTick
    1: "9a0001a44141504ccd4924cd4926cd012cc0cf17979cfe362a0000cf17979cfe362a0005a4584e4153",
    # TradeTick
    2: "9a0002a44141504ccd492564ffa3582d39cf17979cfe362a0000cf17979cfe362a0005c0",
    # Bar
    3: "9b0003a44141504c01050003cd03e8cf0000000df8475800cf17979cfe362a0000cf17979cfe362a0000",
    # BookUpdate
    4: "980004a3425443929301640593ff6500c3cf17979cfe362a0000cf17979cfe362a0000a353494d",
    # OrderSubmitted
    10: "96010aa3632d31a353494dcf17979cfe362a0000cf17979cfe362a0000",
    # OrderDenied
    11: "96010ba3632d31af4d41585f4f524445525f56414c5545cf17979cfe362a0000cf17979cfe362a0000",
    # OrderAccepted
    12: "96000ca3632d31a3562d31cf17979cfe362a0000cf17979cfe362a0001",
    # OrderRejected
    13: "96000da3632d31ac4e4f5f4c4951554944495459cf17979cfe362a0000cf17979cfe362a0001",
    # OrderTriggered
    14: "95000ea3632d31cf17979cfe362a0000cf17979cfe362a0001",
    # OrderPendingCancel
    15: "95010fa3632d31cf17979cfe362a0000cf17979cfe362a0000",
    # OrderPendingUpdate
    16: "950110a3632d31cf17979cfe362a0000cf17979cfe362a0000",
    # OrderModified
    17: "980011a3632d3114c05fcf17979cfe362a0000cf17979cfe362a0001",
    # OrderCancelRejected
    18: "960012a3632d31a8544f4f5f4c415445cf17979cfe362a0000cf17979cfe362a0001",
    # OrderModifyRejected
    19: "960013a3632d31a8544f4f5f4c415445cf17979cfe362a0000cf17979cfe362a0001",
    # OrderCanceled
    20: "950014a3632d31cf17979cfe362a0000cf17979cfe362a0001",
    # OrderExpired
    21: "950015a3632d31cf17979cfe362a0000cf17979cfe362a0001",
    # OrderFilled
    22: (
        "9d0016a3632d31a3562d31a3542d31a44141504cffcd49250302d1ff6acf1797"
        "9cfe362a0000cf17979cfe362a0001"
    ),
    # TimerFired
    30: "97001ea474776170a5736c69636507cf17979cfe362a0000cf17979cfe362a0000",
    # TradingStateChanged
    31: "97011f0103aa4441494c595f4c4f5353cf17979cfe362a0000cf17979cfe362a0000",
    # VenueStatus
    32: "970020a6616c70616361c2c3cf17979cfe362a0000cf17979cfe362a0000",
    # RiskEvent
    33: (
        "960121ab4b494c4c5f535749544348b46d616e75616c20e2809420c3bc6ec3af"
        "636f6465cf17979cfe362a0000cf17979cfe362a0000"
    ),
    # OperatorAction
    34: "960022a468616c74b053485554444f574e3a5349475445524dcf17979cfe362a0000cf17979cfe362a0001",
    # AccountReport
    35: (
        "9b0023a6616c70616361a3555344cf00005af3107a4000c71501313030303030"
        "303030303030303030303030303030d3ffffa50cef85c0009193a44141504c0a"
        "ce0016e360c3cf17979cfe362a0000cf17979cfe362a0001"
    ),
    # VenueNotice
    36: (
        "970024a6616c70616361b05245434f4e43494c455f4641494c4544a848545450"
        "20353033cf17979cfe362a0000cf17979cfe362a0001"
    ),
    # SubmitOrder, full form
    40: (
        "dc001a0128a353494dcf17979cfe362a0001a3632d32a26d6da44141504cff04"
        "075a5bc0c005cf17979cfe362a000ac2c302a353494d0192a3632d33a3632d34"
        "90a3632d31a6747761702d31cf17979cfe362a0000"
    ),
    # CancelOrder
    41: "960129a3632d31a44141504ca353494dcf17979cfe362a0000",
    # ModifyOrder
    42: "99012aa3632d31a44141504ca353494dc0cd490cc0cf17979cfe362a0000",
    # CancelAllOrders
    43: "95012bc0a26d6dcf17979cfe362a0000",
    # SubmitOrder, plain form
    44: "9c012ca353494dcf17979cfe362a0000a3632d31a26d6da44141504c010264cd492502",
}

# the digest of a journal holding the examples' records in the order above
GOLDEN_DIGEST = "4c388be810d59430689008dc9f337ca2ee45bded1025ef8e9667dbf9ea006748"


def test_every_tag_has_an_example_and_golden_bytes():
    assert set(EXAMPLES) == set(GOLDEN) == set(codec.FIELDS)


@pytest.mark.parametrize("tag", list(GOLDEN))
def test_record_packs_to_the_golden_bytes(tag):
    direction, obj = EXAMPLES[tag]
    record = encode(direction, obj)
    assert record[:2] == (direction, tag)
    assert pack_record(record).hex() == GOLDEN[tag]


@pytest.mark.parametrize("tag", list(GOLDEN))
def test_golden_bytes_read_back_to_the_example(tag):
    direction, obj = EXAMPLES[tag]
    journal = Journal(MemorySink())
    journal.raw_append(encode(direction, obj))
    journal.flush()
    (block,) = journal._sink.blocks  # type: ignore[attr-defined]
    assert block.body == b"\x91" + bytes.fromhex(GOLDEN[tag])  # a block packs its records whole
    (record,) = read_records([block])
    got_direction, got = decode(record)
    assert got_direction == direction
    if isinstance(obj, SubmitOrder):  # an Order compares by identity: compare the fields
        assert (got.venue, got.ts_init) == (obj.venue, obj.ts_init)
        for name in codec.ORDER_FIELDS:
            value, want = getattr(got.order, name), getattr(obj.order, name)
            assert (value, type(value)) == (want, type(want)), name
    else:
        assert got == obj


def test_a_journal_of_the_examples_has_the_golden_digest():
    journal = Journal(MemorySink(), block_records=7)
    for direction, obj in EXAMPLES.values():
        journal.record(direction, obj)
    assert journal.digest() == GOLDEN_DIGEST


@pytest.mark.parametrize("tag", list(GOLDEN))
def test_the_record_writers_write_the_golden_bytes(tag):
    """What a compiled kernel writes (``write_record``: no tuple) is the very bytes of the
    record; a record type with no writer is left to its tuple and nothing is written."""
    direction, obj = EXAMPLES[tag]
    w = RecordWriter(pack_record, lambda: None, 100, 1 << 20)
    if codec.CLASSES[tag] in codec.typed_classes():
        assert write_record(w, direction, obj) == 1
        assert (w.count, w.block(b"").hex()) == (1, GOLDEN[tag])
    else:
        assert write_record(w, direction, obj) == 0
        assert (w.count, w.pos) == (0, 0)
