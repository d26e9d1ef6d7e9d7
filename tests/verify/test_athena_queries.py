"""The Athena round trip's queries and settings, without any engine (fast tier): every query parses in Trino's
dialect, names only the raw and vault databases, and the profile's env_var() values resolve as dbt's would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import REPO
from tests.verify.conftest import SPEC
from vaultgen.cli import main
from vaultgen.emit.dbt_project import BUILD_LOG_SCHEMA
from vaultgen.errors import InputError
from vaultgen.spec.loader import load_spec
from vaultgen.verify.athena import AthenaSettings
from vaultgen.verify.reconstruct import ReconstructError
from vaultgen.verify.roundtrip import comparison_queries

AT = datetime(2024, 1, 3, 6, 0, 0, 123456)


@pytest.mark.parametrize("spec_dir", [REPO / "vault_spec", SPEC, REPO / "tests/fixtures/dv_spec", REPO / "tests/fixtures/history_spec"],
                         ids=lambda p: p.name)
def test_every_comparison_query_parses_in_trino_and_reads_only_raw_and_vault_tables(spec_dir: Path):
    spec = load_spec(spec_dir)
    allowed = {spec.project.raw.schema_name, "raw_vault"}
    compared = 0
    for _, table in spec.tables():
        try:
            queries = comparison_queries(spec, table, AT)
        except ReconstructError:
            continue
        compared += 1
        for query in queries.all():
            text = query.sql("trino")
            tree = sqlglot.parse_one(text, read="trino")  # raises on anything Trino's grammar does not have
            assert "QUALIFY" not in text.upper() and "EXCEPT" not in text.upper()  # Trino has no QUALIFY; no EXCEPT ALL is needed
            assert {t.db for t in tree.find_all(exp.Table) if t.db} <= allowed
            assert "CAST('2024-01-03 06:00:00.123456' AS TIMESTAMP(6))" in text  # microseconds kept (TIMESTAMP alone is milliseconds)
    assert compared >= 2


def test_print_sql_prints_trino_for_athena_and_runs_nothing(capsys):
    assert main(["verify", "--spec", str(SPEC), "--target", "athena", "--print-sql", "--at", "2024-02-02 06:00"]) == 0
    out = capsys.readouterr().out
    assert "-- invoice_lines: differences at 2024-02-02 06:00:00" in out and "-- genres: cannot be rebuilt from the vault" in out
    statements = [s for s in sqlglot.parse(out, read="trino") if s is not None and s.find(exp.Select)]
    assert len(statements) == 6  # counts and differences of invoices, tracks, invoice_lines


def test_settings_come_from_the_profile_with_its_env_vars_and_flags_win(tmp_path):
    profile = REPO / "generated/athena/profiles.yml"
    settings = AthenaSettings.resolve(profile, environ={"VAULTGEN_ATHENA_WORKGROUP": "vault_wg"})
    assert settings == AthenaSettings("vault_wg", "raw_vault", "s3://athena-results/dbt/", "eu-west-1")
    settings = AthenaSettings.resolve(profile, workgroup="other", s3_output="s3://b/p/", region="us-east-2", environ={})
    assert (settings.workgroup, settings.s3_output, settings.region, settings.database) == ("other", "s3://b/p/", "us-east-2", "raw_vault")
    with pytest.raises(InputError, match="VG141 the Athena query result location 'results/' is not an s3:// URL"):
        AthenaSettings.resolve(profile, s3_output="results/", environ={})
    with pytest.raises(InputError, match="VG140 no Athena workgroup, database, s3_output given"):
        AthenaSettings.resolve(None)
    not_athena = tmp_path / "profiles.yml"
    not_athena.write_text("p:\n  outputs:\n    dev: {type: duckdb, path: x}\n")
    with pytest.raises(InputError, match="VG140 the profile has no output of type athena"):
        AthenaSettings.resolve(not_athena)
    assert BUILD_LOG_SCHEMA == "vaultgen_meta"
