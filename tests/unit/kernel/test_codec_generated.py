"""kernel/codec_encoders.py: the journal's encoders as a module (so the compiled build compiles
them), generated from ``kernel.codec``'s layout and never used stale."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import kernel
from executioncore.accel import generated
from kernel import codec, codec_encoders, codec_source
from kernel.codec import IN, OUT, TAGS
from kernel.commands import SubmitOrder

ROOT = Path(__file__).resolve().parents[3]


def test_the_generated_module_is_current():
    for name, text in (
        ("codec_encoders.py", codec_source.encoders_source()),
        ("codec_encoders.pxd", codec_source.encoders_pxd()),
    ):
        assert (ROOT / "kernel" / name).read_text() == text, (
            f"kernel/{name} is out of date: executioncore accel generate"
        )


def test_the_kernel_encodes_with_the_generated_functions():
    assert codec._layout() == codec_encoders.LAYOUT
    for cls, tag in TAGS.items():
        assert codec.ENCODERS[cls] is codec_encoders.BY_TAG[tag]
    assert codec.ENCODERS[SubmitOrder] is codec_encoders.encode_submit


def test_a_stale_module_is_not_used(monkeypatch):
    stale = types.ModuleType("kernel.codec_encoders")
    stale.LAYOUT = ()
    stale.BY_TAG = {tag: (lambda d, o: ("stale",)) for tag in codec.CLASSES}
    monkeypatch.setitem(sys.modules, "kernel.codec_encoders", stale)
    # why: ``from kernel import codec_encoders`` finds the package's attribute first
    monkeypatch.setattr(kernel, "codec_encoders", stale)
    by_tag, submit, full, current = codec._encoders()
    assert not current  # so the kernel writes no record through it
    assert by_tag[12] is not stale.BY_TAG[12]
    from kernel.events import OrderAccepted

    event = OrderAccepted("C-1", "V-1", 5, 6)
    assert by_tag[12](IN, event) == (IN, 12, "C-1", "V-1", 5, 6)
    assert submit.__name__ == "encode_submit" and full.__name__ == "full_submit"


def test_the_writer_writes_then_finds_it_current(tmp_path, capsys):
    target = tmp_path / "codec_encoders.py"
    assert generated.main(target) == 0
    assert target.read_text() == codec_source.encoders_source()
    assert target.with_suffix(".pxd").read_text() == codec_source.encoders_pxd()
    assert generated.main(target) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "is current" in out


def test_a_generated_submit_encoder_gives_the_plain_form_for_a_plain_order():
    from kernel.enums import OrderType, Side, TimeInForce
    from kernel.orders import Order

    order = Order("C-1", "s", "XYZ", Side.BUY, OrderType.LIMIT, 10, limit_ticks=100,
                  time_in_force=TimeInForce.GTC, venue="sim", ts_init=7)  # fmt: skip
    cmd = SubmitOrder(order, "sim", 7)
    record = codec_encoders.encode_submit(OUT, cmd)
    assert record[:2] == (OUT, codec.TAG_SUBMIT_PLAIN)
    full = codec_encoders.full_submit(OUT, cmd)
    assert full[:2] == (OUT, codec.TAG_SUBMIT) and len(full) > len(record)
    assert codec.expand(record) == full


def test_the_command_line_says_the_generated_files_are_current(capsys):
    from executioncore.cli import main

    assert main(["accel", "generate"]) == 0
    out = capsys.readouterr().out
    assert out.count("is current") == 2 and "wrote" not in out
