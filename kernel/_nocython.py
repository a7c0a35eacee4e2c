"""What ``kernel`` uses of Cython's pure-Python mode, for a machine without Cython installed
(and for the type checker).

Mirrors Cython's own shadow module (what ``import cython`` gives when the module runs as
Python): ``cclass`` leaves a class as it is and ``dataclasses`` is the standard library's, so a
record is the same plain dataclass with or without Cython installed.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

__all__ = ["cclass", "dataclasses"]

T = TypeVar("T")


def cclass(cls: T) -> T:
    return cls
