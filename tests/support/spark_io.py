"""Move tables between DuckDB (as Parquet) and the Spark metastore that the dbt-spark `session` profile uses.

Run as a subprocess (`python -m tests.support.spark_io load|dump ...`): the embedded Derby metastore allows
one JVM at a time, and dbt-spark starts its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def session(warehouse: str, metastore: str):
    from raw_extract.session import metastore_session

    return metastore_session(warehouse, metastore, app_name="spark_io")


def load(spark, parquet_dir: Path, schema: str) -> None:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
    for path in sorted(parquet_dir.glob("*.parquet")):
        table = f"{schema}.{path.stem}"
        spark.sql(f"DROP TABLE IF EXISTS {table}")
        spark.read.parquet(str(path)).writeTo(table).using("iceberg").create()


def dump(spark, out_dir: Path, schema: str) -> None:
    """Every table of the schema into <out_dir>/<schema>/<table>/ as Parquet (views left out)."""
    (out_dir / schema).mkdir(parents=True, exist_ok=True)
    views = {row.viewName for row in spark.sql(f"SHOW VIEWS IN {schema}").collect()}
    for row in spark.sql(f"SHOW TABLES IN {schema}").collect():
        if row.isTemporary or row.tableName in views:
            continue
        frame = spark.table(f"{schema}.{row.tableName}")
        frame.coalesce(1).write.mode("overwrite").parquet(str(out_dir / schema / row.tableName))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["load", "dump"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--schema", required=True, action="append", help="load: one; dump: one or more")
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--metastore", required=True)
    args = parser.parse_args()
    spark = session(args.warehouse, args.metastore)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        if args.action == "load":
            [schema] = args.schema
            load(spark, args.folder, schema)
        else:
            for schema in args.schema:
                dump(spark, args.folder, schema)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
