"""Write the raw layer directly, as a loader other than `vaultgen load` could (the Glue job, a hand-written
script): late batches, corrected rows, rows without load-log rows. And compare a vault with a fresh build of the
same raw layer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import duckdb
from sqlglot import exp

from vaultgen.dbt_runner import run_dbt
from vaultgen.raw.duckdb_raw import create_raw_tables
from vaultgen.spec.model import Spec

VAULT_SCHEMAS = ("raw_vault", "business_vault", "marts")


def _table(spec: Spec, name: str) -> exp.Table:
    return exp.table_(name, db=spec.project.raw.schema_name, quoted=True)


def _where_batch(spec: Spec, table_name: str | None, batch_id: str) -> exp.Expression:
    condition = exp.EQ(this=exp.column(spec.project.raw.batch_id_column, quoted=True), expression=exp.Literal.string(batch_id))
    if table_name is not None:
        condition = exp.and_(condition, exp.EQ(this=exp.column("table_name", quoted=True), expression=exp.Literal.string(table_name)))
    return condition


def write_raw(database: Path, spec: Spec, table: str, batch_id: str, load_ts: datetime, rows: Sequence[Sequence[Any]], log: bool = True) -> None:
    """Replace the rows of (table, batch) in the raw layer, with its load-log row unless `log` is false. No checks."""
    raw = spec.project.raw
    with duckdb.connect(str(database)) as connection:
        connection.execute(exp.delete(_table(spec, table), where=_where_batch(spec, None, batch_id)).sql("duckdb"))
        connection.execute(exp.delete(_table(spec, raw.load_log_table), where=_where_batch(spec, table, batch_id)).sql("duckdb"))
        width = len(spec.table(table).columns) + 2
        insert = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in range(width)])]), _table(spec, table))
        if rows:
            connection.executemany(insert.sql("duckdb"), [(*row, load_ts, batch_id) for row in rows])
        if log:
            logged = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in range(4)])]), _table(spec, raw.load_log_table))
            connection.execute(logged.sql("duckdb"), [table, batch_id, load_ts, len(rows)])


def vault_tables(database: Path) -> dict[str, list[tuple]]:
    """Every row of every vault table (not views; the build log is in a schema of its own), sorted."""
    with duckdb.connect(str(database), read_only=True) as connection:
        listing = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and table_schema in (?, ?, ?)"
            " order by all", list(VAULT_SCHEMAS)).fetchall()
        return {f"{schema}.{name}": sorted(connection.execute(exp.select("*").from_(exp.table_(name, db=schema, quoted=True)).sql("duckdb")).fetchall(), key=repr)
                for schema, name in listing}


def fresh_build(database: Path, spec: Spec, project: Path, work_dir: Path) -> Path:
    """A new DuckDB file holding a copy of `database`'s raw layer, built from scratch by one `dbt build`. dbt's
    target/ in `work_dir` is kept, so that builds of one project reuse its parsed manifest."""
    fresh = work_dir / "fresh.duckdb"
    work_dir.mkdir(parents=True, exist_ok=True)
    fresh.unlink(missing_ok=True)
    Path(f"{fresh}.wal").unlink(missing_ok=True)
    raw = spec.project.raw
    with duckdb.connect(str(fresh)) as connection:
        create_raw_tables(connection, spec)
        connection.execute(f"attach '{database}' as vault (read_only)")
        for name in [table.name for _, table in spec.tables()] + [raw.load_log_table]:
            source = exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(raw.schema_name, quoted=True), catalog=exp.to_identifier("vault"))
            connection.execute(exp.insert(exp.select("*").from_(source), _table(spec, name)).sql("duckdb"))
        connection.execute("detach vault")
    run_dbt(["build"], project, work_dir, fresh, partial_parse=True)
    return fresh


def differences_from_fresh_build(database: Path, spec: Spec, project: Path, work_dir: Path) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """{table: (rows only in the vault, rows only in the fresh build)} for every table that differs."""
    ours, theirs = vault_tables(database), vault_tables(fresh_build(database, spec, project, work_dir))
    differing = {}
    for name in sorted(set(ours) | set(theirs)):
        mine, fresh = ours.get(name, []), theirs.get(name, [])
        if mine != fresh:
            differing[name] = ([r for r in mine if r not in fresh], [r for r in fresh if r not in mine])
    return differing
