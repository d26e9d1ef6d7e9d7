"""Your own database, end to end, on the PostgreSQL server the tests start: `vaultgen init` drafts a spec from
the live catalog, `vaultgen load --from postgresql://...` loads a consistent snapshot, `vaultgen run` builds it
with dbt on DuckDB, and every source table rebuilt from the vault equals its batch (compare_batch).

(1) the real Northwind dump; (2) a music store the test creates (CamelCase names, a composite key, a
self-reference, an M:N table, an InvoiceLine with its own key), over two batches with changes in between.
Also: the batch is one snapshot while the source changes under it, and the shipped vault_spec/ passes
`validate --against` the real Northwind."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.init.music import CHANGES, create
from vaultgen.cli import main
from vaultgen.raw.database_load import load_database
from vaultgen.source import parse_url
from vaultgen.spec.loader import load_spec
from vaultgen.verify.roundtrip import compare_batch

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]
REPO = Path(__file__).resolve().parents[2]


def _database(server, name: str) -> str:
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}"')
        connection.execute(f'create database "{name}"')
    return server.url(name)


def _round_trips(spec_dir: Path, database: Path, at: datetime) -> dict[str, int]:
    spec = load_spec(spec_dir)
    with duckdb.connect(str(database), read_only=True) as connection:
        results = compare_batch(connection, spec, at)
    unequal = {r.table: (r.missing_from_vault[:3], r.extra_in_vault[:3]) for r in results if not r.equal}
    assert not unequal, f"at {at}: {unequal}"
    return {r.table: r.source_rows for r in results}


def _load_and_run(spec: Path, url: str, batch: str, load_ts: str, work: Path) -> None:
    database = work / "vault.duckdb"
    assert main(["load", "--spec", str(spec), "--from", url, "--batch-id", batch, "--load-ts", load_ts, "--database", str(database)]) == 0
    assert main(["run", "--spec", str(spec), "--out", str(work / "generated"), "--database", str(database), "--work-dir", str(work)]) == 0
    assert main(["verify", "--spec", str(spec), "--database", str(database), "--all"]) == 0  # the round trip as users run it


@pytest.fixture(scope="module")
def northwind_url(postgres, northwind_dump):
    url = _database(postgres, "northwind_init")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(northwind_dump)], check=True, capture_output=True, text=True)
    return url


def test_northwind_from_postgresql_end_to_end(northwind_url, tmp_path, capsys):
    spec = tmp_path / "spec"
    assert main(["init", "--from", northwind_url, "--out", str(spec)]) == 0
    drafted = load_spec(spec)
    assert len(drafted.tables()) == 14 and {"order_details", "employee_territories", "customer_customer_demo"} <= {l.name for l in drafted.links}
    manager = drafted.entity("employee_reports_to")
    assert [(r.hub, r.role) for r in manager.references] == [("employee", None), ("employee", "reports_to")]
    assert main(["validate", "--spec", str(spec), "--against", northwind_url]) == 0
    assert main(["validate", "--spec", str(REPO / "vault_spec"), "--against", northwind_url]) == 0  # the hand-written spec matches too
    capsys.readouterr()
    _load_and_run(spec, northwind_url, "b1", "2024-06-01 02:00", tmp_path / "work")
    counts = _round_trips(spec, tmp_path / "work" / "vault.duckdb", datetime(2024, 6, 1, 2, 0))
    assert counts["order_details"] == 2155 and counts["orders"] == 830 and counts["employees"] == 9


@pytest.fixture(scope="module")
def music_url(postgres):
    url = _database(postgres, "music")
    with psycopg.connect(url, autocommit=True) as connection:
        create(connection, placeholder="%s")
    return url


def test_music_store_from_postgresql_over_two_batches(music_url, tmp_path):
    spec = tmp_path / "spec"
    assert main(["init", "--from", music_url, "--out", str(spec)]) == 0
    drafted = load_spec(spec)
    assert drafted.table("invoice_line").source_name == "InvoiceLine" and drafted.table("album").description == "Albums of an artist"
    assert drafted.table("track_price").primary_key == ["track_id", "currency"]
    work = tmp_path / "work"
    _load_and_run(spec, music_url, "b1", "2024-01-01 06:00", work)
    first = _round_trips(spec, work / "vault.duckdb", datetime(2024, 1, 1, 6))
    assert first["invoice_line"] == 60 and first["track_price"] == 60

    with psycopg.connect(music_url, autocommit=True) as connection, connection.transaction():
        for change in CHANGES:
            connection.execute(change)
    _load_and_run(spec, music_url, "b2", "2024-01-02 06:00", work)
    second = _round_trips(spec, work / "vault.duckdb", datetime(2024, 1, 2, 6))
    assert _round_trips(spec, work / "vault.duckdb", datetime(2024, 1, 1, 6)) == first  # history intact
    assert second["playlist_track"] == first["playlist_track"] - 2 and second["invoice"] == 21 and second["invoice_line"] == 60
    with duckdb.connect(str(work / "vault.duckdb"), read_only=True) as connection:
        manager = connection.execute(
            "select count(*) from raw_vault.link_employee_reports_to l join raw_vault.hub_employee h using (employee_hk)"
            " where h.employee_id = 6").fetchone()[0]
    assert manager == 2  # the old and the new manager: the hierarchy's history


def test_a_batch_is_one_snapshot_while_the_source_changes(postgres, tmp_path):
    url = _database(postgres, "music_snapshot")
    with psycopg.connect(url, autocommit=True) as connection:
        create(connection, placeholder="%s")
    spec_dir = tmp_path / "spec"
    assert main(["init", "--from", url, "--out", str(spec_dir)]) == 0
    spec = load_spec(spec_dir)
    writer = psycopg.connect(url, autocommit=True)

    def change_the_source(table: str, rows: int) -> None:  # after the first table is read, commit a change to later ones
        if table == "album":
            writer.execute("""update "Track" set "Name" = 'late' where "TrackId" = 1""")
            writer.execute("""delete from "PlaylistTrack" """)

    try:
        with duckdb.connect(str(tmp_path / "vault.duckdb")) as connection:
            _, counts = load_database(connection, spec, parse_url(url), "b1", datetime(2024, 1, 1), on_table=change_the_source)
            names = connection.execute("select name from raw.track where track_id = 1").fetchall()
            _, later = load_database(connection, spec, parse_url(url), "b2", datetime(2024, 1, 2))
    finally:
        writer.close()
    assert names == [("Track 1",)] and counts["playlist_track"] > 0  # the batch did not see the change committed mid-load
    assert later["playlist_track"] == 0  # the next one does
