"""The raw extract for real: PostgreSQL (the Northwind dump, changed between batches) -> PySpark -> Iceberg.

One module-scoped run loads four batches and records what PostgreSQL held at each; the tests then compare:
  b1  the dump as loaded
  b2  after UPDATE/INSERT/DELETE (and a first row in a table that was empty)
  b2  again (a rerun: nothing may be duplicated)
  b3  through glue/job.py (the extract plan from moto S3, credentials from moto Secrets Manager), with shippers broken in
      the source (a spec column renamed) and a new source column in region
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections import Counter
from datetime import datetime, timezone

import psycopg
import pytest
import yaml

from tests.conftest import REPO
from tests.glue.conftest import GLUE_DIR, REGION

pytestmark = [pytest.mark.spark, pytest.mark.glue]  # needs the postgres fixture too; runs in the glue tier only

DATABASE = "northwind_glue"
CATALOG = "lake"
T1 = datetime(2024, 1, 1, 6, 0, tzinfo=timezone.utc)
T2 = datetime(2024, 1, 2, 6, 0, tzinfo=timezone.utc)
T3 = datetime(2024, 1, 3, 6, 0, tzinfo=timezone.utc)

CHANGES_B2 = [
    "UPDATE customers SET city = 'Berlin-Mitte', phone = NULL WHERE customer_id = 'ALFKI'",
    "INSERT INTO orders (order_id, customer_id, employee_id, order_date, ship_via, freight, ship_name) VALUES (11078, 'ALFKI', 1, '1998-06-01', 1, 12.5, 'Alfreds Futterkiste')",
    "INSERT INTO order_details VALUES (11078, 11, 14.0, 3, 0.05)",
    "DELETE FROM order_details WHERE order_id = 10248 AND product_id = 11",
    "DELETE FROM shippers WHERE shipper_id = 6",
    "INSERT INTO customer_demographics VALUES ('VIP', 'Very important')",
    "UPDATE categories SET picture = decode('00ff10', 'hex') WHERE category_id = 1",
]
CHANGES_B3 = [
    "ALTER TABLE shippers RENAME COLUMN phone TO phone_number",  # the spec's column is gone: shippers fails
    "ALTER TABLE region ADD COLUMN note text",  # a column the spec does not know: reported, not loaded
    "UPDATE region SET note = 'new', region_description = 'Eastern (renamed)' WHERE region_id = 1",
    "DELETE FROM employee_territories WHERE employee_id = 1",
]


def _psql(postgres, *args: str) -> None:
    command = ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1", *args]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _normal(value):
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else value


def _pg_snapshot(dsn: str, spec) -> dict[str, Counter]:
    """What PostgreSQL holds now: table -> multiset of rows of the spec's columns (real read as float8, the
    exact value of the float32 Spark and Iceberg keep)."""
    snapshot = {}
    with psycopg.connect(dsn) as connection:
        for _, table in spec.tables():
            columns = connection.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s", [table.name]).fetchall()
            types = dict(columns)
            if any(c.name not in types for c in table.columns):
                continue  # broken on purpose (shippers in b3)
            select = ", ".join(f'"{c.name}"::float8' if types[c.name] == "real" else f'"{c.name}"' for c in table.columns)
            rows = connection.execute(f'SELECT {select} FROM "{table.name}"').fetchall()
            snapshot[table.name] = Counter(tuple(_normal(v) for v in row) for row in rows)
    return snapshot


def _iceberg_batch(spark, spec, table, batch_id: str) -> Counter:
    from pyspark.sql import functions as F

    columns = [c.name for c in spec.table(table).columns]
    rows = spark.table(f"{CATALOG}.raw.{table}").where(F.col("batch_id") == batch_id).select(*columns).collect()
    return Counter(tuple(_normal(v) for v in row) for row in rows)


def _load_job():
    module_spec = importlib.util.spec_from_file_location("glue_job", GLUE_DIR / "job.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(spark, spec, plan, postgres, northwind_dump, moto_server, aws_client):
    from raw_extract import Credentials, run_extract

    _psql(postgres, "-c", f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(postgres, "-c", f"CREATE DATABASE {DATABASE}")
    _psql(postgres, "-d", DATABASE, "-f", str(northwind_dump))
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname={DATABASE}"
    url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/{DATABASE}"
    credentials = Credentials("postgres", "unused-with-trust-auth", "127.0.0.1", postgres.port, DATABASE)
    out = {"snapshots": {}, "reports": {}}

    out["reports"]["b1"] = run_extract(spark, plan, url, credentials, "b1", T1, catalog=CATALOG)
    out["snapshots"]["b1"] = _pg_snapshot(dsn, spec)

    with psycopg.connect(dsn, autocommit=True) as connection:
        for statement in CHANGES_B2:
            connection.execute(statement)
    out["reports"]["b2"] = run_extract(spark, plan, url, credentials, "b2", T2, catalog=CATALOG)
    out["snapshots"]["b2"] = _pg_snapshot(dsn, spec)
    out["reports"]["b2 rerun"] = run_extract(spark, plan, url, credentials, "b2", T2, catalog=CATALOG)

    with psycopg.connect(dsn, autocommit=True) as connection:
        for statement in CHANGES_B3:
            connection.execute(statement)
    out["snapshots"]["b3"] = _pg_snapshot(dsn, spec)
    # b3 through the Glue entry point: the plan `vaultgen render` wrote, from S3; the credentials from Secrets Manager (both moto)
    s3, secrets = aws_client("s3"), aws_client("secretsmanager")
    s3.create_bucket(Bucket="specs", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.upload_file(str(REPO / "generated" / "glue" / "extract_plan.json"), "specs", "plan/extract_plan.json")
    secret = {"username": "postgres", "password": "unused", "host": "127.0.0.1", "port": postgres.port, "dbname": DATABASE}
    secrets.create_secret(Name="northwind/aurora", SecretString=json.dumps(secret))
    out["job_exit"] = _load_job().main([
        "job.py", "--plan_uri", "s3://specs/plan/extract_plan.json", "--secret_id", "northwind/aurora", "--batch_id", "b3",
        "--load_ts", T3.isoformat(), "--catalog", CATALOG, "--region", REGION, "--endpoint_url", moto_server,
    ])
    yield out
    _psql(postgres, "-c", f"DROP DATABASE IF EXISTS {DATABASE}")


def test_every_batch_holds_what_postgres_held(run, spark, spec):
    for batch_id in ("b1", "b2", "b3"):
        snapshot = run["snapshots"][batch_id]
        for _, table in spec.tables():
            if batch_id == "b3" and table.name == "shippers":
                continue
            assert _iceberg_batch(spark, spec, table.name, batch_id) == snapshot[table.name], f"{table.name} in batch {batch_id}"
    first, second = run["snapshots"]["b1"], run["snapshots"]["b2"]
    assert sum(first["order_details"].values()) == 2155 and sum(second["order_details"].values()) == 2155  # one in, one out
    assert sum(second["orders"].values()) == 831 and sum(second["shippers"].values()) == 5
    assert sum(first["customer_demographics"].values()) == 0 and sum(second["customer_demographics"].values()) == 1
    assert run["reports"]["b1"].counts() == {name: sum(rows.values()) for name, rows in first.items()}


def test_rerun_of_a_batch_duplicates_nothing(run, spark, spec):
    from pyspark.sql import functions as F

    assert run["reports"]["b2 rerun"].ok
    assert run["reports"]["b2 rerun"].counts() == run["reports"]["b2"].counts()
    for name, rows in run["snapshots"]["b2"].items():
        stored = spark.table(f"{CATALOG}.raw.{name}").where(F.col("batch_id") == "b2")
        assert stored.count() == sum(rows.values())
        assert {row[0] for row in stored.select("load_ts").distinct().collect()} <= {T2.replace(tzinfo=None)}


def test_load_log_has_one_row_per_table_and_batch(run, spark, spec):
    log = {(row.table_name, row.batch_id): row for row in spark.table(f"{CATALOG}.raw.load_log").collect()}
    names = [table.name for _, table in spec.tables()]
    expected = {(name, batch) for name in names for batch in ("b1", "b2", "b3")} - {("shippers", "b3")}
    assert set(log) == expected  # the rerun replaced its rows; the failed table logged nothing
    assert spark.table(f"{CATALOG}.raw.load_log").count() == len(expected)
    for (name, batch), row in log.items():
        assert row.row_count == sum(run["snapshots"][batch][name].values())
        assert row.load_ts == {"b1": T1, "b2": T2, "b3": T3}[batch].replace(tzinfo=None)
    assert log[("customer_customer_demo", "b1")].row_count == 0  # an empty snapshot is still logged


def test_one_failing_table_costs_no_other_table_its_batch(run):
    assert run["job_exit"] == 1


def test_failure_and_new_column_are_reported(run, spark, spec):
    from pyspark.sql import functions as F

    assert spark.table(f"{CATALOG}.raw.shippers").where(F.col("batch_id") == "b3").count() == 0
    assert spark.table(f"{CATALOG}.raw.region").where(F.col("batch_id") == "b3").count() == 4
    assert "note" not in spark.table(f"{CATALOG}.raw.region").columns


def test_job_report_lines(spark, plan, run, postgres):
    """The report names the failed table and why, and the unknown source column."""
    from raw_extract import Credentials, run_extract

    credentials = Credentials("postgres", "x", "127.0.0.1", postgres.port, DATABASE)
    report = run_extract(spark, plan, f"jdbc:postgresql://127.0.0.1:{postgres.port}/{DATABASE}", credentials, "b3", T3, ["region", "shippers"], catalog=CATALOG)
    assert [result.table for result in report.failed] == ["shippers"]
    assert "lacks the spec's column(s) phone" in report.failed[0].error
    region = next(result for result in report.results if result.table == "region")
    assert region.ok and region.row_count == 4 and "note" in region.warnings[0]
    text = "\n".join(report.lines())
    assert "shippers: FAILED" in text and "not in the spec" in text
    with pytest.raises(ValueError, match="not spec source tables: nope"):
        run_extract(spark, plan, "jdbc:postgresql://unused", credentials, "b3", T3, ["nope"], catalog=CATALOG)


def test_tables_are_iceberg_partitioned_by_day_of_load_ts(run, spark):
    partitions = spark.table(f"{CATALOG}.raw.orders.partitions").collect()
    assert len(partitions) == 3  # one day per batch
    properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {CATALOG}.raw.orders").collect()}
    assert properties["write.parquet.compression-codec"] == "zstd"
    assert properties["format-version"] == "2"


def test_dbt_sources_read_exactly_these_tables_and_columns(run, spark, spec):
    sources = yaml.safe_load((REPO / "generated" / "duckdb" / "models" / "sources.yml").read_text(encoding="utf-8"))
    raw_source = next(source for source in sources["sources"] if source["name"] == "raw")
    assert raw_source["schema"] == spec.project.raw.schema_name
    dbt = {table["name"]: [column["name"] for column in table["columns"]] for table in raw_source["tables"]}
    stored = {row.tableName: spark.table(f"{CATALOG}.raw.{row.tableName}").columns for row in spark.sql(f"SHOW TABLES IN {CATALOG}.raw").collect()}
    assert stored == dbt


def test_iceberg_types_agree_with_the_glue_definitions(run, spark, spec):
    from vaultgen.catalog.glue import glue_table_inputs

    for definition in glue_table_inputs(spec):
        table = definition["TableInput"]["Name"]
        glue = [(c["Name"], c["Type"]) for c in definition["TableInput"]["StorageDescriptor"]["Columns"]]
        stored = [(field.name, field.dataType.simpleString()) for field in spark.table(f"{CATALOG}.raw.{table}").schema.fields]
        assert stored == glue, table


def test_a_late_or_restamped_batch_is_refused_before_anything_is_written(run, spark, plan, postgres):
    """Load timestamps are arrival times: a new batch id older than the newest batch, or a known batch id at another
    load timestamp, is refused (nothing read, nothing written); a rerun of the newest batch keeps its stamp."""
    from raw_extract import Credentials, run_extract
    from raw_extract.extract import BatchStampError

    url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/{DATABASE}"
    credentials = Credentials("postgres", "unused-with-trust-auth", "127.0.0.1", postgres.port, DATABASE)
    log = f"{CATALOG}.raw.load_log"
    before = sorted(spark.table(log).collect())
    with pytest.raises(BatchStampError, match="not later than the newest batch"):
        run_extract(spark, plan, url, credentials, "late", T2, catalog=CATALOG)
    with pytest.raises(BatchStampError, match="keeps its load timestamp"):
        run_extract(spark, plan, url, credentials, "b2", T3, catalog=CATALOG)
    assert sorted(spark.table(log).collect()) == before
