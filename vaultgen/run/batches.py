"""The raw layer's batches as DuckDB holds them, and the build log beside the vault.

The fingerprint of a (table, batch) is computed from the raw rows themselves: `count:sum(hash(columns))`, the
DuckDB twin of the dbt macro vaultgen_fingerprint (macros/vaultgen_batches.sql), so that rows written by any
loader (vaultgen load, the Glue job, by hand) are covered. Queries are sqlglot trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from vaultgen.emit.dbt_project import BUILD_LOG, BUILD_LOG_SCHEMA
from vaultgen.spec.model import Spec
from vaultgen.sql.common import alias, col, union_all

DIALECT = "duckdb"


@dataclass(frozen=True, order=True)
class BatchKey:
    table: str
    batch_id: str


@dataclass(frozen=True)
class BatchState:
    load_ts: datetime
    fingerprint: str


def _text(value: exp.Expression) -> exp.Expression:
    return exp.cast(value, "VARCHAR")


def _fingerprint(columns: list[str]) -> exp.Expression:
    row_hash = exp.Anonymous(this="hash", expressions=[col(c) for c in columns])
    total = exp.Coalesce(this=exp.Sum(this=row_hash), expressions=[exp.Literal.number(0)])
    return exp.DPipe(this=exp.DPipe(this=_text(exp.Count(this=exp.Star())), expression=exp.Literal.string(":")), expression=_text(total))


def raw_batches_query(spec: Spec) -> exp.Expression:
    """(table_name, batch_id, load_ts, fingerprint) of every group of raw rows."""
    raw = spec.project.raw
    branches = [
        exp.select(
            alias(exp.Literal.string(table.name), "table_name"),
            alias(col(raw.batch_id_column), "batch_id"),
            alias(col(raw.load_timestamp_column), "load_ts"),
            alias(_fingerprint([c.name for c in table.columns]), "fingerprint"),
        )
        .from_(exp.table_(table.name, db=raw.schema_name, quoted=True))
        .group_by(col(raw.batch_id_column), col(raw.load_timestamp_column))
        for _, table in spec.tables()
    ]
    return union_all(branches)


def load_log_query(spec: Spec) -> exp.Select:
    raw = spec.project.raw
    return exp.select(
        col("table_name"), alias(col(raw.batch_id_column), "batch_id"), alias(col(raw.load_timestamp_column), "load_ts")
    ).from_(exp.table_(raw.load_log_table, db=raw.schema_name, quoted=True))


def current_batches(connection, spec: Spec) -> tuple[dict[BatchKey, BatchState], list[tuple[BatchKey, datetime]]]:
    """Every (table, batch) of the raw layer (its raw rows' groups and the load log's rows; an empty snapshot has
    only the latter), and the groups of raw rows that have no load-log row."""
    raw_rows = connection.execute(raw_batches_query(spec).sql(DIALECT)).fetchall()
    logged = connection.execute(load_log_query(spec).sql(DIALECT)).fetchall()
    batches = {BatchKey(table, batch_id): BatchState(load_ts, "0:0") for table, batch_id, load_ts in logged}
    unlogged = []
    for table, batch_id, load_ts, fingerprint in raw_rows:
        key = BatchKey(table, batch_id)
        if key not in batches:
            unlogged.append((key, load_ts))
        batches[key] = BatchState(load_ts, fingerprint)
    return batches, sorted(unlogged)


def build_log_table() -> exp.Table:
    return exp.table_(BUILD_LOG, db=BUILD_LOG_SCHEMA, quoted=True)


def built_batches(connection) -> dict[BatchKey, BatchState]:
    """The build log: what the vault was built from (empty before the first run)."""
    exists = exp.select(exp.Count(this=exp.Star())).from_(exp.table_("tables", db="information_schema")).where(exp.and_(
        exp.EQ(this=col("table_schema"), expression=exp.Literal.string(BUILD_LOG_SCHEMA)),
        exp.EQ(this=col("table_name"), expression=exp.Literal.string(BUILD_LOG)),
    ))
    if not connection.execute(exists.sql(DIALECT)).fetchone()[0]:
        return {}
    query = exp.select(col("table_name"), col("batch_id"), col("load_ts"), col("fingerprint")).from_(build_log_table())
    return {BatchKey(t, b): BatchState(ts, f) for t, b, ts, f in connection.execute(query.sql(DIALECT)).fetchall()}


def rows_per_layer(connection, schemas: list[str]) -> dict[str, int]:
    """Rows in the tables of each vault schema (views are not counted)."""
    listing = exp.select(col("table_schema"), col("table_name")).from_(exp.table_("tables", db="information_schema")).where(exp.and_(
        exp.In(this=col("table_schema"), expressions=[exp.Literal.string(s) for s in schemas]),
        exp.EQ(this=col("table_type"), expression=exp.Literal.string("BASE TABLE")),
    )).order_by(col("table_schema"), col("table_name"))
    totals = {schema: 0 for schema in schemas}
    for schema, table in connection.execute(listing.sql(DIALECT)).fetchall():
        count = exp.select(exp.Count(this=exp.Star())).from_(exp.table_(table, db=schema, quoted=True))
        totals[schema] += connection.execute(count.sql(DIALECT)).fetchone()[0]
    return totals
