"""run_extract: one batch of every (or some) spec source table into the raw Iceberg tables and the load log.

Each table is its own unit: read, write (one Iceberg commit), count, log row (one more commit). A table that
fails is reported and the others go on; the caller (glue/job.py) exits non-zero when any table failed. A batch
can be rerun with the same batch id: its rows and its log rows are replaced, never duplicated.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from raw_extract.plan import ExtractPlan, TablePlan
from raw_extract.source import Credentials, JdbcSource
from raw_extract.strategies import EPOCH, STRATEGIES, BatchRead
from raw_extract.target import BatchColumns, IcebergTarget

LOAD_TS_TYPE = "timestamp"  # an instant: Iceberg timestamptz
BATCH_ID_TYPE = "string"

log = logging.getLogger("raw_extract")


@dataclass
class TableResult:
    table: str
    row_count: int | None = None
    read: str = ""  # what the load strategy read: "full snapshot", or the incremental bound
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ExtractReport:
    batch_id: str
    load_ts: datetime
    results: list[TableResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failed(self) -> list[TableResult]:
        return [result for result in self.results if not result.ok]

    def counts(self) -> dict[str, int]:
        return {result.table: result.row_count for result in self.results if result.ok and result.row_count is not None}

    def lines(self) -> list[str]:
        lines = [f"batch {self.batch_id} at {self.load_ts.isoformat()}: {len(self.results) - len(self.failed)} tables loaded, {len(self.failed)} failed"]
        for result in self.results:
            status = f"{result.row_count} rows, {result.read}" if result.ok else f"FAILED: {result.error}"
            lines.append(f"  {result.table}: {status} ({result.seconds:.1f} s)")
            lines.extend(f"    warning: {warning}" for warning in result.warnings)
            if result.added_columns:
                lines.append(f"    added columns: {', '.join(result.added_columns)}")
        return lines


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC already."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _raw_schema(plan: ExtractPlan, table: TablePlan):
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    raw = plan.raw
    # source columns stay nullable in the raw layer: a NOT NULL dropped in the source must not fail a load
    fields = [StructField(column.name, _parse_datatype_string(column.spark_type), True) for column in table.columns]
    fields.append(StructField(raw.load_timestamp_column, _parse_datatype_string(LOAD_TS_TYPE), False))
    fields.append(StructField(raw.batch_id_column, _parse_datatype_string(BATCH_ID_TYPE), False))
    return StructType(fields)


def _log_schema(plan: ExtractPlan):
    from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

    raw = plan.raw
    return StructType([
        StructField("table_name", StringType(), False),
        StructField(raw.batch_id_column, StringType(), False),
        StructField(raw.load_timestamp_column, TimestampType(), False),
        StructField("row_count", LongType(), False),
    ])


def _load_ts_literal(load_ts: datetime):
    from pyspark.sql import functions as F

    # an ISO string with its +00:00 offset is read as that instant whatever the session time zone is
    return F.lit(utc(load_ts).isoformat()).cast("timestamp")


def _extract_table(spark, plan: ExtractPlan, table: TablePlan, source: JdbcSource, target: IcebergTarget, batch_id: str, load_ts: datetime,
                   result: TableResult) -> None:
    from pyspark.sql import functions as F

    raw = plan.raw
    strategy = STRATEGIES.get(table.load)
    if strategy is None:
        raise ValueError(f"no load strategy for mode '{table.load}' (known: {', '.join(sorted(STRATEGIES))})")
    wanted = [column.name for column in table.columns]
    present = source.columns(table.source)  # by the source's own names (the spec's source_name mapping)
    if not present:
        raise ValueError(f"source table {source.schema}.{table.source} does not exist or has no columns")
    missing = [column.source for column in table.columns if column.source not in present]
    if missing:
        raise ValueError(f"source table {source.schema}.{table.source} lacks the spec's column(s) {', '.join(missing)}")
    unknown = [name for name in present if name not in {column.source for column in table.columns}]
    if unknown:
        result.warnings.append(f"source column(s) not in the spec, not loaded: {', '.join(unknown)} (add them to the spec to carry them)")
    frame, result.read = strategy.read(BatchRead(source, target, table, wanted, utc(load_ts)))
    schema = _raw_schema(plan, table)
    frame = frame.select(
        *[F.col(field.name).cast(field.dataType).alias(field.name) for field in schema.fields[: len(wanted)]],
        _load_ts_literal(load_ts).alias(raw.load_timestamp_column),
        F.lit(batch_id).alias(raw.batch_id_column),
    )
    result.added_columns = target.ensure_table(table.name, schema)
    target.replace_batch(table.name, frame, batch_id)
    result.row_count = target.batch_count(table.name, batch_id)
    _log_batch(spark, plan, target, table.name, batch_id, load_ts, result.row_count)


def _log_batch(spark, plan: ExtractPlan, target: IcebergTarget, table_name: str, batch_id: str, load_ts: datetime, row_count: int) -> None:
    """One load log row per table and batch (an empty snapshot logs 0): replaces the row of a rerun."""
    from pyspark.sql import functions as F

    raw = plan.raw
    row = spark.createDataFrame([(table_name, batch_id, utc(load_ts), int(row_count))], _log_schema(plan))
    target.replace_batch(raw.load_log_table, row, batch_id, extra_condition=F.col("table_name") == F.lit(table_name))


def ensure_load_log(target: IcebergTarget, plan: ExtractPlan) -> None:
    target.ensure_table(plan.raw.load_log_table, _log_schema(plan), {"write.metadata.metrics.default": "full"})


def _collected_utc(value: datetime | None) -> datetime | None:
    """A timestamp Spark collected (naive in the session time zone, UTC on the job's sessions) as aware UTC."""
    return None if value is None else value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def previous_load_ts(spark, plan: ExtractPlan, target: IcebergTarget, batch_id: str) -> datetime | None:
    """The load timestamp a batch was logged with, so a rerun keeps its batch's timestamp."""
    from pyspark.sql import functions as F

    raw = plan.raw
    if not target.exists(raw.load_log_table):
        return None
    rows = spark.table(target.name(raw.load_log_table)).where(F.col(raw.batch_id_column) == F.lit(batch_id)).agg(F.min(raw.load_timestamp_column)).collect()
    return _collected_utc(rows[0][0] if rows else None)


class BatchStampError(ValueError):
    """The batch's load timestamp breaks the batch lifecycle: nothing of the batch was written."""


def check_batch_stamp(spark, plan: ExtractPlan, target: IcebergTarget, batch_id: str, load_ts: datetime, tables: list[str]) -> None:
    """Load timestamps are arrival times (the same rules as vaultgen.raw.lifecycle for DuckDB): a new batch id is
    later than every batch in the load log and in these raw tables; a known batch id keeps its load timestamp and
    takes a table it did not log only while it is the newest batch."""
    from pyspark.sql import functions as F

    raw = plan.raw
    load_ts = utc(load_ts)
    stamps = [target.name(name) for name in [raw.load_log_table, *tables] if target.exists(name)]
    latest = max((_collected_utc(spark.table(name).agg(F.max(raw.load_timestamp_column)).collect()[0][0]) for name in stamps),
                 key=lambda value: value or EPOCH, default=None)
    logged = spark.table(target.name(raw.load_log_table)).where(F.col(raw.batch_id_column) == F.lit(batch_id)) \
        .select("table_name", raw.load_timestamp_column).collect() if target.exists(raw.load_log_table) else []
    if not logged:
        if latest is not None and load_ts <= latest:
            raise BatchStampError(f"new batch {batch_id} at {load_ts.isoformat()} is not later than the newest batch already loaded"
                                  f" ({latest.isoformat()}): load timestamps are arrival times; omit --load_ts (now) or pass a later one")
        return
    originals = {_collected_utc(row[1]) for row in logged}
    if originals != {load_ts}:
        shown = ", ".join(sorted(value.isoformat() for value in originals))
        raise BatchStampError(f"batch {batch_id} was loaded at {shown}; a rerun keeps its load timestamp, not {load_ts.isoformat()}"
                              " (omit --load_ts)")
    lacking = sorted(set(tables) - {row[0] for row in logged})
    if lacking and latest is not None and load_ts < latest:
        raise BatchStampError(f"batch {batch_id} (loaded {load_ts.isoformat()}) had no {', '.join(lacking)}; adding a table to a batch older than"
                              f" the newest ({latest.isoformat()}) would be a late batch of that table: load it as a new batch id")


def run_extract(
    spark,
    plan: ExtractPlan,
    jdbc_url: str,
    credentials: Credentials,
    batch_id: str,
    load_ts: datetime,
    tables: list[str] | None = None,
    *,
    catalog: str = "spark_catalog",
    source_schema: str = "public",
) -> ExtractReport:
    """Load one batch: every table of the plan (or `tables`, in plan order) into `<catalog>.<raw database>.<table>`.

    Never raises for a table's failure: see the report. Raises ValueError for arguments that name no plan table,
    and BatchStampError (a ValueError) for a load timestamp the batch lifecycle refuses (check_batch_stamp).
    """
    plan_tables = list(plan.tables)
    if tables is not None:
        unknown = sorted(set(tables) - {table.name for table in plan_tables})
        if unknown:
            raise ValueError(f"not spec source tables: {', '.join(unknown)}")
        plan_tables = [table for table in plan_tables if table.name in set(tables)]
    raw = plan.raw
    target = IcebergTarget(spark, catalog, raw.database, BatchColumns(raw.load_timestamp_column, raw.batch_id_column))
    source = JdbcSource(spark, jdbc_url, credentials, source_schema)
    report = ExtractReport(batch_id=batch_id, load_ts=utc(load_ts))
    target.ensure_database()
    ensure_load_log(target, plan)
    check_batch_stamp(spark, plan, target, batch_id, load_ts, [table.name for table in plan_tables])
    for table in plan_tables:
        result = TableResult(table.name)
        started = time.monotonic()
        try:
            _extract_table(spark, plan, table, source, target, batch_id, load_ts, result)
        except Exception as error:  # one table's failure must not cost the others their batch
            result.error = _short(error)
            log.exception("table %s failed", table.name)
        result.seconds = time.monotonic() - started
        report.results.append(result)
    return report


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    return f"{type(error).__name__}: {first[:500]}"
