"""Read full snapshots of the spec's source tables from PostgreSQL (the Aurora source), for local loads.

The connection is passed in (psycopg 3), so callers own credentials and lifetime.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from vaultgen.spec.model import Spec, Table


def snapshot_query(table: Table, schema: str = "public") -> str:
    query = (
        exp.select(*[exp.column(c.name, quoted=True) for c in table.columns])
        .from_(exp.table_(table.name, db=schema, quoted=True))
        .order_by(*[exp.column(c, quoted=True) for c in table.primary_key])
    )
    return query.sql("postgres")


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def read_snapshot(connection, spec: Spec, schema: str = "public") -> dict[str, list[tuple]]:
    """Every source table of the spec, read in one repeatable-read transaction so the snapshot is consistent."""
    snapshot: dict[str, list[tuple]] = {}
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for _, table in spec.tables():
            rows = connection.execute(snapshot_query(table, schema)).fetchall()
            snapshot[table.name] = [tuple(_plain(value) for value in row) for row in rows]
    return snapshot
