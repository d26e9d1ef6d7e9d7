"""A spec change in the middle of a history, built with dbt on DuckDB: `vaultgen plan`'s migration keeps the history
(a nullable attribute added at the end, a satellite renamed with renamed_from), the next batch inserts exactly the
rows that really changed, every batch still rebuilds from the vault, and the keys `vaultgen plan --database`
predicts for a re-versioning change are the rows the next build inserts."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.change.support import HISTORY_SPEC, changed_copy, entity, table
from tests.support.vault import LocalVault
from vaultgen.cli import main
from vaultgen.pipeline import render
from vaultgen.spec.loader import load_spec
from vaultgen.verify.roundtrip import compare_batch

pytestmark = pytest.mark.dbt

T1, T2, T3, T4 = (datetime(2024, 6, day, 6, 0) for day in (1, 2, 3, 4))
ORDERS = [(1, "ALFKI", 10.0), (2, "BONAP", 20.0)]
B1 = {"customers": [("ALFKI", "Ann", "Berlin"), ("BONAP", "Bob", "Paris"), ("PARIS", "Paris", "Paris"), ("CHOPS", "Cho", "Bern")], "orders": ORDERS}
B2 = {"customers": [("ALFKI", "Ann", "Berlin"), ("BONAP", "Bob", "Lyon"), ("PARIS", "Paris", "Paris"), ("CHOPS", "Cho", "Bern")],
      "orders": [(1, "ALFKI", 10.0), (2, "BONAP", 25.0)]}
# after the change customers have a phone: new for ALFKI only; CHOPS really moved; BONAP and PARIS are unchanged
B3 = {"customers": [("ALFKI", "Ann", "Berlin", "030-1"), ("BONAP", "Bob", "Lyon", None), ("PARIS", "Paris", "Paris", None),
                    ("CHOPS", "Cho", "Zurich", None)], "orders": [(1, "ALFKI", 10.0), (2, "BONAP", 25.0)]}


def add_phone_and_rename(docs) -> None:
    table(docs, "customers")["columns"].append({"name": "phone", "type": "varchar(24)"})
    entity(docs, "customer_details")["attributes"].append("phone")
    entity(docs, "order_details").update(name="order_amounts", renamed_from="order_details")


def reorder(docs) -> None:
    add_phone_and_rename(docs)
    entity(docs, "customer_details")["attributes"] = ["city", "name", "phone"]


def plan(capsys, spec: Path, base: Path, *extra: str) -> tuple[int, dict]:
    code = main(["plan", "--spec", str(spec), "--base", str(base), "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def roundtrip_holds(vault: LocalVault, *moments: datetime) -> None:
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        for moment in moments:
            for comparison in compare_batch(connection, vault.spec, moment):
                assert comparison.equal, (moment, comparison)


def satellite_rows(vault: LocalVault, name: str, at: datetime) -> int:
    return vault.query(f'select count(*) from raw_vault."{name}" where load_ts = ?', [at])[0][0]


def test_spec_change_in_the_middle_of_a_history(tmp_path: Path, capsys) -> None:
    v1 = changed_copy(HISTORY_SPEC, tmp_path / "v1", None)
    v2 = changed_copy(HISTORY_SPEC, tmp_path / "v2", add_phone_and_rename)
    v3 = changed_copy(HISTORY_SPEC, tmp_path / "v3", reorder)
    vault = LocalVault(v1, tmp_path / "work")
    vault.load("b1", T1, B1)
    vault.load("b2", T2, B2)
    assert vault.build(until=T2).ok  # both batches in one window, as `vaultgen run` builds pending batches
    roundtrip_holds(vault, T1, T2)
    order_history = vault.table("sat_order_details")
    assert len(order_history) == 3 + 2  # b1: 2 orders, b2: order 2 changed; plus the two ghost rows

    # the change: plan, migrate, re-render, next batch
    code, document = plan(capsys, v2, v1, "--database", str(vault.database))
    found = {(c["entity"], c["change"], c["impact"]) for c in document["changes"]}
    assert found == {("customer_details", "attribute_added", "safe"), (None, "source_column_added", "safe"),
                     ("order_amounts", "entity_renamed", "safe")}
    assert code == 0
    with duckdb.connect(str(vault.database)) as connection:
        for change in document["changes"]:
            for statement in change["migration"].get("duckdb", {}).get("ddl", []):
                connection.execute(statement)
    render(v2, vault.out_dir)
    vault.spec = load_spec(v2)
    assert vault.table("sat_order_amounts") == order_history  # renamed with its history, not a new empty table
    vault.load("b3", T3, B3)
    assert vault.build(after=T2, until=T3).ok
    # only the keys whose data really changed get a row: ALFKI (a phone) and CHOPS (moved); not BONAP and PARIS, whose
    # phone is NULL (without the trailing-NULL rule all four would be re-versioned)
    assert vault.query("select customer_id from raw_vault.sat_customer_details s join raw_vault.hub_customer h using (customer_hk) "
                       "where s.load_ts = ? order by 1", [T3]) == [("ALFKI",), ("CHOPS",)]
    assert satellite_rows(vault, "sat_order_amounts", T3) == 0
    assert len(vault.table("sat_order_amounts")) == len(order_history)
    roundtrip_holds(vault, T1, T2, T3)

    # a re-versioning change: the plan counts the keys on the vault, and the next build inserts exactly those rows
    code, document = plan(capsys, v3, v2, "--database", str(vault.database))
    reordered = next(c for c in document["changes"] if c["change"] == "attributes_reordered")
    assert (code, reordered["impact"]) == (1, "re-version")
    assert reordered["affected_keys"] == 3  # PARIS: (Paris, Paris, NULL) reads the same in either order
    assert plan(capsys, v3, v2, "--allow", "re-version")[0] == 0
    render(v3, vault.out_dir)
    vault.spec = load_spec(v3)
    vault.load("b4", T4, B3)  # the same data as b3
    step = "dbt build --vars '{vaultgen_stage_whole: true}'"
    assert any(command.startswith(step) for command in reordered["migration"]["duckdb"]["dbt"]), reordered["migration"]
    assert vault.build(after=T3, until=T4, variables={"vaultgen_stage_whole": True}).ok  # the plan's step
    assert satellite_rows(vault, "sat_customer_details", T4) == reordered["affected_keys"]
    roundtrip_holds(vault, T3, T4)


# --- an in-place rehash: the plan's DuckDB `rehash` statements leave the vault a fresh build under the new hashing would
# make, and the next batch inserts what a fresh build inserts

R1 = {"customers": [("ALFKI", "Ann", "Berlin"), ("BONAP", "A||B", "^^"), ("CHOPS", None, "c~~<null>"), ("DUMON", "back\\slash", None)],
      "orders": [(1, "ALFKI", 10.0), (2, "BONAP", 20.0), (3, None, 5.0), (4, "", 1.5)]}  # no customer; an empty customer key
R2 = {"customers": [("ALFKI", "Ann", "Bonn"), ("BONAP", "A||B", "^^"), ("CHOPS", "Cho", "c~~<null>"), ("DUMON", "back\\slash", None)],
      "orders": [(1, " alfki", 10.0), (2, "BONAP", 25.0), (3, None, 5.0), (4, "", 1.5), (5, "CHOPS", None)]}  # ' alfki' is ALFKI's key
R3 = {"customers": [("ALFKI", "Ann", "Bonn"), ("BONAP", "A||B", "~~"), ("CHOPS", "Cho", "c~~<null>"), ("EASTC", "Eve", "London")],
      "orders": [(1, "ALFKI", 10.0), (2, "CHOPS", 25.0), (5, "CHOPS", 7.0), (6, "EASTC", None)]}


def _hashing(settings: dict, sentinels: dict | None = None):
    def change(docs) -> None:
        docs["project.yml"]["project"]["hashing"].update(settings)
        if sentinels:
            docs["project.yml"]["project"]["sentinels"] = sentinels
    return change


REHASHES = {
    "algorithm": (_hashing({"algorithm": "sha256"}), {"hashing_algorithm_changed"}),
    "delimiter, null marker and sentinels": (_hashing({"delimiter": "~~", "null_marker": "<null>"}, {"null_key": "1", "empty_key": "e"}),
                                             {"hashing_delimiter_changed", "hashing_null_marker_changed", "hashing_sentinels_changed"}),
}


@pytest.fixture(scope="module")
def history_a(tmp_path_factory) -> LocalVault:
    """Two batches built under the fixture spec (md5, '||', '^^'): the vault every rehash starts from."""
    work = tmp_path_factory.mktemp("rehash")
    vault = LocalVault(changed_copy(HISTORY_SPEC, work / "spec_a", None), work / "a")
    vault.load("b1", T1, R1)
    vault.load("b2", T2, R2)
    assert vault.build(until=T2).ok
    return vault


@pytest.mark.parametrize("name", list(REHASHES))
def test_in_place_rehash_equals_a_fresh_build(name: str, history_a: LocalVault, tmp_path: Path, capsys) -> None:
    from tests.support.raw_layer import differences_from_fresh_build, vault_tables

    change, expected = REHASHES[name]
    spec_b = changed_copy(HISTORY_SPEC, tmp_path / "spec_b", change)
    vault = LocalVault(spec_b, tmp_path / "b")
    shutil.copyfile(history_a.database, vault.database)
    before = history_a.table("link_order_customer")
    code, document = plan(capsys, spec_b, history_a.work_dir.parent / "spec_a", "--format", "json")
    assert code == 1 and {c["change"] for c in document["changes"]} == expected
    statements = [s for c in document["changes"] for s in c["migration"]["duckdb"].get("rehash", [])]
    assert any(s.startswith("MERGE INTO") for s in statements)
    assert not [item for c in document["changes"] for item in c["migration"]["duckdb"].get("dbt", [])]  # no PIT or bridge here
    for run in (1, 2):  # a second run changes nothing
        with duckdb.connect(str(vault.database)) as connection:
            for statement in statements:
                connection.execute(statement)
        if run == 1:
            once = vault_tables(vault.database)
    assert vault_tables(vault.database) == once
    rehashed = vault.table("link_order_customer")
    assert len(rehashed) == len(before) and not set(rehashed) & set(before)  # every link key changed (two parts), no row lost
    assert differences_from_fresh_build(vault.database, vault.spec, vault.project, tmp_path / "fresh") == {}
    vault.load("b3", T3, R3)
    assert vault.build(after=T2, until=T3).ok
    assert differences_from_fresh_build(vault.database, vault.spec, vault.project, tmp_path / "fresh") == {}
