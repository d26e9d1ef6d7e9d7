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
from vaultgen.sql.hashing import business_key_part, hash_key_of_parts, hashdiff_sql
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

    keys = staged_keys(spec, table)
    # each business key column normalised once (in `keyed`), however many hash keys read it
    key_columns = list(dict.fromkeys(column for key in keys for column in key.source_columns))
    normalised = _normalised_names(key_columns, {c.name for c in table.columns} | {naming.load_ts, naming.record_source})
    hashed = [
        alias(hash_key_of_parts([col(normalised[c]) for c in key.source_columns], project.hashing, project.sentinels, dialect), key.column)
        for key in keys
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
    ctes = [("batch", batch)]
    if key_columns:
        keyed = select(exp.Star(), *[alias(business_key_part(typed([c])[0], project.hashing, dialect), normalised[c]) for c in key_columns])
        ctes.append(("keyed", keyed.from_(cte("batch"), copy=False)))
    final = select(*columns, *hashed).from_(cte(ctes[-1][0]), copy=False)
    return with_ctes(ctes, final)


def _normalised_names(columns: list[str], taken: set[str]) -> dict[str, str]:
    """A column name per business key column for its normalised value, unlike any column of the table."""
    names: dict[str, str] = {}
    for column in columns:
        name = f"{column}__key"
        while name in taken:
            name += "_"
        taken.add(name)
        names[column] = name
    return names
