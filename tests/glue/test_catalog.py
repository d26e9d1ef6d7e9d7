"""The Glue Data Catalog definitions of the raw tables: pure functions, no AWS."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO
from vaultgen.catalog.glue import (
    catalog_type,
    glue_table_inputs,
    iceberg_create_input,
    render_glue_files,
)
from vaultgen.dialects.glue import CATALOG_TYPES
from vaultgen.types import LOGICAL_TYPES, SOURCE_TYPES, parse_source_type


@pytest.mark.parametrize(
    ("source", "glue", "iceberg"),
    [
        ("smallint", "int", "int"),
        ("int2", "int", "int"),
        ("integer", "int", "int"),
        ("bigint", "bigint", "long"),
        ("real", "float", "float"),
        ("double precision", "double", "double"),
        ("numeric(10,2)", "decimal(10,2)", "decimal(10,2)"),
        ("numeric(7)", "decimal(7,0)", "decimal(7,0)"),
        ("numeric", "decimal(38,18)", "decimal(38,18)"),
        ("character varying(40)", "string", "string"),
        ("varchar(5)", "string", "string"),
        ("text", "string", "string"),
        ("bytea", "binary", "binary"),
        ("boolean", "boolean", "boolean"),
        ("date", "date", "date"),
        ("timestamp", "timestamp", "timestamp"),
        ("timestamp with time zone", "timestamp", "timestamptz"),
    ],
)
def test_type_mapping(source, glue, iceberg):
    assert catalog_type(parse_source_type(source)) == (glue, iceberg)


def test_every_logical_type_is_mapped():
    assert set(CATALOG_TYPES) == set(SOURCE_TYPES.values()) == set(LOGICAL_TYPES)


def test_one_definition_per_source_table_plus_load_log(spec):
    definitions = glue_table_inputs(spec)
    names = [d["TableInput"]["Name"] for d in definitions]
    assert names == [table.name for _, table in spec.tables()] + [spec.project.raw.load_log_table]
    assert {d["DatabaseName"] for d in definitions} == {spec.project.raw.schema_name}


def test_definition_shape(spec):
    raw = spec.project.raw
    definition = next(d for d in glue_table_inputs(spec) if d["TableInput"]["Name"] == "orders")
    assert set(definition) == {"DatabaseName", "TableInput", "OpenTableFormatInput"}
    assert definition["OpenTableFormatInput"] == {"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}}
    table = definition["TableInput"]
    parameters = table["Parameters"]
    assert parameters["table_type"] == "ICEBERG"
    assert parameters["format-version"] == "2"
    assert parameters["write.parquet.compression-codec"] == "zstd"
    assert json.loads(parameters["vaultgen.partition-spec"]) == [{"name": f"{raw.load_timestamp_column}_day", "source": raw.load_timestamp_column, "transform": "day"}]
    columns = table["StorageDescriptor"]["Columns"]
    spec_columns = spec.table("orders").columns
    assert [c["Name"] for c in columns] == [c.name for c in spec_columns] + [raw.load_timestamp_column, raw.batch_id_column]
    by_name = {c["Name"]: c for c in columns}
    assert by_name["order_id"]["Type"] == "int" and by_name["employee_id"]["Type"] == "int" and "smallint" in by_name["employee_id"]["Comment"]
    assert by_name["freight"]["Type"] == "float"
    assert by_name["order_date"]["Type"] == "date"
    assert by_name[raw.load_timestamp_column]["Type"] == "timestamp"
    assert by_name[raw.batch_id_column]["Type"] == "string"
    assert by_name["ship_name"]["Parameters"]["vaultgen.sensitivity"] == "pii"
    assert all(len(c["Comment"]) <= 255 for c in columns)


def test_timestamptz_keeps_a_note_and_comments_are_clipped(spec):
    from vaultgen.spec.model import Column

    long = "x" * 3000
    orders = spec.table("orders")
    changed = orders.model_copy(update={"columns": [*orders.columns, Column(name="shipped_at", type="timestamptz", description=long[:2000])]})
    system = spec.sources[0]
    new_spec = spec.model_copy(update={"sources": [system.model_copy(update={"tables": [changed if t.name == "orders" else t for t in system.tables]})]})
    definition = next(d for d in glue_table_inputs(new_spec) if d["TableInput"]["Name"] == "orders")
    column = next(c for c in definition["TableInput"]["StorageDescriptor"]["Columns"] if c["Name"] == "shipped_at")
    assert column["Type"] == "timestamp"
    assert "time zone" in column["Comment"] and len(column["Comment"]) == 255


def test_iceberg_create_input_partitions_by_day_of_load_ts(spec):
    raw = spec.project.raw
    created = iceberg_create_input(spec, "categories", "s3://bucket/wh/raw.db/categories")
    fields = created["Schema"]["Fields"]
    assert [f["Id"] for f in fields] == list(range(1, len(fields) + 1))
    load_ts = next(f for f in fields if f["Name"] == raw.load_timestamp_column)
    assert created["PartitionSpec"]["Fields"] == [{"SourceId": load_ts["Id"], "Transform": "day", "Name": f"{raw.load_timestamp_column}_day", "FieldId": 1000}]
    assert created["Properties"]["write.parquet.compression-codec"] == "zstd"


def test_render_is_deterministic_and_committed(spec):
    files = render_glue_files(spec)
    assert files == render_glue_files(spec)
    assert sorted(files) == sorted(f"glue/{spec.project.raw.schema_name}/{d['TableInput']['Name']}.json" for d in glue_table_inputs(spec))
    for name, text in files.items():
        assert text.endswith("}\n") and "\r" not in text
        assert json.loads(text) == next(d for d in glue_table_inputs(spec) if f"/{d['TableInput']['Name']}.json" in name)
        assert (REPO / "generated" / name).read_text(encoding="utf-8") == text, f"generated/{name} is stale: run vaultgen render"


def test_glue_columns_match_the_dbt_sources(spec):
    """The dbt project reads source `raw`: the same tables and columns, in the same order, as the Glue tables."""
    sources = yaml.safe_load((REPO / "generated" / "duckdb" / "models" / "sources.yml").read_text(encoding="utf-8"))
    raw_source = next(s for s in sources["sources"] if s["name"] == "raw")
    assert raw_source["schema"] == spec.project.raw.schema_name
    dbt_tables = {t["name"]: [c["name"] for c in t["columns"]] for t in raw_source["tables"]}
    glue_tables = {d["TableInput"]["Name"]: [c["Name"] for c in d["TableInput"]["StorageDescriptor"]["Columns"]] for d in glue_table_inputs(spec)}
    assert dbt_tables == glue_tables
