"""The raw layer on DuckDB: one append-only table per source table plus the load log.

Each batch is a full snapshot stored under its load timestamp and batch id. Loading a batch again replaces
that batch's rows (delete + insert in one transaction), so a rerun never duplicates. DDL and DML are built
with sqlglot; values travel as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.spec.model import Spec, Table
from vaultgen.types import parse_source_type

DIALECT = get_dialect("duckdb")


@dataclass(frozen=True)
class Batch:
    batch_id: str
    load_ts: datetime
    rows: Mapping[str, Sequence[Sequence[Any]]]  # table name -> rows in the spec's column order


def _table(spec: Spec, name: str) -> exp.Table:
    return exp.table_(name, db=spec.project.raw.schema_name, quoted=True)


def _columns(spec: Spec, table: Table) -> list[exp.ColumnDef]:
    raw = spec.project.raw
    definitions = [
        exp.ColumnDef(this=exp.to_identifier(c.name, quoted=True), kind=exp.DataType.build(DIALECT.column_type(parse_source_type(c.type)), dialect="duckdb"))
        for c in table.columns
    ]
    definitions.append(exp.ColumnDef(this=exp.to_identifier(raw.load_timestamp_column, quoted=True), kind=exp.DataType.build("TIMESTAMP")))
    definitions.append(exp.ColumnDef(this=exp.to_identifier(raw.batch_id_column, quoted=True), kind=exp.DataType.build("VARCHAR")))
    return definitions


def _log_columns(spec: Spec) -> list[exp.ColumnDef]:
    raw = spec.project.raw
    return [
        exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(kind))
        for name, kind in (("table_name", "VARCHAR"), (raw.batch_id_column, "VARCHAR"), (raw.load_timestamp_column, "TIMESTAMP"), ("row_count", "BIGINT"))
    ]


def _create(table: exp.Table, columns: list[exp.ColumnDef]) -> str:
    return exp.Create(this=exp.Schema(this=table, expressions=columns), kind="TABLE", exists=True).sql("duckdb")


def create_raw_tables(connection, spec: Spec) -> None:
    connection.execute(exp.Create(this=exp.to_identifier(spec.project.raw.schema_name, quoted=True), kind="SCHEMA", exists=True).sql("duckdb"))
    for _, table in spec.tables():
        connection.execute(_create(_table(spec, table.name), _columns(spec, table)))
    connection.execute(_create(_table(spec, spec.project.raw.load_log_table), _log_columns(spec)))


def _delete_batch(table: exp.Table, column: str, batch_id: str) -> str:
    return exp.Delete(this=table, where=exp.Where(this=exp.EQ(this=exp.column(column, quoted=True), expression=exp.Placeholder()))).sql("duckdb")


def _insert(table: exp.Table, width: int) -> str:
    values = exp.Tuple(expressions=[exp.Placeholder() for _ in range(width)])
    return exp.Insert(this=table, expression=exp.Values(expressions=[values])).sql("duckdb")


def load_batch(connection, spec: Spec, batch: Batch) -> dict[str, int]:
    """Store one batch of full snapshots in the raw tables and the load log. Returns rows per table."""
    raw = spec.project.raw
    counts: dict[str, int] = {}
    log = _table(spec, raw.load_log_table)
    connection.execute("BEGIN TRANSACTION")
    try:
        for _, table in spec.tables():
            if table.name not in batch.rows:
                continue  # this table was not part of the batch: no snapshot, so no deletions either
            target = _table(spec, table.name)
            rows = [(*row, batch.load_ts, batch.batch_id) for row in batch.rows[table.name]]
            connection.execute(_delete_batch(target, raw.batch_id_column, batch.batch_id), [batch.batch_id])
            if rows:
                connection.executemany(_insert(target, len(rows[0])), rows)
            connection.execute(
                exp.Delete(this=log, where=exp.Where(this=exp.and_(
                    exp.EQ(this=exp.column("table_name", quoted=True), expression=exp.Placeholder()),
                    exp.EQ(this=exp.column(raw.batch_id_column, quoted=True), expression=exp.Placeholder()),
                ))).sql("duckdb"),
                [table.name, batch.batch_id],
            )
            connection.execute(_insert(log, 4), [table.name, batch.batch_id, batch.load_ts, len(rows)])
            counts[table.name] = len(rows)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return counts
