"""Load strategies: how a table's batch is read from the source and written to its raw table.

The spec's `Table.load` picks one. Both write a batch with `IcebergTarget.replace_batch`, so a rerun of a batch
replaces its rows and never duplicates them.

- full_snapshot: every row, every batch. A key's absence from a snapshot is what record tracking reads as a
  deletion.
- incremental: the rows whose watermark column is at or above the highest watermark loaded by the table's earlier
  batches (every row on the first batch). The bound is inclusive: rows committed in the source after the previous
  read but carrying that same watermark value are not lost. The price is that boundary rows arrive again; the
  vault ignores them, since their hashdiff has not changed. The bound comes from the raw table itself, so no
  state is kept anywhere else. Only the latest batch of an incremental table can be rerun: rerunning an older one
  would overlap the batches after it, so it fails with a clear message. Deletions never reach an incremental
  table, so the spec rejects record tracking satellites on incremental sources (VG047).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from raw_extract.plan import TablePlan
from raw_extract.source import JdbcSource
from raw_extract.sql import pg_identifier, pg_string
from raw_extract.target import IcebergTarget

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class BatchRead:
    """What a strategy needs to read one table's batch."""

    source: JdbcSource
    target: IcebergTarget
    table: TablePlan
    columns: list[str]  # the spec's names
    load_ts: datetime  # aware UTC

    def select(self, where: str | None = None):
        """The table's columns read by their source names, as the spec's names."""
        plan = self.table
        return self.source.select(plan.source, [plan.column(name).source for name in self.columns], where, aliases=self.columns)


class LoadStrategy(Protocol):
    mode: str

    def read(self, batch: BatchRead) -> tuple[object, str]:
        """The batch's rows of the spec's columns as a (lazy) DataFrame, and one line for the report on what was read."""


class FullSnapshot:
    mode = "full_snapshot"

    def read(self, batch: BatchRead) -> tuple[object, str]:
        return batch.select(), "full snapshot"


class IncrementalLoadError(Exception):
    """An incremental batch cannot be read without losing or overlapping rows."""


class Incremental:
    mode = "incremental"

    def read(self, batch: BatchRead) -> tuple[object, str]:
        bound = self.lower_bound(batch)
        column = batch.table.watermark_column
        if bound is None:
            return batch.select(), f"incremental on {column}: every row (first batch)"
        where = f"{pg_identifier(batch.table.column(column).source)} >= {bound}"
        return batch.select(where), f"incremental: {where}"

    def lower_bound(self, batch: BatchRead) -> str | None:
        """The highest watermark of the table's earlier batches, as a PostgreSQL literal of the column's source
        type; None on the table's first batch."""
        from pyspark.sql import functions as F

        target, table = batch.target, batch.table
        if not target.exists(table.name):
            return None
        load_ts = F.col(target.batch.load_ts)
        moment = F.lit(batch.load_ts.isoformat()).cast("timestamp")
        raw = target.spark.table(target.name(table.name))
        later = raw.where(load_ts > moment).agg(F.min(load_ts)).collect()[0][0]
        if later is not None:
            raise IncrementalLoadError(
                f"table {table.name} already holds a later batch (loaded {later}); an incremental table can rerun only its latest batch"
            )
        watermark = table.column(table.watermark_column)
        # exact text of the maximum: an instant as microseconds since the epoch (no time zone can shift it), any
        # other type as Spark's string of it (wall-clock timestamps, dates, integers and decimals print exactly)
        instant = watermark.logical == "timestamptz"
        maximum = F.unix_micros(F.max(watermark.name)) if instant else F.max(watermark.name).cast("string")
        value = raw.where(load_ts < moment).agg(maximum).collect()[0][0]
        if value is None:
            return None
        text = (EPOCH + timedelta(microseconds=int(value))).isoformat() if instant else str(value)
        return f"CAST({pg_string(text)} AS {watermark.source_type})"


STRATEGIES: dict[str, LoadStrategy] = {strategy.mode: strategy for strategy in (FullSnapshot(), Incremental())}
