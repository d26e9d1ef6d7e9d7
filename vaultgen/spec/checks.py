"""Meaning checks: references resolve, columns exist, links join hubs, generated names are unique and legal.

Runs after the shape check; returns every problem with its location and a hint.
"""

from __future__ import annotations

import difflib
from functools import cache, cached_property
from typing import Any, Callable, Iterable

from vaultgen.errors import Location, Problem
from vaultgen.naming import needs_quotes, reserved_words
from vaultgen.sql.end_dating import IS_CURRENT, VALID_FROM, VALID_TO
from vaultgen.types import parse_source_type
from vaultgen.spec.model import (
    Aggregate, Bridge, Dimension, EffectivitySatellite, Fact, Hub, Link, MultiActiveSatellite, NonHistorizedLink, PointInTime,
    RecordTrackingSatellite, ReferenceTable, Satellite, Spec, Table,
)

Locate = Callable[[tuple[Any, ...]], Location]
# logical types whose values order changes: what a watermark column may be
WATERMARK_TYPES = {"int16", "int32", "int64", "decimal", "date", "timestamp", "timestamptz"}
# the history views' columns; the load log's columns
END_DATING_COLUMNS = (VALID_FROM, VALID_TO, IS_CURRENT)
LOAD_LOG_COLUMNS = ("table_name", "row_count")
FIXED_COLUMN_ORIGINS = ("virtual_end_dating", "load_log_table")  # the spec paths of the fixed names above
USER_NAMED = "source column"  # how a column named in the spec (not generated) is described in a clash
DBT_TEMP_SUFFIX = "__dbt_tmp"  # dbt builds an incremental model's new rows in a relation named <model>__dbt_tmp


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _line_of(location) -> str:
    """file:line of a location, for "first defined at" hints."""
    return f"{location.file}:{location.line}" if location.line else location.file


class _Checker:
    def __init__(self, spec: Spec, locate: Locate):
        self.spec = spec
        self.locate = locate
        self.problems: list[Problem] = []
        self.reported: set = set()  # generated column names already reported (reserved, clashing with each other, too long)
        self.hubs_by_name = {hub.name: hub for hub in spec.hubs}  # the last of a duplicated name (VG020 reports it)
        self._options: dict[tuple[Any, str], Any] = {}
        self._columns: dict[int, Any] = {}

    def options(self, entity, target: str):
        """vaultgen.targets.model_options, once per entity and target; an entity without options of its own has
        its kind's defaults, computed once per kind and target."""
        key = (id(entity), target) if entity.targets else (entity.kind, target)
        found = self._options.get(key)
        if found is None:
            from vaultgen.targets import model_options

            found = self._options[key] = model_options(self.spec, entity, target)
        return found

    def vault_columns(self, entity):
        """vaultgen.graph.vault_model_columns, once per entity."""
        from vaultgen.graph import vault_model_columns

        key = id(entity)
        if key not in self._columns:
            self._columns[key] = vault_model_columns(self.spec, entity)
        return self._columns[key]

    @cached_property
    def identifier_limits(self) -> dict[str, int]:
        from vaultgen.dialects import get_dialect

        return {target: get_dialect(target).max_identifier_length for target in sorted(set(self.spec.project.targets))}

    def add(self, code: str, message: str, path: tuple[Any, ...], hint: str = "") -> None:
        self.problems.append(Problem(code, message, self.locate(path), hint))

    # -- helpers --------------------------------------------------------------------------------------------
    def table(self, name: str, path: tuple[Any, ...]) -> Table | None:
        table = self.spec.table(name)
        if table is None:
            self.add("VG022", f"unknown source table '{name}'", path, _hint(name, (t.name for _, t in self.spec.tables())))
        return table

    def columns(self, table: Table, names: list[str], path: tuple[Any, ...]) -> None:
        for index, name in enumerate(names):
            if table.column(name) is None:
                self.add("VG023", f"column '{name}' does not exist in table '{table.name}'", (*path, index),
                         _hint(name, (c.name for c in table.columns)))

    def duplicates(self, names: list[str], path_of: Callable[[int], tuple[Any, ...]], what: str) -> None:
        first: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in first:
                self.add("VG020", f"duplicate {what} '{name}'", path_of(index), f"first defined at {_line_of(self.locate(path_of(first[name])))}; {what} names must be unique")
            first.setdefault(name, index)

    # -- checks ---------------------------------------------------------------------------------------------
    def run(self) -> list[Problem]:
        self.check_targets()
        self.check_sources()
        entity_names = [entity.name for entity in self.spec.entities]
        self.duplicates(entity_names, lambda i: ("entities", i, "name"), "entity")
        self.check_renames()
        for index, entity in enumerate(self.spec.entities):
            path = ("entities", index)
            if isinstance(entity, Hub):
                self.check_hub(entity, path)
            elif isinstance(entity, Link):
                self.check_link(entity, path)
            elif isinstance(entity, (Satellite, RecordTrackingSatellite)):
                self.check_satellite(entity, path)
            elif isinstance(entity, EffectivitySatellite):
                self.check_effectivity(entity, path)
            elif isinstance(entity, ReferenceTable):
                self.check_reference_table(entity, path)
        for index, entity in enumerate(self.spec.entities):  # after the raw vault: these read it
            path = ("entities", index)
            if isinstance(entity, PointInTime):
                self.check_pit(entity, path)
            elif isinstance(entity, Bridge):
                self.check_bridge(entity, path)
            elif isinstance(entity, Dimension):
                self.check_dimension(entity, path)
            elif isinstance(entity, Fact):
                self.check_fact(entity, path)
            elif isinstance(entity, Aggregate):
                self.check_aggregate(entity, path)
        if not self.problems and self.check_naming_settings():
            self.check_generated_names()
            self.check_generated_columns()
            self.check_target_options()
            self.check_hashing_targets()
        return self.problems

    def check_renames(self) -> None:
        """`renamed_from` names an entity that no longer exists, and only one entity was renamed from it (VG070)."""
        names, claimed = {entity.name for entity in self.spec.entities}, set()
        for index, entity in enumerate(self.spec.entities):
            old = entity.renamed_from
            if old is None:
                continue
            path = ("entities", index, "renamed_from")
            if old == entity.name or old in names:
                self.add("VG070", f"'{entity.name}' is renamed from '{old}', but the spec still has an entity '{old}'", path,
                         "renamed_from names the entity's old name, which no entity may use any more")
            elif old in claimed:
                self.add("VG070", f"two entities are renamed from '{old}'", path, "only one entity can take over the old table")
            claimed.add(old)

    def check_sources(self) -> None:
        self.duplicates([s.name for s in self.spec.sources], lambda i: ("sources", i, "name"), "source system")
        all_tables = [(si, ti, t) for si, s in enumerate(self.spec.sources) for ti, t in enumerate(s.tables)]
        first_table: dict[str, tuple[Any, ...]] = {}
        reserved = {self.spec.project.raw.load_timestamp_column, self.spec.project.raw.batch_id_column,
                    self.spec.project.naming.record_source_column}
        read: dict[tuple[int, str], str] = {}  # (source system, source table) -> the spec table reading it
        for si, ti, table in all_tables:
            path = ("sources", si, "tables", ti)
            if read.setdefault((si, table.source_table), table.name) != table.name:
                self.add("VG048", f"tables '{read[(si, table.source_table)]}' and '{table.name}' both read source table '{table.source_table}'",
                         (*path, "source_name" if table.source_name else "name"), "each source table maps to one spec table")
            if table.name == self.spec.project.raw.load_log_table:
                self.add("VG030", f"table '{table.name}' has the name of the raw layer's load log table", (*path, "name"),
                         "rename the load log table (project.raw.load_log_table)")
            if table.name in first_table:
                self.add("VG020", f"duplicate table '{table.name}'", (*path, "name"),
                         f"first defined at {_line_of(self.locate(first_table[table.name]))}; table names must be unique across source systems")
            first_table.setdefault(table.name, (*path, "name"))
            self.duplicates([c.name for c in table.columns], lambda i, p=path: (*p, "columns", i, "name"), "column")
            self.columns(table, table.primary_key, (*path, "primary_key"))
            if (table.load == "cdc") != (table.cdc is not None):
                self.add("VG035", f"table '{table.name}' is loaded as {table.load} but {'has no' if table.cdc is None else 'has'} `cdc:` settings",
                         (*path, "load"), "a cdc table needs `cdc: {operation_column: ..., insert: I, update: U, delete: D}`; a full snapshot has none")
            if table.cdc is not None:
                cdc_columns = [table.cdc.operation_column] + ([table.cdc.sequence_column] if table.cdc.sequence_column else [])
                for name in cdc_columns:
                    if table.column(name) is None:
                        self.add("VG023", f"column '{name}' does not exist in table '{table.name}'", (*path, "cdc"),
                                 _hint(name, (c.name for c in table.columns)))
                if len({table.cdc.insert, table.cdc.update, table.cdc.delete}) < 3:
                    self.add("VG035", f"table '{table.name}': the insert, update and delete values must differ", (*path, "cdc"), "for example I, U and D")
            self.check_watermark(table, path)
            self.check_source_names(table, path)
            for ci, column in enumerate(table.columns):
                if column.name in reserved:
                    self.add("VG031", f"column '{column.name}' clashes with a batch column vaultgen adds", (*path, "columns", ci, "name"),
                             "rename the batch column in project.raw / project.naming")

    def check_source_names(self, table: Table, path: tuple[Any, ...]) -> None:
        """Two spec columns may not read one source column (`source_name`, else the spec name)."""
        first: dict[str, int] = {}
        for ci, column in enumerate(table.columns):
            name = column.source_name or column.name
            if name in first and table.columns[first[name]].name != column.name:  # the same name twice is VG020 already
                self.add("VG048", f"columns '{table.columns[first[name]].name}' and '{column.name}' of table '{table.name}' both read source column '{name}'",
                         (*path, "columns", ci, "source_name" if column.source_name else "name"), "each source column maps to one spec column")
            first.setdefault(name, ci)

    def check_watermark(self, table: Table, path: tuple[Any, ...]) -> None:
        if (table.load == "incremental") != (table.watermark_column is not None):
            self.add("VG045", f"table '{table.name}' is loaded as {table.load} but {'has no' if table.watermark_column is None else 'has a'} watermark_column",
                     (*path, "load" if table.watermark_column is None else "watermark_column"),
                     "an incremental table names the column that grows on every change (`watermark_column: updated_at`); other load modes have none")
            return
        if table.watermark_column is None:
            return
        column = table.column(table.watermark_column)
        if column is None:
            self.add("VG023", f"watermark column '{table.watermark_column}' does not exist in table '{table.name}'", (*path, "watermark_column"),
                     _hint(table.watermark_column, (c.name for c in table.columns))
                     or f"declare it under the columns of '{table.name}' ({', '.join(c.name for c in table.columns)})")
            return
        logical = parse_source_type(column.type).logical
        if logical not in WATERMARK_TYPES:
            self.add("VG046", f"watermark column '{column.name}' of table '{table.name}' is {column.type}, which cannot order changes",
                     (*path, "watermark_column"), "use a timestamp, date, integer or numeric column that grows on every insert and update")
        elif column.nullable:
            self.add("VG046", f"watermark column '{column.name}' of table '{table.name}' may be NULL, and such rows would never be read after the first batch",
                     (*path, "watermark_column"), f"declare '{column.name}' with `nullable: false`, or pick a column that is always set")

    def check_hub(self, hub: Hub, path: tuple[Any, ...]) -> None:
        self.duplicates(hub.business_keys, lambda i: (*path, "business_keys", i), "business key")
        self.duplicates([s.table for s in hub.sources], lambda i: (*path, "sources", i, "table"), "hub source table")
        for index, source in enumerate(hub.sources):
            source_path = (*path, "sources", index)
            table = self.table(source.table, (*source_path, "table"))
            if table is None:
                continue
            self.columns(table, source.columns, (*source_path, "columns"))
            if len(source.columns) != len(hub.business_keys):
                self.add("VG024", f"hub '{hub.name}' has {len(hub.business_keys)} business key(s) but this source maps {len(source.columns)}",
                         (*source_path, "columns"), "map one source column per business key, in the same order")

    def check_link(self, link: Link, path: tuple[Any, ...]) -> None:
        if len(link.references) < 2:
            self.add("VG025", f"link '{link.name}' joins {len(link.references)} hub reference(s)", (*path, "references"),
                     "a link joins two or more hub references; use a satellite for attributes of one hub")
        hubs = self.hubs_by_name
        for index, reference in enumerate(link.references):
            if reference.hub not in hubs:
                self.add("VG026", f"link '{link.name}' references unknown hub '{reference.hub}'", (*path, "references", index, "hub"),
                         _hint(reference.hub, hubs))
        roles = [reference.role_name for reference in link.references]
        self.duplicates(roles, lambda i: (*path, "references", i), "link role")
        if len(set(roles)) != len(roles):
            self.problems[-1] = Problem(self.problems[-1].code, self.problems[-1].message, self.problems[-1].location,
                                        "give each reference to the same hub its own `role:`")
        self.duplicates([s.table for s in link.sources], lambda i: (*path, "sources", i, "table"), "link source table")
        if isinstance(link, NonHistorizedLink):
            self.duplicates(link.payload, lambda i: (*path, "payload", i), "payload column")
        for index, source in enumerate(link.sources):
            source_path = (*path, "sources", index)
            table = self.table(source.table, (*source_path, "table"))
            if table is None:
                continue
            if isinstance(link, NonHistorizedLink):
                for payload_index, name in enumerate(link.payload):
                    if table.column(name) is None:
                        self.add("VG023", f"payload column '{name}' does not exist in source table '{table.name}'", (*path, "payload", payload_index),
                                 _hint(name, (c.name for c in table.columns)))
            for role in roles:
                if role not in source.columns:
                    self.add("VG028", f"source '{source.table}' maps no columns for role '{role}'", (*source_path, "columns"),
                             f"add `{role}: [column, ...]`")
            for role, columns in source.columns.items():
                if role not in roles:
                    self.add("VG028", f"'{role}' is not a role of link '{link.name}'", (*source_path, "columns", role), _hint(role, roles))
                    continue
                self.columns(table, columns, (*source_path, "columns", role))
                reference = link.references[roles.index(role)]
                hub = hubs.get(reference.hub)
                if hub and len(columns) != len(hub.business_keys):
                    self.add("VG024", f"role '{role}' maps {len(columns)} column(s) but hub '{hub.name}' has {len(hub.business_keys)} business key(s)",
                             (*source_path, "columns", role), "map one source column per business key, in the same order")

    def check_satellite(self, satellite: Satellite | RecordTrackingSatellite, path: tuple[Any, ...]) -> None:
        parent = self.spec.entity(satellite.parent)
        if not isinstance(parent, (Hub, Link)):
            parents = [e.name for e in self.spec.entities if isinstance(e, (Hub, Link))]
            self.add("VG026", f"satellite parent '{satellite.parent}' is not a hub or link", (*path, "parent"), _hint(satellite.parent, parents))
        table = self.table(satellite.source, (*path, "source"))
        if table is None:
            return
        if isinstance(parent, (Hub, Link)) and all(s.table != satellite.source for s in parent.sources):
            self.add("VG029", f"'{parent.name}' is not loaded from table '{satellite.source}', so its key cannot be computed there",
                     (*path, "source"), f"add '{satellite.source}' to the sources of '{parent.name}'")
        if table.load == "incremental" and isinstance(satellite, (RecordTrackingSatellite, MultiActiveSatellite)):
            what = "record tracking satellite sees deletions" if isinstance(satellite, RecordTrackingSatellite) else "multi-active satellite sees whole sets"
            self.add("VG047", f"'{satellite.name}': a {what} only in full snapshots, but table '{table.name}' is loaded incrementally",
                     (*path, "source"), f"load '{table.name}' as full_snapshot (or cdc for deletions), or drop this satellite")
        if isinstance(satellite, Satellite):
            self.duplicates(satellite.attributes, lambda i: (*path, "attributes", i), "attribute")
            self.columns(table, satellite.attributes, (*path, "attributes"))
        if isinstance(satellite, MultiActiveSatellite):
            for index, name in enumerate(satellite.multi_active_key):
                if name not in satellite.attributes:
                    self.add("VG034", f"multi-active key column '{name}' is not one of the attributes", (*path, "multi_active_key", index),
                             f"add '{name}' to attributes: the rows of a set are told apart and hashed by it")

    def check_hashing_targets(self) -> None:
        """NFC normalisation is asked of every target, and only some can do it (a capability of the dialect)."""
        from vaultgen.dialects import get_dialect, targets

        hashing = self.spec.project.hashing
        able = sorted(name for name in targets() if get_dialect(name).supports_nfc)
        for what in ("business_key", "hashdiff"):
            if getattr(hashing, what).unicode != "nfc":
                continue
            for target in self.spec.project.targets:
                if not get_dialect(target).supports_nfc:
                    self.add("VG060", f"target '{target}' has no Unicode normalisation, so it cannot hash {what.replace('_', ' ')}s as NFC",
                             ("project", "hashing", what, "unicode"),
                             f"set unicode: preserve, or render only for targets that can normalise ({', '.join(able)})")

    def check_target_options(self) -> None:
        from vaultgen.dialects import get_dialect

        targets = set(self.spec.project.targets)
        sorted_targets = sorted(targets)
        for target, settings in sorted(self.spec.project.target_settings.items()):
            if settings.hash_type == "binary" and not get_dialect(target).supports_binary_hashes:
                self.add("VG044", f"target '{target}' has no binary hash type", ("project", "target_settings", target, "hash_type"),
                         "use hash_type: hex (binary is available on snowflake)")
            if target not in targets:
                self.add("VG041", f"settings for target '{target}', which the project does not render", ("project", "target_settings", target),
                         f"add '{target}' to project.targets or remove these settings")
        for index, entity in enumerate(self.spec.entities):
            path = ("entities", index)
            for target in sorted(entity.targets):
                if target not in targets:
                    self.add("VG041", f"options for target '{target}', which the project does not render", (*path, "targets", target),
                             f"add '{target}' to project.targets or remove these options")
            model_columns = self.vault_columns(entity)
            columns = None if model_columns is None else [column.name for column in model_columns]  # graph.model_columns
            parent_name = entity.parent if "parent" in _fields(type(entity)) else None
            parent = self.spec.entity(parent_name) if parent_name else None
            for target in sorted_targets:
                options = self.options(entity, target)
                if columns is not None and (options.partition_by or options.cluster_by):
                    wanted = [f.column for f in options.partition_by] + list(options.cluster_by)
                    for column in wanted:
                        if column not in columns:
                            self.add("VG040", f"'{entity.name}' on {target}: partition/cluster column '{column}' is not a column of the model",
                                     (*path, "targets", target) if target in entity.targets else (*path, "name"), _hint(column, columns))
                if options.enabled and parent is not None and not self.options(parent, target).enabled:
                    self.add("VG042", f"'{entity.name}' is built on {target} but its parent '{parent.name}' is excluded there", (*path, "targets"),
                             f"exclude '{entity.name}' from {target} too, or include '{parent.name}'")
            for field_name in ("partition_by",):
                for target, options in entity.targets.items():
                    for field in getattr(options, field_name) or []:
                        if (field.transform == "bucket") != (field.buckets is not None):
                            self.add("VG043", f"'{entity.name}' on {target}: `buckets` goes with (and only with) transform bucket",
                                     (*path, "targets", target, field_name), "write {column: ..., transform: bucket, buckets: 16}")

    def check_effectivity(self, satellite: EffectivitySatellite, path: tuple[Any, ...]) -> None:
        link = self.spec.entity(satellite.parent)
        if not isinstance(link, Link):
            self.add("VG026", f"effectivity satellite parent '{satellite.parent}' is not a link", (*path, "parent"),
                     _hint(satellite.parent, [e.name for e in self.spec.links])
                     or f"an effectivity satellite belongs to a link: {', '.join(sorted(e.name for e in self.spec.links))}")
            return
        roles = [reference.role_name for reference in link.references]
        self.duplicates(satellite.driving_keys, lambda i: (*path, "driving_keys", i), "driving key")
        for index, role in enumerate(satellite.driving_keys):
            if role not in roles:
                self.add("VG028", f"'{role}' is not a role of link '{link.name}'", (*path, "driving_keys", index), _hint(role, roles))
        if set(roles) <= set(satellite.driving_keys):
            self.add("VG033", f"every reference of link '{link.name}' is a driving key, so no relationship can ever end",
                     (*path, "driving_keys"), "list only the references that identify the relationship (the order, not its shipper)")
        if self.table(satellite.source, (*path, "source")) is not None and satellite.source not in [s.table for s in link.sources]:
            self.add("VG029", f"'{link.name}' is not loaded from table '{satellite.source}', so its key cannot be computed there",
                     (*path, "source"), f"add '{satellite.source}' to the sources of '{link.name}'")

    def check_reference_table(self, reference: ReferenceTable, path: tuple[Any, ...]) -> None:
        table = self.table(reference.source, (*path, "source"))
        self.duplicates(reference.code + reference.attributes, lambda i: (*path, "code" if i < len(reference.code) else "attributes"),
                        "reference table column")
        if table is None:
            return
        self.columns(table, reference.code, (*path, "code"))
        self.columns(table, reference.attributes, (*path, "attributes"))

    # -- business vault and marts ----------------------------------------------------------------------------
    def entity_of(self, name: str, kind: type, what: str, path: tuple[Any, ...]):
        """The entity `name` if it is of `kind`, else a VG026 with the names of that kind as the hint."""
        entity = self.spec.entity(name)
        if not isinstance(entity, kind):
            names = [e.name for e in self.spec.entities if isinstance(e, kind)]
            self.add("VG026", f"'{name}' is not {what}", path, _hint(name, names) or f"{what}s: {', '.join(sorted(names)) or 'none'}")
            return None
        return entity

    def covered(self, satellite: Satellite, columns: list[str], path: tuple[Any, ...]) -> None:
        """Columns read from a satellite must be attributes: only those are covered by its hashdiff, so only their
        changes are historized."""
        for index, name in enumerate(columns):
            if name not in satellite.attributes:
                self.add("VG039", f"'{name}' is not an attribute of satellite '{satellite.name}', so its hashdiff does not cover it",
                         (*path, index), _hint(name, satellite.attributes) or f"add '{name}' to the attributes of '{satellite.name}'")

    def check_pit(self, pit: PointInTime, path: tuple[Any, ...]) -> None:
        if not self.spec.project.ghost_records:
            self.add("VG037", f"PIT '{pit.name}' needs ghost records to point at when no satellite row is valid", (*path, "kind"),
                     "set `ghost_records: true` in project")
        self.check_calendar(pit, path)
        hub = self.entity_of(pit.hub, Hub, "a hub", (*path, "hub"))
        self.duplicates(pit.satellites, lambda i: (*path, "satellites", i), "PIT satellite")
        for index, name in enumerate(pit.satellites):
            satellite = self.entity_of(name, Satellite, "a satellite", (*path, "satellites", index))
            if satellite is not None and hub is not None and satellite.parent != hub.name:
                self.add("VG036", f"satellite '{name}' belongs to '{satellite.parent}', not to the PIT's hub '{hub.name}'", (*path, "satellites", index),
                         _hint(name, [s.name for s in self.spec.satellites if s.parent == hub.name]))

    def check_calendar(self, entity: PointInTime | Bridge, path: tuple[Any, ...]) -> None:
        calendar = entity.calendar
        if (calendar.daily is None) == (not calendar.load_timestamps):
            self.add("VG038", f"'{entity.name}': the calendar must be exactly one of load_timestamps or daily", (*path, "calendar"),
                     "write `calendar: {load_timestamps: true}` or `calendar: {daily: {start: 2024-01-01, end: 2024-12-31}}`")
        elif calendar.daily is not None and calendar.daily.start > calendar.daily.end:
            self.add("VG038", f"'{entity.name}': the daily calendar starts after it ends", (*path, "calendar", "daily"), "swap start and end")

    def check_bridge(self, bridge: Bridge, path: tuple[Any, ...]) -> None:
        if bridge.calendar is not None:
            self.check_calendar(bridge, path)
        previous_hub = None
        for index, step in enumerate(bridge.path):
            step_path = (*path, "path", index)
            link = self.entity_of(step.link, Link, "a link", (*step_path, "link"))
            if link is None:
                previous_hub = None
                continue
            roles = {r.role_name: r.hub for r in link.references}
            for field, role in (("from", step.from_role), ("to", step.to_role)):
                if role not in roles:
                    self.add("VG028", f"'{role}' is not a role of link '{link.name}'", (*step_path, field), _hint(role, roles))
            if previous_hub is not None and roles.get(step.from_role, previous_hub) != previous_hub:
                self.add("VG036", f"step {index + 1} starts at hub '{roles[step.from_role]}' but the previous step ends at hub '{previous_hub}'",
                         (*step_path, "from"), "each step must start at the hub the previous step leads to")
            if step.effectivity:
                effectivity = self.entity_of(step.effectivity, EffectivitySatellite, "an effectivity satellite", (*step_path, "effectivity"))
                if effectivity is not None and effectivity.parent != link.name:
                    self.add("VG036", f"effectivity satellite '{step.effectivity}' belongs to '{effectivity.parent}', not to '{link.name}'",
                             (*step_path, "effectivity"), f"use an effectivity satellite of '{link.name}'")
            if step.tracking:
                tracking = self.entity_of(step.tracking, RecordTrackingSatellite, "a record tracking satellite", (*step_path, "tracking"))
                if tracking is not None and tracking.parent != link.name:
                    self.add("VG036", f"record tracking satellite '{step.tracking}' belongs to '{tracking.parent}', not to '{link.name}'",
                             (*step_path, "tracking"), f"use a record tracking satellite of '{link.name}'")
            previous_hub = roles.get(step.to_role)
        if not self.problems:
            from vaultgen.sql.bridge import bridge_columns

            self.duplicates(bridge_columns(self.spec, bridge), lambda i: (*path, "path"), "bridge column")

    def check_dimension(self, dimension: Dimension, path: tuple[Any, ...]) -> None:
        pit = self.entity_of(dimension.pit, PointInTime, "a PIT table", (*path, "pit"))
        if pit is None:
            return
        for index, group in enumerate(dimension.attributes):
            group_path = (*path, "attributes", index)
            if group.satellite not in pit.satellites:
                self.add("VG036", f"satellite '{group.satellite}' is not one of PIT '{pit.name}'s satellites", (*group_path, "satellite"),
                         _hint(group.satellite, pit.satellites) or f"add it to the satellites of PIT '{pit.name}'")
                continue
            satellite = self.spec.entity(group.satellite)
            if isinstance(satellite, MultiActiveSatellite):
                self.add("VG036", f"multi-active satellite '{satellite.name}' has several rows per key, a dimension has one", (*group_path, "satellite"),
                         "aggregate the set in a fact instead")
            elif isinstance(satellite, Satellite):
                self.covered(satellite, group.columns, (*group_path, "columns"))
        hub = self.spec.entity(pit.hub)
        if isinstance(hub, Hub):
            columns = [*hub.business_keys, *[c for group in dimension.attributes for c in group.columns]]
            self.duplicates(columns, lambda i: (*path, "attributes"), "dimension column")
        if dimension.tracking:
            tracking = self.entity_of(dimension.tracking, RecordTrackingSatellite, "a record tracking satellite", (*path, "tracking"))
            if tracking is not None and tracking.parent != pit.hub:
                self.add("VG036", f"record tracking satellite '{tracking.name}' belongs to '{tracking.parent}', not to hub '{pit.hub}'",
                         (*path, "tracking"), f"use a record tracking satellite of '{pit.hub}'")

    def check_fact(self, fact: Fact, path: tuple[Any, ...]) -> None:
        bridge = self.entity_of(fact.bridge, Bridge, "a bridge", (*path, "bridge"))
        satellite = self.entity_of(fact.satellite, Satellite, "a satellite", (*path, "satellite"))
        if bridge is None or satellite is None:
            return
        links = [step.link for step in bridge.path]
        if satellite.parent not in links:
            self.add("VG036", f"satellite '{satellite.name}' belongs to '{satellite.parent}', which is not a link of bridge '{bridge.name}'",
                     (*path, "satellite"), f"use a satellite of one of: {', '.join(links)}")
        self.covered(satellite, fact.measures, (*path, "measures"))
        for index, derived in enumerate(fact.derived):
            for factor_index, factor in enumerate(derived.product):
                name = getattr(factor, "complement", factor)
                if name not in fact.measures:
                    self.add("VG023", f"derived measure '{derived.name}' uses '{name}', which is not a measure of the fact",
                             (*path, "derived", index, "product", factor_index), _hint(name, fact.measures) or f"add '{name}' to measures")
        self.duplicates([*fact.measures, *[d.name for d in fact.derived]], lambda i: (*path, "derived"), "fact column")

    def check_aggregate(self, aggregate: Aggregate, path: tuple[Any, ...]) -> None:
        fact = self.entity_of(aggregate.fact, Fact, "a fact", (*path, "fact"))
        if fact is None or self.problems:
            return
        from vaultgen.naming import Naming
        from vaultgen.sql.marts import aggregate_columns, dimension_columns, fact_columns

        naming = Naming.of(self.spec)
        columns = fact_columns(self.spec, fact)
        for index, group in enumerate(aggregate.group_by):
            group_path = (*path, "group_by", index)
            if group.dimension is None:
                if group.column not in columns:
                    self.add("VG023", f"'{group.column}' is not a column of fact '{fact.name}'", (*group_path, "column"), _hint(group.column, columns))
                continue
            dimension = self.entity_of(group.dimension, Dimension, "a dimension", (*group_path, "dimension"))
            if dimension is None:
                continue
            key = naming.hash_key(group.role or self.spec.entity(dimension.pit).hub)
            if key not in columns:
                self.add("VG023", f"fact '{fact.name}' has no key column '{key}' to join dimension '{dimension.name}'", (*group_path, "dimension"),
                         "give the `role:` whose key the fact carries")
            if group.column not in dimension_columns(self.spec, dimension):
                self.add("VG023", f"'{group.column}' is not a column of dimension '{dimension.name}'", (*group_path, "column"),
                         _hint(group.column, dimension_columns(self.spec, dimension)))
        for index, measure in enumerate(aggregate.measures):
            if measure.column not in columns:
                self.add("VG023", f"'{measure.column}' is not a column of fact '{fact.name}'", (*path, "measures", index, "column"),
                         _hint(measure.column, columns))
        self.duplicates(aggregate_columns(self.spec, aggregate), lambda i: (*path, "measures"), "aggregate column")

    # -- generated names: every model and every column a spec makes must be unique and fit each target ----------
    def check_targets(self) -> None:
        self.duplicates(list(self.spec.project.targets), lambda i: ("project", "targets", i), "target")

    def check_naming_settings(self) -> bool:
        """Column names the settings give to one model (a satellite's hashdiff, load timestamp and record source, a
        history view's valid_from, ...) must differ; so must the raw layer's batch columns. Returns whether they do."""
        project = self.spec.project

        def setting(field: str) -> tuple[str, str, tuple[Any, ...]]:
            return getattr(project.naming, field), f"naming.{field}", ("project", "naming", field)

        end_dating = [(name, f"virtual end-dating's {name}", ("project", "virtual_end_dating")) for name in END_DATING_COLUMNS]
        common = [setting("load_timestamp_column"), setting("record_source_column")]
        groups = [  # the settings that meet in one model: satellites (and their history views), tracking, effectivity, bridges
            [setting("hashdiff_column"), *common, *(end_dating if project.virtual_end_dating else [])],
            [setting("status_column"), *common],
            [setting("effectivity_status_column"), *common],
            [setting("snapshot_column"), setting("load_timestamp_column")],
            [(getattr(project.raw, field), f"raw.{field}", ("project", "raw", field)) for field in ("load_timestamp_column", "batch_id_column")]
            + [(name, f"the load log's {name}", ("project", "raw", "load_log_table")) for name in LOAD_LOG_COLUMNS],
        ]
        clean = True
        raw_schema = (project.raw.schema_name, "raw.schema", ("project", "raw", "schema"))  # dbt does not quote a source's schema
        settings = {path: (value, what, path) for group in groups for value, what, path in group}
        for value, what, path in [*settings.values(), raw_schema]:
            if needs_quotes(value) and path[-1] not in FIXED_COLUMN_ORIGINS:
                clean = False
                self.add("VG031", f"{what} '{value}' is a reserved SQL word", path, f"give {what} another name")
        reported: set[tuple[str, ...]] = set()
        for group in groups:
            for value, holders in _by_name(group).items():
                names = tuple(w for w, _ in holders)
                if len(holders) > 1 and names not in reported:
                    clean = False
                    reported.add(names)
                    # point at a setting the user can rename, preferably one written rather than a default
                    renameable = [h for h in holders if h[1][-1] not in FIXED_COLUMN_ORIGINS] or holders
                    what, path = next(((w, p) for w, p in reversed(renameable) if self.locate(p) != self.locate(p[:-1])), renameable[-1])
                    self.add("VG031", f"{' and '.join(names)} are both '{value}', and generated models have both columns", path,
                             f"give {what} a name of its own")
        return clean

    def check_generated_names(self) -> None:
        """Every model a target gets (staging, vault models, their views) has a name of its own that fits the
        target's identifier limit; a clash is reported at the second origin and names the first."""
        from vaultgen.dialects import get_dialect
        from vaultgen.naming import Naming  # late import: naming needs a checked spec

        naming = Naming.of(self.spec)
        clashes: dict[tuple[str, tuple[Any, ...], tuple[Any, ...]], tuple[str, str, list[str]]] = {}
        too_long: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
        reserved: dict[tuple[str, tuple[Any, ...]], None] = {}
        staging: list[tuple[str, str, tuple[Any, ...]]] = [
            (naming.staging_model(table.name), f"the staging model of table '{table.name}'", ("sources", si, "tables", ti, "name"))
            for si, system in enumerate(self.spec.sources) for ti, table in enumerate(system.tables)
        ]
        own: list[tuple[Any, list[tuple[str, str, tuple[Any, ...]]]]] = []  # per entity: its model and views
        for index, entity in enumerate(self.spec.entities):
            path = ("entities", index, "name")
            own.append((entity, [(naming.model_name(entity), f"{entity.kind} '{entity.name}'", path),
                                 *[(view, f"a view of {entity.kind} '{entity.name}'", path) for view in naming.derived_models(entity)]]))
        for target in sorted(set(self.spec.project.targets)):
            limit = get_dialect(target).max_identifier_length
            models = staging + [model for entity, entity_models in own if self.options(entity, target).enabled for model in entity_models]
            first: dict[str, tuple[str, tuple[Any, ...]]] = {}
            for name, what, path in models:
                if name in first:
                    first_what, first_path = first[name]
                    clashes.setdefault((name, first_path, path), (first_what, what, []))[2].append(target)
                else:
                    first[name] = (what, path)
                if needs_quotes(name):
                    reserved.setdefault((name, path), None)
                if len(name) + len(DBT_TEMP_SUFFIX) > limit:
                    too_long.setdefault((name, path), []).append(f"{target} ({limit})")
        for (name, first_path, path), (first_what, what, targets) in clashes.items():
            self.add("VG030", f"generated model name '{name}' is produced twice on {', '.join(targets)}: by {first_what} ({self.locate(first_path)}) "
                     f"and by {what}", path, "rename one of them (or change a prefix in project.naming)")
        for name, path in reserved:
            self.add("VG030", f"generated model name '{name}' is a reserved SQL word", path, "use another name or prefix")
        for (name, path), limits in too_long.items():
            self.add("VG030", f"generated model name '{name}' ({len(name)} characters, and dbt adds '{DBT_TEMP_SUFFIX}' for its temporary "
                     f"relations) is longer than the identifier limit of {', '.join(limits)}", path, "use a shorter name or prefix")

    def check_generated_columns(self) -> None:
        """Every model's columns are unique: a source column named like a generated column (hashdiff, load_ts,
        valid_from, a hash key) used as an attribute or key would be selected twice, and engines silently keep one."""
        from vaultgen.naming import Naming
        from vaultgen.sql.marts import dimension_columns, fact_columns

        naming = Naming.of(self.spec)
        # the vault models first: a clash of generated names only is reported once, best where the entity makes it
        for index, entity in enumerate(self.spec.entities):
            path = ("entities", index)
            if isinstance(entity, Dimension):
                names = dimension_columns(self.spec, entity)
            elif isinstance(entity, Fact):
                names = fact_columns(self.spec, entity)
            else:
                model_columns = self.vault_columns(entity)
                if model_columns is None:
                    continue
                names = [c.name for c in model_columns]
            names = [*names, *_internal_columns(entity)]
            named = None  # the columns with what they are and where the spec makes them: built for a problem only
            if not self.all_clear(names):
                named = self.described_columns(entity, path)
                self.unique_columns(naming.model_name(entity), named)
            if naming.derived_models(entity) and not self.all_clear([*dict.fromkeys(names), *END_DATING_COLUMNS]):
                named = named or self.described_columns(entity, path)  # the current view selects the history view's columns
                carried = list({name: (name, what, where) for name, what, where in reversed(named)}.values())  # reported above
                self.unique_columns(naming.history_view(entity), carried + [
                    (name, f"the history view's {name}", ("project", "virtual_end_dating")) for name in END_DATING_COLUMNS])
        reserved = {self.spec.project.raw.load_timestamp_column, self.spec.project.raw.batch_id_column, naming.record_source}  # check_sources
        for si, system in enumerate(self.spec.sources):
            for ti, table in enumerate(system.tables):
                keys = sorted(naming.staging_columns(table.name))
                names = [c.name for c in table.columns if c.name not in reserved] + [naming.load_ts, naming.record_source, *keys]
                path = ("sources", si, "tables", ti)
                if not self.all_clear(names):
                    columns = [(c.name, f"{USER_NAMED} '{c.name}'", (*path, "columns", ci, "name"))
                               for ci, c in enumerate(table.columns) if c.name not in reserved]
                    columns += [(naming.load_ts, "the load timestamp column", (*path, "name")),
                                (naming.record_source, "the record source column", (*path, "name"))]
                    columns += [(name, "a generated hash key or hashdiff", (*path, "name")) for name in keys]
                    self.unique_columns(naming.staging_model(table.name), columns)
                for column, meanings in naming.staging_key_conflicts(table.name).items():
                    self.add("VG032", f"staging column '{column}' of '{table.name}' would mean both {' and '.join(sorted(meanings))}",
                             path, "give one of the link references a distinct role")

    def described_columns(self, entity, path: tuple[Any, ...]) -> list[tuple[str, str, tuple[Any, ...]]]:
        """The columns of an entity's model, each with what it is and where the spec makes it (for a message)."""
        from vaultgen.sql.marts import dimension_columns, fact_columns

        if isinstance(entity, Dimension):
            named = [(c, f"{USER_NAMED} '{c}' of the dimension", path) for c in dimension_columns(self.spec, entity)]
        elif isinstance(entity, Fact):
            named = [(c, f"{USER_NAMED} '{c}' of the fact", path) for c in fact_columns(self.spec, entity)]
        else:
            named = [(c.name, c.description if c.source is None else f"{USER_NAMED} '{c.name}' ({c.description})",
                      (*path, "name") if c.source is None else self.field_path(entity, path, c.name)) for c in self.vault_columns(entity)]
        return named + [(name, "a column the model's SQL computes on the way", (*path, "name")) for name in _internal_columns(entity)]

    def field_path(self, entity, path: tuple[Any, ...], name: str) -> tuple[Any, ...]:
        """Where the entity lists the source column `name` (its business keys, attributes, payload or code)."""
        fields = _fields(type(entity))
        for field in ("business_keys", "code", "attributes", "payload"):
            names = (getattr(entity, field) if field in fields else None) or []
            if name in names:
                return (*path, field, names.index(name))
        return (*path, "name")

    def all_clear(self, names: list[str]) -> bool:
        """Whether a model with these columns has nothing for unique_columns to report: each name once, none a
        reserved word, all within every target's identifier limit (most models; the cheap test)."""
        unique = set(names)
        return (len(unique) == len(names) and unique.isdisjoint(reserved_words())
                and max(map(len, unique), default=0) <= min(self.identifier_limits.values(), default=0))

    def unique_columns(self, model: str, columns: list[tuple[str, str, tuple[Any, ...]]]) -> None:
        """Each column once; a generated column (not a source column) never a reserved word, which its tests would
        have to quote (a source column is quoted: the spec cannot avoid the names it finds); every column within
        the identifier limit of each target."""
        limits = self.identifier_limits
        shortest = min(limits.values(), default=0)
        if self.all_clear([name for name, _, _ in columns]):
            return
        for name, holders in _by_name(columns).items():
            over = [f"{target} ({limit})" for target, limit in limits.items() if len(name) > limit] if len(name) > shortest else []
            if over and ("long", name) not in self.reported:
                self.reported.add(("long", name))
                self.add("VG031", f"column '{name}' of model '{model}' is longer than the identifier limit of {', '.join(over)}", holders[0][1],
                         "use shorter names")
            generated = [(w, p) for w, p in holders if not w.startswith(USER_NAMED)] if needs_quotes(name) else []
            if generated and name not in self.reported:
                self.reported.add(name)
                self.add("VG031", f"generated column '{name}' ({generated[0][0]}) is a reserved SQL word", generated[0][1],
                         "rename the entity or role, or change the setting in project.naming that makes the name")
            if len(holders) > 1:
                # located at a source column when one takes part: that is what the user renames; a clash of generated
                # names only (a setting that makes a hash key's name) is reported once, not for every model
                path = next((p for w, p in holders if w.startswith(USER_NAMED)), None)
                if path is None and name in self.reported:
                    continue
                self.reported.add(name)
                hint = ("rename the source column (or leave it out here): generated models already have a column of that name" if path else
                        "rename the entity or role, or change the prefix / suffix in project.naming that makes the name")
                self.add("VG031", f"model '{model}' would have {len(holders)} columns named '{name}': {' and '.join(w for w, _ in holders)}",
                         path or holders[-1][1], hint)


@cache
def _fields(model: type) -> frozenset[str]:
    """The field names of a spec model class (pydantic's `model_fields` is a property that costs a call each time)."""
    return frozenset(model.model_fields)


def _internal_columns(entity) -> tuple[str, ...]:
    """Columns an entity's SQL adds in its CTEs next to the model's own (a satellite's previous hashdiff): a source
    column of that name would be selected twice there, and DuckDB silently compares the wrong one."""
    return _internal_column_names().get(type(entity), ())


@cache
def _internal_column_names() -> dict[type, tuple[str, ...]]:
    from vaultgen.sql import effectivity, marts, multi_active, pit, record_tracking, satellite

    return {
        Satellite: (satellite.PREVIOUS,), MultiActiveSatellite: (multi_active.PREVIOUS, multi_active.ROW_HASHDIFF),
        RecordTrackingSatellite: (record_tracking.PREVIOUS,), EffectivitySatellite: (effectivity.PREVIOUS,),
        PointInTime: (pit.NEXT, pit.HORIZON), Dimension: (marts.LATEST,), ReferenceTable: (satellite.PREVIOUS,),
    }


def _by_name(items: list[tuple[str, str, tuple[Any, ...]]]) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    grouped: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    for name, what, path in items:
        grouped.setdefault(name, []).append((what, path))
    return grouped


def check_meaning(spec: Spec, locate: Locate) -> list[Problem]:
    return _Checker(spec, locate).run()
