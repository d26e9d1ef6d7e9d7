"""The logical types: the vocabulary between a source's types and each target's. Every target module maps each
of LOGICAL_TYPES to its own type name (its `type_mapping`), the source dialect maps its spellings onto them."""

from __future__ import annotations

from dataclasses import dataclass

LOGICAL_TYPES = ("int16", "int32", "int64", "float32", "float64", "decimal", "string", "binary", "boolean", "date", "timestamp",
                 "timestamptz")

# PostgreSQL's bare `numeric` has no fixed precision: every target stores it as decimal(38,18), Spark's JDBC
# reader's reading of it too (a bare DECIMAL would be decimal(38,0) on Trino and Snowflake, (10,0) on Spark)
UNBOUNDED_DECIMAL = (38, 18)


@dataclass(frozen=True)
class SourceType:
    logical: str
    length: int | None = None
    scale: int | None = None


def decimal_precision(source_type: SourceType) -> tuple[int, int]:
    """(precision, scale) of a decimal source type; a bare numeric gets UNBOUNDED_DECIMAL."""
    return (source_type.length, source_type.scale or 0) if source_type.length is not None else UNBOUNDED_DECIMAL


def mapped_type(mapping: dict[str, str], source_type: SourceType) -> str:
    """A source type in a type map: its logical type's name there, with precision and scale for a decimal."""
    base = mapping[source_type.logical]
    if source_type.logical != "decimal":
        return base
    precision, scale = decimal_precision(source_type)
    return f"{base}({precision},{scale})"
