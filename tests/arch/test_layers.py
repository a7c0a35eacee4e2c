"""The layers import only downward, and the kernel calls nothing that breaks determinism."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN_IMPORTS = {
    "kernel": {
        "sim",
        "live",
        "executioncore",
        "asyncio",
        "socket",
        "random",
        "uuid",
        "time",
        "threading",
        "subprocess",
        "os",
        "sqlite3",
        "secrets",
    },
    "sim": {"live", "executioncore", "asyncio", "time"},
    "live": {"executioncore"},
}
# (module, attribute) calls banned in kernel/: wall clock and nondeterministic ids
BANNED_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("uuid", "uuid4"),
    ("uuid", "uuid1"),
    ("os", "urandom"),
}
BANNED_NAMES = {"open", "input", "print"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def violations(package: str) -> list[str]:
    """Every forbidden import (and, for the kernel, banned call) in ``package``."""
    out = []
    banned = FORBIDDEN_IMPORTS[package]
    for path in _modules(package):
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = path.relative_to(ROOT)
        for name, line in _imports(tree):
            if name in banned:
                out.append(f"{rel}:{line} imports {name}")
        if package != "kernel":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute):
                base = func.value
                base_name = (
                    base.id
                    if isinstance(base, ast.Name)
                    else (base.attr if isinstance(base, ast.Attribute) else None)
                )
                if (base_name, func.attr) in BANNED_CALLS:
                    out.append(f"{rel}:{node.lineno} calls {base_name}.{func.attr}()")
            elif isinstance(func, ast.Name) and func.id in BANNED_NAMES:
                out.append(f"{rel}:{node.lineno} calls {func.id}()")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IMPORTS))
def test_layers_import_direction_is_respected(package):
    assert violations(package) == []


def test_arch_checker_catches_a_violation(tmp_path, monkeypatch):
    bad = tmp_path / "kernel"
    bad.mkdir()
    (bad / "x.py").write_text(
        "import random\nfrom time import monotonic\nimport datetime\n"
        "t = datetime.datetime.now()\nu = uuid.uuid4()\n"
    )
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    found = violations("kernel")
    assert any("imports random" in v for v in found)
    assert any("imports time" in v for v in found)
    assert any("datetime.now" in v for v in found)
    assert any("uuid.uuid4" in v for v in found)


def test_kernel_package_has_modules():
    # why: an empty glob would make the layer test pass vacuously
    assert len(_modules("kernel")) >= 8


def test_a_backtest_never_imports_live_libraries(tmp_path):
    # why: DESIGN.md: each subcommand imports sim or live lazily; a backtest stays light
    import subprocess
    import sys

    code = (
        "import sys; from executioncore.cli import main; "
        f"code = main(['run', {str(ROOT / 'scenarios' / 'usdjpy_orders.yaml')!r}, '--out', {str(tmp_path)!r}, '--json']); "
        "heavy = sorted(m for m in ('aiohttp', 'websockets', 'ccxt', 'ib_async', 'live') if m in sys.modules); "
        "print(code, heavy, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stderr.strip().splitlines()[-1] == "0 []", out.stderr[-2000:]
