"""Staging: one model per source table that computes every hash key and hashdiff once per batch.

Reads the raw table inside the batch window and carries the load timestamp of the raw batch. A full snapshot is
staged as its changes: a row identical (every column, NULLs equal) to a row of the table's snapshot just before
it is dropped, so the vault's models read, and the staging hashes, only what changed. No vault model loses
anything by it: a hub, link or satellite would insert nothing for such a row (its keys and hashdiff are those of
the row before it), and record tracking, which needs every key of every snapshot, reads the raw table itself
(record_tracking.py). The snapshot before each load comes from the load log and the raw table's own load
timestamps, so an empty snapshot (a load-log row, no raw rows) counts as one. A table that feeds a multi-active
satellite is staged whole: a set that lost a row changes the set without a changed row. A run with
var('vaultgen_stage_whole') stages every row (after a spec change that re-versions a satellite, so that every
affected key gets its new version in the next batch rather than whenever its row next changes).
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.graph import record_source, staged_hashdiffs, staged_keys
from vaultgen.naming import Naming
from vaultgen.spec.model import Hashing, MultiActiveSatellite, Spec, Table
from vaultgen.sql.common import RAW_LOAD_TS_TYPE, alias, ascending, col, cte, join_node, load_window, select, source, stage_changes, with_ctes
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
        .from_(source(table.name, "raw_row" if stages_changes(spec, table) else None), copy=False)
        .where(load_window(raw.load_timestamp_column), copy=False)
    )
    ctes: list[tuple[str, exp.Select]] = []
    if stages_changes(spec, table):
        ctes += snapshot_before_ctes(spec, table)
        batch = batch.where(exp.Not(this=exp.Exists(this=_same_row_before(spec, table))), copy=False)
    def typed(names) -> list[tuple[exp.Expression, str]]:
        return [(col(name), parse_source_type(table.column(name).type).logical) for name in names]

    keys = staged_keys(spec, table)
    # each business key column normalised once (in `keyed`), however many hash keys read it
    key_columns = list(dict.fromkeys(column for key in keys for column in key.source_columns))
    normalised = key_part_names(table, key_columns, {naming.load_ts, naming.record_source})
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
    ctes.append(("batch", batch))
    if key_columns:
        keyed = select(exp.Star(), *[alias(key_part(table, c, project.hashing, dialect), normalised[c]) for c in key_columns])
        ctes.append(("keyed", keyed.from_(cte("batch"), copy=False)))
    final = select(*columns, *hashed).from_(cte(ctes[-1][0]), copy=False)
    return with_ctes(ctes, final)


def stages_changes(spec: Spec, table: Table) -> bool:
    """The staging of `table` holds only the rows that changed since the snapshot before (a full snapshot that feeds
    no multi-active satellite)."""
    return table.load == "full_snapshot" and not any(s.source == table.name for s in spec.of_kind(MultiActiveSatellite))


PREVIOUS_LOAD_TS = "previous_load_ts"


def table_loads(spec: Spec, table: Table) -> exp.Select:
    """Each load of `table` in the window with the load of the table before it (`previous_load_ts`, NULL for the
    first), from the load log and the raw rows: an empty snapshot (a load-log row, no raw rows) is a load."""
    raw = spec.project.raw
    load_ts = raw.load_timestamp_column
    logged = select(col(load_ts)).from_(source(raw.load_log_table), copy=False).where(
        exp.EQ(this=col("table_name"), expression=exp.Literal.string(table.name)), copy=False)
    loaded = exp.union(logged, select(col(load_ts)).from_(source(table.name), copy=False), distinct=True, copy=False)
    before = exp.Window(this=exp.Anonymous(this="LAG", expressions=[col(load_ts)]), order=exp.Order(expressions=[ascending(col(load_ts))]))
    sequenced = select(col(load_ts), alias(before, PREVIOUS_LOAD_TS)).from_(exp.Subquery(this=loaded, alias=exp.TableAlias(this=exp.to_identifier("loaded"))), copy=False)
    return select(col(load_ts), col(PREVIOUS_LOAD_TS)).from_(
        exp.Subquery(this=sequenced, alias=exp.TableAlias(this=exp.to_identifier("sequenced"))), copy=False
    ).where(load_window(load_ts), copy=False)


def snapshot_before_ctes(spec: Spec, table: Table) -> list[tuple[str, exp.Select]]:
    """CTEs `loads` (`table_loads`) and `snapshot_before` (per load of the window, the raw rows of the load before
    it; none with var('vaultgen_stage_whole'))."""
    load_ts = spec.project.raw.load_timestamp_column
    snapshot_before = select(alias(col(load_ts, "loads"), load_ts), *[col(c.name, "before") for c in table.columns]).from_(
        cte("loads", "loads"), copy=False).join(rows_of_load_before(spec, table, stage_changes()), copy=False)
    return [("loads", table_loads(spec, table)), ("snapshot_before", snapshot_before)]


def rows_of_load_before(spec: Spec, table: Table, condition: exp.Expression | None = None) -> exp.Join:
    """The join, to CTE `loads` (`table_loads`), of the raw rows (as "before") of each load's load before it."""
    load_ts = spec.project.raw.load_timestamp_column
    on: exp.Expression = exp.EQ(this=col(load_ts, "before"), expression=col(PREVIOUS_LOAD_TS, "loads"))
    if condition is not None:
        on = exp.and_(on, condition, copy=False)
    return join_node(source(table.name, "before"), "inner", on=on)


def _same_row_before(spec: Spec, table: Table) -> exp.Select:
    """The row of the snapshot before a load that equals the raw row in every column (NULLs equal)."""
    load_ts = spec.project.raw.load_timestamp_column
    same = [exp.EQ(this=col(load_ts, "snapshot_before"), expression=col(load_ts, "raw_row"))]
    same += [exp.NullSafeEQ(this=col(c.name, "snapshot_before"), expression=col(c.name, "raw_row")) for c in table.columns]
    return select(exp.Literal.number(1)).from_(cte("snapshot_before"), copy=False).where(exp.and_(*same, copy=False), copy=False)


def key_part(table: Table, column: str, hashing: Hashing, dialect: Dialect, table_alias: str | None = None) -> exp.Expression:
    """The normalised business key part of a column of `table`, as every hash key of it reads it."""
    return business_key_part((col(column, table_alias), parse_source_type(table.column(column).type).logical), hashing, dialect)


def key_part_names(table: Table, columns: list[str], taken: set[str]) -> dict[str, str]:
    """A column name per business key column for its normalised value, unlike any column of the table or `taken`."""
    taken = {c.name for c in table.columns} | taken
    names: dict[str, str] = {}
    for column in columns:
        name = f"{column}__key"
        while name in taken:
            name += "_"
        taken.add(name)
        names[column] = name
    return names
