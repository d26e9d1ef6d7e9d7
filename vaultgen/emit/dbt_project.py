"""Every file of the generated dbt project for one target, as {relative path: text}. Pure: no I/O here."""

from __future__ import annotations

from importlib import resources

import yaml

from vaultgen.dialects.base import Dialect
from vaultgen.emit.dbt_model import render_model
from vaultgen.emit.schema_yml import schema_yml, sources_yml
from vaultgen.naming import Naming
from vaultgen.spec.model import Spec
from vaultgen.sql.hub import hub_sql
from vaultgen.sql.link import link_sql
from vaultgen.sql.record_tracking import record_tracking_sql
from vaultgen.sql.satellite import satellite_sql
from vaultgen.sql.staging import staging_sql

INCREMENTAL = {"materialized": "incremental", "incremental_strategy": "append", "on_schema_change": "append_new_columns"}


def dump_yaml(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)


def _macros() -> dict[str, str]:
    folder = resources.files("vaultgen.emit") / "macros"
    return {f"macros/{item.name}": item.read_text(encoding="utf-8") for item in sorted(folder.iterdir(), key=lambda i: i.name) if item.name.endswith(".sql")}


def _dbt_project(spec: Spec) -> str:
    name = spec.project.name
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
            "models": {
                name: {
                    "staging": {"+materialized": "view", "+schema": "staging"},
                    "raw_vault": {"+schema": "raw_vault"},
                }
            },
        }
    )


def _profile(spec: Spec, dialect: Dialect) -> str:
    name = spec.project.name
    return dump_yaml(
        {
            name: {
                "target": dialect.name,
                "outputs": {
                    dialect.name: {
                        "type": dialect.dbt_adapter,
                        "path": "{{ env_var('VAULTGEN_DUCKDB_PATH', '%s.duckdb') }}" % name,
                        "threads": 2,
                    }
                },
            }
        }
    )


def render_dbt_project(spec: Spec, dialect: Dialect) -> dict[str, str]:
    naming = Naming(spec)
    files: dict[str, str] = {
        "dbt_project.yml": _dbt_project(spec),
        "profiles.yml": _profile(spec, dialect),
        "models/sources.yml": sources_yml(spec),
        "models/raw_vault/schema.yml": schema_yml(spec),
        **_macros(),
    }
    for _, table in spec.tables():
        name = naming.staging_model(table.name)
        files[f"models/staging/{name}.sql"] = render_model(
            {}, staging_sql(spec, table, dialect), None, dialect, f"staging of raw table {table.name}"
        )
    for hub in spec.hubs:
        files[f"models/raw_vault/hubs/{naming.model_name(hub)}.sql"] = render_model(
            INCREMENTAL, hub_sql(spec, hub, dialect, False), hub_sql(spec, hub, dialect, True), dialect, f"hub {hub.name}"
        )
    for link in spec.links:
        files[f"models/raw_vault/links/{naming.model_name(link)}.sql"] = render_model(
            INCREMENTAL, link_sql(spec, link, False), link_sql(spec, link, True), dialect, f"link {link.name}"
        )
    for satellite in spec.satellites:
        files[f"models/raw_vault/satellites/{naming.model_name(satellite)}.sql"] = render_model(
            INCREMENTAL, satellite_sql(spec, satellite, False), satellite_sql(spec, satellite, True), dialect,
            f"satellite {satellite.name} on {satellite.parent}",
        )
    for tracking in spec.tracking_satellites:
        files[f"models/raw_vault/record_tracking/{naming.model_name(tracking)}.sql"] = render_model(
            INCREMENTAL, record_tracking_sql(spec, tracking, False), record_tracking_sql(spec, tracking, True), dialect,
            f"record tracking of {tracking.parent} in {tracking.source}",
        )
    return dict(sorted(files.items()))
