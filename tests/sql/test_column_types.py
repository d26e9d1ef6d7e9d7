"""Column types per target: every target keeps a bare numeric's fractional digits (a bare DECIMAL would be
decimal(38,0) on Trino and Snowflake and (10,0) on Spark), and bounded types keep their precision."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.types import parse_source_type

TARGETS = ["duckdb", "spark", "athena", "snowflake", "postgres"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_bare_numeric_keeps_eighteen_decimal_places(target):
    dialect = get_dialect(target)
    written = dialect.column_type(parse_source_type("numeric"))
    parsed = exp.DataType.build(written, dialect=dialect.sqlglot_dialect)
    assert [int(e.this.this) for e in parsed.expressions] == [38, 18], written
    sqlglot.parse_one(f"SELECT CAST(x AS {written})", read=dialect.sqlglot_dialect)


@pytest.mark.parametrize("target", TARGETS)
def test_bounded_decimals_and_other_types_are_kept(target):
    dialect = get_dialect(target)
    assert dialect.column_type(parse_source_type("numeric(10,2)")).endswith("(10,2)")
    assert dialect.column_type(parse_source_type("integer")) == dialect.type_mapping["int32"]
