"""The canonical record form of events and commands, for the journal.

A record is a flat tuple ``(direction, tag, *fields)`` of ints, strings, None, bools and nested
tuples (``direction`` is ``IN`` for what happened to the kernel and ``OUT`` for what it did).
Tags are stable numbers: journals on disk outlive releases, so a tag is never reused.
``encode`` and ``decode`` are exact inverses on every registered type.

The on-disk form is pinned by ``FIELDS``: for each tag, the names of the fields its record
carries, in record order, written out by hand. Encoders and decoders are generated from it, so
reordering a dataclass's fields changes nothing on disk; adding or removing a field fails at
import until ``FIELDS`` is updated (``check_fields``). tests/unit/kernel/test_journal_golden.py
holds the exact bytes of one record per tag.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from typing import Any

from kernel import events as ev
from kernel.commands import CancelAllOrders, CancelOrder, ModifyOrder, SubmitOrder
from kernel.enums import Contingency, OrderType, Side, TimeInForce
from kernel.orders import REQUEST_FIELDS, Order

IN = 0
OUT = 1

TAGS: dict[type, int] = {
    ev.QuoteTick: 1,
    ev.TradeTick: 2,
    ev.Bar: 3,
    ev.BookUpdate: 4,
    ev.OrderSubmitted: 10,
    ev.OrderDenied: 11,
    ev.OrderAccepted: 12,
    ev.OrderRejected: 13,
    ev.OrderTriggered: 14,
    ev.OrderPendingCancel: 15,
    ev.OrderPendingUpdate: 16,
    ev.OrderModified: 17,
    ev.OrderCancelRejected: 18,
    ev.OrderModifyRejected: 19,
    ev.OrderCanceled: 20,
    ev.OrderExpired: 21,
    ev.OrderFilled: 22,
    ev.TimerFired: 30,
    ev.TradingStateChanged: 31,
    ev.VenueStatus: 32,
    ev.RiskEvent: 33,
    ev.OperatorAction: 34,
    ev.AccountReport: 35,
    ev.VenueNotice: 36,
    CancelOrder: 41,
    ModifyOrder: 42,
    CancelAllOrders: 43,
}
TAG_SUBMIT = 40
TAG_SUBMIT_PLAIN = 44  # a SubmitOrder whose order has every optional field at its default
# records written by hosts (the sim driver, the runner), not by the kernel itself
TAG_CHUNK = 50  # (IN, 50, source, n_rows, blob): a columnar batch of market data
TAG_MDPOS = 51  # (IN, 51, n): n market-data events were delivered before the next input
TAG_RUN = 52  # (IN, 52, header): what the run was (scenario, seed, instruments, sources)
CLASSES: dict[int, type] = {tag: cls for cls, tag in TAGS.items()}
CLASSES[TAG_SUBMIT] = SubmitOrder
CLASSES[TAG_SUBMIT_PLAIN] = SubmitOrder

# The on-disk layout: what each record carries after ``(direction, tag)``, in order. Written
# out by hand and never derived from the classes: a journal written today must read the same in
# every later release. Change a list only together with a new tag (or a migration), and the
# golden bytes in tests/unit/kernel/test_journal_golden.py with it. In the submit forms,
# ``order.X`` is a field of the command's order (an ``Order.__init__`` parameter).
FIELDS: dict[int, tuple[str, ...]] = {
    # --- market data
    1: (  # QuoteTick
        "symbol",
        "bid_ticks",
        "ask_ticks",
        "bid_lots",
        "ask_lots",
        "ts_event",
        "ts_init",
        "venue",
    ),
    2: (  # TradeTick
        "symbol",
        "price_ticks",
        "size_lots",
        "aggressor",
        "trade_id",
        "ts_event",
        "ts_init",
        "venue",
    ),
    3: (  # Bar
        "symbol",
        "open_ticks",
        "high_ticks",
        "low_ticks",
        "close_ticks",
        "volume_lots",
        "interval_ns",
        "ts_event",
        "ts_init",
    ),
    4: ("symbol", "deltas", "is_snapshot", "ts_event", "ts_init", "venue"),  # BookUpdate
    # --- order events
    10: ("client_order_id", "venue", "ts_event", "ts_init"),  # OrderSubmitted
    11: ("client_order_id", "reason", "ts_event", "ts_init"),  # OrderDenied
    12: ("client_order_id", "venue_order_id", "ts_event", "ts_init"),  # OrderAccepted
    13: ("client_order_id", "reason", "ts_event", "ts_init"),  # OrderRejected
    14: ("client_order_id", "ts_event", "ts_init"),  # OrderTriggered
    15: ("client_order_id", "ts_event", "ts_init"),  # OrderPendingCancel
    16: ("client_order_id", "ts_event", "ts_init"),  # OrderPendingUpdate
    17: (  # OrderModified
        "client_order_id",
        "quantity_lots",
        "limit_ticks",
        "stop_ticks",
        "ts_event",
        "ts_init",
    ),
    18: ("client_order_id", "reason", "ts_event", "ts_init"),  # OrderCancelRejected
    19: ("client_order_id", "reason", "ts_event", "ts_init"),  # OrderModifyRejected
    20: ("client_order_id", "ts_event", "ts_init"),  # OrderCanceled
    21: ("client_order_id", "ts_event", "ts_init"),  # OrderExpired
    22: (  # OrderFilled
        "client_order_id",
        "venue_order_id",
        "trade_id",
        "symbol",
        "side",
        "price_ticks",
        "qty_lots",
        "liquidity",
        "commission",
        "ts_event",
        "ts_init",
        "commission_currency",  # trailing: written only when not "" (TRAILING_OPTIONAL)
    ),
    # --- kernel events and notices
    30: ("owner", "name", "handle", "ts_event", "ts_init"),  # TimerFired
    31: ("old", "new", "reason", "ts_event", "ts_init"),  # TradingStateChanged
    32: ("venue", "connected", "reconciled", "ts_event", "ts_init"),  # VenueStatus
    33: ("code", "detail", "ts_event", "ts_init"),  # RiskEvent
    34: ("action", "reason", "ts_event", "ts_init"),  # OperatorAction
    35: (  # AccountReport
        "venue",
        "currency",
        "cash",
        "equity",
        "buying_power",
        "positions",
        "final",
        "ts_event",
        "ts_init",
        "balances",  # trailing: written only when not () (TRAILING_OPTIONAL)
    ),
    36: ("venue", "code", "detail", "ts_event", "ts_init"),  # VenueNotice
    # --- commands
    TAG_SUBMIT: (  # SubmitOrder, full form: 24 fields
        "venue",
        "ts_init",
        "order.client_order_id",
        "order.strategy_id",
        "order.symbol",
        "order.side",
        "order.order_type",
        "order.quantity",
        "order.limit_ticks",
        "order.stop_ticks",
        "order.trail_ticks",
        "order.trail_ppm",
        "order.time_in_force",
        "order.expire_ns",
        "order.post_only",
        "order.reduce_only",
        "order.display_lots",
        "order.venue",
        "order.contingency",
        "order.linked_ids",
        "order.child_ids",
        "order.parent_id",
        "order.algo_id",
        "order.ts_init",
    ),
    41: ("client_order_id", "symbol", "venue", "ts_init"),  # CancelOrder
    42: (  # ModifyOrder
        "client_order_id",
        "symbol",
        "venue",
        "quantity_lots",
        "limit_ticks",
        "stop_ticks",
        "ts_init",
    ),
    43: ("symbol", "strategy_id", "ts_init"),  # CancelAllOrders
    TAG_SUBMIT_PLAIN: (  # SubmitOrder, plain form: the rest is in PLAIN_OMITS
        "venue",
        "ts_init",
        "order.client_order_id",
        "order.strategy_id",
        "order.symbol",
        "order.side",
        "order.order_type",
        "order.quantity",
        "order.limit_ticks",
        "order.time_in_force",
    ),
}

# Fields added after journals were written: the last of a record, written only when they hold
# something other than their default (so every record written before they existed, and every
# backtest's, keeps its bytes and digest); a record without them decodes to the default.
TRAILING_OPTIONAL: dict[int, str] = {22: "commission_currency", 35: "balances"}

# The order fields the plain submit form leaves out. A submit takes that form only when each of
# these conditions holds (so nothing is lost); decoding gives each its ``Order`` default, or the
# value of the named command field. Cheapest and most often false first.
PLAIN_OMITS: dict[str, tuple[str, str | None]] = {
    "order.stop_ticks": ("o.stop_ticks is None", None),
    "order.trail_ticks": ("o.trail_ticks is None", None),
    "order.trail_ppm": ("o.trail_ppm is None", None),
    "order.expire_ns": ("o.expire_ns is None", None),
    "order.display_lots": ("o.display_lots is None", None),
    "order.parent_id": ("o.parent_id is None", None),
    "order.algo_id": ("o.algo_id is None", None),
    "order.contingency": ("o.contingency is _NO_LINK", None),
    "order.post_only": ("not o.post_only", None),
    "order.reduce_only": ("not o.reduce_only", None),
    "order.linked_ids": ("not o.linked_ids", None),
    "order.child_ids": ("not o.child_ids", None),
    "order.ts_init": ("o.ts_init == cmd.ts_init", "ts_init"),
    "order.venue": ("o.venue == cmd.venue", "venue"),
}

# The order's request fields (every ``Order.__init__`` parameter), in the order a full
# SubmitOrder record carries them.
ORDER_FIELDS = tuple(n.removeprefix("order.") for n in FIELDS[TAG_SUBMIT] if n[:6] == "order.")

# the order fields journaled as plain ints: (the lookup that encodes, the enum that decodes)
_ENUM_FIELDS: dict[str, tuple[str, type]] = {
    "order.side": ("_SIDES", Side),
    "order.order_type": ("_TYPES", OrderType),
    "order.time_in_force": ("_TIFS", TimeInForce),
    "order.contingency": ("_LINKS", Contingency),
}


class LayoutMismatch(TypeError):
    """``FIELDS`` and the classes disagree: a field was added, removed or renamed."""


def _differ(
    what: str, listed: tuple[str, ...], actual: list[str], listing: str = "FIELDS"
) -> str | None:
    if len(set(listed)) != len(listed):
        return f"{what}: {listing} names a field twice: {listed}"
    missing, unknown = sorted(set(actual) - set(listed)), sorted(set(listed) - set(actual))
    if missing or unknown:
        return f"{what}: {listing} lacks {missing} and names unknown {unknown}"
    return None


def check_fields(
    fields: Mapping[int, tuple[str, ...]],
    tags: Mapping[type, int],
    omits: Mapping[str, tuple[str, str | None]],
) -> None:
    """Raise ``LayoutMismatch`` unless every record layout names exactly its class's fields:
    each tag's list the dataclass's fields (in any order: the list's order is the record's), the
    full submit form the command's fields plus every ``Order.__init__`` parameter, and the plain
    form those less ``omits``."""
    problems: list[str | None] = []
    want_tags = {*tags.values(), TAG_SUBMIT, TAG_SUBMIT_PLAIN}
    if set(fields) != want_tags:
        problems.append(
            f"FIELDS has tags {sorted(set(fields) - want_tags)} without a class and lacks "
            f"{sorted(want_tags - set(fields))}"
        )
    for cls, tag in tags.items():
        if tag in fields:
            names = [f.name for f in dataclasses.fields(cls)]
            problems.append(_differ(f"tag {tag} ({cls.__name__})", fields[tag], names))
    command = [f.name for f in dataclasses.fields(SubmitOrder) if f.name != "order"]
    order = [f"order.{p}" for p in REQUEST_FIELDS]
    if TAG_SUBMIT in fields:
        problems.append(
            _differ(f"tag {TAG_SUBMIT} (SubmitOrder)", fields[TAG_SUBMIT], command + order)
        )
    if TAG_SUBMIT_PLAIN in fields:
        kept = [n for n in order if n not in omits]
        problems.append(
            _differ(
                f"tag {TAG_SUBMIT_PLAIN} (SubmitOrder, plain)",
                fields[TAG_SUBMIT_PLAIN],
                command + kept,
            )
        )
        problems.append(
            _differ(
                f"tag {TAG_SUBMIT_PLAIN} (SubmitOrder, plain)",
                tuple(omits),
                [n for n in order if n not in fields[TAG_SUBMIT_PLAIN]],
                "PLAIN_OMITS",
            )
        )
    found = [p for p in problems if p]
    if found:
        raise LayoutMismatch("the journal's record layout is out of date:\n  " + "\n  ".join(found))


check_fields(FIELDS, TAGS, PLAIN_OMITS)


# --- encoders -----------------------------------------------------------------------------------
# The encoders are generated from ``FIELDS`` (as ``dataclasses`` generates ``__init__``): one
# tuple built from attribute loads per record, about three times faster than ``attrgetter`` and
# unpacking. Their source is kept as a module, kernel/codec_encoders.py, with the record writers
# ``kernel.codec_source`` generates beside them, so the compiled build compiles them like the
# rest of the hot path; ``executioncore accel generate`` rewrites it and
# tests/unit/kernel/test_codec_generated.py fails while it is not current. A stale file is never
# used: the encoders are then generated here at import, as before, and the kernel writes no
# record through the stale file's writers (``WRITERS``).
def _encoder_source(tag: int, names: tuple[str, ...], name: str) -> str:
    """``def name(direction, obj): return (direction, tag, obj.field1, ...)``; a
    ``TRAILING_OPTIONAL`` last field is appended only when it is set."""
    assert all(n.isidentifier() for n in names), names
    extra = TRAILING_OPTIONAL.get(tag)
    if extra is None:
        body = ", ".join(f"obj.{n}" for n in names)
        return f"def {name}(direction, obj):\n    return (direction, {tag}, {body})\n"
    assert names[-1] == extra, (tag, names)
    body = ", ".join(f"obj.{n}" for n in names[:-1])
    return (
        f"def {name}(direction, obj):\n"
        f"    if obj.{extra}:\n"
        f"        return (direction, {tag}, {body}, obj.{extra})\n"
        f"    return (direction, {tag}, {body})\n"
    )


def _make_encoder(names: tuple[str, ...], tag: int) -> Callable[[int, Any], tuple]:
    """The encoder of record ``tag`` laid out as ``names``, generated now."""
    namespace: dict[str, Any] = {}
    exec(_encoder_source(tag, names, "encode"), namespace)
    return namespace["encode"]  # type: ignore[no-any-return]


def _submit_value(name: str) -> str:
    if name in _ENUM_FIELDS:
        return f"{_ENUM_FIELDS[name][0]}[o.{name[6:]}]"
    return f"o.{name[6:]}" if name[:6] == "order." else f"cmd.{name}"


def _submit_source() -> str:
    """``encode_submit`` (the plain form when every omitted field is at its default, else the
    full form) and ``full_submit``, from ``FIELDS`` and ``PLAIN_OMITS``."""
    names = [*FIELDS[TAG_SUBMIT], *FIELDS[TAG_SUBMIT_PLAIN]]
    assert all(n.removeprefix("order.").isidentifier() for n in names), names
    plain = ", ".join(_submit_value(n) for n in FIELDS[TAG_SUBMIT_PLAIN])
    full = ", ".join(_submit_value(n) for n in FIELDS[TAG_SUBMIT])
    when = " and ".join(cond for cond, _ in PLAIN_OMITS.values())
    return (
        "@cython.locals(cmd=SubmitOrder, o=Order)\n"
        "def encode_submit(direction, cmd):\n"
        "    o = cmd.order\n"
        f"    if {when}:\n"
        f"        return (direction, {TAG_SUBMIT_PLAIN}, {plain})\n"
        f"    return (direction, {TAG_SUBMIT}, {full})\n"
        "\n\n"
        "@cython.locals(cmd=SubmitOrder, o=Order)\n"
        "def full_submit(direction, cmd):\n"
        "    o = cmd.order\n"
        f"    return (direction, {TAG_SUBMIT}, {full})\n"
    )


_GENERATED_HEAD = '''"""The journal's record encoders and writers, generated from ``kernel.codec.FIELDS`` by
``kernel.codec_source`` (see there for what each kind does): do not edit.

Rewritten by ``executioncore accel generate``; tests/unit/kernel/test_codec_generated.py
fails while it is not current, and ``kernel.codec`` does not use a stale one.
"""
# fmt: off

{imports}
try:
    import cython
except ImportError:  # Cython is not installed: ``cython.locals`` does nothing
    from kernel import _nocython as cython

# why: the enums as plain ints (the same MessagePack bytes): the packer takes a slow path for int
# subclasses, which nearly doubled the cost of the most frequent output record; a dict lookup
# costs less than int()
_SIDES = {s: int(s) for s in Side}
_TYPES = {t: int(t) for t in OrderType}
_TIFS = {t: int(t) for t in TimeInForce}
_LINKS = {c: int(c) for c in Contingency}
_NO_LINK = Contingency.NONE
'''


def encoders_text() -> str:
    """The encoders' part of kernel/codec_encoders.py: an encoder per tag (``BY_TAG``) and the
    two submit encoders (``kernel.codec_source`` adds the writers and ``LAYOUT``)."""
    by_module = {"kernel.enums": ["Contingency", "OrderType", "Side", "TimeInForce"]}
    by_module["kernel.orders"] = ["Order"]
    for cls in typed_classes():
        by_module.setdefault(cls.__module__, []).append(cls.__name__)
    imports = ""
    for module, names in sorted(by_module.items()):
        line = f"from {module} import {', '.join(sorted(names, key=str.lower))}\n"
        if len(line) > 100:  # as the formatter writes it
            line = (
                f"from {module} import (\n"
                + "".join(f"    {n},\n" for n in sorted(names, key=str.lower))
                + ")\n"
            )
        imports += line
    parts = [_GENERATED_HEAD.replace("{imports}", imports)]
    typed = typed_classes()
    tags = sorted(TAGS.values())  # every record but the two submit forms
    for tag in tags:
        name = CLASSES[tag].__name__
        local = f"@cython.locals(obj={name})\n" if CLASSES[tag] in typed else ""
        parts.append(local + _encoder_source(tag, FIELDS[tag], f"encode_{tag}"))
    parts.append(_submit_source())
    parts.append(f"BY_TAG = {{{', '.join(f'{t}: encode_{t}' for t in tags)}}}\n")
    return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)


def typed_classes() -> tuple[type, ...]:
    """The record classes that are extension types when compiled (kernel/events.pxd and
    kernel/commands.pxd declare their fields): their encoders read them from the struct."""
    commands = (CancelOrder, ModifyOrder, CancelAllOrders, SubmitOrder)
    events = tuple(c for c in TAGS if issubclass(c, ev.OrderEvent))
    return (*ev.MARKET_DATA_TYPES, *events, *commands)


def _layout() -> tuple:
    return (
        tuple(sorted(FIELDS.items())),
        tuple(sorted(TRAILING_OPTIONAL.items())),
        tuple(PLAIN_OMITS.items()),
    )


def _encoders() -> tuple[dict[int, Callable[[int, Any], tuple]], Any, Any, bool]:
    """The encoders by tag and the two submit encoders: kernel/codec_encoders.py's when it was
    generated from this layout, else generated now from the same source; and whether the file
    was current."""
    try:
        from kernel import codec_encoders as generated
    except ImportError:  # not written yet (`executioncore accel generate` writes it)
        generated = None  # type: ignore[assignment]
    current = getattr(generated, "LAYOUT", None) == _layout()
    if not current:
        # why: the encoders only (no writers: ``WRITERS`` is False, nothing writes through them)
        generated = types.ModuleType("kernel.codec_encoders")
        exec(encoders_text(), generated.__dict__)
    return generated.BY_TAG, generated.encode_submit, generated.full_submit, current


_BY_TAG, _encode_submit, _full_submit, WRITERS = _encoders()
"""``WRITERS``: kernel/codec_encoders.py is current, so its ``write_record`` writes records of
this layout (a kernel on a compiled journal writes through it: ``Journal.writer``)."""
ENCODERS: dict[type, Callable[[int, Any], tuple]] = {cls: _BY_TAG[tag] for cls, tag in TAGS.items()}
# why: the most frequent output record; the plain form's 12 fields instead of 26 halve its
# encoding and packing
ENCODERS[SubmitOrder] = _encode_submit


def encode(direction: int, obj: Any) -> tuple:
    """The canonical record of an event or command."""
    return ENCODERS[type(obj)](direction, obj)


# --- decoders -----------------------------------------------------------------------------------
def _make_decoder(cls: type, names: tuple[str, ...], by_name: bool = False) -> Callable[..., Any]:
    """``lambda p0, p1, ...: cls(field0=p0, field1=p1, ...)``, generated: a record's fields
    (``record[2:]``) to the object, by name, so the record's order need not be the class's. The
    trailing fields whose dataclass field has a default may be missing from the record.

    When the record's order is the class's own, the class itself is the decoder (the same
    object, without a frame in between: replays decode every input); ``by_name`` always
    generates."""
    if names == tuple(f.name for f in dataclasses.fields(cls)) and not by_name:
        return cls
    defaults = {
        f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
    }
    params = [f"p{i}" for i in range(len(names))]
    optional = 0
    while optional < len(names) and names[len(names) - 1 - optional] in defaults:
        optional += 1
    for i in range(len(names) - optional, len(names)):
        params[i] += f"=_D[{names[i]!r}]"
    args = ", ".join(f"{n}=p{i}" for i, n in enumerate(names))
    return eval(  # type: ignore[no-any-return]
        f"lambda {', '.join(params)}: cls({args})", {"cls": cls, "_D": defaults}
    )


def _make_submit_decoder(names: tuple[str, ...]) -> Callable[..., SubmitOrder]:
    """The decoder of a submit form: ``order.X`` fields go to the ``Order`` (enums rebuilt), the
    omitted ones of the plain form take the command's value or the ``Order`` default."""
    cmd_args = [f"{n}=p{i}" for i, n in enumerate(names) if n[:6] != "order."]
    order_args = []
    for i, n in enumerate(names):
        if n[:6] == "order.":
            value = f"_E[{n!r}](p{i})" if n in _ENUM_FIELDS else f"p{i}"
            order_args.append(f"{n[6:]}={value}")
    for n, (_, source) in PLAIN_OMITS.items():
        if n not in names and source is not None:
            order_args.append(f"{n[6:]}=p{names.index(source)}")
    source_text = (
        f"lambda {', '.join(f'p{i}' for i in range(len(names)))}: "
        f"SubmitOrder(order=Order({', '.join(order_args)}), {', '.join(cmd_args)})"
    )
    namespace = {
        "SubmitOrder": SubmitOrder,
        "Order": Order,
        "_E": {n: enum for n, (_, enum) in _ENUM_FIELDS.items()},
    }
    return eval(source_text, namespace)  # type: ignore[no-any-return]


DECODERS: dict[int, Callable[..., Any]] = {
    tag: _make_decoder(cls, FIELDS[tag]) for cls, tag in TAGS.items()
}
DECODERS[TAG_SUBMIT] = _make_submit_decoder(FIELDS[TAG_SUBMIT])
DECODERS[TAG_SUBMIT_PLAIN] = _make_submit_decoder(FIELDS[TAG_SUBMIT_PLAIN])


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def decode(record: tuple | list) -> tuple[int, Any]:
    """Rebuild ``(direction, object)`` from a record (lists from JSON are accepted)."""
    decoder = DECODERS.get(record[1])
    if decoder is None:
        raise ValueError(f"unknown journal record tag {record[1]}")
    return record[0], decoder(*[_tuples(v) for v in record[2:]])


def expand(record: tuple) -> tuple:
    """A record in its full form: a plain submit (``TAG_SUBMIT_PLAIN``) becomes the
    ``TAG_SUBMIT`` record of the same order (journals written before the plain form existed
    hold that), anything else is returned as it is."""
    if record[1] != TAG_SUBMIT_PLAIN:
        return record
    direction, cmd = decode(record)
    return _full_submit(direction, cmd)


def normalize(record: tuple | list) -> tuple:
    """A record with nested lists turned back into tuples (JSON round trip)."""
    return tuple(_tuples(v) for v in record)
