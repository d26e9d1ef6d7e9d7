"""A local SparkSession set up like Glue 5.0's (Spark 3.5, Iceberg), for local runs and tests.

On AWS Glue the session comes from the job's configuration (see glue/README.md); this module is not used there.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

POSTGRES_JARS = ("/usr/share/java/postgresql.jar",)


def iceberg_jar() -> str:
    import snowpark_connect_deps_iceberg

    jars = glob.glob(os.path.join(os.path.dirname(snowpark_connect_deps_iceberg.__file__), "jars", "iceberg-spark-runtime-3.5_2.12-*.jar"))
    if not jars:
        raise FileNotFoundError("iceberg-spark-runtime-3.5_2.12 jar not found: pip install snowpark-connect-deps-iceberg==1.0.2")
    return sorted(jars)[-1]


def postgres_jar() -> str:
    found = [path for path in POSTGRES_JARS if Path(path).is_file()]
    if not found:
        raise FileNotFoundError("PostgreSQL JDBC driver not found: apt-get install libpostgresql-jdbc-java")
    return found[0]


def local_session(warehouse: str | Path, catalog: str = "lake", app_name: str = "raw_extract"):
    """A local SparkSession with an Iceberg hadoop catalog `catalog` on the folder `warehouse`."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.appName(app_name)
        .master("local[2]")
        .config("spark.jars", ",".join([iceberg_jar(), postgres_jar()]))
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config(f"spark.sql.catalog.{catalog}", "org.apache.iceberg.spark.SparkCatalog")
        .config(f"spark.sql.catalog.{catalog}.type", "hadoop")
        .config(f"spark.sql.catalog.{catalog}.warehouse", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.hadoop.iceberg.engine.hive.lock-enabled", "false")
    )
    return builder.getOrCreate()


def metastore_session(warehouse: str | Path, metastore: str | Path, app_name: str = "raw_extract"):
    """A local SparkSession on the Iceberg *session* catalog with a Derby metastore: the catalog that the
    generated Spark dbt project (dbt-spark, method session) reads, so extract and dbt share one lake."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    jars = [iceberg_jar()] + [path for path in POSTGRES_JARS if Path(path).is_file()]
    return (
        SparkSession.builder.appName(app_name)
        .master("local[2]")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.catalog.spark_catalog", "org.apache.iceberg.spark.SparkSessionCatalog")
        .config("spark.sql.catalog.spark_catalog.type", "hive")
        .config("spark.hadoop.iceberg.engine.hive.lock-enabled", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={metastore};create=true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .enableHiveSupport()
        .getOrCreate()
    )
