"""Compare every source table rebuilt from the vault with the raw snapshot of the same batch (DuckDB)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from vaultgen.spec.model import Spec
from vaultgen.verify.reconstruct import reconstruct_query


@dataclass(frozen=True)
class TableComparison:
    table: str
    source_rows: int
    missing_from_vault: list[tuple]  # in the snapshot, not rebuilt
    extra_in_vault: list[tuple]  # rebuilt, not in the snapshot

    @property
    def equal(self) -> bool:
        return not self.missing_from_vault and not self.extra_in_vault


def _snapshot_query(spec: Spec, table_name: str, at: datetime) -> exp.Select:
    table = spec.table(table_name)
    raw = spec.project.raw
    return (
        exp.select(*[exp.column(c.name, quoted=True) for c in table.columns])
        .from_(exp.table_(table.name, db=raw.schema_name, quoted=True))
        .where(exp.EQ(this=exp.column(raw.load_timestamp_column, quoted=True), expression=exp.cast(exp.Literal.string(at.isoformat(sep=" ")), "TIMESTAMP")))
    )


def compare_batch(connection, spec: Spec, at: datetime, limit: int = 20) -> list[TableComparison]:
    """For each source table: the snapshot loaded at `at` versus the table rebuilt from the vault as of `at`."""
    results = []
    for _, table in spec.tables():
        snapshot = _snapshot_query(spec, table.name, at)
        rebuilt = reconstruct_query(spec, table, at).query
        missing = exp.except_(snapshot.copy(), rebuilt.copy(), distinct=False).limit(limit)
        extra = exp.except_(rebuilt.copy(), snapshot.copy(), distinct=False).limit(limit)
        count = exp.select(exp.Count(this=exp.Star())).from_(snapshot.subquery("snapshot"))
        results.append(
            TableComparison(
                table.name,
                connection.execute(count.sql("duckdb")).fetchone()[0],
                connection.execute(missing.sql("duckdb")).fetchall(),
                connection.execute(extra.sql("duckdb")).fetchall(),
            )
        )
    return results
