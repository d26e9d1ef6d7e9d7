"""The resolved vault graph: which staging table feeds which entity, with which columns.

Pure functions of a checked spec. A hub is fed by its own sources and by every link reference to it, so a
link never points at a key its hub lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaultgen.naming import Naming
from vaultgen.spec.model import Hub, Link, Satellite, Spec, Table


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
    naming = Naming(spec)
    feeds = {(s.table, tuple(s.columns)): HubFeed(s.table, naming.hash_key(hub.name), tuple(s.columns)) for s in hub.sources}
    for link in spec.links:
        for reference in link.references:
            if reference.hub != hub.name:
                continue
            for source in link.sources:
                columns = tuple(source.columns[reference.role_name])
                feeds.setdefault((source.table, columns), HubFeed(source.table, naming.hash_key(reference.role_name), columns))
    return [feeds[key] for key in sorted(feeds)]


def staged_keys(spec: Spec, table: Table) -> list[StagedKey]:
    definitions = Naming(spec).staging_key_definitions(table.name)
    return [StagedKey(name, next(iter(columns))) for name, columns in sorted(definitions.items())]


def staged_hashdiffs(spec: Spec, table: Table) -> list[Satellite]:
    """Satellites and reference tables whose hashdiff the staging of `table` computes."""
    return sorted((s for s in spec.satellites + spec.reference_tables if s.source == table.name), key=lambda s: s.name)


def parent_of(spec: Spec, satellite) -> Hub | Link:
    parent = spec.entity(satellite.parent)
    assert isinstance(parent, (Hub, Link))
    return parent


def record_source(spec: Spec, table_name: str) -> str:
    system = spec.system_of(table_name)
    return f"{system.record_source or system.name}.{table_name}"


def model_columns(spec: Spec, entity) -> list[str] | None:
    """The columns of an entity's vault model, or None for kinds this function does not know."""
    naming = Naming(spec)
    base = [naming.load_ts, naming.record_source]
    if isinstance(entity, Hub):
        return [naming.hash_key(entity.name), *entity.business_keys, *base]
    if isinstance(entity, Link):
        return [naming.hash_key(entity.name), *[naming.hash_key(r.role_name) for r in entity.references], *base]
    if isinstance(entity, Satellite):
        return [naming.parent_key(entity), naming.hashdiff, *base, *entity.attributes]
    if getattr(entity, "kind", None) == "record_tracking_satellite":
        return [naming.parent_key(entity), *base, spec.project.naming.status_column]
    return None
