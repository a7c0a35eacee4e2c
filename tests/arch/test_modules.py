"""Modules stay small and import each other without cycles (kernel/, sim/, live/, executioncore/).

The import graph is built with ``ast``, never by importing. An edge ``a -> b`` is an import
statement in ``a`` that runs when ``a`` is imported: at module level, including inside module-level
``if``/``try``/``with`` blocks and class bodies, but not inside ``if TYPE_CHECKING:`` (never run)
and not inside functions. ``import a.b.c`` and ``from a.b import c`` lead to the module they name
(``a.b.c`` when it is a module, else ``a.b``); the parent packages' ``__init__`` that Python
also runs are not counted as edges.

Function-level (lazy) imports are deliberately not edges: they run when the function is called,
normally after every module involved has finished importing, so they do not fail the way a
top-level cycle does (a name missing from a half-initialised module), and they are how DESIGN.md
keeps a backtest from importing live libraries. Cycles that lazy imports would close are checked
separately (``lazy_cycles``): there are none either (the last two, orders_spec <-> scenario and
algos.engine <-> strategy, came from misplaced names and were removed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "sim", "live", "executioncore")
MAX_LINES = 600


def _modules(root: Path) -> dict[str, Path]:
    """``{dotted module name: path}`` for every module of ``PACKAGES`` under ``root``."""
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


# --- module size ----------------------------------------------------------------------------------
def oversized(root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    """``"path: N lines"`` for every module over ``limit`` lines, longest first."""
    sizes = []
    for path in _modules(root).values():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            sizes.append((n, str(path.relative_to(root))))
    return [f"{rel}: {n} lines" for n, rel in sorted(sizes, key=lambda s: (-s[0], s[1]))]


def test_no_module_is_over_600_lines():
    found = oversized()
    assert not found, f"{len(found)} modules over {MAX_LINES} lines:\n  " + "\n  ".join(found)


# --- the import graph -----------------------------------------------------------------------------
def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt], lazy: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement under ``body``, with whether it is lazy (inside a function);
    those under ``if TYPE_CHECKING:`` are skipped."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, lazy
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _imports(node.body, True)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse, lazy)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    blocks = [c for c in children if isinstance(c, ast.stmt)]
                    # except handlers and match cases hold statements one level down
                    for child in children:
                        if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                            blocks += child.body
                    yield from _imports(blocks, lazy)


def _targets(node: ast.stmt, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that an import statement in ``module`` leads to."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert isinstance(node, ast.ImportFrom)
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    out = set()
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()  # an attribute, or a module outside PACKAGES
        if parts:
            out.add(".".join(parts))
    return out


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(top_level, lazy)``: for every module, the modules it imports at import time, and the
    ones it imports only inside functions."""
    modules = _modules(root)
    known = set(modules)
    top: dict[str, set[str]] = {m: set() for m in modules}
    lazy: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, in_function in _imports(tree.body):
            targets = _targets(node, module, is_package, known) - {module}
            (lazy if in_function else top)[module] |= targets
    for module in modules:
        lazy[module] -= top[module]
    return top, lazy


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def _shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest path ``start -> ... -> start`` inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & within):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is on no cycle")


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle, one line per strongly connected component: its modules, then a
    shortest cycle through each of them (each distinct cycle once)."""
    out = []
    for component in _components(graph):
        members = set(component)
        shown: list[str] = []
        for module in component:
            path = _shortest_cycle(graph, module, members)
            # the same cycle seen from another of its modules is not repeated
            turns = {" -> ".join([*path[i:-1], *path[:i], path[i]]) for i in range(len(path) - 1)}
            if not turns & set(shown):
                shown.append(" -> ".join(path))
        out.append(f"{len(component)} modules {{{', '.join(component)}}}: " + "; ".join(shown))
    return out


def lazy_cycles(root: Path = ROOT) -> list[str]:
    """The cycles that the function-level imports would close (for information)."""
    top, lazy = import_graph(root)
    both = {m: top[m] | lazy[m] for m in top}
    return [c for c in cycles(both) if c not in cycles(top)]


def test_no_import_cycle_between_modules():
    top, _ = import_graph()
    found = cycles(top)
    assert not found, f"{len(found)} import cycles (top-level imports):\n  " + "\n  ".join(found)


# --- the checkers themselves ---------------------------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_no_cycle_even_through_lazy_imports():
    found = lazy_cycles()
    assert not found, "import cycles through function-level imports:\n  " + "\n  ".join(found)


def test_the_graph_finds_every_cycle_and_leaves_lazy_and_type_only_imports_out(tmp_path):
    _write(
        tmp_path,
        {
            "kernel/__init__.py": "from kernel.a import A\n",
            "kernel/a.py": "from kernel import b\nA = 1\n",
            "kernel/b.py": "from .c import C\n",
            "kernel/c.py": "import kernel.a.A\nC = 2\n",
            "kernel/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import kernel.e\n",
            "kernel/e.py": "def f():\n    import kernel.d\n",
            "sim/__init__.py": "",
            "sim/x.py": "try:\n    from sim import y\nexcept ImportError:\n    y = None\n",
            "sim/y.py": "class Y:\n    from sim.x import y\n",
        },
    )
    top, lazy = import_graph(tmp_path)
    assert top["kernel.a"] == {"kernel.b"}
    assert top["kernel.b"] == {"kernel.c"}
    assert top["kernel.c"] == {"kernel.a"}
    assert top["kernel"] == {"kernel.a"}
    assert top["kernel.d"] == set() and top["kernel.e"] == set()
    assert lazy["kernel.e"] == {"kernel.d"}
    assert cycles(top) == [
        "3 modules {kernel.a, kernel.b, kernel.c}: kernel.a -> kernel.b -> kernel.c -> kernel.a",
        "2 modules {sim.x, sim.y}: sim.x -> sim.y -> sim.x",
    ]
    _write(tmp_path, {"kernel/d.py": "import kernel.e\n"})
    assert lazy_cycles(tmp_path) == [
        "2 modules {kernel.d, kernel.e}: kernel.d -> kernel.e -> kernel.d"
    ]


def test_oversized_lists_every_long_module(tmp_path):
    _write(
        tmp_path,
        {
            "kernel/big.py": "x = 1\n" * 601,
            "kernel/ok.py": "x = 1\n" * 600,
            "live/bigger.py": "x = 1\n" * 700,
        },
    )
    assert oversized(tmp_path) == ["live/bigger.py: 700 lines", "kernel/big.py: 601 lines"]


def test_the_packages_have_modules():
    # why: an empty glob would make both checks pass vacuously
    top, _ = import_graph()
    assert all(sum(m.split(".")[0] == p for m in top) >= 3 for p in PACKAGES)


# --- nothing unreachable ------------------------------------------------------------------------
def _all_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module ``path`` imports, lazily or not (function-level imports count here)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".")
                base = parts if is_pkg else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    out = set()
    for m in found:
        while m and m not in known:
            m = m.rpartition(".")[0]
        if m:
            out.add(m)
    return out


def test_every_module_is_reached_from_an_entry_point():
    """Code nothing uses is a defect: every module of the packages is imported (at any depth,
    lazily or not) from the command line or a bundled strategy."""
    files: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files[name] = path
    known = set(files)
    roots = ["executioncore.__main__", "executioncore.cli"] + [
        m for m in known if m.startswith("executioncore.strategies")
    ]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        mod = todo.pop()
        if mod in seen or mod not in files:
            continue
        seen.add(mod)
        parts = mod.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        todo.extend(_all_imports(files[mod], mod, known))
    assert not sorted(known - seen), f"modules nothing reaches: {sorted(known - seen)}"
