"""The documented local command for the whole AWS pipeline's stand-in runs end to end, and what it builds on
Spark is right:

- PostgreSQL (the Northwind dump, then a change batch) -> the Glue job's extract -> Iceberg -> the generated
  Spark dbt project, wave by wave in the order of the AWS state machine -> vault, business vault and marts;
  every dbt test passes on Spark on the vault the two batches leave (the first batch's waves run the models
  only: VAULTGEN_STANDIN_TESTS=last, which saves one full run of the tests on Spark);
- every row of every vault table Spark built incrementally, batch by batch (every hash key included), equals
  a fresh DuckDB build of the same raw layer (the Iceberg raw tables the extract wrote, copied to DuckDB).

One Spark lake serves both, so the Spark project is built once per CI run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime

import duckdb
import pytest

from tests.conftest import REPO
from tests.support.vault import LocalVault
from vaultgen.emit.selectors import run_sequence
from vaultgen.spec.loader import load_spec

pytestmark = pytest.mark.spark

LAKE = REPO / "work" / "aws_standin"  # scripts/aws_standin.sh's work folder
LAST_LOAD = datetime(2024, 1, 2, 6)  # the script's second batch
VAULT_SCHEMAS = ("raw_vault", "business_vault", "marts")


@pytest.fixture(scope="module")
def standin(northwind_dump):
    completed = subprocess.run(["bash", "scripts/aws_standin.sh", str(northwind_dump)], cwd=REPO, capture_output=True, text=True,
                               env={**os.environ, "VAULTGEN_STANDIN_TESTS": "last"}, timeout=2700)  # 8 waves on Spark, one with tests
    return completed.returncode, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def both_engines(standin, tmp_path_factory):
    """The stand-in's lake dumped to Parquet (raw layer and vault), and a fresh DuckDB vault on that raw layer."""
    returncode, output = standin
    assert returncode == 0, output[-4000:]
    work = tmp_path_factory.mktemp("engines")
    dump_dir = work / "spark"
    schemas = [arg for schema in ("raw", *VAULT_SCHEMAS) for arg in ("--schema", schema)]
    completed = subprocess.run([sys.executable, "-m", "tests.support.spark_io", "dump", str(dump_dir), *schemas,
                                "--warehouse", str(LAKE / "warehouse"), "--metastore", str(LAKE / "metastore_db")],
                               cwd=REPO, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYTHONPATH": f"{REPO}:{REPO / 'glue'}"},
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-4000:]
    vault = LocalVault(REPO / "vault_spec", work / "duckdb")
    raw = vault.spec.project.raw.schema_name
    with duckdb.connect(str(vault.database)) as connection:
        tables = [row[0] for row in connection.execute("select table_name from information_schema.tables where table_schema = ?", [raw]).fetchall()]
        for name in tables:
            columns = ", ".join(f'"{row[0]}"' for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [raw, name]).fetchall())
            connection.execute(f"insert into {raw}.\"{name}\" ({columns}) select {columns} from read_parquet('{dump_dir / 'raw' / name}/*.parquet')")
    build = vault.build(until=LAST_LOAD)
    assert build.ok, build.output[-4000:]
    return vault, dump_dir


def test_scripts_aws_standin_runs_both_batches_wave_by_wave(standin):
    returncode, output = standin
    assert returncode == 0, output[-4000:]
    assert len(re.findall(r"batch batch_000[12] at .*: 14 tables loaded, 0 failed", output)) == 2
    # the same steps as the state machine (one definition: run_sequence), in its order, for each batch
    steps = run_sequence(load_spec(REPO / "vault_spec"))
    assert re.findall(r"^== step (\w+) ", output, re.MULTILINE) == [step.name for step in steps] * 2
    waves = [step.selector for step in steps if step.action == "dbt_build"]
    runs = re.findall(r"dbt (run|build) on Spark --selector (\w+) .*: (\d+) models(?: and tests)? passed, (\d+) failed", output)
    assert [(command, selector) for command, selector, _, _ in runs] == [("run", wave) for wave in waves] + [("build", wave) for wave in waves]
    assert all(int(passed) > 0 and failed == "0" for _, _, passed, failed in runs), runs
    first, last = runs[:len(waves)], runs[len(waves):]
    models = sum(int(passed) for _, _, passed, _ in first)
    assert models > 100, first  # every model of the project ran in some wave
    assert sum(int(passed) for _, _, passed, _ in last) > 2 * models, last  # and every test with them
    # the extract hands a batch to the first wave; the marts come last, after the business vault they read
    assert output.index("14 tables loaded") < output.index("--selector load_staging") < output.index("--selector marts")


def test_every_vault_row_spark_built_equals_a_fresh_duckdb_build_of_its_raw_layer(both_engines):
    vault, dump_dir = both_engines
    compared = 0
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        assert connection.execute("select count(distinct batch_id) from raw.load_log").fetchone()[0] == 2
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
    assert compared > 5000
