"""AWS Glue entry point of the raw extract (Glue 5.0, Spark 3.5). Thin: arguments, clients, session; the work is
raw_extract.run_extract. Runs the same way locally: `python glue/job.py --plan_uri generated/glue/extract_plan.json ...`
(argparse). Needs PySpark and the standard library only (boto3 comes with Glue): the spec reaches the job as the
extract plan `vaultgen render` writes, so nothing of vaultgen has to be installed on the workers.

Exit status: 0 when every table loaded, 1 when any table failed (the others' batches are committed), 2 for bad
arguments or a plan/secret that cannot be read.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # raw_extract beside this file (locally)

REQUIRED = ("plan_uri", "secret_id")
OPTIONAL = {
    "batch_id": None,  # default: the load timestamp, 20240131T060000Z
    "load_ts": None,  # ISO 8601; default: the logged one when rerunning a batch id, else now (UTC)
    "tables": None,  # comma-separated subset of the spec's source tables
    "catalog": "glue_catalog",  # the Spark catalog holding the raw Iceberg tables
    "source_schema": "public",
    "region": None,
    "endpoint_url": None,  # AWS endpoint override (a moto server in tests)
    "warehouse": None,  # local runs only: start a local Spark with an Iceberg hadoop catalog on this folder
}


def parse_args(argv: list[str]) -> dict[str, str | None]:
    try:
        from awsglue.utils import getResolvedOptions  # only on AWS Glue
    except ImportError:
        parser = argparse.ArgumentParser(prog="glue/job.py", description="Load one raw batch: PostgreSQL -> Iceberg.")
        for name in REQUIRED:
            parser.add_argument(f"--{name}", required=True)
        for name, default in OPTIONAL.items():
            parser.add_argument(f"--{name}", default=default)
        return vars(parser.parse_args(argv[1:]))
    present = [name for name in OPTIONAL if f"--{name}" in argv]  # getResolvedOptions fails on absent names
    resolved = getResolvedOptions(argv, [*REQUIRED, *present])
    return {**OPTIONAL, **{name: resolved[name] for name in [*REQUIRED, *present]}}


def _client(service: str, args):
    import boto3

    return boto3.client(service, region_name=args["region"], endpoint_url=args["endpoint_url"])


def load_plan_from(uri: str, args):
    """The extract plan from a local file or an s3://bucket/key object."""
    from raw_extract.plan import parse_plan

    if not uri.startswith("s3://"):
        return parse_plan(Path(uri).read_text(encoding="utf-8"), uri)
    bucket, _, key = uri[len("s3://"):].partition("/")
    body = _client("s3", args).get_object(Bucket=bucket, Key=key)["Body"].read()
    return parse_plan(body.decode("utf-8"), uri)


def _session(args):
    if args["warehouse"]:
        from raw_extract.session import local_session

        return local_session(args["warehouse"], catalog=args["catalog"])
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(list(sys.argv if argv is None else argv))
    from raw_extract import fetch_credentials, jdbc_url, run_extract
    from raw_extract.extract import IcebergTarget, previous_load_ts
    from raw_extract.target import BatchColumns

    try:
        plan = load_plan_from(args["plan_uri"], args)
        credentials = fetch_credentials(_client("secretsmanager", args), args["secret_id"])
    except Exception as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    spark = _session(args)
    raw = plan.raw
    load_ts = datetime.fromisoformat(args["load_ts"]) if args["load_ts"] else None
    batch_id = args["batch_id"]
    if load_ts is None and batch_id:
        target = IcebergTarget(spark, args["catalog"], raw.database, BatchColumns(raw.load_timestamp_column, raw.batch_id_column))
        load_ts = previous_load_ts(spark, plan, target, batch_id)
    load_ts = load_ts or datetime.now(timezone.utc).replace(microsecond=0)
    batch_id = batch_id or load_ts.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    tables = [name.strip() for name in args["tables"].split(",") if name.strip()] if args["tables"] else None
    try:
        report = run_extract(spark, plan, jdbc_url(credentials), credentials, batch_id, load_ts, tables, catalog=args["catalog"], source_schema=args["source_schema"])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
