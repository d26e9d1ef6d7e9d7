"""The source-name mapping in the spec: validated (a source name is any text without quotes or control
characters; two spec columns may not read one source column), and used by every reader of the source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vaultgen.catalog.extract_plan import extract_plan
from vaultgen.errors import SpecError
from vaultgen.raw.postgres_source import snapshot_query
from vaultgen.spec.loader import load_spec

SPEC = """
project: {name: music_vault}
sources:
  - name: music
    source_schema: Store
    tables:
      - name: album
        source_name: Album
        primary_key: [album_id]
        columns:
          - {name: album_id, source_name: AlbumId, type: integer, nullable: false}
          - {name: title, source_name: "Title of Album", type: text}
          - {name: artist_id, type: integer}
entities:
  - {kind: hub, name: album, business_keys: [album_id], sources: [{table: album, columns: [album_id]}]}
  - {kind: satellite, name: album_details, parent: album, source: album, attributes: [title, artist_id]}
"""


def _spec(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "spec"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "spec.yml").write_text(text)
    return folder


def test_readers_select_source_names_as_spec_names(tmp_path):
    spec = load_spec(_spec(tmp_path, SPEC))
    table = spec.table("album")
    assert snapshot_query(table, "Store") == \
        'SELECT "AlbumId" AS "album_id", "Title of Album" AS "title", "artist_id" FROM "Store"."Album" ORDER BY "AlbumId"'
    plan = extract_plan(spec)["tables"][0]
    assert plan["source_name"] == "Album"
    assert [c.get("source_name") for c in plan["columns"]] == ["AlbumId", "Title of Album", None]
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "glue"))
    from raw_extract.plan import parse_plan

    parsed = parse_plan(json.dumps(extract_plan(spec))).tables[0]
    assert parsed.source == "Album" and [c.source for c in parsed.columns] == ["AlbumId", "Title of Album", "artist_id"]


@pytest.mark.parametrize("old, new, code, text, line", [
    ("{name: artist_id, type: integer}", "{name: artist_id, source_name: AlbumId, type: integer}", "VG048",
     "columns 'album_id' and 'artist_id' of table 'album' both read source column 'AlbumId'", "source_name: AlbumId, type: integer}"),
    ('source_name: "Title of Album"', "source_name: artist_id", "VG048", "both read source column 'artist_id'", "{name: artist_id, type"),
    ('source_name: "Title of Album"', 'source_name: "Title \\"x\\""', "VG013", "is not a source name", "Title"),
    ("source_name: AlbumId,", 'source_name: "",', "VG013", "is not a source name", 'source_name: ""'),
])
def test_bad_mappings_are_located(tmp_path, old, new, code, text, line):
    assert old in SPEC
    folder = _spec(tmp_path, SPEC.replace(old, new))
    with pytest.raises(SpecError) as caught:
        load_spec(folder)
    problem = caught.value.problems[0]
    assert problem.code == code and text in problem.message, str(caught.value)
    assert line in SPEC.replace(old, new).splitlines()[problem.location.line - 1]
