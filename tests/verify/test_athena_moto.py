"""`vaultgen verify --target athena` through awswrangler against a moto server.

moto stands in for the AWS side (Athena's API and workgroups, S3 for the query results) but runs no query. So
that the whole path still runs, a botocore hook on the session's StartQueryExecution plays Athena's engine: it
runs the submitted Trino SQL, transpiled to DuckDB, on the music vault built for real, and queues the rows and
column types with moto's results API before awswrangler asks for them; moto then writes them as the result CSV
at the execution's OutputLocation in S3, where awswrangler reads them. What is proven: the queries submitted (SQL,
workgroup, database, result location), awswrangler's reading of results (types, NULLs, decimals, timestamps)
and the same report as the DuckDB path, a corrupted vault included. What is not: Athena's own execution.
"""

from __future__ import annotations

import json
import urllib.request

import duckdb
import pytest
import sqlglot

from tests.glue.conftest import REGION, moto_server  # noqa: F401 - the session's moto server
from tests.verify.conftest import SPEC
from vaultgen.cli import main
from vaultgen.run.batches import load_log_query
from vaultgen.spec.loader import load_spec
from vaultgen.verify.athena import AthenaEngine, AthenaSettings
from vaultgen.verify.report import verify
from vaultgen.verify.roundtrip import DuckDBEngine

# dbt, not glue: these tests share the dbt tier's build of the music vault (a glue mark would put them in the
# spark tier too and build it again); the moto server comes from the dev extra like dbt does
pytestmark = pytest.mark.dbt

BUCKET, WORKGROUP = "vault-query-results", "vault_verify"


def _athena_type(duckdb_type) -> dict:
    name = str(duckdb_type).upper()
    if name.startswith("DECIMAL"):
        precision, scale = (int(part) for part in name[len("DECIMAL("):-1].split(","))
        return {"Type": "decimal", "Precision": precision, "Scale": scale}
    mapping = {"INTEGER": "integer", "BIGINT": "bigint", "HUGEINT": "bigint", "SMALLINT": "smallint", "VARCHAR": "varchar",
               "BOOLEAN": "boolean", "DOUBLE": "double", "DATE": "date", "TIMESTAMP": "timestamp"}
    return {"Type": mapping[name], "Precision": 0, "Scale": 0}


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat(sep=" ", timespec="microseconds")[:23] if hasattr(value, "isoformat") and not isinstance(value, str) else str(value)


class DuckDBBehindMoto:
    """After moto accepted a query: run it on DuckDB and leave its result where awswrangler will look."""

    def __init__(self, endpoint: str, database):
        import boto3

        self.endpoint = endpoint
        self.database = database
        self.athena = boto3.client("athena", region_name=REGION, endpoint_url=endpoint)
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        self.executions: list[dict] = []

    def __call__(self, parsed, **_) -> None:
        execution = self.athena.get_query_execution(QueryExecutionId=parsed["QueryExecutionId"])["QueryExecution"]
        self.executions.append(execution)
        with duckdb.connect(str(self.database), read_only=True) as connection:
            relation = connection.sql(sqlglot.transpile(execution["Query"], read="trino", write="duckdb")[0])
            names, types, rows = relation.columns, relation.types, relation.fetchall()
        # Athena's GetQueryResults: the header row first, every value as text, a NULL without VarCharValue;
        # moto writes the same rows as the CSV result file at the OutputLocation, which awswrangler reads
        data = [{"Data": [{"VarCharValue": name} for name in names]}]
        data += [{"Data": [{} if value is None else {"VarCharValue": _text(value)} for value in row]} for row in rows]
        results = {"region": REGION, "results": [{"rows": data, "column_info": [{"Name": name, "Label": name, **_athena_type(kind)}
                                                                                 for name, kind in zip(names, types)]}]}
        request = urllib.request.Request(f"{self.endpoint}/moto-api/static/athena/query-results", data=json.dumps(results).encode(), method="POST")
        urllib.request.urlopen(request).close()


@pytest.fixture
def athena_on(moto_server):  # noqa: F811
    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).close()
    boto3.client("s3", region_name=REGION, endpoint_url=moto_server).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("athena", region_name=REGION, endpoint_url=moto_server).create_work_group(
        Name=WORKGROUP, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/workgroup-default/"},
                                       "EnforceWorkGroupConfiguration": False})  # an enforcing workgroup's own location would win

    def make(database):
        engine = AthenaEngine(AthenaSettings(WORKGROUP, "raw_vault", f"s3://{BUCKET}/verify/", REGION, moto_server))
        engine._wrangler()
        responder = DuckDBBehindMoto(moto_server, database)
        engine._session.events.register("after-call.athena.StartQueryExecution", responder)
        return engine, responder

    return make


def test_athena_path_submits_trino_sql_to_the_workgroup_and_reports_like_duckdb(athena_on, built_vault):
    spec = load_spec(SPEC)
    engine, responder = athena_on(built_vault)
    on_athena = verify(engine, spec, every=True)
    with duckdb.connect(str(built_vault), read_only=True) as connection:
        on_duckdb = verify(DuckDBEngine(connection), spec, every=True)
    assert on_athena == on_duckdb and on_athena.ok and on_athena.counts()["equal"] == 6
    assert len(responder.executions) == len(engine.submitted) > 10
    first = responder.executions[0]
    assert first["Query"] == load_log_query(spec).sql("trino") == engine.submitted[0]
    for execution, sql in zip(responder.executions, engine.submitted):
        assert execution["Query"] == sql and execution["WorkGroup"] == WORKGROUP
        assert execution["QueryExecutionContext"]["Database"] == "raw_vault"
        assert execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{BUCKET}/verify/")
        sqlglot.parse_one(sql, read="trino")


def test_a_corrupted_vault_differs_on_the_athena_path_as_on_duckdb(athena_on, vault_copy):
    with duckdb.connect(str(vault_copy)) as connection:
        connection.execute("update raw_vault.sat_invoice_line_details set unit_price = 0.01 where invoice_line_id = 100")
    spec = load_spec(SPEC)
    engine, _ = athena_on(vault_copy)
    on_athena = verify(engine, spec)
    with duckdb.connect(str(vault_copy), read_only=True) as connection:
        on_duckdb = verify(DuckDBEngine(connection), spec)
    assert on_athena == on_duckdb and not on_athena.ok
    differs = [check.comparison for check in on_athena.checks if check.status == "differs"]
    assert [c.table for c in differs] == ["invoice_lines"]
    assert [tuple(map(str, row)) for row in differs[0].extra_in_vault] == [("100", "1", "10", "0.01", "1")]


def test_the_command_reads_the_profile_and_a_failed_query_is_a_clean_error(moto_server, monkeypatch, capsys, tmp_path):  # noqa: F811
    monkeypatch.setenv("VAULTGEN_ATHENA_WORKGROUP", "primary")
    monkeypatch.setenv("VAULTGEN_ATHENA_S3_STAGING_DIR", "s3://no-such-bucket/results/")
    profile = tmp_path / "profiles.yml"
    from tests.conftest import REPO

    profile.write_text((REPO / "generated/athena/profiles.yml").read_text())
    code = main(["verify", "--spec", str(SPEC), "--target", "athena", "--profile", str(profile), "--endpoint-url", moto_server])
    captured = capsys.readouterr()
    assert code == 4 and "Traceback" not in captured.err  # moto ran nothing, so no result file exists: a failed step
    assert "error: Athena query failed" in captured.err and "workgroup primary, database raw_vault, results s3://no-such-bucket/results/" in captured.err
