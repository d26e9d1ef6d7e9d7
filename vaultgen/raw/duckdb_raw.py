"""The raw layer on DuckDB: one append-only table per source table plus the load log.

A batch is a set of source tables (each a full snapshot, or the changed rows of an incremental or CDC table)
stored under its batch id and load timestamp, with one load log row per table. The batch lifecycle
(`vaultgen.raw.lifecycle`) decides its load timestamp: a new batch is later than every batch already loaded; the
same batch id again is a corrected batch, which keeps its load timestamp and replaces its rows of the tables it
brings. Rows are staged and checked in bulk first (`vaultgen.raw.staging`), then applied in one transaction:
a refused batch leaves the raw layer as it was. DDL and DML are built with sqlglot; values travel as bound
parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.errors import LoadError, Location, Problem
from vaultgen.raw import staging
from vaultgen.raw.staging import execute
from vaultgen.raw.lifecycle import BatchDecision, LoadHistory, decide
from vaultgen.spec.model import Spec, Table
from vaultgen.types import parse_source_type

DIALECT = get_dialect("duckdb")


@dataclass(frozen=True)
class Batch:
    batch_id: str
    load_ts: datetime | None  # None: a known batch id keeps its load timestamp, a new one gets now (UTC)
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


def _tables_exist(connection, spec: Spec) -> None:
    """The raw schema must hold every spec table and the load log (create_raw_tables); else a located refusal."""
    raw = spec.project.raw
    query = (exp.select("table_name").from_(exp.table_("tables", db="information_schema"))
             .where(exp.EQ(this=exp.column("table_schema"), expression=exp.Placeholder())))
    present = {row[0] for row in execute(connection, query, [raw.schema_name]).fetchall()}
    wanted = [table.name for _, table in spec.tables()] + [raw.load_log_table]
    missing = [name for name in wanted if name not in present]
    if missing:
        raise LoadError([Problem("VG116", f"the raw layer lacks table(s) {', '.join(raw.schema_name + '.' + m for m in missing)}",
                                 Location("database"), "create them with vaultgen.raw.duckdb_raw.create_raw_tables (vaultgen load does)")])


def load_history(connection, spec: Spec) -> LoadHistory:
    """The load log, and the newest load timestamp of any raw row (rows written without log rows count too)."""
    raw = spec.project.raw
    log = execute(connection, exp.select(exp.column("table_name", quoted=True), exp.column(raw.batch_id_column, quoted=True),
                                      exp.column(raw.load_timestamp_column, quoted=True)).from_(_table(spec, raw.load_log_table))).fetchall()
    newest = [exp.select(exp.Max(this=exp.column(raw.load_timestamp_column, quoted=True))).from_(_table(spec, table.name)) for _, table in spec.tables()]
    union = newest[0]
    for select in newest[1:]:
        union = exp.union(union, select, distinct=False)
    stamps = [row[0] for row in execute(connection, union).fetchall() if row[0] is not None]
    return LoadHistory.from_log(log, max(stamps, default=None))


def _log_key(spec: Spec) -> exp.Expression:
    raw = spec.project.raw
    return exp.and_(exp.EQ(this=exp.column("table_name", quoted=True), expression=exp.Placeholder()),
                    exp.EQ(this=exp.column(raw.batch_id_column, quoted=True), expression=exp.Placeholder()))


def _apply(connection, spec: Spec, batch_id: str, load_ts: datetime, staged: Sequence[staging.Staged]) -> dict[str, int]:
    """Replace the batch's rows of every staged table and its load log rows. Runs inside the caller's transaction."""
    raw = spec.project.raw
    log = _table(spec, raw.load_log_table)
    counts = {}
    for stage in staged:
        target = _table(spec, stage.table.name)
        batch_column = exp.column(raw.batch_id_column, quoted=True)
        execute(connection, exp.Delete(this=target, where=exp.Where(this=exp.EQ(this=batch_column, expression=exp.Placeholder()))), [batch_id])
        names = [c.name for c in stage.table.columns]
        select = (exp.select(*[exp.column(n, quoted=True) for n in names], exp.cast(exp.Placeholder(), "TIMESTAMP"), exp.cast(exp.Placeholder(), "VARCHAR"))
                  .from_(stage.relation()))  # in the stage's order: DuckDB preserves insertion order
        columns = [*names, raw.load_timestamp_column, raw.batch_id_column]
        insert = exp.Insert(this=exp.Schema(this=target, expressions=[exp.to_identifier(n, quoted=True) for n in columns]), expression=select)
        execute(connection, insert, [load_ts, batch_id])
        count = stage.count(connection)
        execute(connection, exp.Delete(this=log, where=exp.Where(this=_log_key(spec))), [stage.table.name, batch_id])
        execute(connection, exp.Insert(this=log, expression=exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in range(4)])])),
             [stage.table.name, batch_id, load_ts, count])
        counts[stage.table.name] = count
    return counts


def _commit_batch(connection, spec: Spec, batch_id: str, requested: datetime | None, staged: Sequence[staging.Staged],
                  now: datetime | None, where: str, create: bool = False) -> tuple[BatchDecision, dict[str, int]]:
    """One transaction: (create the raw tables,) read the history, decide the load timestamp (or refuse), write.
    Drops the staged tables."""
    try:
        connection.execute("BEGIN TRANSACTION")
        try:
            if create:
                create_raw_tables(connection, spec)
            decision = decide(load_history(connection, spec), batch_id, requested, [s.table.name for s in staged],
                              now or datetime.now(timezone.utc), where)
            counts = _apply(connection, spec, batch_id, decision.load_ts, staged)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    finally:
        _drop_stages(connection, spec)
    return decision, counts


def _stage_name(table: Table) -> str:
    return f"vaultgen_stage_{table.name}"


def _drop_stages(connection, spec: Spec) -> None:
    for _, table in spec.tables():
        staging.drop(connection, _stage_name(table))


def load_batch(connection, spec: Spec, batch: Batch, now: datetime | None = None) -> dict[str, int]:
    """Store one batch (Python rows in the spec's column order per table) in the raw tables and the load log, in
    bulk. Refuses (LoadError, nothing written) bad rows and load timestamps the lifecycle forbids. Returns rows
    per table."""
    return load_rows(connection, spec, batch, now)[1]


def load_rows(connection, spec: Spec, batch: Batch, now: datetime | None = None) -> tuple[BatchDecision, dict[str, int]]:
    _tables_exist(connection, spec)
    known = {table.name: table for _, table in spec.tables()}
    unknown = sorted(set(batch.rows) - set(known))
    if not batch.rows:
        raise LoadError([Problem("VG100", "the batch has no tables", Location(f"batch {batch.batch_id}"), "a table with no rows is an empty list")])
    if unknown:
        raise LoadError([Problem("VG100", f"not source tables of the spec: {', '.join(unknown)}", Location(f"batch {batch.batch_id}"),
                                 f"tables: {', '.join(sorted(known))}")])
    staged: list[staging.Staged] = []
    try:
        for name, table in known.items():
            if name in batch.rows:  # a table not part of the batch: no snapshot, so no deletions either
                stage = staging.stage_rows(connection, table, batch.rows[name], _stage_name(table), f"{name} (batch {batch.batch_id})")
                staged.append(stage)
                staging.check_staged(connection, stage)
    except BaseException:
        _drop_stages(connection, spec)
        raise
    return _commit_batch(connection, spec, batch.batch_id, batch.load_ts, staged, now, f"batch {batch.batch_id}")


def load_folder(connection, spec: Spec, folder: Path, batch_id: str, load_ts: datetime | None, now: datetime | None = None,
                create: bool = True) -> tuple[BatchDecision, dict[str, int]]:
    """`vaultgen load`: one batch from a folder of <table>.csv / <table>.parquet files, through DuckDB's readers.
    With `create`, missing raw tables are created in the batch's transaction. A naive timestamp in a file is read
    in the connection's TimeZone (the CLI sets UTC)."""
    files = staging.batch_files(folder, [table for _, table in spec.tables()])
    if not create:
        _tables_exist(connection, spec)
    staged: list[staging.Staged] = []
    try:
        for _, table in spec.tables():
            if table.name in files:
                staged.append(staging.stage_file(connection, table, files[table.name], _stage_name(table)))
    except BaseException:
        _drop_stages(connection, spec)
        raise
    return _commit_batch(connection, spec, batch_id, load_ts, staged, now, f"batch {batch_id}", create)
