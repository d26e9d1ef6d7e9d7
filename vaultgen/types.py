"""Type mapping: source type -> logical type (vaultgen.dialects.postgres) -> each target's type (the
`type_mapping` of its module in vaultgen.dialects). The names here are the ones the SQL builders import.

A source type is written as PostgreSQL spells it ("smallint", "character varying(40)", "numeric(10,2)").
"""

from __future__ import annotations

from vaultgen.dialects.logical import LOGICAL_TYPES, UNBOUNDED_DECIMAL, SourceType, decimal_precision
from vaultgen.dialects.postgres import SOURCE_TYPES, parse_source_type

__all__ = ["LOGICAL_TYPES", "SOURCE_TYPES", "UNBOUNDED_DECIMAL", "SourceType", "decimal_precision", "parse_source_type"]
