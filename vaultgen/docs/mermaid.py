"""Mermaid diagrams of the vault, from the spec and the model plan: an ERD (every hub, link, satellite, PIT, bridge
and mart with its keys) and a source-to-mart lineage flowchart. Pure text: no I/O here.

Every name in a diagram is a spec name (lower-case letters, digits, underscores: valid Mermaid identifiers as they
are); descriptions never enter a diagram, so no spec text can break its syntax.
"""

from __future__ import annotations

import re

from vaultgen.emit.plan import LAYERS, PlannedModel
from vaultgen.naming import Naming
from vaultgen.spec.model import (
    Aggregate, Bridge, Dimension, EffectivitySatellite, Fact, Hub, Link, MultiActiveSatellite, NonHistorizedLink, PointInTime,
    RecordTrackingSatellite, ReferenceTable, Satellite, Spec,
)

LAYER_TITLES = {"raw": "raw layer", "staging": "staging", "raw_vault": "raw vault", "business_vault": "business vault", "marts": "marts"}


def _type(source_type: str) -> str:
    """A source type as a Mermaid attribute type (word characters only): varchar(15) -> varchar_15."""
    return re.sub(r"_+$", "", re.sub(r"[^A-Za-z0-9]+", "_", source_type)) or "value"


def _column_type(spec: Spec, table: str | None, column: str) -> str:
    found = spec.table(table).column(column) if table and spec.table(table) else None
    return _type(found.type) if found else "value"


class _Erd:
    def __init__(self, spec: Spec, models: list[PlannedModel]):
        self.spec, self.naming = spec, Naming(spec)
        self.models = {model.entity: model for model in models if model.entity is not None and model.kind != "end_dated_view"}
        self.lines: list[str] = ["erDiagram"]
        self.relations: list[str] = []

    def entity(self, entity, columns: list[tuple[str, str, str]]) -> None:
        self.lines.append(f"    {self.naming.model_name(entity)} {{")
        self.lines += [f"        {type_} {name}{' ' + keys if keys else ''}" for type_, name, keys in columns]
        self.lines.append("    }")

    def relation(self, one, many, label: str) -> None:
        self.relations.append(f'    {self.naming.model_name(one)} ||--o{{ {self.naming.model_name(many)} : "{label}"')

    def build(self) -> str:
        spec, naming = self.spec, self.naming
        load_ts = ("timestamp", naming.load_ts, "PK")
        for entity in spec.entities:
            if entity.name not in self.models:
                continue
            if isinstance(entity, Hub):
                table = entity.sources[0].table
                self.entity(entity, [("hash", naming.hash_key(entity.name), "PK"),
                                     *[(_column_type(spec, table, c), bk, "UK") for bk, c in zip(entity.business_keys, entity.sources[0].columns)]])
            elif isinstance(entity, Link):
                columns = [("hash", naming.hash_key(entity.name), "PK")]
                for reference in entity.references:
                    columns.append(("hash", naming.hash_key(reference.role_name), "FK"))
                    self.relation(spec.entity(reference.hub), entity, reference.role_name)
                if isinstance(entity, NonHistorizedLink):
                    columns += [(_column_type(spec, entity.sources[0].table, p), p, "") for p in entity.payload]
                self.entity(entity, columns)
            elif isinstance(entity, (Satellite, RecordTrackingSatellite, EffectivitySatellite)):
                parent = spec.entity(entity.parent)
                columns = [("hash", naming.parent_key(entity), "PK, FK"), load_ts]
                if isinstance(entity, MultiActiveSatellite):
                    columns += [(_column_type(spec, entity.source, k), k, "PK") for k in entity.multi_active_key]
                if isinstance(entity, Satellite):
                    columns.append(("hash", naming.hashdiff, ""))
                    columns += [(_column_type(spec, entity.source, a), a, "") for a in entity.attributes
                                if not isinstance(entity, MultiActiveSatellite) or a not in entity.multi_active_key]
                elif isinstance(entity, RecordTrackingSatellite):
                    columns.append(("boolean", spec.project.naming.status_column, ""))
                else:
                    columns += [("hash", naming.hash_key(role), "FK") for role in entity.driving_keys]
                    columns.append(("boolean", spec.project.naming.effectivity_status_column, ""))
                self.entity(entity, columns)
                self.relation(parent, entity, "describes" if isinstance(entity, Satellite) else "tracks")
            elif isinstance(entity, ReferenceTable):
                self.entity(entity, [*[(_column_type(spec, entity.source, c), c, "PK") for c in entity.code], load_ts,
                                     ("hash", naming.hashdiff, ""), *[(_column_type(spec, entity.source, a), a, "") for a in entity.attributes]])
            elif isinstance(entity, PointInTime):
                columns = [("hash", naming.hash_key(entity.hub), "PK, FK"), ("timestamp", naming.snapshot, "PK")]
                for name in entity.satellites:
                    columns += [("hash", naming.pit_key(name), "FK"), ("timestamp", naming.pit_load_ts(name), "FK")]
                self.entity(entity, columns)
            elif isinstance(entity, Bridge):
                from vaultgen.sql.bridge import bridge_columns

                snapshot = [("timestamp", naming.snapshot, "PK")] if entity.calendar is not None else []
                link_keys = {naming.hash_key(step.link) for step in entity.path}
                self.entity(entity, [("hash", c, "PK, FK" if c in link_keys else "FK") for c in bridge_columns(spec, entity)] + snapshot)
            elif isinstance(entity, Dimension):
                hub = spec.entity(spec.entity(entity.pit).hub)
                columns = [("hash", naming.hash_key(hub.name), "PK")]
                for attributes in entity.attributes:
                    source = getattr(spec.entity(attributes.satellite), "source", None)
                    columns += [(_column_type(spec, source, c), c, "") for c in attributes.columns]
                self.entity(entity, columns)
            elif isinstance(entity, Fact):
                from vaultgen.sql.bridge import bridge_columns

                bridge = spec.entity(entity.bridge)
                link_keys = {naming.hash_key(step.link) for step in bridge.path}
                columns = [("hash", c, "PK" if c in link_keys else "FK") for c in bridge_columns(spec, bridge)]
                columns += [("decimal", m, "") for m in entity.measures] + [("decimal", d.name, "") for d in entity.derived]
                self.entity(entity, columns)
            elif isinstance(entity, Aggregate):
                from vaultgen.sql.marts import group_name

                self.entity(entity, [("value", group_name(g), "PK") for g in entity.group_by] + [("decimal", m.name, "") for m in entity.measures])
            if isinstance(entity, (PointInTime, Bridge, Dimension, Fact, Aggregate)):
                self._feeds(entity)
        return "\n".join(self.lines + self.relations) + "\n"

    def _feeds(self, entity) -> None:
        """Business vault and marts: one relationship from every vault model the model reads."""
        by_model = {self.naming.model_name(e): e for e in self.spec.entities if e.name in self.models}
        for ref in self.models[entity.name].refs:
            if ref in by_model:
                self.relation(by_model[ref], entity, "feeds")


def erd(spec: Spec, models: list[PlannedModel]) -> str:
    """The vault as a Mermaid erDiagram: every model of an entity with its key columns (PK, FK) and attributes."""
    return _Erd(spec, models).build()


def _source_node(table: str) -> str:
    return f"raw__{table}"


def lineage(spec: Spec, models: list[PlannedModel]) -> str:
    """Source tables to marts as a Mermaid flowchart: one subgraph per layer, an edge per ref and source read."""
    lines = ["flowchart LR"]
    for system in spec.sources:
        lines.append(f'    subgraph layer_raw_{system.name}["{LAYER_TITLES["raw"]}: {system.name}"]')
        lines += [f'        {_source_node(t.name)}[("{t.name}")]' for t in system.tables]
        lines.append("    end")
    shapes = {"staging": ("[", "]"), "raw_vault": ("[", "]"), "business_vault": ("[[", "]]"), "marts": ("([", "])")}
    for layer in LAYERS:
        members = [model for model in models if model.layer == layer]
        if not members:
            continue
        opening, closing = shapes[layer]
        lines.append(f'    subgraph layer_{layer}["{LAYER_TITLES[layer]}"]')
        lines += [f'        {m.name}{opening}"{m.name}"{closing}' for m in members]
        lines.append("    end")
    for model in models:
        lines += [f"    {_source_node(table)} --> {model.name}" for table in model.sources]
        lines += [f"    {ref} --> {model.name}" for ref in model.refs]
    return "\n".join(lines) + "\n"
