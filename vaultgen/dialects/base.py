"""What vaultgen needs to know about a target: plain data that the SQL builders ask, never a name to compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlglot import exp

from vaultgen.types import SourceType

HashFunction = Callable[[exp.Expression], exp.Expression]


@dataclass(frozen=True)
class Dialect:
    name: str
    sqlglot_dialect: str
    dbt_adapter: str
    string_type: str
    # algorithm -> a function building the lower-case hexadecimal digest of a string expression
    hash_functions: dict[str, HashFunction] = field(repr=False, default_factory=dict)
    max_identifier_length: int = 63
    identifier_case: str = "lower"

    # logical type (vaultgen.types) -> this target's column type
    type_mapping: dict[str, str] = field(repr=False, default_factory=dict)

    def column_type(self, source_type: SourceType) -> str:
        base = self.type_mapping[source_type.logical]
        if source_type.logical == "decimal" and source_type.length is not None:
            return f"{base}({source_type.length},{source_type.scale or 0})"
        return base

    def hash_hex(self, algorithm: str, value: exp.Expression) -> exp.Expression:
        return self.hash_functions[algorithm](value)

    # logical type -> a function rendering a value of that type as its canonical string (see sql/hashing.py)
    string_renderers: dict[str, Callable[[exp.Expression], exp.Expression]] = field(repr=False, default_factory=dict)

    def cast(self, value: exp.Expression, type_name: str) -> exp.Expression:
        return exp.Cast(this=value, to=exp.DataType.build(type_name, dialect=self.sqlglot_dialect))

    def render_string(self, value: exp.Expression, logical: str) -> exp.Expression:
        renderer = self.string_renderers.get(logical)
        return renderer(value) if renderer else self.cast(value, self.string_type)
