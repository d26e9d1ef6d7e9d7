"""The generated Spark project runs, and reruns incrementally, with dbt-spark (method: session) on a local
pyspark 3.5 with Iceberg tables, from the same raw batches as DuckDB; every row of every vault table (every
hash key included) equals DuckDB's. (Its dbt tests run on Spark in tests/spark/test_aws_standin.py, wave by wave
for two batches; here only the models run, which halves this module's Spark time.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import IN_CI, REPO
from tests.support.vault import LocalVault
from vaultgen.dbt_runner import run_dbt
from vaultgen.demo.job import to_batch
from vaultgen.demo.northwind_data import snapshots

pytestmark = pytest.mark.spark

BATCHES = 2
VAULT_SCHEMAS = ("raw_vault", "business_vault", "marts")


def _spark_io(action: str, folder: Path, schema: str, spark_env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "tests.support.spark_io", action, str(folder), "--schema", schema,
               "--warehouse", spark_env["VAULTGEN_SPARK_WAREHOUSE"], "--metastore", spark_env["METASTORE_DIR"]]
    completed = subprocess.run(command, cwd=REPO, env={**os.environ, **spark_env, "PYTHONPATH": f"{REPO}:{REPO / 'glue'}"}, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-4000:]


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    if not shutil.which("java"):
        (pytest.fail if IN_CI else pytest.skip)("java is not installed (scripts/test.sh installs it)")
    sys.path.insert(0, str(REPO / "glue"))
    from raw_extract.session import iceberg_jar

    work = tmp_path_factory.mktemp("engines")
    vault = LocalVault(REPO / "vault_spec", work / "duckdb")
    spark_env = {
        "VAULTGEN_ICEBERG_JAR": iceberg_jar(),
        "VAULTGEN_SPARK_WAREHOUSE": str(work / "spark-warehouse"),
        "METASTORE_DIR": str(work / "metastore_db"),
        "VAULTGEN_SPARK_METASTORE": f"jdbc:derby:;databaseName={work / 'metastore_db'};create=true",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "VAULTGEN_SPARK_SHUFFLE_PARTITIONS": "2",
    }
    batches = [to_batch(vault.spec, snapshot) for snapshot in snapshots(11, 0.05, BATCHES)]
    for batch in batches:
        vault.load(batch.batch_id, batch.load_ts, batch.rows)
    raw_dir = work / "raw_parquet"
    raw_dir.mkdir()
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        for (name,) in connection.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall():
            connection.execute(f"COPY raw.\"{name}\" TO '{raw_dir / (name + '.parquet')}' (FORMAT parquet)")
    _spark_io("load", raw_dir, "raw", spark_env)

    spark_project = vault.out_dir / "spark"
    previous = None
    results = []
    for number, batch in enumerate(batches):
        window = {"vaultgen_load_until": batch.load_ts.isoformat(sep=" ")}
        if previous:
            window["vaultgen_load_after"] = previous.isoformat(sep=" ")
        assert vault.build(after=previous, until=batch.load_ts).ok
        results.append(run_dbt(["run"], spark_project, work / "spark_dbt", vault.database, variables=window, env=spark_env))
        previous = batch.load_ts
    dump_dir = work / "spark_vault"
    for schema in VAULT_SCHEMAS:
        _spark_io("dump", dump_dir / schema, schema, spark_env)
    return vault, dump_dir, results


def test_spark_runs_every_model_of_both_batches(both_engines):
    _, _, results = both_engines
    assert all(result.ok for result in results)
    for result in results:
        ran = [r for r in result.results if r["unique_id"].startswith("model.")]
        assert ran and all(r["status"] == "success" for r in ran), [r for r in ran if r["status"] != "success"][:3]
    assert len({r["unique_id"] for r in results[0].results}) == len({r["unique_id"] for r in results[-1].results}) > 100


def test_every_vault_row_equals_duckdb(both_engines):
    vault, dump_dir, _ = both_engines
    compared = 0
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in ('raw_vault', 'business_vault', 'marts')"
            " and table_type = 'BASE TABLE' order by 1, 2").fetchall()
        assert {schema for schema, _ in tables} == set(VAULT_SCHEMAS)
        for schema, name in tables:
            assert (dump_dir / schema / name).is_dir(), f"{schema}.{name} was not built on Spark"
            columns = [row[0] for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()]
            select = ", ".join(f'"{c}"' for c in columns)
            duck = f'select {select} from {schema}."{name}"'
            spark = f"select {select} from read_parquet('{dump_dir / schema / name}/*.parquet')"
            missing = connection.execute(f"({duck}) except all ({spark})").fetchall()
            extra = connection.execute(f"({spark}) except all ({duck})").fetchall()
            assert not missing and not extra, f"{name}: only in DuckDB {missing[:2]}, only in Spark {extra[:2]}"
            compared += connection.execute(f"select count(*) from ({duck})").fetchone()[0]
    assert compared > 1000
