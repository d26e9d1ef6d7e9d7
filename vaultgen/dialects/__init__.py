"""Dialect knowledge as data: one module per target, looked up by name."""

from __future__ import annotations

from vaultgen.dialects.base import Dialect
from vaultgen.dialects.duckdb import DUCKDB

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (DUCKDB,)}


def get_dialect(name: str) -> Dialect:
    return DIALECTS[name]
