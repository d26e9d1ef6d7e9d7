"""The AWS pipeline's local stand-in, one batch per call: PostgreSQL -> the Glue job's extract -> Iceberg raw
tables -> the generated Spark dbt project, wave by wave as the Step Functions state machine runs them ->
vault, business vault and marts.

    python glue/local_pipeline.py --jdbc-url jdbc:postgresql://127.0.0.1:5432/northwind --user postgres \\
        --work-dir work/aws_standin --batch-id batch_0001 --load-ts "2024-01-01 06:00:00"

The lake (warehouse folder and Derby metastore) lives under --work-dir and persists between batches, so
each call loads the next batch and builds the vault incrementally over the window since the previous one.
scripts/aws_standin.sh runs it end to end on the Northwind dump with a change batch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from raw_extract.extract import run_extract  # noqa: E402
from raw_extract.plan import parse_plan  # noqa: E402
from raw_extract.session import iceberg_jar, metastore_session  # noqa: E402
from raw_extract.source import Credentials  # noqa: E402

from vaultgen.catalog.extract_plan import PLAN_PATH, render_extract_plan  # noqa: E402
from vaultgen.dbt_runner import run_dbt  # noqa: E402
from vaultgen.emit.selectors import run_sequence  # noqa: E402
from vaultgen.pipeline import render  # noqa: E402
from vaultgen.spec.loader import load_spec  # noqa: E402


def _last_load_before(spark, plan, load_ts: datetime) -> datetime | None:
    raw = plan.raw
    log = spark.table(f"spark_catalog.{raw.database}.{raw.load_log_table}")
    rows = log.where(log[raw.load_timestamp_column] < load_ts).agg({raw.load_timestamp_column: "max"}).collect()
    return rows[0][0] if rows and rows[0][0] is not None else None


def extract(args: argparse.Namespace) -> int:
    """The Glue job's part. Runs in its own process: the Derby metastore admits one JVM at a time."""
    plan = parse_plan(render_extract_plan(load_spec(args.spec))[PLAN_PATH], PLAN_PATH)
    work = args.work_dir.resolve()
    load_ts = datetime.fromisoformat(args.load_ts)
    spark = metastore_session(work / "warehouse", work / "metastore_db", app_name="aws_standin_extract")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        credentials = Credentials(args.user, os.environ.get("PGPASSWORD", ""))
        report = run_extract(spark, plan, args.jdbc_url, credentials, args.batch_id, load_ts, catalog="spark_catalog")
        previous = _last_load_before(spark, plan, load_ts)
    finally:
        spark.stop()
    for line in report.lines():
        print(line, flush=True)
    (work / "previous_load_ts").write_text(previous.replace(tzinfo=None).isoformat(sep=" ") if previous else "")
    return 0 if report.ok else 1


def run_batch(args: argparse.Namespace) -> int:
    """One run, step by step in the order of the AWS state machine (vaultgen.emit.selectors.run_sequence): the
    extract, then one `dbt build --selector <wave>` per load wave (`dbt run` with --models-only: the models
    without their tests); a failed step stops the run."""
    work = args.work_dir.resolve()
    warehouse, metastore = work / "warehouse", work / "metastore_db"
    render(args.spec, args.out)
    load_ts = datetime.fromisoformat(args.load_ts)
    env = {
        "VAULTGEN_ICEBERG_JAR": iceberg_jar(),
        "VAULTGEN_SPARK_WAREHOUSE": str(warehouse),
        "VAULTGEN_SPARK_METASTORE": f"jdbc:derby:;databaseName={metastore};create=true",
        "VAULTGEN_SPARK_SHUFFLE_PARTITIONS": "2",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    command = "run" if args.models_only else "build"
    window: dict[str, str] = {}
    for step in run_sequence(load_spec(args.spec)):
        print(f"== step {step.name} ({step.action}{': ' + step.selector if step.selector else ''})", flush=True)
        if step.action == "extract":
            extracted = subprocess.run([sys.executable, __file__, "--step", "extract", *sys.argv[1:]])
            if extracted.returncode != 0:
                return extracted.returncode
            previous = (work / "previous_load_ts").read_text().strip() or None
            window = {"vaultgen_load_until": load_ts.isoformat(sep=" ")}
            if previous is not None:
                window["vaultgen_load_after"] = previous
        elif step.action == "dbt_build":
            result = run_dbt([command, "--selector", str(step.selector)], args.out / "spark", work / "dbt", work / "unused.duckdb",
                             variables=window, env=env, check=False, partial_parse=True)  # one work dir, one project: waves reuse the parse
            print(f"dbt {command} on Spark --selector {step.selector} ({window}): {result.passed} {'models' if args.models_only else 'models and tests'} passed, {result.failed} failed", flush=True)
            if not result.ok:
                return 1
        else:  # no Snowflake engine runs here (README: "Orchestration")
            print(f"step {step.name} skipped: no Snowflake engine in the local stand-in", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jdbc-url", required=True)
    parser.add_argument("--user", default="postgres", help="the password comes from PGPASSWORD")
    parser.add_argument("--batch-id", required=True)
    parser.add_argument("--load-ts", required=True, help="the batch's load timestamp (UTC), e.g. 2024-01-01 06:00:00")
    parser.add_argument("--work-dir", type=Path, default=REPO / "work" / "aws_standin")
    parser.add_argument("--spec", type=Path, default=REPO / "vault_spec")
    parser.add_argument("--out", type=Path, default=REPO / "generated")
    parser.add_argument("--models-only", action="store_true", help="dbt run instead of dbt build: the models without their tests")
    parser.add_argument("--step", choices=["all", "extract"], default="all", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return extract(args) if args.step == "extract" else run_batch(args)


if __name__ == "__main__":
    sys.exit(main())
