"""docs/STRATEGY.md stays true to the code: a new context method, callback or event field without
its line in the page fails here, and so does a stale one.

Conventions the page keeps (and these tests read):

- every public member of ``StrategyContext`` has a bullet ``- `ctx.NAME(params) ...``` (methods,
  with the parameter names in order) or ``- `ctx.NAME` ...`` (properties and attributes);
- every callback of ``Strategy`` has a table row ``| `on_NAME(params)` |``, and its public
  attributes are named in backticks;
- every event a strategy can see is written once as ``ClassName(field, field, ...)`` in
  backticks, with its fields in constructor order;
- a block after ``<!-- file: PATH -->`` is PATH's text, exactly; every other ``python`` block
  parses and every ``yaml`` block loads.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import yaml

from kernel.algos import AlgoFinished
from kernel.events import MARKET_DATA_TYPES, TimerFired
from kernel.ports import order_event_classes
from kernel.strategy import Strategy, StrategyContext

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "STRATEGY.md"
EXAMPLE_FILES = {
    "scenarios/examples/signal_strategy.py",
    "scenarios/examples/signal.yaml",
    "scenarios/examples/market_maker.py",
    "scenarios/examples/market_maker.yaml",
}
BLOCK = re.compile(
    r"(?:<!-- (?P<marker>[\w-]+): (?P<path>\S+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```\n", re.S
)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def blocks() -> list[re.Match[str]]:
    return list(BLOCK.finditer(doc_text()))


def param_names(text: str) -> list[str]:
    """``"symbol, side, qty_lots=1, **fields"`` -> ``["symbol", "side", "qty_lots", "fields"]``."""
    return [re.split(r"[=:\s]", p.strip().lstrip("*"))[0] for p in text.split(",") if p.strip()]


def public_members(cls: type) -> dict[str, object]:
    return {n: v for n, v in vars(cls).items() if not n.startswith("_")}


# --- the embedded examples ----------------------------------------------------------------------
def test_strategy_doc_file_blocks_equal_the_files_they_name():
    embedded = {}
    for m in blocks():
        if m["marker"] == "file":
            embedded[m["path"]] = m["body"]
    assert set(embedded) == EXAMPLE_FILES
    for rel, body in embedded.items():
        assert body == (ROOT / rel).read_text(encoding="utf-8"), (
            f"docs/STRATEGY.md shows an old {rel}: paste the file again"
        )


def test_strategy_doc_python_blocks_parse_and_yaml_blocks_load():
    langs = [m["lang"] for m in blocks()]
    assert langs.count("python") >= 5 and langs.count("yaml") >= 4
    for m in blocks():
        where = f"the block at character {m.start()} of docs/STRATEGY.md"
        if m["lang"] == "python":
            ast.parse(m["body"], filename=where)
        elif m["lang"] == "yaml":
            assert isinstance(yaml.safe_load(m["body"]), dict), where


# --- the context --------------------------------------------------------------------------------
def ctx_bullets() -> tuple[dict[str, list[str]], set[str]]:
    """``({method: [param names]}, {attribute names})`` of the page's ``- `ctx.`` bullets."""
    text = doc_text()
    methods = {
        name: param_names(params)
        for name, params in re.findall(r"^- `ctx\.(\w+)\(([^)]*)\)", text, re.M)
    }
    attributes = set(re.findall(r"^- `ctx\.(\w+)`", text, re.M))
    return methods, attributes


def test_strategy_doc_has_a_bullet_with_the_signature_of_every_ctx_method():
    methods, attributes = ctx_bullets()
    for name, member in public_members(StrategyContext).items():
        if inspect.isroutine(member):
            assert name in methods, f"docs/STRATEGY.md: no bullet `ctx.{name}(...)`"
            expected = [p for p in inspect.signature(member).parameters if p != "self"]
            assert methods[name] == expected, f"ctx.{name}: the page says {methods[name]}"
        else:  # properties and slot attributes
            assert name in attributes, f"docs/STRATEGY.md: no bullet `ctx.{name}`"


def test_strategy_doc_documents_no_ctx_member_that_does_not_exist():
    methods, attributes = ctx_bullets()
    members = public_members(StrategyContext)
    assert set(methods) | attributes <= set(members), (set(methods) | attributes) - set(members)
    for name in methods:
        assert inspect.isroutine(members[name]), f"ctx.{name} is not a method"


# --- the Strategy class -------------------------------------------------------------------------
def test_strategy_doc_has_a_row_with_the_signature_of_every_callback():
    rows = {
        name: param_names(params)
        for name, params in re.findall(r"^\| `(on_\w+)\(([^)]*)\)`", doc_text(), re.M)
    }
    callbacks = {n: v for n, v in public_members(Strategy).items() if inspect.isroutine(v)}
    assert set(callbacks) == set(rows), set(callbacks) ^ set(rows)
    for name, member in callbacks.items():
        expected = [p for p in inspect.signature(member).parameters if p != "self"]
        assert rows[name] == expected, f"{name}: the page says {rows[name]}"


def test_strategy_doc_names_every_public_strategy_attribute():
    text = doc_text()
    attributes = [n for n, v in public_members(Strategy).items() if not inspect.isroutine(v)]
    attributes += [n for n in vars(Strategy()) if not n.startswith("_")]  # set in __init__
    assert {"strategy_id", "symbols", "uses_algos", "params", "ctx"} <= set(attributes)
    for name in attributes:
        assert re.search(rf"^- `{name}`", text, re.M), f"docs/STRATEGY.md: no bullet `{name}`"


# --- events -------------------------------------------------------------------------------------
def test_strategy_doc_lists_every_event_with_its_fields_in_order():
    written: dict[str, list[str]] = {}
    for name, params in re.findall(r"`(\w+)\(([^)`]*)\)`", doc_text()):
        written.setdefault(name, param_names(params))
    classes = [*MARKET_DATA_TYPES, *order_event_classes(), TimerFired, AlgoFinished]
    for cls in classes:
        fields = [f.name for f in dataclasses.fields(cls)]
        assert cls.__name__ in written, (
            f"docs/STRATEGY.md: no `{cls.__name__}({', '.join(fields)})`"
        )
        assert written[cls.__name__] == fields, (
            f"{cls.__name__}: the page says {written[cls.__name__]}"
        )
