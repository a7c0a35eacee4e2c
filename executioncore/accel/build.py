"""``executioncore accel build``: compile the hot modules with Cython, from their own ``.py``.

The ``.py`` files stay the source of truth. Cython compiles them as they are (pure-Python mode
with ``annotation_typing=False``: the annotations are read as Python's, so the compiled module
behaves exactly like the source and the journal digests are the same). A ``.pxd`` beside a
module (an "augmenting" declaration file) makes some of its ``__slots__`` classes extension
types, with the same attributes as C-level fields; plain Python never reads it. Output goes
into the venv (``<venv>/executioncore-accel/``), never next to the sources, with a manifest of
each module's source hash (its ``.py`` and its ``.pxd``); the import hook (``finder.py``) loads
a compiled module only while its source still has that hash. A rebuild compiles only the
modules whose source changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from executioncore.accel import finder

ROOT = Path(__file__).resolve().parents[2]
# why: the event loop's hot path (kernel, simulated venue, data feeds); live/ and the app are
# dominated by I/O and stay Python. __init__ files stay Python (packages import cheaply).
PATTERNS = ("kernel/*.py", "kernel/algos/*.py", "sim/*.py", "sim/feeds/*.py")
# why: kernel.codec_source writes kernel/codec_encoders.py (run by ``accel generate`` and by a
# stale layout's fallback, never on the hot path): compiling it only lengthens the build.
# Modules measured faster as Python would be listed here too (none now). Compiled code reaches
# attributes of ordinary objects the generic way, where Python 3.11's interpreter specialises
# them inline: compiling kernel.kernel and sim.recorded as they were made W1 20% slower, so both
# stayed Python until their classes became extension types (kernel/ordering.pxd,
# kernel/kernel.pxd, sim/recorded.pxd), whose methods reach their own fields directly
# (README, Performance).
STAY_PYTHON: frozenset[str] = frozenset({"kernel.codec_source"})
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False}
HOOK_MODULE = "_executioncore_accel"
BATCH = 12  # modules per progress line


def default_out() -> Path:
    return Path(sys.prefix) / "executioncore-accel"


def modules(root: Path = ROOT) -> dict[str, Path]:
    """The modules to compile: dotted name -> source path."""
    found: dict[str, Path] = {}
    for pattern in PATTERNS:
        for path in sorted(root.glob(pattern)):
            if path.name == "__init__.py":
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            if name not in STAY_PYTHON:
                found[name] = path
    return found


def _cython_version() -> str | None:
    try:
        import Cython
    except ImportError:
        return None
    return str(Cython.__version__)


def _stamp(cython: str) -> str:
    """What, besides each source, the compiled files depend on."""
    return json.dumps([cython, DIRECTIVES, sys.version], sort_keys=True)


def plan(out: Path, cython: str, root: Path = ROOT) -> tuple[dict[str, dict[str, str]], list[str]]:
    """(the new manifest's modules, the names that need compiling)."""
    old = finder.read_manifest(out)
    old_modules = old["modules"] if old is not None and old.get("stamp") == _stamp(cython) else {}
    entries: dict[str, dict[str, str]] = {}
    todo: list[str] = []
    for name, path in modules(root).items():
        digest = finder.source_hash(finder.module_source(path, name))
        prev = old_modules.get(name)
        if prev is not None and prev["sha256"] == digest and (out / prev["file"]).is_file():
            entries[name] = prev
        else:
            entries[name] = {"sha256": digest, "file": ""}
            todo.append(name)
    return entries, todo


def compile_modules(
    names: list[str], out: Path, jobs: int, root: Path = ROOT, log: Any = print
) -> dict[str, str]:
    """Compile ``names`` into ``out`` in batches (a progress line after each; the compiler's own
    output goes to ``out/build.log``); their files relative to ``out``."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    srcs = modules(root)
    files: dict[str, str] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ec-accel-") as tmp:
        cwd = Path.cwd()
        os.chdir(root)  # why: Cython names each module from its path relative to here
        try:
            for start in range(0, len(names), BATCH):
                batch = names[start : start + BATCH]
                exts = [Extension(n, [str(srcs[n].relative_to(root))]) for n in batch]
                with _output_to(out / "build.log"):
                    exts = cythonize(
                        exts,
                        build_dir=str(Path(tmp) / "c"),
                        compiler_directives=DIRECTIVES,
                        quiet=True,
                        force=True,
                        nthreads=jobs if jobs > 1 else 0,
                    )
                    cmd = build_ext(
                        Distribution({"name": "executioncore-accel", "ext_modules": exts})
                    )
                    cmd.build_lib = str(out)
                    cmd.build_temp = str(Path(tmp) / "o")
                    cmd.parallel = jobs
                    cmd.ensure_finalized()
                    cmd.run()
                for e in exts:
                    files[e.name] = str(Path(cmd.get_ext_fullpath(e.name)).relative_to(out))
                log(f"accel: {len(files)}/{len(names)} compiled ({time.perf_counter() - t0:.0f} s)")
        finally:
            os.chdir(cwd)
    return files


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """The compiler's chatter (every command, thousands of warnings) to a file, not the terminal:
    file descriptors 1 and 2 themselves, as the compiler is a child process."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def install_hook(out: Path) -> Path | None:
    """Copy the finder into site-packages with a ``.pth`` that installs it (in a venv only)."""
    if sys.prefix == sys.base_prefix:
        return None
    site = Path(sysconfig.get_paths()["purelib"])
    shutil.copyfile(finder.__file__, site / f"{HOOK_MODULE}.py")
    pth = site / f"{HOOK_MODULE}.pth"
    pth.write_text(f"import {HOOK_MODULE}; {HOOK_MODULE}.install({str(out)!r})\n")
    return pth


def build(out: Path | None = None, jobs: int | None = None, log: Any = print) -> int:
    """Compile what changed, write the manifest, install the hook; 0, or 1 when it failed."""
    out = out or default_out()
    cython = _cython_version()
    if cython is None:
        log(
            "accel: Cython is not installed: everything runs as plain Python ('pip install cython')"
        )
        return 0
    entries, todo = plan(out, cython)
    if todo:
        jobs = jobs or os.cpu_count() or 1
        slow = "; about 2 minutes on 2 cores" if len(todo) > BATCH else ""
        log(f"accel: compiling {len(todo)} of {len(entries)} modules with Cython {cython} "
            f"({jobs} jobs{slow})")  # fmt: skip
        t0 = time.perf_counter()
        out.mkdir(parents=True, exist_ok=True)
        (out / "build.log").unlink(missing_ok=True)
        try:
            files = compile_modules(todo, out, jobs, log=log)
        except Exception as exc:  # why: a failed build leaves plain Python, which is correct
            log(f"accel: the build failed, everything runs as plain Python: {exc} "
                f"(compiler output: {out / 'build.log'})")  # fmt: skip
            return 1
        for name, file in files.items():
            entries[name]["file"] = file
        log(f"accel: compiled in {time.perf_counter() - t0:.0f} s")
    manifest = {
        "cache_tag": sys.implementation.cache_tag,
        "stamp": _stamp(cython),
        "modules": entries,
    }
    tmp = out / (finder.MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(out / finder.MANIFEST)
    kept = {out / e["file"] for e in entries.values()}
    for old in out.rglob("*.so"):  # why: modules no longer compiled leave no file behind
        if old not in kept:
            old.unlink()
    pth = install_hook(out)
    if not todo:
        log(f"accel: {len(entries)} compiled modules up to date")
    if pth is None:
        log("accel: not in a virtual environment: the import hook was not installed")
    return 0
