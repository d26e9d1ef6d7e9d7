"""`vaultgen glue sync`: make the Glue Data Catalog hold the raw tables and the vault tables the spec defines.

The raw database (vaultgen.catalog.glue) first, then each vault database Athena reads (raw_vault,
business_vault: vaultgen.catalog.glue_vault), with the same rules. Views in a vault database (the end-dating
views dbt creates beside the satellites) and the `__dbt_tmp` tables a dbt-athena run leaves while it works (or
after it crashed) belong to dbt and are not compared.

Plan first, then apply. The plan creates the database and the missing tables and adds new columns to existing
tables. It never drops: a table or column that the catalog has and the spec no longer defines is reported, and
the sync refuses to run (applies nothing) unless `allow_drop` is set; even then it only reports and keeps the
table or column. A changed column type is reported the same way (Iceberg allows only widening promotions, and
those belong to the table format, not to a catalog edit).

The boto3 Glue client is passed in, so tests hand in one pointed at a moto server.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from vaultgen.catalog.glue import glue_database_input, glue_table_inputs, iceberg_create_input, table_location
from vaultgen.catalog.glue_vault import TARGET, vault_database_input, vault_databases, vault_iceberg_create_input, vault_table_inputs
from vaultgen.errors import EXIT_FAILED, EXIT_FINDINGS, VaultgenError
from vaultgen.spec.model import Spec

# Keys of an existing table that update_table must not receive (get_table returns them, TableInput rejects them).
_READ_ONLY_KEYS = {
    "DatabaseName", "CreateTime", "UpdateTime", "CreatedBy", "IsRegisteredWithLakeFormation", "CatalogId", "VersionId",
    "FederatedTable", "IsMultiDialectView", "IsMaterializedView", "Status", "ViewDefinition", "LastAccessTime",
    "LastAnalyzedTime",
}


class GlueSyncError(VaultgenError):
    """The Glue Data Catalog could not be brought in line with the spec."""

    exit_code = EXIT_FAILED  # a Glue call failed


class GlueDropRefused(GlueSyncError):
    """The catalog holds tables or columns the spec no longer defines; vaultgen never drops them silently."""

    exit_code = EXIT_FINDINGS  # the catalog has drifted from the spec


@dataclass
class TableChange:
    table: str
    added_columns: list[str] = field(default_factory=list)


@dataclass
class SyncPlan:
    database: str
    create_database: bool = False
    create_tables: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[dict[str, Any], TableChange]] = field(default_factory=list)  # (update_table request, change)
    unchanged: list[str] = field(default_factory=list)
    removed_tables: list[str] = field(default_factory=list)
    removed_columns: list[str] = field(default_factory=list)  # "table.column"
    changed_types: list[str] = field(default_factory=list)  # "table.column: old -> new"

    @property
    def refusals(self) -> list[str]:
        return (
            [f"table {self.database}.{name} is in the catalog but not in the spec" for name in self.removed_tables]
            + [f"column {self.database}.{name} is in the catalog but not in the spec" for name in self.removed_columns]
            + [f"column {self.database}.{text}" for text in self.changed_types]
        )

    def lines(self) -> list[str]:
        out = []
        if self.create_database:
            out.append(f"create database {self.database}")
        out += [f"create table {self.database}.{d['TableInput']['Name']}" for d in self.create_tables]
        out += [f"update table {self.database}.{change.table}: add columns {', '.join(change.added_columns)}" for _, change in self.updates]
        out += [f"keep (not dropped) {text}" for text in self.refusals]
        return out


@dataclass
class SyncReport:
    plan: SyncPlan  # the raw database
    applied: bool
    vault_plans: list[SyncPlan] = field(default_factory=list)  # one per vault database

    @property
    def plans(self) -> list[SyncPlan]:
        return [self.plan, *self.vault_plans]

    def lines(self) -> list[str]:
        lines: list[str] = []
        for plan in self.plans:
            lines += (plan.lines() or [f"database {plan.database} is up to date"]) + [f"{len(plan.unchanged)} tables unchanged in {plan.database}"]
        return lines


def _client_error(error: Exception) -> GlueSyncError:
    return GlueSyncError(f"Glue call failed: {error}")


def _get(call, **kwargs) -> dict | None:
    """The response of a Glue get_* call, or None when the entity does not exist."""
    try:
        return call(**kwargs)
    except Exception as error:  # botocore.exceptions.ClientError; botocore is imported lazily by the caller
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "EntityNotFoundException":
            return None
        raise _client_error(error) from error


def _existing_tables(client, database: str) -> dict[str, dict]:
    tables: dict[str, dict] = {}
    try:
        for page in client.get_paginator("get_tables").paginate(DatabaseName=database):
            for table in page["TableList"]:
                tables[table["Name"]] = table
    except Exception as error:
        raise _client_error(error) from error
    return tables


def _update_request(database: str, existing: dict, desired: dict, added: list[dict]) -> dict[str, Any]:
    """Existing table + added columns + our parameters. Keeps everything else (Iceberg's metadata_location, the
    storage location, columns we do not know): an update must never lose what another writer put there."""
    table_input = {key: copy.deepcopy(value) for key, value in existing.items() if key not in _READ_ONLY_KEYS}
    storage = table_input.setdefault("StorageDescriptor", {})
    storage["Columns"] = list(storage.get("Columns", [])) + added
    table_input["Parameters"] = {**table_input.get("Parameters", {}), **desired["Parameters"]}
    table_input["Description"] = desired["Description"]
    return {"DatabaseName": database, "TableInput": table_input}


DBT_TEMPORARY_SUFFIX = "__dbt_tmp"  # dbt-athena's temporary table of an incremental run (dropped when it ends)


def _dbt_owned(name: str, table: dict[str, Any]) -> bool:
    return table.get("TableType") == "VIRTUAL_VIEW" or name.endswith(DBT_TEMPORARY_SUFFIX)


def _plan_database(client, database: str, definitions: list[dict[str, Any]], warehouse: str | None,
                   create_input: Callable[[str, str], dict[str, Any]], dbt_managed: bool = False) -> SyncPlan:
    """The plan of one Glue database: `create_input(table, location)` gives a new table's Iceberg metadata."""
    plan = SyncPlan(database=database)
    plan.create_database = _get(client.get_database, Name=database) is None
    existing = {} if plan.create_database else _existing_tables(client, database)
    if dbt_managed:  # dbt's own objects in the vault databases: its views, and the temporary tables of a run
        existing = {name: table for name, table in existing.items() if not _dbt_owned(name, table)}
    desired_names = set()
    for definition in definitions:
        desired = definition["TableInput"]
        name = desired["Name"]
        desired_names.add(name)
        current = existing.get(name)
        if current is None:
            request = copy.deepcopy(definition)
            if warehouse:
                location = table_location(warehouse, database, name)
                request["TableInput"]["StorageDescriptor"]["Location"] = location
                request["OpenTableFormatInput"]["IcebergInput"]["CreateIcebergTableInput"] = create_input(name, location)
            plan.create_tables.append(request)
            continue
        have = {column["Name"]: column for column in current.get("StorageDescriptor", {}).get("Columns", [])}
        want = {column["Name"]: column for column in desired["StorageDescriptor"]["Columns"]}
        added = [column for column in desired["StorageDescriptor"]["Columns"] if column["Name"] not in have]
        plan.removed_columns += [f"{name}.{column}" for column in have if column not in want]
        plan.changed_types += [
            f"{name}.{column}: type {have[column].get('Type')} in the catalog, {want[column]['Type']} in the spec"
            for column in want
            if column in have and have[column].get("Type", "").lower() != want[column]["Type"].lower()
        ]
        if added:
            change = TableChange(name, [column["Name"] for column in added])
            plan.updates.append((_update_request(database, current, desired, added), change))
        else:
            plan.unchanged.append(name)
    plan.removed_tables = sorted(set(existing) - desired_names)
    return plan


def plan_sync(client, spec: Spec, warehouse: str | None = None) -> SyncPlan:
    """The plan of the raw database."""
    return _plan_database(client, spec.project.raw.schema_name, glue_table_inputs(spec), warehouse,
                          lambda name, location: iceberg_create_input(spec, name, location))


def plan_vault_sync(client, spec: Spec, warehouse: str | None = None) -> list[SyncPlan]:
    """The plans of the vault databases Athena reads (none when athena is not a target)."""
    if TARGET not in spec.project.targets:
        return []
    definitions = vault_table_inputs(spec)
    return [
        _plan_database(client, database, [d for d in definitions if d["DatabaseName"] == database], warehouse,
                       lambda name, location, database=database: vault_iceberg_create_input(spec, database, name, location), dbt_managed=True)
        for database in vault_databases(spec)
    ]


def apply_plan(client, plan: SyncPlan, database_input: dict[str, Any]) -> None:
    try:
        if plan.create_database:
            client.create_database(DatabaseInput=database_input)
        for request in plan.create_tables:
            client.create_table(**request)
        for request, _ in plan.updates:
            client.update_table(**request)
    except Exception as error:
        raise _client_error(error) from error


def sync_catalog(client, spec: Spec, allow_drop: bool = False, warehouse: str | None = None) -> SyncReport:
    """Bring the Glue databases of the raw layer and of the vault in line with the spec. Raises GlueDropRefused
    (before any change, in any database) when the catalog holds tables, columns or types the spec does not, unless
    allow_drop."""
    plan = plan_sync(client, spec, warehouse=warehouse)
    vault_plans = plan_vault_sync(client, spec, warehouse=warehouse)
    plans = [plan, *vault_plans]
    refusing = [p for p in plans if p.refusals]
    if refusing and not allow_drop:
        listed = "\n".join(f"  - {text}" for p in refusing for text in p.refusals)
        raise GlueDropRefused(
            f"refusing to sync {', '.join(p.database for p in refusing)}: the catalog holds what the spec no longer defines, and vaultgen never drops it:\n{listed}\n"
            "  nothing was changed; restore it in the spec, or rerun with --allow-drop to apply the other changes and keep these as they are"
        )
    apply_plan(client, plan, glue_database_input(spec))
    for vault_plan in vault_plans:
        apply_plan(client, vault_plan, vault_database_input(spec, vault_plan.database))
    return SyncReport(plan=plan, applied=True, vault_plans=vault_plans)
