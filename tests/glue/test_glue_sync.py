"""`vaultgen glue sync` against a moto server: create, update after a spec change, refuse to drop; for the raw
tables and for the vault tables Athena reads."""

from __future__ import annotations

import pytest

from vaultgen.catalog.glue import glue_table_inputs
from vaultgen.catalog.glue_vault import vault_table_inputs
from vaultgen.catalog.sync import GlueDropRefused, sync_catalog
from vaultgen.cli import main
from vaultgen.spec.model import Column

pytestmark = pytest.mark.glue


def _with_tables(spec, edit):
    """A copy of the spec whose northwind tables went through edit(list) -> list."""
    system = spec.sources[0]
    return spec.model_copy(update={"sources": [system.model_copy(update={"tables": edit(list(system.tables))}), *spec.sources[1:]]})


def _without_table(spec, table_name):
    """The spec without a source table and without the entities that read only from it (as a valid spec would be)."""
    def reads_only_it(entity) -> bool:
        tables = {getattr(entity, "source", None)} | {source.table for source in getattr(entity, "sources", [])}
        return tables - {None} == {table_name}

    shrunk = _with_tables(spec, lambda tables: [t for t in tables if t.name != table_name])
    return shrunk.model_copy(update={"entities": [e for e in spec.entities if not reads_only_it(e)]})


def _with_entity(spec, name, **changes):
    return spec.model_copy(update={"entities": [e.model_copy(update=changes) if e.name == name else e for e in spec.entities]})


def _add_column(spec, table_name, column):
    return _with_tables(spec, lambda tables: [t.model_copy(update={"columns": [*t.columns, column]}) if t.name == table_name else t for t in tables])


def _columns(glue, database, table):
    return [c["Name"] for c in glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]["Columns"]]


def test_create_then_noop(spec, aws_client, reset_moto):
    glue = aws_client("glue")
    database = spec.project.raw.schema_name
    report = sync_catalog(glue, spec, warehouse="s3://lake/warehouse")
    assert report.plan.create_database
    assert len(report.plan.create_tables) == len(glue_table_inputs(spec))
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert set(tables) == {d["TableInput"]["Name"] for d in glue_table_inputs(spec)}
    orders = tables["orders"]
    assert orders["Parameters"]["table_type"] == "ICEBERG"
    assert orders["StorageDescriptor"]["Location"] == "s3://lake/warehouse/raw.db/orders"
    assert [c["Name"] for c in orders["StorageDescriptor"]["Columns"]] == [c["Name"] for c in next(d for d in glue_table_inputs(spec) if d["TableInput"]["Name"] == "orders")["TableInput"]["StorageDescriptor"]["Columns"]]

    again = sync_catalog(glue, spec)
    assert not again.plan.create_database and not again.plan.create_tables and not again.plan.updates
    assert len(again.plan.unchanged) == len(tables)


def test_new_column_is_added_and_foreign_parameters_kept(spec, aws_client, reset_moto):
    glue = aws_client("glue")
    database = spec.project.raw.schema_name
    sync_catalog(glue, spec)
    # what Iceberg's Glue catalog writes on each commit: the sync must never lose it
    current = glue.get_table(DatabaseName=database, Name="customers")["Table"]
    glue.update_table(DatabaseName=database, TableInput={"Name": "customers", "StorageDescriptor": current["StorageDescriptor"], "Parameters": {**current["Parameters"], "metadata_location": "s3://lake/raw.db/customers/metadata/00001.metadata.json"}})

    changed = _add_column(spec, "customers", Column(name="email", type="varchar(80)", sensitivity="pii"))
    report = sync_catalog(glue, changed)
    assert [(change.table, change.added_columns) for _, change in report.plan.updates] == [("customers", ["email"])]
    after = glue.get_table(DatabaseName=database, Name="customers")["Table"]
    assert _columns(glue, database, "customers")[-1] == "email"
    assert after["Parameters"]["metadata_location"].endswith("00001.metadata.json")
    assert after["Parameters"]["table_type"] == "ICEBERG"
    versions = glue.get_table_versions(DatabaseName=database, TableName="customers")["TableVersions"]
    assert len(versions) >= 3


def test_removed_column_and_table_are_refused_then_only_reported(spec, aws_client, reset_moto, capsys):
    glue = aws_client("glue")
    database = spec.project.raw.schema_name
    with_email = _add_column(spec, "customers", Column(name="email", type="text"))
    sync_catalog(glue, with_email)
    before = {t["Name"]: [c["Name"] for c in t["StorageDescriptor"]["Columns"]] for t in glue.get_tables(DatabaseName=database)["TableList"]}

    # the spec drops customers.email and the whole shippers table, and adds a column elsewhere
    shrunk = _add_column(_without_table(spec, "shippers"), "region", Column(name="note", type="text"))
    with pytest.raises(GlueDropRefused) as refused:
        sync_catalog(glue, shrunk)
    message = str(refused.value)
    assert "raw.shippers" in message and "raw.customers.email" in message and "nothing was changed" in message
    assert "table raw_vault.hub_shipper is in the catalog" in message and "raw_vault.sat_shipper_details" in message
    assert {t["Name"]: [c["Name"] for c in t["StorageDescriptor"]["Columns"]] for t in glue.get_tables(DatabaseName=database)["TableList"]} == before

    report = sync_catalog(glue, shrunk, allow_drop=True)
    assert any("shippers" in line for line in report.lines())
    assert "shippers" in {t["Name"] for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert "email" in _columns(glue, database, "customers")
    assert _columns(glue, database, "region")[-1] == "note"


def test_cli_exits_non_zero_without_traceback(spec, reset_moto, tmp_path, capsys, monkeypatch):
    import shutil

    from tests.conftest import REPO

    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "vault_spec", spec_dir)
    source = spec_dir / "sources" / "northwind.yml"
    original = source.read_text()
    fax = "          - {name: fax, type: varchar(24), sensitivity: pii}\n"
    source.write_text(original.replace(fax, fax + "          - {name: email, type: text}\n", 1))
    args = ["glue", "sync", "--spec", str(spec_dir), "--region", "eu-west-1", "--endpoint-url", reset_moto]
    assert main(args) == 0
    assert "create table raw.orders" in capsys.readouterr().out
    assert main(args) == 0
    assert "up to date" in capsys.readouterr().out

    source.write_text(original)  # customers.email leaves the spec
    assert main(args) == 1  # drift: the catalog holds what the spec no longer defines
    captured = capsys.readouterr()
    assert "error: refusing to sync raw" in captured.err and "customers.email" in captured.err and "Traceback" not in captured.err
    assert main([*args, "--allow-drop"]) == 0
    assert "keep (not dropped) column raw.customers.email is in the catalog but not in the spec" in capsys.readouterr().out


def test_unreachable_endpoint_is_an_error_not_a_traceback(moto_server, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["glue", "sync", "--region", "eu-west-1", "--endpoint-url", "http://127.0.0.1:9"]) == 4  # a failed AWS call
    err = capsys.readouterr().err
    assert err.startswith("error: Glue call failed") and "Traceback" not in err


# -- the vault tables Athena reads -------------------------------------------------------------------------------


def _vault_definition(spec, database, table):
    return next(d for d in vault_table_inputs(spec) if d["DatabaseName"] == database and d["TableInput"]["Name"] == table)


def test_vault_databases_and_tables_are_created_as_iceberg(spec, aws_client, reset_moto):
    glue = aws_client("glue")
    report = sync_catalog(glue, spec, warehouse="s3://lake/warehouse")
    assert [(p.database, p.create_database) for p in report.vault_plans] == [("business_vault", True), ("raw_vault", True)]
    for database in ("raw_vault", "business_vault"):
        wanted = {d["TableInput"]["Name"] for d in vault_table_inputs(spec) if d["DatabaseName"] == database}
        assert {t["Name"] for t in glue.get_tables(DatabaseName=database)["TableList"]} == wanted
    satellite = glue.get_table(DatabaseName="raw_vault", Name="sat_customer_details")["Table"]
    definition = _vault_definition(spec, "raw_vault", "sat_customer_details")["TableInput"]
    assert [(c["Name"], c["Type"]) for c in satellite["StorageDescriptor"]["Columns"]] == [(c["Name"], c["Type"]) for c in definition["StorageDescriptor"]["Columns"]]
    assert satellite["StorageDescriptor"]["Location"] == "s3://lake/warehouse/raw_vault.db/sat_customer_details"
    assert satellite["Parameters"]["table_type"] == "ICEBERG" and satellite["Parameters"]["vaultgen.kind"] == "satellite"
    assert "load_ts_day" in satellite["Parameters"]["vaultgen.partition-spec"]
    assert glue.get_table(DatabaseName="business_vault", Name="pit_customer_by_batch")["Table"]["StorageDescriptor"]["Columns"][1]["Name"] == "snapshot_ts"

    again = sync_catalog(glue, spec)
    assert all(not p.create_database and not p.create_tables and not p.updates for p in again.plans)
    assert "database raw_vault is up to date" in again.lines()


def test_vault_table_gets_the_new_attribute_and_keeps_what_dbt_wrote(spec, aws_client, reset_moto):
    glue = aws_client("glue")
    sync_catalog(glue, spec)
    # what dbt-athena's Iceberg writes leave on the table, and a view dbt creates beside it: both must survive
    current = glue.get_table(DatabaseName="raw_vault", Name="sat_customer_details")["Table"]
    glue.update_table(DatabaseName="raw_vault", TableInput={"Name": "sat_customer_details", "StorageDescriptor": current["StorageDescriptor"],
                                                            "Parameters": {**current["Parameters"], "metadata_location": "s3://lake/rv/00002.metadata.json"}})
    glue.create_table(DatabaseName="raw_vault", TableInput={"Name": "sat_customer_details_current", "TableType": "VIRTUAL_VIEW",
                                                            "StorageDescriptor": {"Columns": [{"Name": "customer_hk", "Type": "string"}]}})
    # and the temporary table of a dbt-athena run that crashed
    glue.create_table(DatabaseName="raw_vault", TableInput={"Name": "sat_customer_details__dbt_tmp", "TableType": "EXTERNAL_TABLE",
                                                            "StorageDescriptor": {"Columns": [{"Name": "customer_hk", "Type": "string"}]}})

    details = spec.entity("customer_details")
    changed = _with_entity(_add_column(spec, "customers", Column(name="email", type="varchar(80)", sensitivity="pii")), "customer_details",
                           attributes=[*details.attributes, "email"])
    report = sync_catalog(glue, changed)
    assert [(change.table, change.added_columns) for p in report.vault_plans for _, change in p.updates] == [("sat_customer_details", ["email"])]
    after = glue.get_table(DatabaseName="raw_vault", Name="sat_customer_details")["Table"]
    email = after["StorageDescriptor"]["Columns"][-1]
    assert (email["Name"], email["Type"], email["Parameters"]["vaultgen.sensitivity"]) == ("email", "string", "pii")
    assert after["Parameters"]["metadata_location"].endswith("00002.metadata.json")
    assert {"sat_customer_details_current", "sat_customer_details__dbt_tmp"} <= {t["Name"] for t in glue.get_tables(DatabaseName="raw_vault")["TableList"]}


def test_vault_column_and_table_missing_from_the_spec_are_refused_then_kept(spec, aws_client, reset_moto):
    glue = aws_client("glue")
    sync_catalog(glue, spec)
    details = spec.entity("customer_details")
    shrunk = _with_entity(spec, "customer_details", attributes=[a for a in details.attributes if a != "fax"])
    shrunk = shrunk.model_copy(update={"entities": [e for e in shrunk.entities if e.name != "customer_by_day"]})
    before = _columns(glue, "raw_vault", "sat_customer_details")
    with pytest.raises(GlueDropRefused) as refused:
        sync_catalog(glue, shrunk)
    message = str(refused.value)
    assert "column raw_vault.sat_customer_details.fax is in the catalog" in message
    assert "table business_vault.pit_customer_by_day is in the catalog" in message and message.startswith("refusing to sync business_vault, raw_vault:")
    assert _columns(glue, "raw_vault", "sat_customer_details") == before

    report = sync_catalog(glue, shrunk, allow_drop=True)
    assert "keep (not dropped) column raw_vault.sat_customer_details.fax is in the catalog but not in the spec" in report.lines()
    assert "fax" in _columns(glue, "raw_vault", "sat_customer_details")
    assert "pit_customer_by_day" in {t["Name"] for t in glue.get_tables(DatabaseName="business_vault")["TableList"]}
