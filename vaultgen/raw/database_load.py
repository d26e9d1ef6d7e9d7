"""`vaultgen load --from URL`: one batch read from a live database (PostgreSQL, DuckDB or SQLite) in bulk.

The source is ATTACHed read-only to the raw layer's DuckDB connection; every spec table is copied into a staged
temp table with one `CREATE TEMP TABLE AS SELECT "AlbumId" AS album_id, ...` (DuckDB's scanners read PostgreSQL
with COPY in binary, never row by row), typed with TRY_CAST by the spec and checked like a file batch
(vaultgen.raw.staging). All tables are read in ONE DuckDB transaction, which the postgres extension runs as one
REPEATABLE READ transaction on the server: the batch is a consistent snapshot even while the source changes.
An incremental table brings only its rows at or past the highest watermark loaded before (as the Glue job).
Then the batch is applied like any other (vaultgen.raw.duckdb_raw: same lifecycle rules, same load log rows,
one transaction, nothing written on a refusal).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlglot import exp

from vaultgen.errors import Location
from vaultgen.raw import staging
from vaultgen.raw.duckdb_raw import _commit_batch, _drop_stages, _stage_name, _table, load_history
from vaultgen.raw.lifecycle import BatchDecision, LoadHistory, decide
from vaultgen.raw.postgres_source import source_select
from vaultgen.raw.staging import ROW, execute
from vaultgen.source import ALIAS, SourceUrl, attach
from vaultgen.spec.model import Spec, Table, source_column


def _raw_tables_exist(connection, spec: Spec) -> bool:
    query = (exp.select(exp.Count(this=exp.Star())).from_(exp.table_("tables", db="information_schema"))
             .where(exp.and_(exp.EQ(this=exp.column("table_schema"), expression=exp.Literal.string(spec.project.raw.schema_name)),
                             exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(spec.project.raw.load_log_table)))))
    return execute(connection, query).fetchone()[0] > 0


def _watermark_bound(connection, spec: Spec, table: Table, before: datetime):
    """The highest watermark of the table's batches loaded before `before` (None: the table's first batch)."""
    raw = spec.project.raw
    query = (exp.select(exp.Max(this=exp.column(table.watermark_column, quoted=True))).from_(_table(spec, table.name))
             .where(exp.LT(this=exp.column(raw.load_timestamp_column, quoted=True), expression=exp.cast(exp.Placeholder(), "TIMESTAMP"))))
    return execute(connection, query, [before]).fetchone()[0]


def source_relation(table: Table, schema: str, alias: str = ALIAS) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table.source_table, quoted=True), db=exp.to_identifier(schema, quoted=True),
                     catalog=exp.to_identifier(alias, quoted=True))


def _read(table: Table, schema: str, bound) -> exp.Subquery:
    """SELECT "AlbumId" AS album_id, ..., row_number() AS __vaultgen_row FROM the source [WHERE watermark >= bound]."""
    number = exp.Window(this=exp.RowNumber())
    select = exp.select(*source_select(table), exp.alias_(number, ROW, quoted=True)).from_(source_relation(table, schema))
    if bound is not None:
        watermark = table.column(table.watermark_column)
        select = select.where(exp.GTE(this=exp.column(source_column(watermark), quoted=True), expression=exp.Placeholder()))
    return select.subquery("source_rows")


def load_database(connection, spec: Spec, url: SourceUrl, batch_id: str, load_ts: datetime | None, schema: str | None = None,
                  now: datetime | None = None, on_table: Callable[[str, int], None] | None = None) -> tuple[BatchDecision, dict[str, int]]:
    """Load every spec table from the source as batch `batch_id`. `on_table(table, rows)` is called after each table is
    staged (progress; the tests change the source there to prove the snapshot is consistent)."""
    now = now or datetime.now(timezone.utc)
    attach(connection, url)
    try:
        # the load timestamp this batch will get (decided again, under the write transaction, by _commit_batch)
        history = load_history(connection, spec) if _raw_tables_exist(connection, spec) else LoadHistory()
        decision = decide(history, batch_id, load_ts, [t.name for _, t in spec.tables()], now, f"batch {batch_id}")
        staged: list[staging.Staged] = []
        try:
            connection.execute("BEGIN TRANSACTION")  # one source snapshot for every table
            try:
                for system, table in spec.tables():
                    source_schema = schema or system.source_schema or url.default_schema
                    bound = None
                    if table.load == "incremental" and history.latest is not None:
                        bound = _watermark_bound(connection, spec, table, decision.load_ts)
                    where = f"{url.shown}/{source_schema}.{table.source_table}"
                    stage = _stage_from(connection, table, _read(table, source_schema, bound), [] if bound is None else [bound], where)
                    staged.append(stage)
                    staging.check_staged(connection, stage)
                    if on_table is not None:
                        on_table(table.name, stage.count(connection))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except BaseException:
            _drop_stages(connection, spec)
            raise
        return _commit_batch(connection, spec, batch_id, load_ts, staged, now, f"batch {batch_id}", create=True)
    finally:
        connection.execute(exp.Detach(this=exp.to_identifier(ALIAS, quoted=True), exists=True).sql("duckdb"))


def _stage_from(connection, table: Table, source: exp.Subquery, parameters: list, where: str) -> staging.Staged:
    """The source rows in the stage, through the same TRY_CAST staging as parquet files and Python rows."""
    if not parameters:
        def locate(row: int, column: str | None) -> Location:
            return Location(where, row, [c.name for c in table.columns].index(column) + 1 if column else 0)

        return staging._stage_cast(connection, table, source, exp.column(ROW, quoted=True), _stage_name(table), locate, "source row")
    # a bound parameter cannot travel through the stage's later queries: materialize the incremental read first
    name = f"{_stage_name(table)}_read"
    staging.drop(connection, name)
    execute(connection, exp.Create(this=exp.table_(name, db="main", catalog="temp", quoted=True), kind="TABLE",
                                   expression=exp.select(exp.Star()).from_(source),
                                   properties=exp.Properties(expressions=[exp.TemporaryProperty()])), parameters)
    try:
        return _stage_from(connection, table, exp.select(exp.Star()).from_(exp.table_(name, db="main", catalog="temp", quoted=True)).subquery("source_rows"), [], where)
    finally:
        staging.drop(connection, name)
