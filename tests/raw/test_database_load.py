"""`vaultgen load --from URL` from DuckDB and SQLite files (no dbt): every spec table lands in the raw layer equal
to the source, by its source names; a second, a corrected and a refused batch follow the lifecycle rules; a
refused batch changes nothing; an incremental table brings only the rows at or past its watermark."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.init.conftest import music_files, url_of  # noqa: F401  (the session fixture)
from tests.init.music import rows
from tests.raw.conftest import raw_state
from vaultgen.cli import main
from vaultgen.spec.loader import load_spec


def _sqlite_value(value):
    return float(value) if isinstance(value, Decimal) else value


def _raw(database: Path, table: str, columns: list[str], batch: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = ", ".join(f'"{c}"' for c in columns)
        return connection.execute(f'select {names} from raw."{table}" where batch_id = ? order by all', [batch]).fetchall()


@pytest.fixture
def drafted(music_files, tmp_path):  # noqa: F811
    def make(kind: str) -> tuple[Path, str]:
        source = tmp_path / music_files[kind].name
        shutil.copy(music_files[kind], source)  # the test changes it
        spec = tmp_path / f"spec_{kind}"
        assert main(["init", "--from", url_of(kind, source), "--out", str(spec)]) == 0
        return spec, url_of(kind, source)
    return make


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_a_database_batch_equals_the_source(kind, drafted, tmp_path, capsys):
    spec_dir, url = drafted(kind)
    database = tmp_path / "vault.duckdb"
    assert main(["load", "--spec", str(spec_dir), "--from", url, "--batch-id", "b1", "--load-ts", "2024-01-01 06:00", "--database", str(database)]) == 0
    assert "track_price: 60 rows" in capsys.readouterr().out
    spec = load_spec(spec_dir)
    expected = rows()
    for _, table in spec.tables():
        loaded = _raw(database, table.name, [c.name for c in table.columns], "b1")
        assert loaded == sorted(expected[table.source_name]), table.name
    with duckdb.connect(str(database), read_only=True) as connection:
        log = connection.execute("select table_name, batch_id, load_ts, row_count from raw.load_log order by 1").fetchall()
    assert log[0] == ("album", "b1", datetime(2024, 1, 1, 6), 8) and len(log) == 8


def test_second_corrected_and_refused_batches(drafted, tmp_path, capsys):
    spec_dir, url = drafted("duckdb")
    source = Path(url.removeprefix("duckdb://"))
    database = tmp_path / "vault.duckdb"
    load = ["load", "--spec", str(spec_dir), "--from", url, "--database", str(database)]
    assert main([*load, "--batch-id", "b1", "--load-ts", "2024-01-01 06:00"]) == 0
    with duckdb.connect(str(source)) as connection:
        connection.execute('update "Track" set "Name" = \'changed\' where "TrackId" = 1')
    assert main([*load, "--batch-id", "b2", "--load-ts", "2024-01-02 06:00"]) == 0
    assert _raw(database, "track", ["track_id", "name"], "b2")[0] == (1, "changed")
    assert _raw(database, "track", ["track_id", "name"], "b1")[0] == (1, "Track 1")
    with duckdb.connect(str(source)) as connection:
        connection.execute('delete from "PlaylistTrack" where "PlaylistId" = 1')
    assert main([*load, "--batch-id", "b2"]) == 0  # a corrected batch: replaces b2, keeps its load timestamp
    assert "loaded corrected batch b2 at 2024-01-02 06:00:00" in capsys.readouterr().out
    assert all(row[0] != 1 for row in _raw(database, "playlist_track", ["playlist_id", "track_id"], "b2"))
    before = raw_state(database, load_spec(spec_dir))
    assert main([*load, "--batch-id", "b3", "--load-ts", "2023-12-31 06:00"]) == 3  # older than the newest
    assert "VG112" in capsys.readouterr().err
    assert raw_state(database, load_spec(spec_dir)) == before


def test_a_refused_batch_writes_nothing(drafted, tmp_path, capsys):
    spec_dir, url = drafted("sqlite")
    sources = spec_dir / "sources" / "music.yml"
    text = sources.read_text()
    # the spec claims Track.AlbumId is never NULL; track 30 has none
    sources.write_text(text.replace("{name: album_id, source_name: AlbumId, type: bigint}", "{name: album_id, source_name: AlbumId, type: bigint, nullable: false}"))
    database = tmp_path / "work" / "vault.duckdb"
    assert main(["load", "--spec", str(spec_dir), "--from", url, "--batch-id", "b1", "--database", str(database)]) == 3
    err = capsys.readouterr().err
    assert f"{url}/main.Track:30:3: VG108 source row 30, column album_id: NULL in a NOT NULL column of track" in err
    assert not database.exists() and not database.parent.exists()  # a refused first batch leaves no file behind


def test_an_incremental_table_brings_rows_past_its_watermark(tmp_path):
    source = tmp_path / "events.duckdb"
    with duckdb.connect(str(source)) as connection:
        connection.execute('create table "Event" ("EventId" integer primary key, "Payload" varchar, "UpdatedAt" timestamp not null)')
        connection.execute("""insert into "Event" values (1, 'a', '2024-01-01 10:00'), (2, 'b', '2024-01-01 11:00'), (3, 'c', '2024-01-01 12:00')""")
    spec_dir = tmp_path / "spec"
    assert main(["init", "--from", f"duckdb://{source}", "--out", str(spec_dir)]) == 0
    text = (spec_dir / "sources" / "events.yml").read_text()
    assert "# decide: updated_at may grow on every change" in text
    (spec_dir / "sources" / "events.yml").write_text(text.replace("        primary_key: [event_id]",
                                                                  "        load: incremental\n        watermark_column: updated_at\n        primary_key: [event_id]"))
    # an incremental table has no record tracking (its batches hold changed rows only): drop it from the draft
    vault = spec_dir / "vault" / "event.yml"
    vault.write_text("\n".join(line for line in vault.read_text().splitlines() if "record_tracking_satellite" not in line) + "\n")
    database = tmp_path / "vault.duckdb"
    load = ["load", "--spec", str(spec_dir), "--from", f"duckdb://{source}", "--database", str(database)]
    assert main([*load, "--batch-id", "b1", "--load-ts", "2024-01-02"]) == 0
    with duckdb.connect(str(source)) as connection:
        connection.execute("""update "Event" set "Payload" = 'a2', "UpdatedAt" = '2024-01-02 09:00' where "EventId" = 1""")
        connection.execute("""insert into "Event" values (4, 'd', '2024-01-02 10:00')""")
    assert main([*load, "--batch-id", "b2", "--load-ts", "2024-01-03"]) == 0
    assert [r[:2] for r in _raw(database, "event", ["event_id", "payload"], "b1")] == [(1, "a"), (2, "b"), (3, "c")]
    # at or past the highest watermark loaded before (12:00): the changed row, the new one, and the row at 12:00 again
    assert _raw(database, "event", ["event_id", "payload"], "b2") == [(1, "a2"), (3, "c"), (4, "d")]
