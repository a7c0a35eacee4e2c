"""The import hook that loads a compiled twin of a module only when it was built from the very
source now on disk (a standalone module: no executioncore import, it runs at interpreter start).

``executioncore accel build`` copies this file into the venv's site-packages as
``_executioncore_accel.py`` beside a ``.pth`` line that calls :func:`install` with the build's
folder. For every module the manifest lists, :class:`CompiledFinder` first finds the ``.py`` the
normal way, hashes it, and hands back the compiled extension only if the hash is the one the
extension was built from. An edited ``.py`` is therefore never shadowed by a stale ``.so``: it
runs as Python until the next build (``make`` rebuilds what changed). ``EXECUTIONCORE_PURE=1``
turns the hook off: everything runs as plain Python, with identical results.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from importlib.machinery import ExtensionFileLoader, PathFinder
from importlib.util import spec_from_file_location
from pathlib import Path
from typing import Any

ENV_PURE = "EXECUTIONCORE_PURE"
MANIFEST = "manifest.json"


def pure_requested(environ: Any = os.environ) -> bool:
    """True when ``EXECUTIONCORE_PURE`` asks for plain Python (any value but empty or 0)."""
    return environ.get(ENV_PURE, "") not in ("", "0")


def source_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def module_source(path: Path, name: str) -> bytes:
    """What the compiled module ``name`` (source ``path``) is built from: its ``.py``, then the
    ``.pxd`` beside it if there is one (Cython's declarations for it), then the ``.py`` and
    ``.pxd`` of every module that one ``cimport``s, directly or through another's ``.pxd``: a
    compiled module is bound to the extension types it uses at C level (their layout, their
    C methods), so it must run compiled exactly when they do, built against the same
    declarations (else it would not import, or crash). Editing any of them makes it stale."""
    data = path.read_bytes()
    pxd = path.with_suffix(".pxd")
    if not pxd.is_file():
        return data
    root = path.parents[name.count(".")]
    data += b"\0pxd\0" + pxd.read_bytes()
    seen = {name}
    todo = _cimports(pxd)
    while todo:
        dep = todo.pop(0)
        if dep in seen:
            continue
        seen.add(dep)
        base = root.joinpath(*dep.split("."))
        data += b"\0" + dep.encode() + b"\0"
        for part in (base.with_suffix(".py"), base.with_suffix(".pxd")):
            data += part.read_bytes() if part.is_file() else b"-"
        todo += _cimports(base.with_suffix(".pxd"))
    return data


def _cimports(pxd: Path) -> list[str]:
    """The modules a ``.pxd`` cimports from (``from X cimport Y``), in order."""
    if not pxd.is_file():
        return []
    text = pxd.read_text(encoding="utf-8")
    return re.findall(r"^\s*from\s+([\w.]+)\s+cimport\b", text, re.M)


class CompiledFinder:
    """A meta-path finder for the manifest's modules: the compiled file when its source matches.

    ``loaded`` and ``stale`` record what it decided (module names), for ``executioncore accel``.
    """

    def __init__(self, root: Path, modules: dict[str, dict[str, str]]) -> None:
        self.root = root
        self.modules = modules
        self.loaded: list[str] = []
        self.stale: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        source = PathFinder.find_spec(fullname, path)
        if source is None or source.origin is None or not source.origin.endswith(".py"):
            return None
        try:
            data = module_source(Path(source.origin), fullname)
        except OSError:
            return None
        compiled = self.root / entry["file"]
        if source_hash(data) != entry["sha256"] or not compiled.is_file():
            self.stale.append(fullname)
            return None  # why: the source changed since the build: run it as Python
        self.loaded.append(fullname)
        return spec_from_file_location(
            fullname, compiled, loader=ExtensionFileLoader(fullname, str(compiled))
        )


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The build's manifest, or None when it is missing, unreadable or for another Python."""
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("cache_tag") != sys.implementation.cache_tag:
        return None
    return manifest if isinstance(manifest.get("modules"), dict) else None


FINDER: CompiledFinder | None = None


def install(root: str | Path) -> CompiledFinder | None:
    """Put the finder first on ``sys.meta_path`` (once), unless plain Python is asked for."""
    global FINDER
    if FINDER is not None or pure_requested():
        return FINDER
    manifest = read_manifest(Path(root))
    if manifest is None:
        return None
    FINDER = CompiledFinder(Path(root), manifest["modules"])
    sys.meta_path.insert(0, FINDER)
    return FINDER
