"""What ``kernel`` uses of Cython's pure-Python mode, for a machine without Cython installed
(and for the type checker).

Mirrors Cython's own shadow module (what ``import cython`` gives when the module runs as
Python): ``cclass`` leaves a class as it is and ``dataclasses`` is the standard library's, so a
record is the same plain dataclass with or without Cython installed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "Py_UCS4",
    "Py_ssize_t",
    "boundscheck",
    "cclass",
    "compiled",
    "dataclasses",
    "int",
    "locals",
    "longlong",
    "p_char",
    "wraparound",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


compiled = False  # as Cython's shadow module says when a module runs as Python
Py_ssize_t = int  # a C index type when compiled


class _CType:
    """A C type of Cython's (``longlong``); ``longlong[:]`` is its typed memoryview."""

    def __getitem__(self, item: object) -> _CType:
        return self


longlong = _CType()
Py_UCS4 = _CType()  # a code point as a C int when compiled
p_char = _CType()  # a C char pointer when compiled


def cclass(cls: T) -> T:
    return cls


def locals(**types: object) -> Callable[[F], F]:
    """Cython's typed-locals decorator: declares the C types of a function's locals when the
    module is compiled; as Python it leaves the function as it is."""

    def keep(func: F) -> F:
        return func

    return keep


def boundscheck(check: bool) -> Callable[[F], F]:
    """Cython's directive decorator (``@cython.boundscheck(False)``: compiled, an index into a
    typed list or memoryview is not checked); as Python it leaves the function as it is."""

    def keep(func: F) -> F:
        return func

    return keep


wraparound = boundscheck  # ``@cython.wraparound(False)``: compiled, no negative indices


# why: last, so nothing above reads Python's int through this name (Cython's C int)
int = _CType()
