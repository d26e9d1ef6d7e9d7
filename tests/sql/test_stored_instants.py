"""Instants in the vault tables: Athena's Iceberg DDL (dbt-athena's CREATE TABLE AS) makes no column with a time
zone, so Athena's staging stores the load timestamp and every timestamptz column as its UTC wall-clock time,
while the hashes still read the instant as loaded. The other targets keep instants as they are."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from tests.support.trino_eval import evaluate
from vaultgen.dialects import get_dialect
from vaultgen.spec.loader import load_spec
from vaultgen.sql.staging import staging_sql

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"


def test_athena_stores_an_instant_as_its_utc_wall_clock():
    athena = get_dialect("athena")
    stored = athena.stored(exp.column("ts", quoted=True), "timestamptz")
    sqlglot.parse_one(stored.sql("athena"), read="athena")
    value = datetime(2024, 3, 1, 0, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert evaluate(stored, {"ts": value}) == datetime(2024, 2, 29, 22, 30, 0, 123456)
    assert stored.to.sql("athena") == "TIMESTAMP(6)"


@pytest.mark.parametrize("target", ["duckdb", "spark", "snowflake", "athena"])
def test_other_values_are_stored_as_loaded(target):
    column = exp.column("ts", quoted=True)
    assert get_dialect(target).stored(column, "timestamp") is column
    if target != "athena":
        assert get_dialect(target).stored(column, "timestamptz") is column


def test_athena_staging_converts_instants_after_hashing_them(tmp_path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    source = spec_dir / "source.yml"
    source.write_text(source.read_text().replace(
        "          - {name: city, type: varchar(15)}\n", "          - {name: city, type: varchar(15)}\n          - {name: seen_at, type: timestamptz}\n"))
    vault = spec_dir / "vault.yml"
    vault.write_text(vault.read_text().replace("attributes: [name, city]", "attributes: [name, city, seen_at]"))
    spec = load_spec(spec_dir)
    staging = staging_sql(spec, spec.table("customers"), get_dialect("athena"))
    projections = {select.alias_or_name: select for select in staging.expressions}
    for name in ("seen_at", "load_ts"):
        converted = projections[name].this
        assert isinstance(converted, exp.Cast) and converted.to.sql("athena") == "TIMESTAMP(6)", name
    assert isinstance(projections["name"], exp.Column)
    # the hashdiff reads the instant as loaded (with its time zone), as every other engine does
    hashdiff = projections["hashdiff_customer_details"].sql("athena")
    stored = get_dialect("athena").stored(exp.column("seen_at", quoted=True), "timestamptz").sql("athena")
    assert "AT_TIMEZONE(\"seen_at\", 'UTC')" in hashdiff and stored not in hashdiff
    duckdb_staging = staging_sql(spec, spec.table("customers"), get_dialect("duckdb"))
    assert [s.sql("duckdb") for s in duckdb_staging.expressions[:5]] == ['"customer_id"', '"name"', '"city"', '"seen_at"', '"load_ts"']


def _reads_raw_layer(select: exp.Select) -> bool:
    source = select.args.get("from_")
    return source is not None and isinstance(source.this, exp.Table) and source.this.name.startswith("vg.source:")


def _in_load_sequence(select: exp.Select) -> bool:
    """Inside CTE `loads` (staging.table_loads): raw load timestamps paired with the raw ones before them, only
    ever compared with the raw table's own, never stored."""
    cte = select.find_ancestor(exp.CTE)
    return cte is not None and cte.alias == "loads"


@pytest.mark.parametrize("incremental", [False, True])
def test_every_vault_model_stores_the_raw_load_timestamps_it_reads_without_time_zone_on_athena(incremental):
    """Record tracking reads the load log's batches and PIT/bridge calendars its load timestamps: on Athena those
    instants must be converted like staging's, or the model's CREATE TABLE AS fails."""
    from vaultgen.emit.dbt_project import RENDERERS

    spec = load_spec(Path(__file__).resolve().parents[1] / "fixtures" / "dv_spec")
    load_ts = spec.project.raw.load_timestamp_column
    checked = 0
    for entity in spec.entities:
        renderer = RENDERERS[type(entity)]
        if incremental and not renderer.incremental:
            continue
        for target, converted in (("athena", True), ("duckdb", False)):
            tree = renderer.build(spec, entity, get_dialect(target), incremental)
            for select in (s for s in tree.find_all(exp.Select) if _reads_raw_layer(s) and not _in_load_sequence(s)):
                for projection in select.expressions:
                    if any(c.name == load_ts for c in projection.find_all(exp.Column)):
                        calls = {a.name.lower() for a in projection.find_all(exp.Anonymous)}
                        assert ("at_timezone" in calls) == converted, (target, entity.name, projection.sql(target))
                        checked += 1
    assert checked > 10  # record tracking satellites, PIT and bridge calendars and horizons
