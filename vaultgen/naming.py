"""Naming conventions in one place: model names, key and hashdiff column names."""

from __future__ import annotations

from collections import defaultdict
from functools import cache, cached_property

from vaultgen.spec.model import (
    Aggregate, Bridge, Dimension, EffectivitySatellite, Fact, Hub, Link, MultiActiveSatellite, NonHistorizedLink, PointInTime,
    RecordTrackingSatellite, ReferenceTable, Satellite, Spec,
)


# Snowflake's documented reserved keywords that sqlglot's Snowflake generator does not list (it lists none)
SNOWFLAKE_RESERVED = frozenset({
    "account", "connect", "connection", "current", "database", "following", "gscluster", "increment", "issue", "minus", "of",
    "organization", "regexp", "revoke", "rlike", "row", "rows", "sample", "schema", "set", "start", "trigger", "update", "view", "whenever",
})


@cache
def reserved_words() -> frozenset[str]:
    """Words some target reserves, so a column of that name must be quoted wherever SQL names it (the models
    quote every identifier; dbt's tests need `quote: true` and quoted arguments)."""
    from sqlglot.dialects.dialect import Dialect as SqlglotDialect

    from vaultgen.dialects import get_dialect, targets

    words = set(SNOWFLAKE_RESERVED)
    for target in targets():
        words.update(w.lower() for w in SqlglotDialect.get_or_raise(get_dialect(target).sqlglot_dialect).generator_class.RESERVED_KEYWORDS)
    return frozenset(words)


def needs_quotes(name: str) -> bool:
    """Whether SQL must quote the (valid, lower-case) name on some target."""
    return name in reserved_words()


class Naming:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.rules = spec.project.naming
        self._staging_keys: dict[str, dict[str, set[tuple[str, ...]]]] = {}

    @classmethod
    def of(cls, spec: Spec) -> "Naming":
        """The spec's one Naming (kept in its index), so what it computes per table is computed once."""
        index = spec.index
        if index.naming is None:
            index.naming = cls(spec)
        return index.naming

    # model names
    def model_name(self, entity: Hub | Link | Satellite | RecordTrackingSatellite) -> str:
        return f"{self._prefixes[type(entity)]}_{entity.name}"

    @cached_property
    def _prefixes(self) -> dict[type, str]:
        return {
            Hub: self.rules.hub_prefix,
            Link: self.rules.link_prefix,
            Satellite: self.rules.satellite_prefix,
            RecordTrackingSatellite: self.rules.record_tracking_prefix,
            EffectivitySatellite: self.rules.effectivity_prefix,
            NonHistorizedLink: self.rules.nonhistorized_link_prefix,
            MultiActiveSatellite: self.rules.multi_active_prefix,
            ReferenceTable: self.rules.reference_prefix,
            PointInTime: self.rules.pit_prefix,
            Bridge: self.rules.bridge_prefix,
            Dimension: self.rules.dimension_prefix,
            Fact: self.rules.fact_prefix,
            Aggregate: self.rules.aggregate_prefix,
        }

    def history_view(self, satellite: Satellite) -> str:
        return f"{self.model_name(satellite)}_history"

    def current_view(self, satellite: Satellite) -> str:
        return f"{self.model_name(satellite)}_current"

    def derived_models(self, entity) -> list[str]:
        """Views generated beside an entity's own model (virtual end-dating of a satellite)."""
        if type(entity) is Satellite and self.spec.project.virtual_end_dating:
            return [self.history_view(entity), self.current_view(entity)]
        return []

    # PIT columns: per satellite, the key and load timestamp of its row valid at the snapshot
    def pit_key(self, satellite_name: str) -> str:
        return self.hash_key(satellite_name)

    def pit_load_ts(self, satellite_name: str) -> str:
        return f"{satellite_name}_{self.load_ts}"

    @property
    def snapshot(self) -> str:
        return self.rules.snapshot_column

    def staging_model(self, table_name: str) -> str:
        return f"{self.rules.staging_prefix}_{self.spec.system_of(table_name).name}__{table_name}"

    # columns
    def hash_key(self, name: str) -> str:
        return f"{name}_{self.rules.hash_key_suffix}"

    def staged_hashdiff(self, satellite: Satellite) -> str:
        return f"{self.rules.hashdiff_column}_{satellite.name}"

    @property
    def load_ts(self) -> str:
        return self.rules.load_timestamp_column

    @property
    def record_source(self) -> str:
        return self.rules.record_source_column

    @property
    def hashdiff(self) -> str:
        return self.rules.hashdiff_column

    def parent_key(self, satellite: Satellite | RecordTrackingSatellite) -> str:
        return self.hash_key(satellite.parent)

    # staging columns a table gets, name -> the key columns (or hashdiff attributes) they hash
    def staging_key_definitions(self, table_name: str) -> dict[str, set[tuple[str, ...]]]:
        """Computed once per table (a copy is returned, so callers may change it)."""
        definitions = self._staging_keys.get(table_name)
        if definitions is None:
            definitions = self._staging_keys[table_name] = self._key_definitions(table_name)
        copied: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        copied.update((name, set(columns)) for name, columns in definitions.items())
        return copied

    def _key_definitions(self, table_name: str) -> dict[str, set[tuple[str, ...]]]:
        index = self.spec.index
        definitions: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for hub, source in index.hub_sources.get(table_name, ()):
            definitions[self.hash_key(hub.name)].add(tuple(source.columns))
        for link, source in index.link_sources.get(table_name, ()):
            all_columns: list[str] = []
            for reference in link.references:
                columns = tuple(source.columns.get(reference.role_name, ()))
                definitions[self.hash_key(reference.role_name)].add(columns)
                all_columns.extend(columns)
            definitions[self.hash_key(link.name)].add(tuple(all_columns))
        return definitions

    def staging_key_conflicts(self, table_name: str) -> dict[str, set[str]]:
        return {
            name: {"(" + ", ".join(cols) + ")" for cols in defs}
            for name, defs in self.staging_key_definitions(table_name).items()
            if len(defs) > 1
        }

    def staging_columns(self, table_name: str) -> set[str]:
        names = set(self.staging_key_definitions(table_name))
        names.update(self.staged_hashdiff(s) for s in self.spec.index.hashdiffs.get(table_name, ()))
        return names
