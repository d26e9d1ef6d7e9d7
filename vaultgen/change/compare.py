"""Compare two checked specs entity by entity and target by target, and classify each change by what it does to an
existing warehouse (pure: no I/O).

Impacts, from mild to severe:
- safe: additive, the existing rows and their history stay valid (a new entity, source table or satellite, a new
  nullable attribute at the end of a satellite, a renamed entity with `renamed_from`, a changed mart);
- re-version: the hashdiff of existing rows changes, so the next build inserts a new version for every affected key
  although its data did not change (an attribute removed, reordered, retyped, added before the end or NOT NULL; a
  hashdiff normalisation changed);
- rehash: stored hash keys or hashdiffs no longer match what staging computes (hash algorithm, delimiter, null
  marker, business-key normalisation, sentinel keys, hash type, a business key's type);
- breaking: the existing table no longer fits the entity (a business key or a parent changed, an entity removed or
  renamed without `renamed_from`, a target dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vaultgen.graph import model_columns
from vaultgen.spec.model import (
    Aggregate, Bridge, Dimension, EffectivitySatellite, Fact, Hub, Link, MultiActiveSatellite, NonHistorizedLink, PointInTime,
    RecordTrackingSatellite, ReferenceTable, Satellite, Spec,
)
from vaultgen.targets import model_options

IMPACTS = ("safe", "re-version", "rehash", "breaking")
DERIVED = (PointInTime, Bridge, Dimension, Fact, Aggregate)  # rebuilt from the raw vault: a change never loses history
WITH_HASHDIFF = (Satellite, ReferenceTable)  # satellites (also multi-active) and reference tables


@dataclass
class Change:
    entity: str | None  # None: the whole project
    target: str | None  # None: every target
    change: str  # what changed, e.g. attribute_added
    impact: str  # one of IMPACTS
    detail: str  # one sentence for a reviewer
    data: dict[str, Any] = field(default_factory=dict)  # what migration.py and impact.py need
    migration: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # target -> kind (ddl, rehash, dbt, glue) -> items
    affected_keys: int | None = None  # re-version with --database: keys that get a new version at the next build
    count_note: str = ""  # how the count was made, or why there is none

    def as_json(self) -> dict[str, Any]:
        out = {"entity": self.entity, "target": self.target, "change": self.change, "impact": self.impact, "detail": self.detail,
               "migration": self.migration}
        if self.impact == "re-version":
            out["affected_keys"] = self.affected_keys
            out["count"] = self.count_note
        return out


def _targets(spec: Spec) -> list[str]:
    return sorted(spec.project.targets)


def _types(spec: Spec, table_name: str, columns: list[str]) -> list[str]:
    table = spec.table(table_name)
    return [table.column(name).type if table and table.column(name) else "" for name in columns]


def _nullable(spec: Spec, table_name: str, column: str) -> bool:
    table = spec.table(table_name)
    found = table.column(column) if table else None
    return found is None or (found.nullable and column not in table.primary_key)


def _hash_settings(spec: Spec) -> dict[str, Any]:
    hashing = spec.project.hashing
    return {"algorithm": hashing.algorithm, "delimiter": hashing.delimiter, "null_marker": hashing.null_marker,
            "business_key": hashing.business_key.model_dump(), "sentinels": spec.project.sentinels.model_dump()}


def _entity_shape(entity, renames: dict[str, str] | None = None) -> Any:
    """The entity's definition without its name, description and rename marker: what tells two entities apart. With
    `renames` (old -> new entity names), references to renamed entities read as the new names."""
    shape = entity.model_dump(exclude={"name", "description", "renamed_from", "targets"})
    return _renamed(shape, renames) if renames else shape


def _renamed(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {renames.get(k, k) if isinstance(k, str) else k: _renamed(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    return renames.get(value, value) if isinstance(value, str) else value


def match_entities(old: Spec, new: Spec) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """(old, new) pairs by name or `renamed_from`, the old entities without a successor, the new ones without a predecessor."""
    by_name = {entity.name: entity for entity in old.entities}
    pairs, taken = [], set()
    for entity in new.entities:
        before = by_name.get(entity.name) or (by_name.get(entity.renamed_from) if entity.renamed_from else None)
        if before is not None and before.name not in taken:
            pairs.append((before, entity))
            taken.add(before.name)
    removed = [entity for entity in old.entities if entity.name not in taken]
    paired_new = {id(pair[1]) for pair in pairs}
    added = [entity for entity in new.entities if id(entity) not in paired_new]
    return pairs, removed, added


def compare(old: Spec, new: Spec) -> list[Change]:
    changes: list[Change] = []
    changes += _project_changes(old, new)
    changes += _source_changes(old, new)
    pairs, removed, added = match_entities(old, new)
    renamed_without = []
    for gone in removed:  # same definition under another name, without renamed_from: a rename that drops history
        twin = next((entity for entity in added if type(entity) is type(gone) and _entity_shape(entity) == _entity_shape(gone)
                     and entity not in renamed_without), None)
        if twin is not None:
            renamed_without.append(twin)
            changes.append(Change(twin.name, None, "entity_renamed_without_renamed_from", "breaking",
                                  f"{gone.kind} '{gone.name}' is now '{twin.name}' without `renamed_from: {gone.name}`: the build creates an "
                                  f"empty table '{twin.name}' and orphans the old table with its history",
                                  {"old": gone, "new": twin, "hint": f"add `renamed_from: {gone.name}` to '{twin.name}' to keep the table"}))
        else:
            changes.append(Change(gone.name, None, "entity_removed", "breaking",
                                  f"{gone.kind} '{gone.name}' was removed: its table is kept but orphaned (no build writes it any more); "
                                  "drop it once nothing reads it, or restore the entity", {"old": gone}))
    for entity in added:
        if entity in renamed_without:
            continue
        changes.append(Change(entity.name, None, f"{entity.kind}_added", "safe",
                              f"new {entity.kind} '{entity.name}': the next build creates its table and fills it from the raw layer",
                              {"new": entity}))
    renames = {before.name: after.name for before, after in pairs}
    for before, after in pairs:
        changes += _entity_changes(old, new, before, after, renames)
    changes += _target_option_changes(old, new, pairs)
    order = {impact: index for index, impact in enumerate(IMPACTS)}
    return sorted(changes, key=lambda c: (-order[c.impact], c.entity or "", c.target or "", c.change))


def _project_changes(old: Spec, new: Spec) -> list[Change]:
    changes = []
    for target in sorted(set(new.project.targets) - set(old.project.targets)):
        changes.append(Change(None, target, "target_added", "safe", f"new target {target}: its first build creates every table from the raw layer",
                              {"target": target}))
    for target in sorted(set(old.project.targets) - set(new.project.targets)):
        changes.append(Change(None, target, "target_removed", "breaking",
                              f"target {target} is no longer rendered: its warehouse tables are kept but no build writes them any more; "
                              f"retire them (and generated/{target}/) on purpose", {"target": target}))
    before, after = _hash_settings(old), _hash_settings(new)
    for name in sorted(before):
        if before[name] != after[name]:
            changes.append(Change(None, None, f"hashing_{name}_changed", "rehash",
                                  f"hashing {name} changed from {before[name]} to {after[name]}: every stored hash key and hashdiff differs from "
                                  "what staging computes now", {"setting": name}))
    if old.project.hashing.hashdiff != new.project.hashing.hashdiff:
        for entity in new.entities:
            before = old.entity(entity.name) or (old.entity(entity.renamed_from) if entity.renamed_from else None)
            if isinstance(entity, WITH_HASHDIFF) and before is not None:  # a new satellite has no stored hashdiffs
                changes.append(Change(entity.name, None, "hashdiff_normalisation_changed", "re-version",
                                      "hashing.hashdiff normalisation changed: keys whose normalised attributes differ get a new version",
                                      {"new": entity, "old": before}))
    for target in sorted(set(old.project.targets) & set(new.project.targets)):
        def hash_type(spec: Spec) -> str:
            settings = spec.project.target_settings.get(target)
            return settings.hash_type if settings else "hex"
        if hash_type(old) != hash_type(new):
            changes.append(Change(None, target, "hash_type_changed", "rehash",
                                  f"hash type on {target} changed from {hash_type(old)} to {hash_type(new)}: key columns change type", {}))
    if old.project.naming != new.project.naming:
        changes.append(Change(None, None, "naming_changed", "breaking",
                              "project.naming changed: table or column names of existing models change, and the build creates new empty tables",
                              {}))
    return changes


def _source_changes(old: Spec, new: Spec) -> list[Change]:
    changes = []
    old_tables = {table.name: table for _, table in old.tables()}
    for _, table in new.tables():
        before = old_tables.get(table.name)
        if before is None:
            changes.append(Change(None, None, "source_table_added", "safe", f"new source table '{table.name}': a new raw table and staging model",
                                  {"table": table.name}))
            continue
        old_columns = [c.name for c in before.columns]
        for column in table.columns:
            if column.name not in old_columns:
                changes.append(Change(None, None, "source_column_added", "safe",
                                      f"new column '{column.name}' in source table '{table.name}': the raw table gets the column",
                                      {"table": table.name, "column": column.name, "type": column.type}))
        for name in old_columns:
            if table.column(name) is None:
                changes.append(Change(None, None, "source_column_removed", "breaking",
                                      f"column '{name}' left source table '{table.name}': the raw table keeps it and new batches no longer "
                                      "fill it; drop it from the raw table or restore it in the spec", {"table": table.name, "column": name}))
    new_tables = {table.name for _, table in new.tables()}
    for name in sorted(set(old_tables) - new_tables):
        changes.append(Change(None, None, "source_table_removed", "breaking",
                              f"source table '{name}' was removed: its raw table and its staging are orphaned", {"table": name}))
    return changes


def _entity_changes(old: Spec, new: Spec, before, after, renames: dict[str, str]) -> list[Change]:
    name = after.name
    data = {"old": before, "new": after}
    changes = []
    if before.name != after.name:
        changes.append(Change(name, None, "entity_renamed", "safe",
                              f"'{before.name}' renamed to '{name}' with renamed_from: rename its table (and hash key columns) before the next "
                              "build; the history stays", dict(data)))
    if type(before) is not type(after):
        return changes + [Change(name, None, "kind_changed", "breaking", f"'{name}' changed from {before.kind} to {after.kind}: "
                                 "the existing table does not fit; drop and rebuild it from the raw layer", dict(data))]
    if isinstance(after, DERIVED):  # also when only its columns change (a PIT's columns are named after its satellites)
        if _entity_shape(before, renames) != _entity_shape(after) or model_columns(old, before) != model_columns(new, after):
            changes.append(Change(name, None, "definition_changed", "safe",
                                  f"{after.kind} '{name}' changed: it is derived from the raw vault, so rebuild it with --full-refresh", dict(data)))
        return changes
    if isinstance(after, Hub):
        if before.business_keys != after.business_keys:
            changes.append(Change(name, None, "business_key_changed", "breaking",
                                  f"business key of hub '{name}' changed from ({', '.join(before.business_keys)}) to ({', '.join(after.business_keys)}): "
                                  "every hash key changes, and links and satellites point at old keys", dict(data)))
        elif _types(old, before.sources[0].table, before.sources[0].columns) != _types(new, after.sources[0].table, after.sources[0].columns):
            changes.append(Change(name, None, "business_key_type_changed", "rehash",
                                  f"the type of hub '{name}''s business key changed: its canonical string, so its hash keys, may change", dict(data)))
        changes += _sources_added(before, after, [s.table for s in before.sources], [s.table for s in after.sources], data)
        return changes
    if isinstance(after, Link):
        def role(reference) -> str:  # a role named after its hub follows the hub's rename
            return renames.get(reference.role_name, reference.role_name) if reference.role is None else reference.role
        if [(renames.get(r.hub, r.hub), role(r)) for r in before.references] != [(r.hub, r.role_name) for r in after.references]:
            changes.append(Change(name, None, "link_references_changed", "breaking",
                                  f"references of link '{name}' changed: its hash keys and columns change", dict(data)))
        changes += _sources_added(before, after, [s.table for s in before.sources], [s.table for s in after.sources], data)
        if isinstance(after, NonHistorizedLink) and before.payload != after.payload:
            changes.append(Change(name, None, "payload_changed", "safe" if after.payload[:len(before.payload)] == before.payload else "breaking",
                                  f"payload of non-historized link '{name}' changed from ({', '.join(before.payload)}) to ({', '.join(after.payload)})",
                                  {**data, "added": [p for p in after.payload if p not in before.payload]}))
        return changes
    if hasattr(after, "parent") and renames.get(before.parent, before.parent) != after.parent:
        return changes + [Change(name, None, "parent_changed", "breaking", f"'{name}' now describes '{after.parent}' instead of '{before.parent}': "
                                 "its keys belong to another hub or link", dict(data))]
    if getattr(before, "source", None) != getattr(after, "source", None):
        return changes + [Change(name, None, "source_changed", "breaking", f"'{name}' now reads '{after.source}' instead of '{before.source}'",
                                 dict(data))]
    if isinstance(after, (RecordTrackingSatellite, EffectivitySatellite)):
        if _entity_shape(before, renames) != _entity_shape(after):
            changes.append(Change(name, None, "definition_changed", "breaking", f"'{name}' changed: its stored statuses no longer fit", dict(data)))
        return changes
    if isinstance(after, ReferenceTable) and before.code != after.code:
        changes.append(Change(name, None, "business_key_changed", "breaking", f"code of reference table '{name}' changed", dict(data)))
    if isinstance(after, MultiActiveSatellite) and before.multi_active_key != after.multi_active_key:
        changes.append(Change(name, None, "multi_active_key_changed", "breaking", f"multi-active key of '{name}' changed", dict(data)))
    return changes + _attribute_changes(old, new, before, after)


def _sources_added(before, after, old_tables: list[str], new_tables: list[str], data: dict) -> list[Change]:
    changes = [Change(after.name, None, "source_added", "safe", f"'{after.name}' is also fed from '{table}': new keys are added", dict(data))
               for table in new_tables if table not in old_tables]
    changes += [Change(after.name, None, "source_removed", "safe", f"'{after.name}' is no longer fed from '{table}': its keys stay, no new ones come from it",
                       dict(data)) for table in old_tables if table not in new_tables]
    return changes


def _attribute_changes(old: Spec, new: Spec, before, after) -> list[Change]:
    """Attributes of a satellite or reference table: what each difference does to the hashdiff (see README, Hash encoding)."""
    name, source = after.name, after.source
    was, now = list(before.attributes), list(after.attributes)
    data = {"old": before, "new": after}
    changes = []
    removed = [a for a in was if a not in now]
    added = [a for a in now if a not in was]
    kept_old, kept_new = [a for a in was if a in now], [a for a in now if a in was]
    for attribute in removed:
        changes.append(Change(name, None, "attribute_removed", "re-version",
                              f"attribute '{attribute}' removed from '{name}': keys with a non-NULL {attribute} get a new version; "
                              "the table keeps the column (NULL in new rows)", {**data, "attribute": attribute}))
    if kept_old != kept_new:
        changes.append(Change(name, None, "attributes_reordered", "re-version",
                              f"attributes of '{name}' reordered ({', '.join(kept_old)} -> {', '.join(kept_new)}): the hashdiff of every key "
                              "whose values are not all equal changes", dict(data)))
    at_end = now[len(now) - len(added):] == added and not removed and kept_old == kept_new
    for attribute in added:
        nullable = _nullable(new, source, attribute)
        if at_end and nullable:
            changes.append(Change(name, None, "attribute_added", "safe",
                                  f"nullable attribute '{attribute}' added at the end of '{name}': trailing NULLs leave the hashdiff unchanged, "
                                  f"so only keys with a non-NULL {attribute} get a new version", {**data, "attribute": attribute}))
        else:
            why = "added before the end" if nullable else "NOT NULL"
            changes.append(Change(name, None, "attribute_added", "re-version",
                                  f"attribute '{attribute}' {why} in '{name}': the hashdiff of every key changes", {**data, "attribute": attribute}))
    for attribute, old_type, new_type in zip(kept_new, _types(old, source, kept_new), _types(new, source, kept_new)):
        if old_type != new_type:
            changes.append(Change(name, None, "attribute_type_changed", "re-version",
                                  f"attribute '{attribute}' of '{name}' changed type from {old_type} to {new_type}: keys whose canonical "
                                  "string changes get a new version", {**data, "attribute": attribute, "old_type": old_type, "new_type": new_type}))
    return changes


def _target_option_changes(old: Spec, new: Spec, pairs) -> list[Change]:
    changes = []
    for before, after in pairs:
        for target in sorted(set(old.project.targets) & set(new.project.targets)):
            was, now = model_options(old, before, target), model_options(new, after, target)
            if was.enabled and not now.enabled:
                changes.append(Change(after.name, target, "entity_disabled", "breaking",
                                      f"'{after.name}' is no longer built on {target}: its table there is kept but orphaned", {"old": before}))
            elif now.enabled and not was.enabled:
                changes.append(Change(after.name, target, "entity_enabled", "safe", f"'{after.name}' is now built on {target}", {"new": after}))
            elif was.enabled and (was.partition_by, was.cluster_by) != (now.partition_by, now.cluster_by):
                changes.append(Change(after.name, target, "layout_changed", "safe",
                                      f"partitioning or clustering of '{after.name}' on {target} changed: existing tables keep their layout "
                                      "until rebuilt", {"old": before, "new": after}))
    return changes
