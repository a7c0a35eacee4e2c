"""The classes the compiled build makes extension types (an "augmenting" ``.pxd`` beside the
``.py``): each ``.pxd`` declares exactly its classes' ``__slots__``, plain Python never needs it,
and when compiled the classes are extension types whose instances take no other attribute."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from executioncore.accel import build, finder

ROOT = Path(__file__).resolve().parents[2]
PXDS = sorted(p for pattern in build.PATTERNS for p in ROOT.glob(pattern.replace(".py", ".pxd")))
HOOKED = getattr(sys.modules.get("_executioncore_accel"), "FINDER", None) is not None


def _declared(pxd: Path) -> dict[str, list[str]]:
    """Each ``cdef class`` of ``pxd`` and its fields, in order (a class may also hold an
    instance dict and weak references, be ``@cython.final`` and declare C methods; a ``.pxd``
    may ``cimport`` a base or ``cython``, declare C functions it uses from a header, and
    declare its module's own C functions, with their typed locals)."""
    classes: dict[str, list[str]] = {}
    current = None
    extern = False
    for line in pxd.read_text().splitlines():
        if extern and line.startswith("    "):
            continue  # a declaration from the header
        extern = False
        if m := re.fullmatch(r"cdef class (\w+)(\(\w+\))?:", line):
            current = classes.setdefault(m.group(1), [])
        elif m := re.fullmatch(r"    cdef (?:public \w+|unsigned char\[::1\]) (\w+)", line):
            assert current is not None, line
            current.append(m.group(1))
        elif line in ("    cdef dict __dict__", "    cdef object __weakref__", "    pass") or (
            re.fullmatch(r"    cdef (inline )?int _\w+\(self[^)]*\) except -1", line)
        ):
            assert current is not None, line
        elif re.fullmatch(r"cp?def int \w+\([^)]*\) except -1|@cython\.locals\([\w=, ]+\)", line):
            current = None  # a module's C function (kernel/codec_encoders.pxd's writers)
        elif re.fullmatch(r'cdef extern from "[\w.]+":', line):
            extern = True
        else:
            assert (
                not line.strip()
                or line.startswith("#")
                or line in ("cimport cython", "@cython.final")
                or re.fullmatch(r"from [\w.]+ cimport \w+", line)
            ), f"{pxd.name}: {line!r}"
    return classes


def _set_in(source: Path, cls: str) -> list[str]:
    """The attributes ``cls``'s methods in ``source`` assign on ``self``, sorted."""
    tree = ast.parse(source.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    names = set()
    for sub in ast.walk(node):
        targets = sub.targets if isinstance(sub, ast.Assign) else [getattr(sub, "target", None)]
        for t in targets:
            if (
                isinstance(t, ast.Attribute)
                and isinstance(t.value, ast.Name)
                and t.value.id == "self"
            ):
                names.add(t.attr)
    return sorted(names)


def _slots(source: Path) -> dict[str, list[str]]:
    """Each class's ``__slots__``; for a ``@cython.cclass`` record (kernel/events.py), its
    dataclass fields in order."""
    out = {}
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.ClassDef):
            if any(ast.unparse(d) == "cython.cclass" for d in node.decorator_list):
                out[node.name] = [i.target.id for i in node.body if isinstance(i, ast.AnnAssign)]
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and getattr(item.targets[0], "id", "") == "__slots__"
                ):
                    out[node.name] = list(ast.literal_eval(item.value))
    return out


def test_there_are_typed_classes():
    names = {p.relative_to(ROOT).as_posix() for p in PXDS}
    assert {"kernel/oms.pxd", "kernel/orders.pxd", "sim/recorded.pxd", "kernel/events.pxd"} <= names


@pytest.mark.parametrize("pxd", PXDS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_pxd_declares_exactly_its_classes_slots(pxd):
    source = pxd.with_suffix(".py")
    assert source.is_file()
    module = ".".join(source.relative_to(ROOT).with_suffix("").parts)
    assert module in build.modules()  # compiled (a .pxd beside a module left Python is a mistake)
    slots = _slots(source)
    for cls, fields in _declared(pxd).items():
        if cls in KERNEL_BASE:
            continue  # below
        assert cls in slots, f"{pxd.name}: {cls} has no __slots__ in {source.name}"
        assert fields == slots[cls], f"{pxd.name}: {cls} differs from its __slots__"


# the kernel keeps an instance dict (hosts and tests add attributes): its base declares, as
# fields, every attribute the kernel's own methods set, and Kernel declares none of its own
KERNEL_BASE = {"OrderCommands", "Kernel"}


def test_the_kernel_s_fields_are_the_attributes_it_sets():
    fields = _declared(ROOT / "kernel" / "ordering.pxd")["OrderCommands"]
    assert fields == sorted(fields)
    assert fields == _set_in(ROOT / "kernel" / "kernel.py", "Kernel")
    assert _declared(ROOT / "kernel" / "kernel.pxd") == {"Kernel": []}


def test_order_request_fields_are_init_s_parameters():
    """``REQUEST_FIELDS`` (the journal's layout of an order) is ``Order.__init__``'s signature,
    which a compiled ``Order`` cannot show."""
    from kernel.orders import REQUEST_FIELDS

    tree = ast.parse((ROOT / "kernel" / "orders.py").read_text())
    order = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Order")
    init = next(n for n in order.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert tuple(a.arg for a in init.args.args[1:]) == REQUEST_FIELDS


@pytest.mark.parametrize("pxd", PXDS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_compiled_the_classes_are_extension_types(pxd):
    if finder.pure_requested() or not HOOKED:
        pytest.skip("running as plain Python")
    module = __import__(".".join(pxd.relative_to(ROOT).with_suffix("").parts), fromlist=["x"])
    assert not module.__file__.endswith(".py")
    heap_type = 1 << 9  # Py_TPFLAGS_HEAPTYPE: set on every class a class statement makes
    for name in _declared(pxd):
        cls = getattr(module, name)
        assert not cls.__flags__ & heap_type, name
        assert ("__dict__" in dir(cls)) is (name in KERNEL_BASE), name
