"""Small scenario, config and strategy files in a temp folder, and the CLI run on them as a
user runs it (exit code, stdout, stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from executioncore.cli import main

ROOT = Path(__file__).resolve().parents[3]
USDJPY = ROOT / "scenarios" / "data" / "truefx_usdjpy-ticks.csv"

# X trades in lots of 1000 units: a message in lots would show 1/1000 of what the user wrote
QUOTES = (
    "ts,bid,ask\n2024-01-02T10:00:00Z,100.00,100.02\n2024-01-02T10:00:01Z,100.01,100.03\n"
    "2024-01-02T10:00:02Z,100.00,100.02\n"
)


def order(**fields: Any) -> dict[str, Any]:
    """A market buy of 1000 X at +1s, with ``fields`` changed (None removes a key)."""
    out: dict[str, Any] = {
        "at": "+1s",
        "id": "a",
        "symbol": "X",
        "side": "buy",
        "quantity": 1000,
        "type": "market",
    }
    for key, value in fields.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def write_scenario(tmp_path: Path, **changes: Any) -> Path:
    """``s.yaml``: one instrument X (tick 0.01, lot 1000), three quotes, no orders; top-level
    keys changed by ``changes``."""
    (tmp_path / "q.csv").write_text(changes.pop("csv", QUOTES))
    doc: dict[str, Any] = {
        "name": "t",
        "seed": 1,
        "account": {"currency": "USD", "cash": 1_000_000},
        "instruments": [{"symbol": "X", "tick_size": 0.01, "lot_size": 1000}],
        "data": [{"kind": "quotes", "symbol": "X", "path": "q.csv"}],
    }
    doc.update(changes)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_live_config(tmp_path: Path, **extra: Any) -> Path:
    """``executioncore.yaml`` with one paper ``type: sim`` broker replaying USDJPY quotes."""
    cfg = {
        "name": "paper",
        "seed": 3,
        "account": {"currency": "JPY", "cash": 10_000_000},
        "instruments": [
            {"symbol": "USDJPY", "tick_size": 0.001, "lot_size": 1000, "currency": "JPY"}
        ],
        "brokers": {
            "paper": {
                "type": "sim",
                "data": {"kind": "quotes", "symbol": "USDJPY", "path": str(USDJPY)},
                "speed": 2000,
            }
        },
        **extra,
    }
    path = tmp_path / "executioncore.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_module(tmp_path: Path, source: str) -> str:
    """A strategy module in ``tmp_path`` under a name of its own (imported modules are cached
    by name for the whole test session); returns the module name."""
    name = "strat_" + "".join(ch if ch.isalnum() else "_" for ch in tmp_path.name)
    (tmp_path / f"{name}.py").write_text(source)
    return name


def run_cli(capsys: Any, *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_bad(capsys: Any, *args: Any) -> str:
    """Run the CLI on bad input: exit 2, one line on stderr, no traceback; return that line."""
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    return err.strip()
