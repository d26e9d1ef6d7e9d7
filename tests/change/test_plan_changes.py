"""One row per kind of spec change: `vaultgen plan` classifies it, exits as the reviewer's --allow says, and gives
migration artefacts that parse in each target's dialect; the DuckDB DDL runs against a DuckDB vault of the old spec
and leaves the tables the new spec's models expect (history kept)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb
import pytest
import sqlglot

from tests.change.support import HISTORY_SPEC, changed_copy, columns_of, create_vault_tables, entity, table
from vaultgen.cli import main
from vaultgen.dialects import get_dialect
from vaultgen.graph import model_columns
from vaultgen.naming import Naming
from vaultgen.spec.loader import load_spec

TARGETS = ["duckdb", "spark", "athena", "snowflake"]
Docs = dict[str, Any]


def all_targets(docs: Docs) -> None:
    docs["project.yml"]["project"]["targets"] = list(TARGETS)


def add_hub(docs: Docs) -> None:
    docs["vault.yml"]["entities"].append({"kind": "hub", "name": "city", "business_keys": ["city"], "sources": [{"table": "customers", "columns": ["city"]}]})


def add_satellite(docs: Docs) -> None:
    docs["vault.yml"]["entities"].append({"kind": "satellite", "name": "order_buyer", "parent": "order", "source": "orders", "attributes": ["customer_id"]})


def add_attribute(docs: Docs) -> None:
    table(docs, "customers")["columns"].append({"name": "phone", "type": "varchar(24)"})
    entity(docs, "customer_details")["attributes"].append("phone")


def add_attribute_first(docs: Docs) -> None:
    table(docs, "customers")["columns"].append({"name": "phone", "type": "varchar(24)"})
    entity(docs, "customer_details")["attributes"].insert(0, "phone")


def remove_attribute(docs: Docs) -> None:
    entity(docs, "customer_details")["attributes"] = ["name"]


def reorder_attributes(docs: Docs) -> None:
    entity(docs, "customer_details")["attributes"] = ["city", "name"]


def retype_attribute(docs: Docs) -> None:
    next(c for c in table(docs, "customers")["columns"] if c["name"] == "city")["type"] = "varchar(30)"


def hash_algorithm(docs: Docs) -> None:
    docs["project.yml"]["project"]["hashing"]["algorithm"] = "sha256"


def delimiter(docs: Docs) -> None:
    docs["project.yml"]["project"]["hashing"]["delimiter"] = "~~"


def key_normalisation(docs: Docs) -> None:
    docs["project.yml"]["project"]["hashing"]["business_key"] = {"trim": True, "case": "lower"}


def sentinels(docs: Docs) -> None:
    docs["project.yml"]["project"]["sentinels"] = {"null_key": "1", "empty_key": "e"}


def widen_key(docs: Docs) -> None:
    next(c for c in table(docs, "customers")["columns"] if c["name"] == "customer_id")["type"] = "varchar(8)"


def retype_key(docs: Docs) -> None:
    next(c for c in table(docs, "orders")["columns"] if c["name"] == "order_id")["type"] = "varchar(10)"


def two_part_customer(docs: Docs) -> None:
    table(docs, "orders")["columns"].append({"name": "customer_name", "type": "varchar(40)"})
    entity(docs, "customer").update(business_keys=["customer_id", "name"], sources=[{"table": "customers", "columns": ["customer_id", "name"]}])
    entity(docs, "order_customer")["sources"][0]["columns"]["customer"] = ["customer_id", "customer_name"]


def decimal_key(docs: Docs) -> None:
    table(docs, "orders")["columns"][0]["type"] = "numeric(10,2)"


def rescale_key(docs: Docs) -> None:  # 10.50 becomes 10.500: another canonical string
    table(docs, "orders")["columns"][0]["type"] = "numeric(10,3)"


def business_key(docs: Docs) -> None:
    entity(docs, "customer")["business_keys"] = ["customer_code"]


def rename_with(docs: Docs) -> None:
    entity(docs, "customer_details").update(name="customer_profile", renamed_from="customer_details")


def rename_hub_with(docs: Docs) -> None:
    hub = entity(docs, "customer")
    hub.update(name="client", renamed_from="customer")
    link = entity(docs, "order_customer")
    link["references"][1] = {"hub": "client"}
    link["sources"][0]["columns"] = {"order": ["order_id"], "client": ["customer_id"]}
    for name in ("customer_details", "customer_status"):
        entity(docs, name)["parent"] = "client"


def rename_without(docs: Docs) -> None:
    entity(docs, "customer_details")["name"] = "customer_profile"


def remove_entity(docs: Docs) -> None:
    docs["vault.yml"]["entities"] = [e for e in docs["vault.yml"]["entities"] if e["name"] != "order_status"]


def drop_snowflake(docs: Docs) -> None:
    docs["project.yml"]["project"]["targets"] = [t for t in TARGETS if t != "snowflake"]


@dataclass
class Row:
    name: str
    change_new: Callable[[Docs], None]
    expected: set[tuple[str | None, str, str]]  # (entity, change, impact)
    exit_code: int
    change_old: Callable[[Docs], None] | None = None
    allow: str | None = None  # the --allow that turns the exit code to 0
    ddl: dict[str, list[str]] = field(default_factory=dict)  # target -> fragments one of its DDL statements holds
    other: dict[str, list[str]] = field(default_factory=dict)  # "dbt" / "rehash" / "cleanup" / "glue" -> fragments (any target)
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None  # what the DuckDB DDL left


def _has_columns(schema: str, name: str, columns: list[str]):
    def check(connection: duckdb.DuckDBPyConnection) -> None:
        assert columns_of(connection, schema, name) == columns
    return check


def _renamed_satellite(connection) -> None:
    assert columns_of(connection, "raw_vault", "sat_customer_details") == []
    assert columns_of(connection, "raw_vault", "sat_customer_profile")[:2] == ["customer_hk", "hashdiff"]
    assert connection.execute('select count(*) from raw_vault.sat_customer_profile').fetchone()[0] == 1  # the row survived


def _renamed_hub(connection) -> None:
    assert columns_of(connection, "raw_vault", "hub_customer") == []
    assert columns_of(connection, "raw_vault", "hub_client") == ["client_hk", "customer_id", "load_ts", "record_source"]
    assert columns_of(connection, "raw_vault", "sat_customer_details")[0] == "client_hk"
    assert columns_of(connection, "raw_vault", "link_order_customer")[:3] == ["order_customer_hk", "order_hk", "client_hk"]
    assert columns_of(connection, "raw_vault", "rts_customer_status")[0] == "client_hk"
    assert connection.execute("select client_hk from raw_vault.hub_client").fetchall() == [("k" * 32,)]


ROWS = [
    Row("new hub", add_hub, {("city", "hub_added", "safe")}, 0),
    Row("new satellite", add_satellite, {("order_buyer", "satellite_added", "safe")}, 0),
    Row("new attribute at the end", add_attribute, {("customer_details", "attribute_added", "safe"), (None, "source_column_added", "safe")}, 0,
        ddl={"duckdb": ['ALTER TABLE "raw_vault"."sat_customer_details" ADD COLUMN "phone" TEXT', 'ALTER TABLE "raw"."customers" ADD COLUMN "phone"'],
             "spark": ["ALTER TABLE `raw_vault`.`sat_customer_details` ADD COLUMN `phone` STRING"],
             "athena": ["ALTER TABLE `raw_vault`.`sat_customer_details` ADD COLUMNS (`phone` STRING)"],
             "snowflake": ['ALTER TABLE "RAW_VAULT"."SAT_CUSTOMER_DETAILS" ADD "PHONE" VARCHAR']},
        other={"glue": ["vaultgen glue sync"]},
        after=_has_columns("raw_vault", "sat_customer_details", ["customer_hk", "hashdiff", "load_ts", "record_source", "name", "city", "phone"])),
    Row("new attribute before the end", add_attribute_first,
        {("customer_details", "attribute_added", "re-version"), (None, "source_column_added", "safe")}, 1, allow="re-version",
        ddl={"duckdb": ['ADD COLUMN "phone"']}),
    Row("removed attribute", remove_attribute, {("customer_details", "attribute_removed", "re-version")}, 1, allow="re-version"),
    Row("reordered attributes", reorder_attributes, {("customer_details", "attributes_reordered", "re-version")}, 1, allow="re-version"),
    Row("changed type", retype_attribute, {("customer_details", "attribute_type_changed", "re-version")}, 1, allow="re-version",
        ddl={"duckdb": ['ALTER TABLE "raw_vault"."sat_customer_details" ALTER COLUMN "city" SET DATA TYPE TEXT'],
             "snowflake": ['ALTER TABLE "RAW_VAULT"."SAT_CUSTOMER_DETAILS" ALTER COLUMN "CITY" SET DATA TYPE VARCHAR']}),
    Row("changed hash algorithm", hash_algorithm, {(None, "hashing_algorithm_changed", "rehash")}, 1, allow="rehash",
        other={"hint": ["dbt build --full-refresh --select +path:models/raw_vault+"],
               "rehash": ['UPDATE "raw_vault"."sat_customer_details" SET "hashdiff" = ', "SHA256",
                          'CREATE TABLE "raw_vault"."link_order_customer_key_map" AS SELECT',
                          'MERGE INTO "raw_vault"."eff_order_customer_effectivity" AS "t" USING "raw_vault"."hub_order_key_map" AS "m"',
                          "MERGE INTO `raw_vault`.`sat_customer_details` AS `t` USING `raw_vault`.`hub_customer_key_map` AS `m`",
                          'MERGE INTO "RAW_VAULT"."RTS_ORDER_CUSTOMER_STATUS" AS "t" USING "RAW_VAULT"."LINK_ORDER_CUSTOMER_KEY_MAP"',
                          'DROP TABLE IF EXISTS "raw_vault"."hub_customer_key_map"']}),
    Row("changed delimiter", delimiter, {(None, "hashing_delimiter_changed", "rehash")}, 1, allow="rehash",
        other={"hint": ["--full-refresh"], "rehash": ["'~~'", 'MERGE INTO "raw_vault"."link_order_customer" AS "t"']}),
    Row("changed hash algorithm, a link over a two-part key", lambda docs: (two_part_customer(docs), hash_algorithm(docs)),
        {(None, "hashing_algorithm_changed", "rehash")}, 1, change_old=two_part_customer, allow="rehash",
        other={"dbt": ["dbt build --full-refresh --select +path:models/raw_vault+"],
               "hint": ["no in-place rehash: link 'order_customer' hashes the several business keys of hub 'customer'"]}),
    Row("changed sentinels", sentinels, {(None, "hashing_sentinels_changed", "rehash")}, 1, allow="rehash",
        other={"rehash": ['SET "hashdiff" = \'11111111111111111111111111111111\' WHERE "customer_hk" IN', "MERGE INTO"]}),
    Row("changed business key normalisation", key_normalisation, {(None, "hashing_business_key_changed", "rehash")}, 1, allow="rehash",
        other={"dbt": ["dbt build --full-refresh --select +path:models/raw_vault+"], "hint": ["no in-place rehash: keys that the new normalisation merges"]}),
    Row("widened business key type", widen_key, {("customer", "business_key_type_changed", "rehash")}, 1, allow="rehash",
        ddl={"duckdb": ['ALTER TABLE "raw_vault"."hub_customer" ALTER COLUMN "customer_id" SET DATA TYPE TEXT']}, other={"hint": ["hash keys unchanged"]}),
    Row("rescaled decimal business key", rescale_key, {("order", "business_key_type_changed", "rehash")}, 1, change_old=decimal_key,
        allow="rehash", other={"dbt": ["+path:models/raw_vault+"], "hint": ["no in-place rehash: the stored business keys have the old type"]}),
    Row("changed business key type", retype_key, {("order", "business_key_type_changed", "rehash")}, 1, allow="rehash",
        other={"dbt": ["dbt build --full-refresh --select +path:models/raw_vault+"], "hint": ["no in-place rehash: the stored business keys have the old type"]}),
    Row("changed business key", business_key, {("customer", "business_key_changed", "breaking")}, 1, allow="breaking",
        other={"dbt": ["dbt build --full-refresh --select +hub_customer+"]}),
    Row("renamed with renamed_from", rename_with, {("customer_profile", "entity_renamed", "safe")}, 0,
        ddl={"duckdb": ['ALTER TABLE "raw_vault"."sat_customer_details" RENAME TO "sat_customer_profile"'],
             "spark": ["ALTER TABLE `raw_vault`.`sat_customer_details` RENAME TO `raw_vault`.`sat_customer_profile`"],
             "athena": ["ALTER TABLE `raw_vault`.`sat_customer_details` RENAME TO `raw_vault`.`sat_customer_profile`"],
             "snowflake": ['ALTER TABLE "RAW_VAULT"."SAT_CUSTOMER_DETAILS" RENAME TO "RAW_VAULT"."SAT_CUSTOMER_PROFILE"']},
        after=_renamed_satellite),
    Row("renamed hub with renamed_from", rename_hub_with, {("client", "entity_renamed", "safe")}, 0,
        ddl={"duckdb": ['ALTER TABLE "raw_vault"."hub_customer" RENAME TO "hub_client"',
                        'ALTER TABLE "raw_vault"."sat_customer_details" RENAME COLUMN "customer_hk" TO "client_hk"'],
             "athena": ["ALTER TABLE `raw_vault`.`link_order_customer` CHANGE COLUMN `customer_hk` `client_hk` STRING"]},
        after=_renamed_hub),
    Row("renamed without renamed_from", rename_without, {("customer_profile", "entity_renamed_without_renamed_from", "breaking")}, 1,
        allow="breaking", other={"cleanup": ['DROP TABLE IF EXISTS "raw_vault"."sat_customer_details"'], "hint": ["renamed_from: customer_details"]}),
    Row("removed entity", remove_entity, {("order_status", "entity_removed", "breaking")}, 1, allow="breaking",
        other={"cleanup": ["DROP TABLE IF EXISTS `raw_vault`.`rts_order_status`"]}),
    Row("new target", lambda docs: None, {(None, "target_added", "safe")}, 0, change_old=drop_snowflake, other={"dbt": ["dbt build"]}),
    Row("removed target", drop_snowflake, {(None, "target_removed", "breaking")}, 1, allow="breaking"),
]


def plan(capsys, new: Path, old: Path, *extra: str) -> tuple[int, str]:
    code = main(["plan", "--spec", str(new), "--base", str(old), *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_each_kind_of_change(row: Row, tmp_path: Path, capsys) -> None:
    def both(change):
        def apply(docs: Docs) -> None:
            all_targets(docs)
            if change:
                change(docs)
        return apply

    old = changed_copy(HISTORY_SPEC, tmp_path / "old", both(row.change_old))
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", both(row.change_new))
    code, out = plan(capsys, new, old, "--format", "json")
    document = json.loads(out)
    found = {(c["entity"], c["change"], c["impact"]) for c in document["changes"]}
    assert found == row.expected
    assert code == row.exit_code
    if row.allow:
        assert plan(capsys, new, old, "--format", "json", "--allow", row.allow)[0] == 0
        lesser = {"re-version": None, "rehash": "re-version", "breaking": "re-version,rehash"}[row.allow]
        if lesser:
            assert plan(capsys, new, old, "--allow", lesser)[0] == 1

    statements: dict[str, list[str]] = {}
    for change in document["changes"]:
        assert set(change) >= {"entity", "target", "change", "impact", "migration"}
        for target, artefacts in change["migration"].items():
            assert target in TARGETS
            for kind, items in artefacts.items():
                for item in items:
                    statements.setdefault(kind, []).append(item)
                    if kind in ("ddl", "rehash", "cleanup"):  # every statement parses in its target's dialect
                        sqlglot.parse_one(item, read=get_dialect(target).sqlglot_dialect)
                        statements.setdefault(f"ddl:{target}" if kind == "ddl" else kind, []).append(item)
    for target, fragments in row.ddl.items():
        for fragment in fragments:
            assert any(fragment in statement for statement in statements.get(f"ddl:{target}", [])), (target, fragment, statements)
    for kind, fragments in row.other.items():
        for fragment in fragments:
            assert any(fragment in item for item in statements.get(kind, [])), (kind, fragment, statements)
    if row.exit_code == 0 and not row.ddl and not row.other:
        assert all(not change["migration"] for change in document["changes"] if change["change"].endswith("_added"))

    # the DuckDB artefacts against a DuckDB vault of the old spec holding one row per table
    old_spec, new_spec = load_spec(old), load_spec(new)
    with duckdb.connect(str(tmp_path / "vault.duckdb")) as connection:
        from vaultgen.raw.duckdb_raw import create_raw_tables

        create_raw_tables(connection, old_spec)
        create_vault_tables(connection, old_spec)
        for schema, name in connection.execute("select table_schema, table_name from information_schema.tables where table_schema = 'raw_vault'").fetchall():
            width = len(columns_of(connection, schema, name))
            connection.execute(f'insert into "{schema}"."{name}" values ({", ".join(["?"] * width)})', [None] * width)
        connection.execute("update raw_vault.hub_customer set customer_hk = ?", ["k" * 32])
        for change in document["changes"]:
            for kind in ("ddl", "rehash"):
                for statement in change["migration"].get("duckdb", {}).get(kind, []):
                    connection.execute(statement)
        if row.after:
            row.after(connection)
        for entity_ in new_spec.entities:  # every table the DDL touched has the columns the new model writes, in the old order or appended
            touched = [s for c in document["changes"] for s in c["migration"].get("duckdb", {}).get("ddl", [])]
            model = Naming(new_spec).model_name(entity_)
            if any(f'"{model}"' in s for s in touched) and model_columns(new_spec, entity_):
                assert set(model_columns(new_spec, entity_)) <= set(columns_of(connection, "raw_vault", model)), model


def test_plan_formats_and_review(tmp_path: Path, capsys) -> None:
    old = changed_copy(HISTORY_SPEC, tmp_path / "old", all_targets)
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", lambda d: (all_targets(d), reorder_attributes(d), add_hub(d)))
    code, text = plan(capsys, new, old)
    assert code == 1
    assert text.splitlines()[0].startswith("re-version customer_details: attributes_reordered")
    assert "plan: 1 safe, 1 re-version, 0 rehash, 0 breaking; 1 need review" in text
    code, markdown = plan(capsys, new, old, "--format", "markdown", "--allow", "re-version")
    assert code == 0
    assert markdown.startswith("## vaultgen plan\n")
    assert "| 🔁 re-version | customer_details | all | `attributes_reordered` |" in markdown
    assert plan(capsys, new, new)[1] == "no changes that affect the warehouse\n"


def test_unknown_allow_is_a_located_error(tmp_path: Path, capsys) -> None:
    code = main(["plan", "--spec", str(HISTORY_SPEC), "--base", str(HISTORY_SPEC), "--allow", "re-version,everything"])
    assert code == 3
    assert "--allow: VG175 --allow names unknown impact(s) everything" in capsys.readouterr().err


def test_renamed_from_must_name_a_gone_entity(tmp_path: Path, capsys) -> None:
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", lambda d: entity(d, "customer_details").update(renamed_from="order_details"))
    assert main(["validate", "--spec", str(new)]) == 3
    err = capsys.readouterr().err
    assert "vault.yml" in err and "VG070 'customer_details' is renamed from 'order_details', but the spec still has an entity 'order_details'" in err
