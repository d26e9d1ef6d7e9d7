"""The incremental load mode for real: PostgreSQL -> PySpark -> Iceberg, with a timestamptz watermark.

customers is loaded incrementally on updated_at (microsecond values, to prove the bound is exact), price_changes on a
timestamp without time zone, orders as a full snapshot in the same runs. Batches:
  b1  every customer
  b2  after C1 changed and C3 was committed late with the previous maximum watermark: C1 and C3, not C2
  b2  rerun: the same rows, nothing duplicated
  b3  after C2 changed: rows at or above b2's maximum (C1 again at the boundary, C2)
  b2  rerun after b3: refused for customers (it would overlap b3), while orders still loads
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.conftest import REPO
from tests.glue.conftest import plan_of

pytestmark = [pytest.mark.spark, pytest.mark.glue]

DATABASE = "incremental_glue"
CATALOG = "lake"
RAW_SCHEMA = "raw_incremental"
T1 = datetime(2024, 3, 1, 6, 0, tzinfo=timezone.utc)
T2 = datetime(2024, 3, 2, 6, 0, tzinfo=timezone.utc)
T3 = datetime(2024, 3, 3, 6, 0, tzinfo=timezone.utc)

SOURCE = """
CREATE TABLE customers (customer_id varchar(5) NOT NULL PRIMARY KEY, name varchar(40), city varchar(15), updated_at timestamptz NOT NULL);
CREATE TABLE orders (order_id integer NOT NULL PRIMARY KEY, customer_id varchar(5), amount numeric(10,2));
INSERT INTO customers VALUES
  ('C1', 'Alfreds', 'Berlin', '2024-02-29 10:00:00.123456+00'),
  ('C2', 'Ana', 'Mexico', '2024-02-29 10:00:00.1234+00');
INSERT INTO orders VALUES (1, 'C1', 10.50), (2, 'C2', 20.00);
CREATE TABLE price_changes (change_id integer NOT NULL PRIMARY KEY, price numeric(10,2), changed_at timestamp NOT NULL);
INSERT INTO price_changes VALUES (1, 9.99, '2024-02-29 09:00:00.5'), (2, 4.50, '2024-02-29 09:00:00.25');
"""
CHANGES_B2 = [
    "UPDATE customers SET city = 'Hamburg', updated_at = '2024-03-01 12:00:00+01' WHERE customer_id = 'C1'",
    # committed after b1's read with b1's highest watermark: only an inclusive bound sees it
    "INSERT INTO customers VALUES ('C3', 'Antonio', 'Mexico', '2024-02-29 10:00:00.123456+00')",
    "INSERT INTO orders VALUES (3, 'C3', 7.25)",
    # a wall-clock watermark (timestamp without time zone): the same inclusive bound, whatever the time zones
    "INSERT INTO price_changes VALUES (3, 5.00, '2024-02-29 09:00:00.5'), (4, 6.00, '2024-02-29 09:00:00.499999')",
]
CHANGES_B3 = ["UPDATE customers SET name = 'Ana Trujillo', updated_at = '2024-03-02 09:30:00+00' WHERE customer_id = 'C2'"]


PRICE_CHANGES = """\
      - name: price_changes
        primary_key: [change_id]
        load: incremental
        watermark_column: changed_at
        columns:
          - {name: change_id, type: integer, nullable: false}
          - {name: price, type: "numeric(10,2)"}
          - {name: changed_at, type: timestamp, nullable: false}
"""


def _spec(tmp_path):
    from vaultgen.spec.loader import load_spec

    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini_spec", spec_dir)
    project = spec_dir / "project.yml"
    project.write_text(project.read_text() + f"  raw: {{schema: {RAW_SCHEMA}}}\n")
    source = spec_dir / "source.yml"
    source.write_text(source.read_text().replace(
        "primary_key: [customer_id]\n",
        "primary_key: [customer_id]\n        load: incremental\n        watermark_column: updated_at\n",
    ).replace(
        "          - {name: city, type: varchar(15)}\n",
        "          - {name: city, type: varchar(15)}\n          - {name: updated_at, type: timestamptz, nullable: false}\n",
    ))
    source.write_text(source.read_text() + PRICE_CHANGES)
    vault = spec_dir / "vault.yml"
    vault.write_text(vault.read_text().replace(
        "  - {kind: record_tracking_satellite, name: customer_status, parent: customer, source: customers}\n", ""))
    return load_spec(spec_dir)


def _psql(postgres, *args: str) -> None:
    command = ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1", *args]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _batch(spark, table: str, batch_id: str) -> Counter:
    from pyspark.sql import functions as F

    frame = spark.table(f"{CATALOG}.{RAW_SCHEMA}.{table}").where(F.col("batch_id") == batch_id)
    if table == "customers":
        frame = frame.select("customer_id", "city", F.unix_micros("updated_at").alias("updated_micros"))
    elif table == "price_changes":
        frame = frame.select("change_id", F.col("changed_at").cast("string"))
    else:
        frame = frame.select("order_id")
    return Counter(tuple(row) for row in frame.collect())


def _micros(text: str) -> int:
    """An instant as microseconds since the epoch, as Spark's unix_micros gives it."""
    return (datetime.fromisoformat(text) - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)


@pytest.fixture(scope="module")
def run(spark, postgres, tmp_path_factory):
    from raw_extract import Credentials, run_extract

    plan = plan_of(_spec(tmp_path_factory.mktemp("incremental")))
    _psql(postgres, "-c", f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(postgres, "-c", f"CREATE DATABASE {DATABASE}")
    _psql(postgres, "-d", DATABASE, "-c", SOURCE)
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname={DATABASE}"
    url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/{DATABASE}"
    credentials = Credentials("postgres", "unused-with-trust-auth", "127.0.0.1", postgres.port, DATABASE)

    def extract(batch_id, load_ts):
        return run_extract(spark, plan, url, credentials, batch_id, load_ts, catalog=CATALOG)

    def change(statements):
        with psycopg.connect(dsn, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    out = {"b1": extract("b1", T1)}
    change(CHANGES_B2)
    out["b2"] = extract("b2", T2)
    out["b2 rows"] = {table: _batch(spark, table, "b2") for table in ("customers", "orders", "price_changes")}
    out["b2 rerun"] = extract("b2", T2)
    change(CHANGES_B3)
    out["b3"] = extract("b3", T3)
    out["b2 rerun after b3"] = extract("b2", T2)
    yield out
    _psql(postgres, "-c", f"DROP DATABASE IF EXISTS {DATABASE}")


def test_first_batch_reads_every_row(run, spark):
    assert run["b1"].ok, run["b1"].lines()
    assert _batch(spark, "customers", "b1") == Counter({
        ("C1", "Berlin", _micros("2024-02-29 10:00:00.123456+00:00")): 1,
        ("C2", "Mexico", _micros("2024-02-29 10:00:00.123400+00:00")): 1,
    })
    assert "every row (first batch)" in next(r.read for r in run["b1"].results if r.table == "customers")


def test_later_batches_read_from_the_exact_previous_maximum_inclusive(run, spark):
    assert run["b2"].ok and run["b3"].ok
    # C2 (.1234, below the maximum .123456) is not read again; C3, committed late with the maximum itself, is
    assert run["b2 rows"]["customers"] == Counter({
        ("C1", "Hamburg", _micros("2024-03-01 11:00:00+00:00")): 1,
        ("C3", "Mexico", _micros("2024-02-29 10:00:00.123456+00:00")): 1,
    })
    assert _batch(spark, "customers", "b3") == Counter({
        ("C1", "Hamburg", _micros("2024-03-01 11:00:00+00:00")): 1,  # at the boundary: read again, the vault skips it
        ("C2", "Mexico", _micros("2024-03-02 09:30:00+00:00")): 1,
    })
    customers_b3 = next(r for r in run["b3"].results if r.table == "customers")
    assert customers_b3.read == "incremental: \"updated_at\" >= CAST('2024-03-01T11:00:00+00:00' AS timestamptz)"
    # the full snapshot table in the same runs holds every row every batch
    assert run["b2 rows"]["orders"] == Counter({(1,): 1, (2,): 1, (3,): 1})
    assert _batch(spark, "orders", "b3") == Counter({(1,): 1, (2,): 1, (3,): 1})


def test_wall_clock_watermark_reads_from_the_exact_previous_maximum(run, spark):
    assert _batch(spark, "price_changes", "b1") == Counter({(1, "2024-02-29 09:00:00.5"): 1, (2, "2024-02-29 09:00:00.25"): 1})
    # change 4 (.499999, below the maximum .5) was committed late and below the bound: an incremental load cannot
    # see it, which is why a watermark must grow on every change; change 3 (at the maximum) is read
    assert run["b2 rows"]["price_changes"] == Counter({(1, "2024-02-29 09:00:00.5"): 1, (3, "2024-02-29 09:00:00.5"): 1})


def test_rerun_of_the_latest_batch_reads_the_same_rows_once(run, spark):
    assert run["b2 rerun"].ok
    assert run["b2 rerun"].counts() == {"customers": 2, "orders": 3, "price_changes": 2}


def test_rerun_of_an_older_batch_is_refused_and_changes_nothing(run, spark):
    report = run["b2 rerun after b3"]
    failed = {result.table: result.error for result in report.failed}
    assert sorted(failed) == ["customers", "price_changes"]
    assert "already holds a later batch" in failed["customers"] and "rerun only its latest batch" in failed["customers"]
    assert _batch(spark, "customers", "b2") == run["b2 rows"]["customers"]
    assert report.counts() == {"orders": 3}


def test_load_log_counts_each_incremental_batch(run, spark):
    from pyspark.sql import functions as F

    log = spark.table(f"{CATALOG}.{RAW_SCHEMA}.load_log").where(F.col("table_name") == "customers")
    assert sorted((row.batch_id, row.row_count) for row in log.collect()) == [("b1", 2), ("b2", 2), ("b3", 2)]
