"""Every file of the generated dbt project for one target, as {relative path: text}. Pure: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Callable

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.emit.dbt_model import render_model
from vaultgen.emit.yaml_text import dump_yaml
from vaultgen.emit.schema_yml import business_vault_schema_yml, marts_schema_yml, schema_yml, sources_yml
from vaultgen.naming import Naming
from vaultgen.spec.model import (
    Aggregate, Bridge, Dimension, EffectivitySatellite, Fact, Hub, Link, MultiActiveSatellite, NonHistorizedLink, PointInTime,
    RecordTrackingSatellite, ReferenceTable, Satellite, Spec,
)
from vaultgen.sql.bridge import bridge_sql
from vaultgen.sql.marts import aggregate_sql, dimension_sql, fact_sql
from vaultgen.sql.pit import pit_sql
from vaultgen.sql.effectivity import effectivity_sql
from vaultgen.sql.end_dating import current_view_sql, history_view_sql
from vaultgen.sql.hub import hub_sql
from vaultgen.sql.link import link_sql
from vaultgen.sql.multi_active import multi_active_sql
from vaultgen.sql.record_tracking import record_tracking_sql
from vaultgen.sql.satellite import reference_table_sql, satellite_sql
from vaultgen.targets import enabled_entities, model_options

if TYPE_CHECKING:
    from vaultgen.emit.fingerprint import Fingerprints
    from vaultgen.writer import Entry, Previous



def _macros() -> dict[str, str]:
    folder = resources.files("vaultgen.emit") / "macros"
    return {f"macros/{item.name}": item.read_text(encoding="utf-8") for item in sorted(folder.iterdir(), key=lambda i: i.name) if item.name.endswith(".sql")}


# models/<layer>/ -> the layer's custom schema; generate_schema_name uses it as written, so it is also the
# database (Athena, Spark), schema (DuckDB, Snowflake) a model of that layer lands in
LAYER_SCHEMAS: dict[str, str] = {"staging": "staging", "raw_vault": "raw_vault", "business_vault": "business_vault", "marts": "marts"}


def _dbt_project(spec: Spec, dialect: Dialect) -> str:
    name = spec.project.name
    models = {**dialect.project_models_config, **{layer: {"+schema": schema} for layer, schema in LAYER_SCHEMAS.items()}}
    models["staging"] = {"+materialized": dialect.staging_materialized, **models["staging"]}
    return dump_yaml(
        {
            "name": name,
            "version": "1.0.0",
            "config-version": 2,
            "profile": name,
            "model-paths": ["models"],
            "macro-paths": ["macros"],
            "test-paths": ["tests"],
            "target-path": "target",
            "clean-targets": ["target", "logs"],
            "on-run-start": ["{{ vaultgen_batch_guard() }}"],
            "on-run-end": ["{{ vaultgen_record_build(results) }}"],
            "vars": {"vaultgen_batches": _batches_var(spec, dialect)},
            "models": {name: models},
        }
    )


# the build log: which batch the vault was built from, with which content; in a schema of its own beside the
# vault's (not a vault table: the Glue catalog and the vault's listings never see it)
BUILD_LOG_SCHEMA, BUILD_LOG = "vaultgen_meta", "build_log"


def _batches_var(spec: Spec, dialect: Dialect) -> dict[str, object]:
    """What the batch guard and the build-log macros (macros/vaultgen_batches.sql) need to know of the raw layer."""
    raw, naming = spec.project.raw, Naming(spec)
    tables = [table for _, table in spec.tables()]
    return {
        "build_log_schema": dialect.identifier(BUILD_LOG_SCHEMA),
        "build_log": dialect.identifier(BUILD_LOG),
        "load_log": raw.load_log_table,
        "batch_id_column": dialect.identifier(raw.batch_id_column),
        "load_ts_column": dialect.identifier(raw.load_timestamp_column),
        "tables": {table.name: [dialect.identifier(c.name) for c in table.columns] for table in tables},
        "staging": {table.name: naming.staging_model(table.name) for table in tables},
    }


def _profile(spec: Spec, dialect: Dialect) -> str:
    name = spec.project.name
    return dump_yaml(
        {
            name: {
                "target": dialect.name,
                "outputs": {dialect.name: dialect.profile},
            }
        }
    )


@dataclass(frozen=True)
class EntityRenderer:
    """How one entity kind becomes a dbt model: where it goes, how it is built, how it is described."""

    folder: str
    build: Callable[[Spec, object, Dialect, bool], exp.Expression]
    describe: Callable[[object], str]
    incremental: bool = True
    materialized: str = "view"  # when not incremental


RENDERERS: dict[type, EntityRenderer] = {
    Hub: EntityRenderer("raw_vault/hubs", hub_sql, lambda e: f"hub {e.name}"),
    Link: EntityRenderer("raw_vault/links", link_sql, lambda e: f"link {e.name}"),
    Satellite: EntityRenderer("raw_vault/satellites", satellite_sql, lambda e: f"satellite {e.name} on {e.parent}"),
    RecordTrackingSatellite: EntityRenderer(
        "raw_vault/record_tracking", record_tracking_sql, lambda e: f"record tracking of {e.parent} in {e.source}"
    ),
    NonHistorizedLink: EntityRenderer("raw_vault/links", link_sql, lambda e: f"non-historized link {e.name} (events with their payload)"),
    MultiActiveSatellite: EntityRenderer(
        "raw_vault/satellites", multi_active_sql, lambda e: f"multi-active satellite {e.name} on {e.parent} per {', '.join(e.multi_active_key)}"
    ),
    ReferenceTable: EntityRenderer("raw_vault/reference", reference_table_sql, lambda e: f"reference table {e.name} by {', '.join(e.code)}, from {e.source}"),
    EffectivitySatellite: EntityRenderer(
        "raw_vault/effectivity", effectivity_sql, lambda e: f"effectivity of {e.parent} per {', '.join(e.driving_keys)}, from {e.source}"
    ),
    PointInTime: EntityRenderer("business_vault/pit", pit_sql, lambda e: f"point-in-time table of hub {e.hub} over {', '.join(e.satellites)}"),
    Bridge: EntityRenderer("business_vault/bridge", bridge_sql, lambda e: f"bridge along {' -> '.join(s.link for s in e.path)}"),
    Dimension: EntityRenderer("marts", dimension_sql, lambda e: f"dimension {e.name} from PIT {e.pit}", incremental=False, materialized="table"),
    Fact: EntityRenderer("marts", fact_sql, lambda e: f"fact {e.name} over bridge {e.bridge}", incremental=False, materialized="table"),
    Aggregate: EntityRenderer("marts", aggregate_sql, lambda e: f"aggregate {e.name} of fact {e.fact}", incremental=False, materialized="table"),
}


def model_config(spec: Spec, entity, dialect: Dialect, incremental: bool) -> dict[str, object]:
    """The dbt config() of an entity's model on one target: the dialect's defaults plus the spec's options."""
    if not incremental:
        return {"materialized": "view"}
    config = dict(dialect.incremental_config)
    options = model_options(spec, entity, dialect.name)
    if options.partition_by and dialect.partition_config_key:
        config[dialect.partition_config_key] = [dialect.partition_field(f.transform, f.column, f.buckets) for f in options.partition_by]
    if options.cluster_by and dialect.cluster_config_key:
        config[dialect.cluster_config_key] = [dialect.identifier(column) for column in options.cluster_by]
    return config


# views derived from an entity's model: kind -> (folder, [(model name of, builder, description)])
DERIVED_VIEWS: dict[type, tuple[str, list[tuple[Callable[[Naming, object], str], Callable, Callable[[object], str]]]]] = {
    Satellite: ("raw_vault/end_dated", [
        (Naming.history_view, history_view_sql, lambda e: f"history of satellite {e.name}: valid_from, valid_to, is_current (virtual end-dating)"),
        (Naming.current_view, current_view_sql, lambda e: f"current rows of satellite {e.name} (virtual end-dating)"),
    ]),
}


def render_dbt_project(spec: Spec, dialect: Dialect) -> dict[str, str]:
    return render_target(spec, dialect)[0]


def render_target(spec: Spec, dialect: Dialect, previous: Previous | None = None,
                  fingerprints: Fingerprints | None = None) -> tuple[dict[str, str], dict[str, Entry]]:
    """The target's files and, with `fingerprints`, their manifest entries. With `previous` too, a file whose
    fingerprint is the one the last render recorded, and whose content on disk is as written, is taken from disk
    instead of being built."""
    from vaultgen.emit.plan import plan_models
    from vaultgen.writer import Entry

    models = plan_models(spec, dialect, previous, fingerprints)
    entries: dict[str, Entry] = {}
    unit = fingerprints.whole(f"dbt:{dialect.name}") if fingerprints is not None else ""
    files = previous.unit(unit) if previous is not None and unit else None
    if files is None:
        files = _project_files(spec, dialect, models)
    entries.update((name, Entry(fingerprint=unit)) for name in files)
    for model in models:
        text = previous.text(model.path, model.fingerprint) if previous is not None and model.fingerprint else None
        if text is None:
            # tags (layer, source systems) and meta (kind, source tables, spec file) drive selectors, dbt docs and lineage
            config = {**model.config, "tags": model.tags, "meta": model.meta}
            text = render_model(config, model.sql_on(dialect), model.description)
        files[model.path] = text
        entries[model.path] = Entry(fingerprint=model.fingerprint, note=model.note)
    return dict(sorted(files.items())), entries


def _project_files(spec: Spec, dialect: Dialect, models: list) -> dict[str, str]:
    """The files of the project that are no model: settings, docs and tests of every layer, selectors, macros."""
    from vaultgen.docs.overview import overview_docs
    from vaultgen.emit.selectors import selectors_yml

    entities = enabled_entities(spec, dialect.name)
    files: dict[str, str] = {
        "dbt_project.yml": _dbt_project(spec, dialect),
        "profiles.yml": _profile(spec, dialect),
        "selectors.yml": selectors_yml(spec, models),
        "models/sources.yml": sources_yml(spec, dialect),
        "models/raw_vault/schema.yml": schema_yml(spec, dialect, entities),
        "models/overview.md": overview_docs(spec, models),
        **_macros(),
    }
    if any(isinstance(e, (PointInTime, Bridge)) for e in entities):
        files["models/business_vault/schema.yml"] = business_vault_schema_yml(spec, entities, dialect)
    if any(isinstance(e, (Dimension, Fact, Aggregate)) for e in entities):
        files["models/marts/schema.yml"] = marts_schema_yml(spec, entities, dialect)
    return files
