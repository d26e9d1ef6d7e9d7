"""Read full snapshots of the spec's source tables from PostgreSQL (the Aurora source), for local loads.

The connection is passed in (psycopg 3), so callers own credentials and lifetime. Tables and columns are read
by their source names (`source_name`, else the spec name) as the spec's names: "AlbumId" AS album_id.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from vaultgen.spec.model import Spec, Table, source_column


def source_select(table: Table) -> list[exp.Expression]:
    """The table's columns by their source names, each as its spec name where the two differ."""
    selected: list[exp.Expression] = []
    for column in table.columns:
        read = exp.column(source_column(column), quoted=True)
        selected.append(read if column.source_name in (None, column.name) else exp.alias_(read, column.name, quoted=True))
    return selected


def snapshot_query(table: Table, schema: str = "public") -> str:
    by_name = {column.name: column for column in table.columns}
    query = (
        exp.select(*source_select(table))
        .from_(exp.table_(table.source_table, db=schema, quoted=True))
        .order_by(*[exp.column(source_column(by_name[c]), quoted=True) for c in table.primary_key])
    )
    return query.sql("postgres")


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def read_snapshot(connection, spec: Spec, schema: str = "public") -> dict[str, list[tuple]]:
    """Every source table of the spec, read in one repeatable-read transaction so the snapshot is consistent."""
    snapshot: dict[str, list[tuple]] = {}
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for system, table in spec.tables():
            rows = connection.execute(snapshot_query(table, system.source_schema or schema)).fetchall()
            snapshot[table.name] = [tuple(_plain(value) for value in row) for row in rows]
    return snapshot
