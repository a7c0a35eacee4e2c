"""Contract columns of each data kind and how a file's own column names are matched to them.

A data entry's ``columns:`` mapping is applied first (file name -> contract name; an exact match,
else a case-insensitive one). Contract columns still unmatched are looked up among the file's
remaining columns by a list of aliases, case-insensitively, in the order listed, so the common
vendor layouts (``timestamp,bid,ask``; ``Date,Open,High,Low,Close,Volume``; Binance's
``price,qty,buyer_maker``) load without a mapping. Extra file columns are ignored.

Trades carry the aggressor either as ``side`` (buy/sell) or as ``buyer_maker`` (true when the
seller took liquidity): the two are alternatives and ``side`` wins when a file has both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.feeds.spec import DataError

_TS = ("ts", "timestamp", "time", "date", "datetime", "ts_ns", "ts_event", "ts_ms")


@dataclass(frozen=True, slots=True)
class Column:
    """A contract column: its name, whether a file must have it, and its aliases."""

    name: str
    required: bool
    aliases: tuple[str, ...]


# why: tuples, not dicts or sets, so matching and messages never depend on hash order
KIND_COLUMNS: dict[str, tuple[Column, ...]] = {
    "quotes": (
        Column("ts", True, _TS),
        Column("bid_px", True, ("bid_px", "bid", "bid_price")),
        Column("ask_px", True, ("ask_px", "ask", "ask_price")),
        Column("bid_sz", False, ("bid_sz", "bid_size", "bid_qty")),
        Column("ask_sz", False, ("ask_sz", "ask_size", "ask_qty")),
    ),
    "trades": (
        Column("ts", True, _TS),
        Column("px", True, ("px", "price")),
        Column("sz", True, ("sz", "qty", "quantity", "size", "amount")),
        Column("side", False, ("side", "aggressor", "aggressor_side", "taker_side")),
        Column("buyer_maker", False, ("buyer_maker", "is_buyer_maker")),
    ),
    "bars": (
        Column("ts", True, _TS),
        Column("open", True, ("open",)),
        Column("high", True, ("high",)),
        Column("low", True, ("low",)),
        Column("close", True, ("close",)),
        Column("volume", False, ("volume", "vol")),
    ),
    "book": (
        Column("ts", True, _TS),
        Column("side", True, ("side",)),
        Column("px", True, ("px", "price")),
        Column("sz", True, ("sz", "qty", "quantity", "size", "amount")),
        Column("update_type", False, ("update_type",)),
    ),
}


def contract_names(kind: str) -> tuple[str, ...]:
    """The contract column names of ``kind``, in their fixed order."""
    return tuple(c.name for c in KIND_COLUMNS[kind])


def resolve_columns(
    kind: str, file_columns: list[str], mapping: dict[str, str] | None, path: Path
) -> dict[str, str]:
    """Match contract columns to file columns; return ``{contract name: file column name}``.

    Raise ``DataError`` naming the file when the mapping names a column the file lacks or a
    contract column the kind does not have, or when a required column cannot be found.
    """
    spec_cols = KIND_COLUMNS[kind]
    names = contract_names(kind)
    found = ", ".join(file_columns) or "(none)"
    by_lower: dict[str, str] = {}
    for col in file_columns:
        by_lower.setdefault(col.strip().lower(), col)
    resolved: dict[str, str] = {}
    used: set[str] = set()
    for file_col, contract in (mapping or {}).items():
        if contract not in names:
            raise DataError(
                path,
                f"columns maps {file_col!r} to {contract!r}, which is not a {kind} column "
                f"(expected one of {', '.join(names)})",
            )
        actual = file_col if file_col in file_columns else by_lower.get(file_col.strip().lower())
        if actual is None:
            raise DataError(
                path, f"columns names {file_col!r} but the file has no such column; found: {found}"
            )
        if contract in resolved:
            raise DataError(path, f"columns maps two file columns to {contract!r}")
        resolved[contract] = actual
        used.add(actual)
    for col in spec_cols:
        if col.name in resolved:
            continue
        for alias in col.aliases:
            actual = by_lower.get(alias)
            if actual is not None and actual not in used:
                resolved[col.name] = actual
                used.add(actual)
                break
        else:
            if col.required:
                others = ", ".join(a for a in col.aliases if a != col.name)
                also = f" (also accepted: {others})" if others else ""
                raise DataError(
                    path,
                    f"missing column {col.name!r} for {kind}{also}; columns found: {found}",
                    column=col.name,
                )
    if kind == "trades" and "side" in resolved:
        resolved.pop("buyer_maker", None)
    return {name: resolved[name] for name in names if name in resolved}
