"""The raw extract: PostgreSQL (Aurora) over JDBC -> one Iceberg table per source table, one snapshot per batch.

Plain PySpark and the standard library (no awsglue, no vaultgen: the spec arrives as the extract plan that
`vaultgen render` writes): `glue/job.py` is the thin AWS Glue entry point, and `run_extract` is what a local
command (or a test) drives with its own SparkSession.
"""

from raw_extract.extract import ExtractReport, TableResult, run_extract
from raw_extract.plan import ExtractPlan, PlanError, parse_plan
from raw_extract.source import Credentials, fetch_credentials, jdbc_url

__all__ = ["Credentials", "ExtractPlan", "ExtractReport", "PlanError", "TableResult", "fetch_credentials", "jdbc_url", "parse_plan", "run_extract"]
