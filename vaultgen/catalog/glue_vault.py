"""Glue Data Catalog definitions of the vault tables that Athena reads, derived from the spec. Pure: no AWS calls.

One definition per persisted model of the generated Athena dbt project in the raw_vault and business_vault layers
(hubs, links, non-historized links, satellites, multi-active satellites, record tracking and effectivity
satellites, reference tables, PIT and bridge tables) whose entity is enabled on athena. Same boto3
`glue.create_table(**definition)` shape as the raw tables (vaultgen.catalog.glue); `vaultgen render` writes
them to generated/glue/<database>/<table>.json and `vaultgen glue sync` applies them.

- DatabaseName is the Glue database dbt-athena writes the model to: the layer's `+schema` in dbt_project.yml,
  used as written by the project's generate_schema_name macro (the profile's catalog is awsdatacatalog).
- Columns come in the order the model's SQL produces them (vaultgen.graph.vault_model_columns), typed as on
  Athena: hash keys and hashdiffs are lower-case hex strings, load timestamps and other instants are UTC
  wall-clock timestamps (Athena's Iceberg DDL creates no column with a time zone, so staging converts them),
  values from the source map through vaultgen.types and the catalog's type table.
- The partition spec is the entity's Athena `partition_by` (the model's `partitioned_by` config).

Not included:
- views: staging and the `_history` / `_current` end-dating views hold no data; dbt replaces them on every run;
- the marts (dimensions, facts, aggregates): they are `table` models that dbt-athena drops and rebuilds in full
  on every run, so a catalog definition kept beside them would describe a table dbt re-creates anyway (and a
  sync that never drops would fight dbt's rebuild); their columns are a projection the marts' own schema.yml
  documents.

A vault table that `glue sync` creates before dbt's first run makes that run incremental; incremental runs add
the ghost row while the table lacks it (vaultgen.sql.common.ghost_unless_present), so it still gets one, once.
"""

from __future__ import annotations

import json
from typing import Any

from vaultgen.catalog.glue import OPEN_TABLE_FORMAT_INPUT, TABLE_PARAMETERS, _clip, catalog_type
from vaultgen.dialects import glue_vault_target
from vaultgen.dialects.glue import CATALOG_TYPES, MAX_COMMENT, MAX_DESCRIPTION, CatalogType
from vaultgen.emit.dbt_project import LAYER_SCHEMAS, RENDERERS
from vaultgen.graph import ModelColumn, vault_model_columns
from vaultgen.naming import Naming
from vaultgen.spec.model import PartitionField, Spec
from vaultgen.targets import enabled_entities, model_options
from vaultgen.types import parse_source_type

TARGET = glue_vault_target()  # athena
LAYERS = ("raw_vault", "business_vault")  # the persisted vault layers (models/<layer>/...)

# a hash key or hashdiff per the target's hash type (Athena has only hex; binary is Snowflake's option)
HASH_TYPES = {"hex": CatalogType("string", "string"), "binary": CatalogType("binary", "binary")}
# an instant (the load timestamp, a timestamptz source column) as the Athena models store it: Athena's Iceberg DDL
# creates no column with a time zone, so staging turns instants into UTC wall-clock timestamps
# (vaultgen.dialects.athena)
STORED_INSTANT = CatalogType("timestamp", "timestamp", "UTC wall-clock time (Athena creates no Iceberg column with a time zone)")
# the logical types of values a vault model computes itself (record source, status flags, daily snapshot times)
COMPUTED_TYPES = {name: CATALOG_TYPES[name] for name in ("string", "boolean", "timestamp")}


def layer_of(entity) -> str:
    """models/<layer>/... of the entity's model."""
    return RENDERERS[type(entity)].folder.split("/")[0]


def vault_database(entity) -> str:
    """The Glue database dbt-athena writes the entity's model to."""
    return LAYER_SCHEMAS[layer_of(entity)]


def vault_entities(spec: Spec) -> list:
    """The entities whose Athena model is a persisted raw_vault or business_vault table, in spec order."""
    return [entity for entity in enabled_entities(spec, TARGET) if type(entity) in RENDERERS and layer_of(entity) in LAYERS]


def vault_databases(spec: Spec) -> list[str]:
    return sorted({vault_database(entity) for entity in vault_entities(spec)})


def _hash_type(spec: Spec) -> CatalogType:
    settings = spec.project.target_settings.get(TARGET)
    return HASH_TYPES[settings.hash_type if settings else "hex"]


def column_types(spec: Spec, column: ModelColumn) -> tuple[str, str]:
    """(Glue type, Iceberg type) of a vault model column on Athena."""
    if column.type == "hash":
        mapped = _hash_type(spec)
        return mapped.glue, mapped.iceberg
    if column.type == "load_ts":
        return STORED_INSTANT.glue, STORED_INSTANT.iceberg
    if column.type == "source":
        if column.source is None:
            raise ValueError(f"column {column.name} ({column.description}): its source column is not in the spec")
        parsed = parse_source_type(column.source.type)
        return (STORED_INSTANT.glue, STORED_INSTANT.iceberg) if parsed.logical == "timestamptz" else catalog_type(parsed)
    mapped = COMPUTED_TYPES[column.type]
    return mapped.glue, mapped.iceberg


def _glue_column(spec: Spec, column: ModelColumn) -> dict[str, Any]:
    glue_type, _ = column_types(spec, column)
    if column.type == "hash":
        comment = f"{column.description} ({'hex' if glue_type == 'string' else 'binary'} {spec.project.hashing.algorithm})"
    elif column.type == "load_ts":
        comment = f"{column.description}; {STORED_INSTANT.note}"
    else:
        comment = column.description
    result: dict[str, Any] = {"Name": column.name, "Type": glue_type}
    if column.source is not None:
        parsed = parse_source_type(column.source.type)
        note = STORED_INSTANT.note if parsed.logical == "timestamptz" else CATALOG_TYPES[parsed.logical].note
        comment = "; ".join(part for part in (comment, f"source: {column.source.type}", note, column.source.description) if part)
        result["Parameters"] = {"vaultgen.sensitivity": column.source.sensitivity, "vaultgen.source_type": column.source.type}
    result["Comment"] = _clip(comment, MAX_COMMENT)
    return result


def iceberg_transform(field: PartitionField) -> str:
    return f"bucket[{field.buckets}]" if field.transform == "bucket" else field.transform


def _partition_name(field: PartitionField) -> str:
    return field.column if field.transform == "identity" else f"{field.column}_{field.transform}"


def partition_fields(spec: Spec, entity) -> tuple[PartitionField, ...]:
    return model_options(spec, entity, TARGET).partition_by


def _partition_parameters(spec: Spec, entity) -> dict[str, str]:
    fields = partition_fields(spec, entity)
    if not fields:
        return {}
    spec_json = json.dumps([{"name": _partition_name(f), "source": f.column, "transform": iceberg_transform(f)} for f in fields], sort_keys=True)
    return {"vaultgen.partition-spec": spec_json}


def _description(entity) -> str:
    built = RENDERERS[type(entity)].describe(entity)
    return f"{entity.description} ({built})" if entity.description else built


def vault_definition(spec: Spec, entity) -> dict[str, Any]:
    name = Naming(spec).model_name(entity)
    columns = vault_model_columns(spec, entity)
    assert columns is not None, entity.name
    return {
        "DatabaseName": vault_database(entity),
        "TableInput": {
            "Name": name,
            "Description": _clip(f"{_description(entity)}. Built by the dbt model {name} of the generated Athena project.", MAX_DESCRIPTION),
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {**TABLE_PARAMETERS, **_partition_parameters(spec, entity), "vaultgen.kind": entity.kind},
            # Iceberg partitions are hidden transforms: no Glue partition keys (as for the raw tables)
            "PartitionKeys": [],
            "StorageDescriptor": {"Columns": [_glue_column(spec, column) for column in columns]},
        },
        "OpenTableFormatInput": json.loads(json.dumps(OPEN_TABLE_FORMAT_INPUT)),
    }


def vault_table_inputs(spec: Spec) -> list[dict[str, Any]]:
    """The create_table request of every persisted Athena vault model, in spec order."""
    return [vault_definition(spec, entity) for entity in vault_entities(spec)]


def vault_database_input(spec: Spec, database: str) -> dict[str, Any]:
    return {"Name": database, "Description": f"{database} layer of {spec.project.name}: Iceberg tables built by the generated Athena dbt project."}


def vault_iceberg_create_input(spec: Spec, database: str, table_name: str, location: str) -> dict[str, Any]:
    """The IcebergInput.CreateIcebergTableInput that makes Glue write real (empty) Iceberg metadata at `location`."""
    naming = Naming(spec)
    entity = next(e for e in vault_entities(spec) if naming.model_name(e) == table_name and vault_database(e) == database)
    columns = vault_model_columns(spec, entity)
    # no NOT NULL: Athena's CTAS declares none either, and ghost rows carry NULL business keys and attributes
    fields = [{"Id": position, "Name": column.name, "Type": column_types(spec, column)[1], "Required": False}
              for position, column in enumerate(columns, start=1)]
    ids = {field["Name"]: field["Id"] for field in fields}
    partition = [
        {"SourceId": ids[f.column], "Transform": iceberg_transform(f), "Name": _partition_name(f), "FieldId": 1000 + index}
        for index, f in enumerate(partition_fields(spec, entity))
    ]
    return {
        "Location": location,
        "Schema": {"SchemaId": 0, "Type": "struct", "Fields": fields},
        "PartitionSpec": {"SpecId": 0, "Fields": partition},
        "Properties": {key: value for key, value in TABLE_PARAMETERS.items() if key.startswith("write.")},
    }


def render_vault_glue_files(spec: Spec) -> dict[str, str]:
    """generated/glue/<database>/<table>.json for every vault table Athena reads; none when athena is not a target."""
    if TARGET not in spec.project.targets:
        return {}
    files: dict[str, str] = {}
    for definition in vault_table_inputs(spec):
        path = f"glue/{definition['DatabaseName']}/{definition['TableInput']['Name']}.json"
        files[path] = json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return files
