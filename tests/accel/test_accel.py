"""The compiled hot modules (executioncore/accel): the import hook uses a compiled module only
while its source is unchanged; compiled and plain Python give the same journal digests; a rebuild
compiles only what changed; ``make test`` in CI runs compiled (the rest of the suite does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.machinery import ExtensionFileLoader
from pathlib import Path

import pytest

from executioncore.accel import build, finder

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((ROOT / "tests" / "scenario" / "golden_digests.json").read_text())


def _accel_status(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "executioncore", "accel", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != finder.ENV_PURE}
    env.update(extra)
    return env


# the hook is installed and on (not with EXECUTIONCORE_PURE=1, e.g. ``make ACCEL=0 test``)
HOOKED = getattr(sys.modules.get("_executioncore_accel"), "FINDER", None) is not None


# --- the hook -----------------------------------------------------------------------------------
def _fake_build(tmp_path: Path, source: bytes) -> tuple[Path, Path]:
    """A package ``accelpkg.mod`` on disk and a build folder whose manifest lists it."""
    pkg = tmp_path / "src" / "accelpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_bytes(source)
    out = tmp_path / "build"
    (out / "accelpkg").mkdir(parents=True)
    (out / "accelpkg" / "mod.so").write_bytes(b"")  # never loaded here: only found
    manifest = {
        "cache_tag": sys.implementation.cache_tag,
        "stamp": "x",
        "modules": {
            "accelpkg.mod": {"sha256": finder.source_hash(b"X = 1\n"), "file": "accelpkg/mod.so"}
        },
    }
    (out / finder.MANIFEST).write_text(json.dumps(manifest))
    return pkg, out


def test_the_hook_hands_out_the_compiled_file_while_the_source_matches(tmp_path):
    pkg, out = _fake_build(tmp_path, b"X = 1\n")
    manifest = finder.read_manifest(out)
    assert manifest is not None
    hook = finder.CompiledFinder(out, manifest["modules"])
    spec = hook.find_spec("accelpkg.mod", [str(pkg)])
    assert spec is not None and isinstance(spec.loader, ExtensionFileLoader)
    assert spec.origin == str(out / "accelpkg" / "mod.so")
    assert hook.loaded == ["accelpkg.mod"] and hook.stale == []
    assert hook.find_spec("accelpkg.other", [str(pkg)]) is None  # not in the manifest


def test_an_edited_source_runs_as_python_not_its_stale_build(tmp_path):
    pkg, out = _fake_build(tmp_path, b"X = 2  # edited after the build\n")
    hook = finder.CompiledFinder(out, finder.read_manifest(out)["modules"])  # type: ignore[index]
    assert hook.find_spec("accelpkg.mod", [str(pkg)]) is None
    assert hook.stale == ["accelpkg.mod"] and hook.loaded == []


def test_a_module_with_a_pxd_is_stale_when_either_file_changes(tmp_path):
    """A ``.pxd`` beside the source is part of what the module is built from."""
    pkg, out = _fake_build(tmp_path, b"X = 1\n")
    (pkg / "mod.pxd").write_text("cdef class A:\n    cdef public object a\n")
    hook = finder.CompiledFinder(out, finder.read_manifest(out)["modules"])  # type: ignore[index]
    assert hook.find_spec("accelpkg.mod", [str(pkg)]) is None  # built without the .pxd
    data = finder.module_source(pkg / "mod.py", "accelpkg.mod")
    manifest = json.loads((out / finder.MANIFEST).read_text())
    manifest["modules"]["accelpkg.mod"]["sha256"] = finder.source_hash(data)
    hook = finder.CompiledFinder(out, manifest["modules"])
    assert hook.find_spec("accelpkg.mod", [str(pkg)]) is not None
    (pkg / "mod.pxd").write_text("cdef class A:\n    cdef public object b\n")
    assert hook.find_spec("accelpkg.mod", [str(pkg)]) is None
    assert hook.stale == ["accelpkg.mod"]


def test_a_build_for_another_python_or_an_unreadable_manifest_is_ignored(tmp_path):
    _, out = _fake_build(tmp_path, b"X = 1\n")
    data = json.loads((out / finder.MANIFEST).read_text())
    data["cache_tag"] = "cpython-0"
    (out / finder.MANIFEST).write_text(json.dumps(data))
    assert finder.read_manifest(out) is None
    (out / finder.MANIFEST).write_text("{not json")
    assert finder.read_manifest(out) is None
    assert finder.read_manifest(tmp_path / "nowhere") is None


@pytest.mark.parametrize(
    ("value", "pure"), [("", False), ("0", False), ("1", True), ("yes", True)]
)  # fmt: skip
def test_executioncore_pure_turns_the_hook_off(value, pure):
    assert finder.pure_requested({finder.ENV_PURE: value}) is pure
    assert finder.pure_requested({}) is False


# --- the build ----------------------------------------------------------------------------------
def _pretend_built(out: Path, entries: dict[str, dict[str, str]]) -> dict:
    """Write an (empty) compiled file for each planned module and the manifest listing them."""
    for name in entries:
        entries[name]["file"] = name.replace(".", "/") + ".so"
        (out / entries[name]["file"]).parent.mkdir(parents=True, exist_ok=True)
        (out / entries[name]["file"]).write_bytes(b"")
    manifest = {"cache_tag": sys.implementation.cache_tag, "stamp": build._stamp("3.x"),
                "modules": entries}  # fmt: skip
    (out / finder.MANIFEST).write_text(json.dumps(manifest))
    return manifest


def test_a_rebuild_compiles_only_the_modules_whose_source_changed(tmp_path):
    root = tmp_path / "tree"
    for rel in ("kernel/__init__.py", "kernel/a.py", "kernel/b.py", "sim/c.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# {rel}\n")
    assert sorted(build.modules(root)) == ["kernel.a", "kernel.b", "sim.c"]  # no __init__
    out = tmp_path / "out"
    entries, todo = build.plan(out, "3.x", root)
    assert todo == ["kernel.a", "kernel.b", "sim.c"]  # nothing built yet
    _pretend_built(out, entries)
    assert build.plan(out, "3.x", root)[1] == []
    (root / "kernel" / "b.py").write_text("# edited\n")
    assert build.plan(out, "3.x", root)[1] == ["kernel.b"]
    (out / "sim" / "c.so").unlink()
    assert build.plan(out, "3.x", root)[1] == ["kernel.b", "sim.c"]
    assert build.plan(out, "4.x", root)[1] == ["kernel.a", "kernel.b", "sim.c"]  # new Cython


def test_a_module_is_stale_with_the_modules_its_pxd_cimports(tmp_path):
    """``kernel/a.pxd`` subclasses a type of ``kernel/b``: editing b's ``.py`` or ``.pxd``
    rebuilds a too (built against an older b, a would not import, or would crash)."""
    root = tmp_path / "tree"
    for rel in ("kernel/__init__.py", "kernel/a.py", "kernel/b.py", "kernel/c.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# {rel}\n")
    (root / "kernel" / "a.pxd").write_text(
        "from kernel.b cimport B\n\ncdef class A(B):\n    pass\n"
    )
    (root / "kernel" / "b.pxd").write_text("cdef class B:\n    cdef public object x\n")
    out = tmp_path / "out"
    entries, _ = build.plan(out, "3.x", root)
    manifest = _pretend_built(out, entries)
    assert build.plan(out, "3.x", root)[1] == []
    (root / "kernel" / "b.pxd").write_text("cdef class B:\n    cdef public object y\n")
    assert build.plan(out, "3.x", root)[1] == ["kernel.a", "kernel.b"]
    (root / "kernel" / "b.pxd").write_text("cdef class B:\n    cdef public object x\n")
    (root / "kernel" / "b.py").write_text("# edited\n")
    assert build.plan(out, "3.x", root)[1] == ["kernel.a", "kernel.b"]
    hook = finder.CompiledFinder(out, manifest["modules"])  # type: ignore[arg-type]
    assert hook.find_spec("kernel.a", [str(root / "kernel")]) is None  # runs as Python with b
    assert hook.find_spec("kernel.c", [str(root / "kernel")]) is not None
    assert hook.stale == ["kernel.a"]
    # and through another's .pxd: b's declarations cimport c's, so c's source counts for a too
    (root / "kernel" / "b.pxd").write_text(
        "from kernel.c cimport C\n\ncdef class B(C):\n    pass\n"
    )
    before = finder.module_source(root / "kernel" / "a.py", "kernel.a")
    (root / "kernel" / "c.py").write_text("# c edited\n")
    assert finder.module_source(root / "kernel" / "a.py", "kernel.a") != before


# --- compiled and plain Python: one behaviour -----------------------------------------------------
def test_ci_runs_the_suite_compiled():
    """``make test`` builds first: in CI the hook must be there and every module compiled (else
    the speed the benchmarks report is not what the tests checked)."""
    if finder.pure_requested():
        pytest.skip("plain Python was asked for (EXECUTIONCORE_PURE)")
    if not os.environ.get("CI") and not HOOKED:
        pytest.skip("no compiled build in this environment (make test builds one)")
    status = _accel_status(_env())
    assert status["hook_installed"], status
    assert status["python"] == [] and status["stale"] == [], status
    assert "kernel.orders" in status["compiled"] and "sim.driver" in status["compiled"]
    assert not build.STAY_PYTHON & set(status["compiled"])  # listed to stay Python


def test_executioncore_pure_runs_every_module_as_python():
    status = _accel_status(_env(**{finder.ENV_PURE: "1"}))
    assert status["pure_requested"] and status["compiled"] == []
    assert "kernel.orders" in status["python"]


_DIGESTS = (
    "import json, sys, tempfile; from pathlib import Path; "
    "from executioncore.runner import prepare; from executioncore.scenario import load_scenario; "
    "import kernel.orders as k; out = {'__file__': k.__file__}; "
    "tmp = Path(tempfile.mkdtemp()); "
    "[out.__setitem__(n, prepare(load_scenario(Path('scenarios') / (n + '.yaml')), "
    "out_dir=tmp / n).execute().summary['digest']) for n in sys.argv[1:]]; "
    "print(json.dumps(out))"
)


@pytest.mark.slow
def test_every_bundled_scenario_has_its_golden_digest_as_plain_python_and_compiled():
    names = sorted(GOLDEN)
    results = {}
    for mode, env in (("python", _env(**{finder.ENV_PURE: "1"})), ("compiled", _env())):
        out = subprocess.run(
            [sys.executable, "-c", _DIGESTS, *names],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    assert results["python"]["__file__"].endswith(".py")
    if HOOKED:
        assert not results["compiled"]["__file__"].endswith(".py"), results["compiled"]
    for name in names:
        assert results["python"][name] == results["compiled"][name] == GOLDEN[name], name
