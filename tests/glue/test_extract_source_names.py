"""The Glue extract reads the source by its own names: a CamelCase music store in PostgreSQL, a spec drafted by
`vaultgen init` (`source_name: AlbumId` beside `album_id`), the extract plan it renders, and the PySpark extract
into Iceberg: every raw row equals the source row, under the spec's names."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal

import psycopg
import pytest

from tests.init.music import create
from vaultgen import writer
from vaultgen.catalog.extract_plan import extract_plan
from vaultgen.init.command import draft_spec
from vaultgen.spec.loader import load_spec

pytestmark = [pytest.mark.spark, pytest.mark.glue]
TABLES = ["Album", "Track", "TrackPrice"]


def test_the_extract_selects_source_names_as_spec_names(spark, postgres, tmp_path):
    from raw_extract import Credentials, run_extract
    from raw_extract.plan import parse_plan

    with psycopg.connect(postgres.dsn, autocommit=True) as connection:
        connection.execute("drop database if exists music_glue")
        connection.execute("create database music_glue")
    with psycopg.connect(postgres.url("music_glue"), autocommit=True) as connection:
        rows = create(connection, placeholder="%s")
    files, _, _ = draft_spec(postgres.url("music_glue"), tables=TABLES)
    files["project.yml"] += "  raw: {schema: raw_music}\n"  # its own Iceberg database beside the other glue tests
    writer.write(tmp_path / "spec", files)
    spec = load_spec(tmp_path / "spec")
    plan_data = extract_plan(spec)
    album = next(t for t in plan_data["tables"] if t["name"] == "album")
    assert album["source_name"] == "Album" and album["columns"][0] == {**album["columns"][0], "name": "album_id", "source_name": "AlbumId"}
    plan = parse_plan(json.dumps(plan_data))
    url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/music_glue"
    report = run_extract(spark, plan, url, Credentials("postgres", "unused", "127.0.0.1", postgres.port, "music_glue"), "m1",
                         datetime(2024, 1, 1, 6, tzinfo=timezone.utc), catalog="lake")
    assert all(result.error is None for result in report.results), [r.error for r in report.results]
    for _, table in spec.tables():
        loaded = spark.table(f"lake.raw_music.{table.name}").where("batch_id = 'm1'").select(*[c.name for c in table.columns]).collect()
        normal = lambda row: tuple(Decimal(v).quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for v in row)  # noqa: E731
        assert Counter(normal(tuple(r)) for r in loaded) == Counter(normal(r) for r in rows[table.source_name]), table.name
