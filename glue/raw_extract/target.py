"""The Iceberg side: raw tables and the load log in one Spark catalog, one Iceberg commit per table and batch.

Rerun semantics: a batch replaces its own rows. `replace_batch` is one atomic Iceberg overwrite: delete the rows
whose batch id matches, append the new snapshot, in a single commit. Every data file this job writes holds one
batch, and the batch id column keeps full (untruncated) min/max metrics, so Iceberg drops whole files by
metadata. If a file ever mixes batches (someone compacted across batches), Iceberg refuses the filter overwrite;
the job then falls back to a row-level DELETE followed by an append (two commits, still no duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass

from raw_extract.sql import spark_identifier, spark_string

PARTITION_TRANSFORM = "days"  # Iceberg's day transform; vaultgen.catalog.glue calls it "day"

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
}


def quote(*parts: str) -> str:
    """A dotted name of quoted Spark identifiers."""
    return spark_identifier(*parts)


@dataclass(frozen=True)
class BatchColumns:
    load_ts: str
    batch_id: str


class IcebergTarget:
    def __init__(self, spark, catalog: str, database: str, batch: BatchColumns):
        self.spark = spark
        self.catalog = catalog
        self.database = database
        self.batch = batch

    def name(self, table: str) -> str:
        return quote(self.catalog, self.database, table)

    def ensure_database(self) -> None:
        self.spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {quote(self.catalog, self.database)}")

    def exists(self, table: str) -> bool:
        return self.spark.catalog.tableExists(f"{self.catalog}.{self.database}.{table}")

    def ensure_table(self, table: str, schema, extra_properties: dict[str, str] | None = None) -> list[str]:
        """Create the table when missing (partitioned by day of the load timestamp), or add the columns it lacks.
        Returns the columns added. Columns are never dropped or retyped here."""
        from pyspark.sql import functions as F

        properties = {**TABLE_PROPERTIES, f"write.metadata.metrics.column.{self.batch.batch_id}": "full", **(extra_properties or {})}
        if not self.exists(table):
            writer = self.spark.createDataFrame([], schema).writeTo(self.name(table)).using("iceberg").partitionedBy(F.days(F.col(self.batch.load_ts)))
            for key, value in sorted(properties.items()):
                writer = writer.tableProperty(key, value)
            try:
                writer.create()
                return []
            except Exception as error:  # another writer created it meanwhile
                if "already exists" not in str(error).lower():
                    raise
        existing = {field.name for field in self.spark.table(self.name(table)).schema.fields}
        added = [field for field in schema.fields if field.name not in existing]
        if added:
            definitions = ", ".join(f"{quote(field.name)} {field.dataType.simpleString()}" for field in added)
            self.spark.sql(f"ALTER TABLE {self.name(table)} ADD COLUMNS ({definitions})")
        self._ensure_partitioning(table)
        return [field.name for field in added]

    def _ensure_partitioning(self, table: str) -> None:
        """A table created elsewhere (`vaultgen glue sync` without a partition spec) gets the day partition field."""
        rows = self.spark.sql(f"DESCRIBE TABLE {self.name(table)}").collect()
        partitioning = [row.data_type for row in rows if (row.col_name or "").startswith("Part ")]
        wanted = f"{PARTITION_TRANSFORM}({self.batch.load_ts})"
        if wanted not in [text.replace("`", "") for text in partitioning]:
            self.spark.sql(f"ALTER TABLE {self.name(table)} ADD PARTITION FIELD {PARTITION_TRANSFORM}({quote(self.batch.load_ts)})")

    def replace_batch(self, table: str, frame, batch_id: str, extra_condition=None) -> None:
        """Replace the rows of `batch_id` (and `extra_condition`) with `frame`: no duplicates on a rerun."""
        from pyspark.sql import functions as F

        condition = F.col(self.batch.batch_id) == F.lit(batch_id)
        if extra_condition is not None:
            condition = condition & extra_condition
        try:
            frame.writeTo(self.name(table)).overwrite(condition)
        except Exception as error:
            if "some, but not all" not in str(error):
                raise
            self.spark.sql(f"DELETE FROM {self.name(table)} WHERE {self._sql_condition(batch_id, extra_condition)}")
            frame.writeTo(self.name(table)).append()

    def _sql_condition(self, batch_id: str, extra_condition) -> str:
        if extra_condition is not None:
            raise RuntimeError("fallback DELETE supports the batch condition only")
        return f"{quote(self.batch.batch_id)} = {spark_string(batch_id)}"

    def batch_count(self, table: str, batch_id: str) -> int:
        from pyspark.sql import functions as F

        return self.spark.table(self.name(table)).where(F.col(self.batch.batch_id) == F.lit(batch_id)).count()
