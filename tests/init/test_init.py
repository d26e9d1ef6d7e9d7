"""`vaultgen init` on DuckDB and SQLite files of the music store: the draft validates, maps CamelCase names,
makes hubs, links (hierarchical with a role, M:N, from a table with its own key), satellites and record
tracking, is deterministic, and refuses bad URLs and folders with located messages, writing nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from tests.init.conftest import url_of
from vaultgen.cli import main
from vaultgen.init.names import Names, singular, snake
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import NAME_PATTERN, Hub, Link, RecordTrackingSatellite, Satellite


@pytest.mark.parametrize("source, expected", [("AlbumId", "album_id"), ("InvoiceLine", "invoice_line"), ("ReportsTo", "reports_to"),
                                              ("HTTPStatus", "http_status"), ("customerID", "customer_id"), ("Unit Price", "unit_price"),
                                              ("1st", "x_1st"), ("Ünïcode", "unicode"), ("__", "x")])
def test_snake_names(source, expected):
    assert snake(source) == expected


def test_singular():
    assert [singular(n) for n in ["categories", "orders", "addresses", "status", "employee", "playlist_track"]] == \
        ["category", "order", "address", "status", "employee", "playlist_track"]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=20))
def test_derived_names_are_spec_names_and_never_collide(sources):
    names = Names({"load_ts"})
    handed = [names.unique(snake(text)) for text in sources]
    assert all(NAME_PATTERN.fullmatch(name) and len(name) <= 60 for name in handed)
    assert len(set(handed)) == len(handed) and "load_ts" not in handed


def _init(url: str, out: Path, *extra: str) -> int:
    return main(["init", "--from", url, "--out", str(out), *extra])


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_draft_of_the_music_store(kind, music_files, tmp_path, capsys):
    out = tmp_path / "spec"
    assert _init(url_of(kind, music_files[kind]), out) == 0
    spec = load_spec(out)  # validates as it is
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yml"))[:3] == ["project.yml", "sources/music.yml", "vault/album.yml"]
    tables = {t.name: t for _, t in spec.tables()}
    assert sorted(tables) == ["album", "employee", "invoice", "invoice_line", "playlist", "playlist_track", "track", "track_price"]
    assert tables["invoice_line"].source_name == "InvoiceLine"
    assert [(c.name, c.source_name) for c in tables["album"].columns] == [("album_id", "AlbumId"), ("title", "Title"), ("artist_name", "ArtistName")]
    assert tables["track_price"].primary_key == ["track_id", "currency"]
    assert spec.project.targets == ["duckdb"]

    hubs = {h.name: h for h in spec.hubs}
    assert sorted(hubs) == ["album", "employee", "invoice", "invoice_line", "playlist", "track", "track_price"]
    assert hubs["track_price"].business_keys == ["track_id", "currency"]
    links = {link.name: link for link in spec.of_kind(Link)}
    manager = links["employee_reports_to"]
    assert [(r.hub, r.role) for r in manager.references] == [("employee", None), ("employee", "reports_to")]
    assert manager.sources[0].columns == {"employee": ["employee_id"], "reports_to": ["reports_to"]}
    assert [(r.hub, r.role) for r in links["playlist_track"].references] == [("playlist", None), ("track", None)]
    assert links["playlist_track"].sources[0].columns == {"playlist": ["playlist_id"], "track": ["track_id"]}
    assert {name for name in links if name.startswith("invoice_line_")} == {"invoice_line_invoice", "invoice_line_track"}
    assert [(r.hub, r.role) for r in links["invoice_sales_rep"].references] == [("invoice", None), ("employee", "sales_rep")]
    assert sorted(links) == ["employee_reports_to", "invoice_line_invoice", "invoice_line_track", "invoice_sales_rep", "playlist_track",
                             "track_album", "track_price_track"]
    satellites = {s.name: s for s in spec.of_kind(Satellite)}
    assert satellites["employee_details"].attributes == ["last_name", "first_name", "title", "hire_date", "email"]  # reports_to is the link's
    assert "playlist_track_details" not in satellites  # only keys: no satellite
    tracked = {t.parent for t in spec.of_kind(RecordTrackingSatellite)}
    assert tracked == set(hubs) | set(links)  # record tracking on every hub and link (full snapshots)
    employee = tables["employee"]
    assert {c.name for c in employee.columns if c.sensitivity == "pii"} == {"last_name", "first_name", "email"}
    text = (out / "sources" / "music.yml").read_text() + (out / "vault" / "track.yml").read_text()
    assert "# review: email: PII?" in text and "# decide: track_id looks like a surrogate key" in text
    assert "split this satellite by rate of change" in text
    if kind == "duckdb":  # comments become descriptions (SQLite has none)
        assert tables["album"].description == "Albums of an artist" and hubs["album"].description == "Albums of an artist"
        assert tables["track"].column("milliseconds").description == "Length of the track"
    assert "drafted" in capsys.readouterr().out


def test_draft_is_deterministic_and_the_same_from_both_engines(music_files, tmp_path):
    drafts = []
    for number, kind in enumerate(["duckdb", "duckdb", "sqlite"]):
        out = tmp_path / f"spec{number}"
        assert _init(url_of(kind, music_files[kind]), out) == 0
        drafts.append({p.relative_to(out).as_posix(): p.read_text() for p in sorted((out / "vault").rglob("*.yml"))})
    assert drafts[0] == drafts[1]
    strip = lambda files: {k: re.sub(r'\n    description: "Albums of an artist"', "", v) for k, v in files.items()}  # noqa: E731
    assert strip(drafts[0]) == strip(drafts[2])  # one vault shape whichever engine holds the tables


def test_only_some_tables(music_files, tmp_path):
    out = tmp_path / "spec"
    assert _init(url_of("duckdb", music_files["duckdb"]), out, "--tables", "Track", "TrackPrice") == 0
    spec = load_spec(out)
    assert sorted(t.name for _, t in spec.tables()) == ["track", "track_price"]
    assert "album_id" in spec.entity("track_details").attributes  # its table is not drafted: an attribute, with a comment
    assert "reference a table that is not drafted" in (out / "vault" / "track.yml").read_text()
    assert [link.name for link in spec.links] == ["track_price_track"]


@pytest.mark.parametrize("args, code, where", [
    (["--from", "mysql://u@h/db"], "VG150", "--from"),
    (["--from", "sqlite:///no/such/file.db"], "VG151", "/no/such/file.db"),
    (["--from", "postgresql://nobody@127.0.0.1:1/none"], "VG151", "postgresql://nobody@127.0.0.1:1/none"),
    (["--from", "duckdb://{duckdb}", "--tables", "Nope"], "VG153", "duckdb://{duckdb}/main"),
    (["--from", "duckdb://{duckdb}", "--schema", "other"], "VG153", "duckdb://{duckdb}/other"),
])
def test_refusals_are_located_and_write_nothing(args, code, where, music_files, tmp_path, capsys):
    out = tmp_path / "spec"
    args = [a.format(duckdb=music_files["duckdb"]) for a in args]
    assert main(["init", *args, "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert f"{where.format(duckdb=music_files['duckdb'])}: {code} " in err and "Traceback" not in err and "hint:" in err
    assert not out.exists()


def test_a_password_is_never_shown(capsys, tmp_path):
    assert main(["init", "--from", "postgresql://bob:s3cret@127.0.0.1:1/db", "--out", str(tmp_path / "x")]) == 3
    err = capsys.readouterr().err
    assert "s3cret" not in err and "postgresql://bob@127.0.0.1:1/db: VG151" in err


def test_a_non_empty_folder_is_kept_unless_forced(music_files, tmp_path, capsys):
    out = tmp_path / "spec"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert _init(url_of("duckdb", music_files["duckdb"]), out) == 3
    assert "VG154 the folder is not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert _init(url_of("duckdb", music_files["duckdb"]), out, "--force") == 0
    assert (out / "mine.txt").read_text() == "keep me" and (out / "project.yml").is_file()
