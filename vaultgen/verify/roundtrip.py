"""Compare every source table rebuilt from the vault with the raw snapshot of the same batch (DuckDB)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from vaultgen.spec.model import Spec
from vaultgen.sql.common import descending, row_number_is_first
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
    """The source table as loaded at `at`: that batch's snapshot, or, for an incremental table, the latest row of
    every key loaded up to then (the newest batch first, then the highest watermark)."""
    table = spec.table(table_name)
    raw = spec.project.raw
    load_ts = exp.column(raw.load_timestamp_column, quoted=True)
    moment = exp.cast(exp.Literal.string(at.isoformat(sep=" ")), "TIMESTAMP")
    columns = [exp.column(c.name, quoted=True) for c in table.columns]
    select = exp.select(*columns).from_(exp.table_(table.name, db=raw.schema_name, quoted=True))
    if table.load != "incremental":
        return select.where(exp.EQ(this=load_ts, expression=moment))
    newest_first = [descending(load_ts.copy()), descending(exp.column(table.watermark_column, quoted=True))]
    return select.where(exp.LTE(this=load_ts, expression=moment)).qualify(
        row_number_is_first([exp.column(name, quoted=True) for name in table.primary_key], newest_first))


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
