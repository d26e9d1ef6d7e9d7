"""Staging: one view per source table that computes every hash key and hashdiff once.

Reads the raw table inside the batch window and carries the load timestamp of the raw batch.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.graph import record_source, staged_hashdiffs, staged_keys
from vaultgen.naming import Naming
from vaultgen.spec.model import Spec, Table
from vaultgen.sql.common import RAW_LOAD_TS_TYPE, alias, col, cte, load_window, select, source, with_ctes
from vaultgen.sql.hashing import hash_key_sql, hashdiff_sql
from vaultgen.types import parse_source_type


def staging_sql(spec: Spec, table: Table, dialect: Dialect) -> exp.Select:
    naming = Naming(spec)
    project = spec.project
    raw = project.raw
    batch = (
        select(
            *[col(c.name) for c in table.columns],
            alias(col(raw.load_timestamp_column), naming.load_ts),
            alias(exp.Literal.string(record_source(spec, table.name)), naming.record_source),
        )
        .from_(source(table.name), copy=False)
        .where(load_window(raw.load_timestamp_column), copy=False)
    )
    def typed(names) -> list[tuple[exp.Expression, str]]:
        return [(col(name), parse_source_type(table.column(name).type).logical) for name in names]

    hashed = [
        alias(hash_key_sql(typed(key.source_columns), project.hashing, project.sentinels, dialect), key.column)
        for key in staged_keys(spec, table)
    ]
    hashed += [
        alias(hashdiff_sql(typed(satellite.attributes), project.hashing, dialect), naming.staged_hashdiff(satellite))
        for satellite in staged_hashdiffs(spec, table)
    ]
    def stored(column: exp.Column, logical: str) -> exp.Expression:
        """The column as the vault stores it (the hashes read it as loaded)."""
        value = dialect.stored(column, logical)
        return column if value is column else alias(value, column.name)

    columns = [stored(column, logical) for column, logical in typed([c.name for c in table.columns])]
    columns += [stored(col(naming.load_ts), RAW_LOAD_TS_TYPE), col(naming.record_source)]
    final = select(*columns, *hashed).from_(cte("batch"), copy=False)
    return with_ctes([("batch", batch)], final)
