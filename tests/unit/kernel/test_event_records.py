"""The market-data records (``kernel.events``): one source, an extension type when compiled and
a plain dataclass otherwise (also on a machine without Cython); either way they behave as the
dataclasses they were: fields, replace, equality, repr, pickling, no hashing."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
import types
from pathlib import Path

import pytest

from executioncore.accel import finder
from kernel.events import MARKET_DATA_TYPES, Bar, BookUpdate, QuoteTick, TradeTick

ROOT = Path(__file__).resolve().parents[3]
HOOKED = getattr(sys.modules.get("_executioncore_accel"), "FINDER", None) is not None

SAMPLES = [
    QuoteTick("XYZ", 10000, 10002, 5, None, 1, 2),
    TradeTick("XYZ", 10001, 3, -1, "t-1", 1, 2, "sim"),
    Bar("XYZ", 1, 4, 0, 2, 100, 60_000_000_000, 60_000_000_001, 60_000_000_002),
    BookUpdate("XYZ", ((1, 10000, 5), (-1, 10002, 0)), False, 1, 2, "sim"),
]
FIELDS = {
    "QuoteTick": ["symbol", "bid_ticks", "ask_ticks", "bid_lots", "ask_lots", "ts_event",
                  "ts_init", "venue"],
    "TradeTick": ["symbol", "price_ticks", "size_lots", "aggressor", "trade_id", "ts_event",
                  "ts_init", "venue"],
    "Bar": ["symbol", "open_ticks", "high_ticks", "low_ticks", "close_ticks", "volume_lots",
            "interval_ns", "ts_event", "ts_init"],
    "BookUpdate": ["symbol", "deltas", "is_snapshot", "ts_event", "ts_init", "venue"],
}  # fmt: skip


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: type(r).__name__)
def test_a_record_behaves_as_a_dataclass(record):
    cls = type(record)
    assert dataclasses.is_dataclass(cls)
    assert [f.name for f in dataclasses.fields(cls)] == FIELDS[cls.__name__]
    twin = cls(*(getattr(record, n) for n in FIELDS[cls.__name__]))
    assert twin == record and twin is not record
    assert pickle.loads(pickle.dumps(record)) == record
    changed = dataclasses.replace(record, symbol="ABC")
    assert changed.symbol == "ABC" and changed != record and record.symbol == "XYZ"
    assert repr(record).startswith(f"{cls.__name__}(symbol='XYZ', ")
    with pytest.raises(TypeError):
        hash(record)
    record_copy = dataclasses.replace(record)
    record_copy.ts_init = 99  # the records are mutable, as before
    assert record_copy.ts_init == 99 and record.ts_init != 99


def test_the_defaults_and_keywords_are_the_dataclasses():
    q = QuoteTick(symbol="XYZ", bid_ticks=1, ask_ticks=2, bid_lots=None, ask_lots=None,
                  ts_event=3, ts_init=4)  # fmt: skip
    assert q.venue is None and q == QuoteTick("XYZ", 1, 2, None, None, 3, 4, None)
    with pytest.raises(TypeError):
        QuoteTick("XYZ", 1)


def test_compiled_records_are_extension_types():
    """The reason they are declared with Cython: built by C code when compiled, not by a
    generated Python ``__init__`` (a static type, not a class made at run time)."""
    if finder.pure_requested() or not HOOKED:
        pytest.skip("running as plain Python")
    import kernel.events as events

    assert not events.__file__.endswith(".py")
    heap_type = 1 << 9  # Py_TPFLAGS_HEAPTYPE: set on every class a class statement makes
    for cls in MARKET_DATA_TYPES:
        assert not cls.__flags__ & heap_type, cls
        assert not isinstance(cls.__dict__["__init__"], types.FunctionType), cls
        assert not hasattr(cls(*(0,) * len(FIELDS[cls.__name__])), "__dict__"), cls


_WITHOUT_CYTHON = (
    "import sys, json, dataclasses, tempfile; sys.modules['cython'] = None; "
    "from pathlib import Path; import kernel.events as e; "
    "from executioncore.runner import prepare; from executioncore.scenario import load_scenario; "
    "run = prepare(load_scenario('scenarios/demo.yaml'), out_dir=Path(tempfile.mkdtemp()) / 'r'); "
    "print(json.dumps({'file': e.__file__, 'fields': {c.__name__: [f.name for f in "
    "dataclasses.fields(c)] for c in e.MARKET_DATA_TYPES}, "
    "'quote': repr(e.QuoteTick('XYZ', 1, 2, None, None, 3, 4)), "
    "'cython': 'cython' in sys.modules and sys.modules['cython'] is not None, "
    "'digest': run.execute().summary['digest']}))"
)


def test_without_cython_installed_the_records_are_plain_dataclasses():
    """``import cython`` fails (as on a machine without it): kernel/_nocython.py stands in, and
    a bundled scenario still gives its golden digest."""
    env = dict(os.environ, **{finder.ENV_PURE: "1"})
    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CYTHON],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["file"].endswith("events.py") and not got["cython"]
    assert got["fields"] == FIELDS
    assert got["quote"] == repr(QuoteTick("XYZ", 1, 2, None, None, 3, 4))
    golden = json.loads((ROOT / "tests" / "scenario" / "golden_digests.json").read_text())
    assert got["digest"] == golden["demo"]
