"""`vaultgen verify` on a vault built for real (vaultgen load + vaultgen run on DuckDB): equal tables, a table
that cannot be rebuilt, a corrupted vault row, batches the vault has not built, bad arguments."""

from __future__ import annotations

import duckdb
import pytest

from tests.verify.conftest import SPEC, write_batch
from vaultgen.cli import main

pytestmark = pytest.mark.dbt


def verify(capsys, database, *extra: str) -> tuple[int, str, str]:
    code = main(["verify", "--spec", str(SPEC), "--database", str(database), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def status_of(out: str) -> dict[str, str]:
    """{table: status} from the report's status lines."""
    statuses = {}
    for line in out.splitlines():
        for status in ("equal", "differs", "not built", "not rebuilt"):
            if line.startswith(f"  {status} "):
                statuses[line[len(status) + 2:].split()[0]] = status
    return statuses


def test_the_newest_batch_of_every_table_equals_the_vault_and_genres_is_reported_not_failed(built_vault, capsys):
    code, out, err = verify(capsys, built_vault)
    assert code == 0, out + err
    assert status_of(out) == {"invoices": "equal", "tracks": "equal", "invoice_lines": "equal", "genres": "not rebuilt"}
    assert "invoice_lines" in out and "3 rows in the snapshot, 3 rebuilt from the vault" in out
    assert "rebuilt through link 'invoice_track', keyed by (invoice_id, track_id)" in out  # not by invoice_line_id
    assert "genres" in out and "no record tracking satellite" in out and "record_tracking_satellite with source: genres" in out
    assert out.rstrip().splitlines()[-1].startswith("ok: 4 table snapshots checked: 3 equal, 0 differ, 0 not built, 1 cannot be rebuilt")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_every_batch_and_an_earlier_moment(built_vault, capsys):
    code, out, _ = verify(capsys, built_vault, "--all")
    assert code == 0 and "8 table snapshots checked: 6 equal" in out
    code, out, _ = verify(capsys, built_vault, "--at", "2024-02-01T07:00:00+01:00")  # = 06:00 UTC, the first batch
    assert code == 0 and "invoice_lines" in out and "3 rows in the snapshot, 3 rebuilt" in out  # batch 1 had lines 100, 101, 102


def test_a_corrupted_satellite_row_is_caught_with_sample_rows_from_both_sides(vault_copy, capsys):
    with duckdb.connect(str(vault_copy)) as connection:  # the vault now says line 102 has quantity 99
        changed = connection.execute(
            'update raw_vault.sat_invoice_line_details set quantity = 99 where invoice_line_id = 102 and quantity = 2 returning 1').fetchall()
    assert len(changed) == 1
    code, out, err = verify(capsys, vault_copy)
    assert code == 1, out + err
    assert status_of(out)["invoice_lines"] == "differs" and status_of(out)["invoices"] == "equal"
    assert "in the snapshot, not in the vault (1 row):" in out
    assert "invoice_line_id=102, invoice_id=2, track_id=12, unit_price=1.99, quantity=2" in out
    assert "rebuilt from the vault, not in the snapshot (1 row):" in out
    assert "invoice_line_id=102, invoice_id=2, track_id=12, unit_price=1.99, quantity=99" in out
    assert "FAILED: 4 table snapshots checked: 2 equal, 1 differ" in out and "Traceback" not in err


def test_a_deleted_hub_row_loses_rows_and_verify_counts_them(vault_copy, capsys):
    with duckdb.connect(str(vault_copy)) as connection:
        connection.execute("delete from raw_vault.hub_track where track_id = 10")
    code, out, _ = verify(capsys, vault_copy, "--samples", "1")
    assert code == 1 and status_of(out)["tracks"] == "differs" and status_of(out)["invoice_lines"] == "differs"
    assert "first 1 shown" in out  # invoice lines 100 and 103 both name track 10: two rows differ, one shown


def test_a_loaded_batch_the_vault_has_not_built_is_a_finding(vault_copy, tmp_path, capsys):
    folder = write_batch(tmp_path / "b3", {"genres": [("genre_id", "name"), (1, "Jazz")]})
    assert main(["load", "--spec", str(SPEC), "--from", str(folder), "--batch-id", "b3", "--load-ts", "2024-02-03 06:00",
                 "--database", str(vault_copy)]) == 0
    capsys.readouterr()
    code, out, _ = verify(capsys, vault_copy)
    assert code == 1 and status_of(out)["genres"] == "not built" and "run `vaultgen run`" in out


@pytest.mark.parametrize(("extra", "fragments"), [
    (["--at", "2023-12-31"], ["VG143 no batch was loaded at or before 2023-12-31 00:00:00", "the first batch was loaded at 2024-02-01 06:00:00"]),
    (["--at", "yesterday"], ["--at: VG110 'yesterday' is not an ISO 8601 timestamp"]),
    (["--samples", "-1"], ["VG144 --samples must be 0 or more"]),
])
def test_bad_arguments_are_input_errors(built_vault, capsys, extra, fragments):
    code, out, err = verify(capsys, built_vault, *extra)
    assert code == 3 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_a_missing_database_and_usage_errors(tmp_path, capsys):
    code, _, err = verify(capsys, tmp_path / "none.duckdb")
    assert code == 3 and "VG130 no such database" in err
    with pytest.raises(SystemExit) as usage:
        main(["verify", "--spec", str(SPEC), "--all", "--at", "2024-01-01"])
    assert usage.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_a_database_without_the_raw_layer_or_a_vault_table_is_a_located_error(vault_copy, tmp_path, capsys):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    code, _, err = verify(capsys, empty)
    assert code == 3 and "raw.load_log: VG145 DuckDB cannot run a comparison query" in err and "Traceback" not in err
    with duckdb.connect(str(vault_copy)) as connection:
        connection.execute("drop table raw_vault.hub_track")
    code, _, err = verify(capsys, vault_copy)
    assert code == 3 and "raw_vault.hub_track" in err and "VG145" in err and "Traceback" not in err
