"""`vaultgen validate --against URL` on a DuckDB music store: a fresh draft has no findings; a spec with a wrong
table name, a wrong column name, a too narrow type, a key that is not unique and a hub key with NULLs gets one
finding each, located at the spec line it is about."""

from __future__ import annotations

import re
from pathlib import Path

from tests.init.conftest import music_files, url_of  # noqa: F401
from tests.init.music import rows
from vaultgen.cli import main
from vaultgen.source.checks import compatible


def test_type_compatibility():
    assert compatible("integer", "SMALLINT") and compatible("bigint", "INTEGER") and not compatible("smallint", "INTEGER")
    assert compatible("numeric(12,2)", "DECIMAL(10,2)") and not compatible("numeric(10,2)", "DECIMAL(10,3)")
    assert compatible("numeric(12,0)", "INTEGER") and not compatible("numeric(5,0)", "INTEGER")
    assert compatible("text", "DATE") and not compatible("date", "VARCHAR") and compatible("timestamptz", "TIMESTAMP")
    assert not compatible("numeric(10,2)", "DOUBLE") and compatible("numeric(10,2)", "DOUBLE", sqlite=True)


def _line(location: str) -> str:
    file, line, _ = location.rsplit(":", 2)
    return Path(file).read_text().splitlines()[int(line) - 1]


def test_findings_are_located_in_the_spec(music_files, tmp_path, capsys):  # noqa: F811
    url = url_of("duckdb", music_files["duckdb"])
    spec = tmp_path / "spec"
    assert main(["init", "--from", url, "--out", str(spec)]) == 0
    assert main(["validate", "--spec", str(spec), "--against", url]) == 0
    assert "ok (8 tables" in capsys.readouterr().out

    sources = spec / "sources" / "music.yml"
    text = sources.read_text()
    for old, new in [
        ("source_name: Playlist\n", "source_name: Playlists\n"),  # VG155
        ("{name: title, source_name: Title, type: varchar, nullable: false}", "{name: title, source_name: Titel, type: varchar, nullable: false}"),  # VG156
        ("{name: milliseconds, source_name: Milliseconds, type: integer,", "{name: milliseconds, source_name: Milliseconds, type: smallint,"),  # VG157
        ("        primary_key: [invoice_line_id]", "        primary_key: [invoice_id]"),  # VG158
    ]:
        assert old in text, old
        text = text.replace(old, new)
    sources.write_text(text)
    album = spec / "vault" / "album.yml"  # VG159: track.album_id feeds hub album too, and one track has none
    album.write_text(album.read_text().replace("      - {table: album, columns: [album_id]}\n",
                                               "      - {table: album, columns: [album_id]}\n      - {table: track, columns: [album_id]}\n"))

    assert main(["validate", "--spec", str(spec), "--against", url]) == 1
    out = capsys.readouterr().out
    findings = dict((code, (where, message)) for where, code, message in re.findall(r"^(\S+): (VG\d+) (.*)$", out, re.M))
    assert sorted(findings) == ["VG155", "VG156", "VG157", "VG158", "VG159"], out
    assert "source_name: Playlists" in _line(findings["VG155"][0])
    assert "source_name: Titel" in _line(findings["VG156"][0]) and "did you mean 'Title'?" in out
    assert "type: smallint" in _line(findings["VG157"][0]) and "main.Track.Milliseconds is INTEGER" in findings["VG157"][1]
    assert "primary_key: [invoice_id]" in _line(findings["VG158"][0])
    repeated = sum(1 for count in __import__("collections").Counter(r[1] for r in rows()["InvoiceLine"]).values() if count > 1)
    assert f"{repeated} key(s) occur more than once" in findings["VG158"][1]
    assert "{table: track, columns: [album_id]}" in _line(findings["VG159"][0])
    nulls = sum(1 for r in rows()["Track"] if r[2] is None)
    assert findings["VG159"][1].startswith(f"hub album: {nulls} row(s) of track have a NULL business key")
