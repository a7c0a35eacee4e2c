"""The source of kernel/codec_encoders.py and its .pxd, from ``kernel.codec``'s record layout
(``FIELDS``, ``TRAILING_OPTIONAL``, ``PLAIN_OMITS``), as ``dataclasses`` generates ``__init__``.

Two kinds of functions per record type:

- encoders (``encode_<tag>``, ``encode_submit``; ``kernel.codec.encoders_text``): one tuple
  built from attribute loads. Every host, plain Python or compiled, has them
  (``kernel.codec.ENCODERS``).
- writers (``write_<tag>``, ``write_submit``, and ``write_record`` choosing by type; here): the
  same record written field by field into a compiled journal's block (``kernel.packer``'s
  ``RecordWriter``), the very bytes the packer gives for the encoder's tuple, with no tuple in
  between. The kernel writes its records through ``write_record`` when its journal is compiled
  (``Journal.writer``), and through the encoders otherwise.

Why the writers (issue 22, ``benches/journal_cost.py``): over W2's 1M quotes the kernel journals
1.23M records; each was a tuple built by one call and walked by another (the packer's ``put``).
Compiled with the rest of the hot path, a writer is a C function reading the event's fields from
its struct and storing bytes: counted by callgrind over W2's first 100k quotes, the journal's
own instructions (SHA-256 aside) went from 272M to 156M.

``executioncore accel generate`` writes the files; tests/unit/kernel/test_codec_generated.py
fails while they are not current, and ``kernel.codec`` does not use a stale one.
"""

from __future__ import annotations

from kernel import codec
from kernel import events as ev
from kernel.codec import (
    _ENUM_FIELDS,
    FIELDS,
    PLAIN_OMITS,
    TAG_SUBMIT,
    TAG_SUBMIT_PLAIN,
    TAGS,
    TRAILING_OPTIONAL,
)
from kernel.commands import CancelOrder, SubmitOrder
from kernel.orders import Order


def _field(name: str, source: str) -> str:
    """The writer's line for one field of a record (``source``: its value)."""
    if name in _ENUM_FIELDS:
        # why: ``_int`` takes the enum's value (the plain int the encoder's lookup gives)
        return f"    w._int({source})\n"
    return f"    w._value({source}, 1)\n"


def _writer_source(tag: int, names: tuple[str, ...], name: str) -> str:
    """``write_<tag>``: the record's array header, direction and tag, then each field; a
    ``TRAILING_OPTIONAL`` last field only when it is set (as the encoder)."""
    extra = TRAILING_OPTIONAL.get(tag)
    n = len(names) + 2
    text = f"def {name}(w, direction, obj):\n"
    if extra is None:
        text += f"    w._begin({n})\n"
    else:
        assert names[-1] == extra, (tag, names)
        names = names[:-1]
        text += f"    extra = obj.{extra}\n    w._begin({n} if extra else {n - 1})\n"
    text += f"    w._int(direction)\n    w._int({tag})\n"
    text += "".join(_field(f, f"obj.{f}") for f in names)
    if extra is not None:
        text += "    if extra:\n        w._value(extra, 1)\n"
    return text + "    return 0\n"


def _submit_writer_source() -> str:
    """``write_submit``: the plain form when every omitted field is at its default, else the
    full form (as ``encode_submit``)."""
    when = " and ".join(cond for cond, _ in PLAIN_OMITS.values())

    def form(tag: int, indent: str) -> str:
        names = FIELDS[tag]
        text = f"w._begin({len(names) + 2})\nw._int(direction)\nw._int({tag})\n"
        for n in names:
            source = f"o.{n[6:]}" if n[:6] == "order." else f"cmd.{n}"
            text += _field(n, source).strip() + "\n"
        text += "return 0\n"
        return "".join(indent + line + "\n" for line in text.splitlines())

    return (
        "def write_submit(w, direction, cmd):\n"
        "    o = cmd.order\n"
        f"    if {when}:\n" + form(TAG_SUBMIT_PLAIN, "        ") + form(TAG_SUBMIT, "    ")
    )


def _write_order(typed: tuple[type, ...]) -> list[type]:
    """The typed record classes, most frequent first (a backtest's order events and commands,
    then market data, then the rest by tag): ``write_record`` tests them in this order."""
    first = [SubmitOrder, ev.OrderAccepted, CancelOrder, ev.OrderCanceled, ev.OrderFilled]
    rest = sorted((c for c in typed if c not in first), key=lambda c: TAGS.get(c, 0))
    return [*first, *rest]


def _writers_source(typed: tuple[type, ...]) -> str:
    """The writers of the typed records and ``write_record``, which picks one by type."""
    parts = [
        _writer_source(TAGS[cls], FIELDS[TAGS[cls]], f"write_{TAGS[cls]}")
        for cls in typed
        if cls is not SubmitOrder
    ]
    parts.append(_submit_writer_source())
    chain = ""
    for i, cls in enumerate(_write_order(typed)):
        fn = "write_submit" if cls is SubmitOrder else f"write_{TAGS[cls]}"
        chain += f"        {'if' if i == 0 else 'elif'} t is {cls.__name__}:\n"
        chain += f"            {fn}(w, direction, obj)\n"
    parts.append(
        "def write_record(w, direction, obj):\n"
        '    """Write the record of ``obj`` into ``w`` (a ``RecordWriter``) and count it; 0 (and\n'
        "    nothing written) for a type with no writer here (its tuple is the packer's). A value\n"
        '    the packer refuses is refused with its error, and the record\'s bytes are taken back."""\n'
        "    t = type(obj)\n"
        "    start = w.pos\n"
        "    try:\n" + chain + "        else:\n            return 0\n"
        "    except BaseException:\n"
        "        w.pos = start\n"
        "        raise\n"
        "    w._done()\n"
        "    return 1\n"
    )
    return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)


def encoders_source() -> str:
    """The text of kernel/codec_encoders.py: the encoders (``kernel.codec.encoders_text``), the
    writers, and the layout they were generated from (``LAYOUT``)."""
    parts = [codec.encoders_text(), _writers_source(codec.typed_classes())]
    parts.append(f"LAYOUT = {codec._layout()!r}\n")
    return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)


def encoders_pxd() -> str:
    """The text of kernel/codec_encoders.pxd: the ``cimport``s of the typed encoders, and the
    writers as C functions over ``RecordWriter``."""
    lines = ["# Generated with kernel/codec_encoders.py (see there): do not edit.", ""]
    lines.append("cimport cython")
    lines.append("")
    typed = codec.typed_classes()
    for cls in sorted((*typed, Order), key=lambda c: (c.__module__, c.__name__)):
        lines.append(f"from {cls.__module__} cimport {cls.__name__}")
    lines.append("from kernel.packer cimport RecordWriter")
    lines.append("")
    for cls in typed:
        if cls is not SubmitOrder:
            tag = TAGS[cls]
            head = f"cdef int write_{tag}(RecordWriter w, int direction, {cls.__name__} obj)"
            lines.append(head + " except -1")
    lines.append("@cython.locals(o=Order)")
    lines.append("cdef int write_submit(RecordWriter w, int direction, SubmitOrder cmd) except -1")
    lines.append("cpdef int write_record(RecordWriter w, int direction, object obj) except -1")
    return "\n".join(lines) + "\n"
