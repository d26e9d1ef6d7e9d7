"""The resolved vault graph: which staging table feeds which entity, with which columns.

Pure functions of a checked spec. A hub is fed by its own sources and by every link reference to it, so a
link never points at a key its hub lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaultgen.naming import Naming
from vaultgen.spec.model import (
    Bridge, Column, EffectivitySatellite, Hub, Link, NonHistorizedLink, PointInTime, RecordTrackingSatellite, ReferenceTable, Satellite, Spec,
    Table,
)


@dataclass(frozen=True)
class HubFeed:
    table: str
    hash_key_column: str  # in the staging model
    columns: tuple[str, ...]  # source columns holding the business keys, in business key order


@dataclass(frozen=True)
class StagedKey:
    column: str
    source_columns: tuple[str, ...]


def hub_feeds(spec: Spec, hub: Hub) -> list[HubFeed]:
    naming = Naming.of(spec)
    feeds = {(s.table, tuple(s.columns)): HubFeed(s.table, naming.hash_key(hub.name), tuple(s.columns)) for s in hub.sources}
    for link, reference in spec.index.references.get(hub.name, ()):
        for source in link.sources:
            columns = tuple(source.columns[reference.role_name])
            feeds.setdefault((source.table, columns), HubFeed(source.table, naming.hash_key(reference.role_name), columns))
    return [feeds[key] for key in sorted(feeds)]


def staged_keys(spec: Spec, table: Table) -> list[StagedKey]:
    definitions = Naming.of(spec).staging_key_definitions(table.name)
    return [StagedKey(name, next(iter(columns))) for name, columns in sorted(definitions.items())]


def staged_hashdiffs(spec: Spec, table: Table) -> list[Satellite]:
    """Satellites and reference tables whose hashdiff the staging of `table` computes."""
    return sorted(spec.index.hashdiffs.get(table.name, ()), key=lambda s: s.name)


def parent_of(spec: Spec, satellite) -> Hub | Link:
    parent = spec.entity(satellite.parent)
    assert isinstance(parent, (Hub, Link))
    return parent


def record_source(spec: Spec, table_name: str) -> str:
    system = spec.system_of(table_name)
    return f"{system.record_source or system.name}.{table_name}"


def model_columns(spec: Spec, entity) -> list[str] | None:
    """The columns of an entity's vault model, or None for kinds this function does not know (the marts)."""
    columns = vault_model_columns(spec, entity)
    return None if columns is None else [column.name for column in columns]


@dataclass(frozen=True)
class ModelColumn:
    """A column of a persisted vault model, in the order the model's SQL produces it.

    `type` says what the column holds: "hash" (a hash key or hashdiff: the target's hash type), "load_ts" (a load
    timestamp, typed as the raw layer's load timestamp), or a logical type of vaultgen.types ("string", "boolean",
    "timestamp") for values the model computes. A column that carries a
    source column's value (a business key, an attribute, a payload) has type "source" and that column in
    `source`: its type is the target's type of the source type.
    """

    name: str
    type: str
    description: str
    source: Column | None = None


def _source_column(spec: Spec, table_name: str, column_name: str) -> Column | None:
    """The spec's source column (None while the spec's references are still being checked)."""
    table = spec.table(table_name)
    return table.column(column_name) if table is not None else None


def vault_model_columns(spec: Spec, entity) -> list[ModelColumn] | None:
    """The columns, in order, of the model an entity's builder in vaultgen.sql produces; None for the marts.

    The names follow vaultgen.naming exactly as the builders use it; the dbt tier compares these lists with the
    tables dbt builds (tests/dbt/test_dv_constructs.py, the vault catalog test)."""
    naming = Naming.of(spec)
    status = spec.project.naming.status_column

    def hash_key(name: str, what: str) -> ModelColumn:
        return ModelColumn(naming.hash_key(name), "hash", what)

    load_ts = ModelColumn(naming.load_ts, "load_ts", "load timestamp of the batch the row came with")
    record_source = ModelColumn(naming.record_source, "string", "system and table the row came from")
    hashdiff = ModelColumn(naming.hashdiff, "hash", "hash of the attributes, to detect changes")

    def attributes(table_name: str, names) -> list[ModelColumn]:
        return [ModelColumn(name, "source", f"from {table_name}.{name}", _source_column(spec, table_name, name)) for name in names]

    if isinstance(entity, Hub):
        first = entity.sources[0]  # business keys are cast to the type of the first source's key columns
        return [
            hash_key(entity.name, f"hash key of hub {entity.name}"),
            *[ModelColumn(key, "source", f"business key (as {first.table}.{column})", _source_column(spec, first.table, column))
              for key, column in zip(entity.business_keys, first.columns)],
            load_ts, record_source,
        ]
    if isinstance(entity, Link):  # a non-historized link adds its event's payload
        first = min(entity.sources, key=lambda source: source.table)  # the builder's first branch types the union
        payload = attributes(first.table, entity.payload) if isinstance(entity, NonHistorizedLink) else []
        return [
            hash_key(entity.name, f"hash key of link {entity.name}"),
            *[hash_key(reference.role_name, f"hash key of hub {reference.hub} (role {reference.role_name})") for reference in entity.references],
            load_ts, record_source, *payload,
        ]
    if isinstance(entity, Satellite):  # a multi-active satellite has the same columns (its hashdiff is the set's)
        return [hash_key(entity.parent, f"hash key of {entity.parent}"), hashdiff, load_ts, record_source, *attributes(entity.source, entity.attributes)]
    if isinstance(entity, RecordTrackingSatellite):
        return [hash_key(entity.parent, f"hash key of {entity.parent}"), load_ts, record_source,
                ModelColumn(status, "boolean", f"whether the key is present in {entity.source} from this load on")]
    if isinstance(entity, EffectivitySatellite):
        return [
            hash_key(entity.parent, f"hash key of link {entity.parent}"),
            *[hash_key(role, f"hash key of the driving key {role}") for role in entity.driving_keys],
            load_ts, record_source,
            ModelColumn(spec.project.naming.effectivity_status_column, "boolean", "whether the relationship starts (true) or ends (false) here"),
        ]
    if isinstance(entity, ReferenceTable):
        return [*attributes(entity.source, entity.code), hashdiff, load_ts, record_source, *attributes(entity.source, entity.attributes)]
    if isinstance(entity, PointInTime):
        columns = [hash_key(entity.hub, f"hash key of hub {entity.hub}"), _snapshot(naming, entity.calendar)]
        for name in entity.satellites:
            columns += [
                ModelColumn(naming.pit_key(name), "hash", f"key of the {name} row valid at the snapshot (the ghost key when none is)"),
                ModelColumn(naming.pit_load_ts(name), "load_ts", f"load timestamp of the {name} row valid at the snapshot"),
            ]
        return columns
    if isinstance(entity, Bridge):
        from vaultgen.sql.bridge import bridge_columns  # the builder's own list of key columns

        columns = [ModelColumn(name, "hash", "hash key along the bridge's path") for name in bridge_columns(spec, entity)]
        columns.append(ModelColumn(naming.load_ts, "load_ts", "load timestamp of the latest link row of the combination"))
        return columns + ([_snapshot(naming, entity.calendar)] if entity.calendar is not None else [])
    return None


def _snapshot(naming: Naming, calendar) -> ModelColumn:
    # snapshot times are the load log's load timestamps, or midnights cast to a plain TIMESTAMP (vaultgen.sql.pit)
    kind = "timestamp" if calendar.daily is not None else "load_ts"
    return ModelColumn(naming.snapshot, kind, "snapshot time")
