"""`vaultgen plan --database` counts the keys a re-versioning change affects on a DuckDB vault: the keys whose latest
satellite row's hashdiff, recomputed under the new spec, differs from the stored one. Checked against the Python twin
of the hashdiff on rows with NULLs, equal values, older versions and ghost keys."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.change.support import HISTORY_SPEC, changed_copy, create_vault_tables, entity
from vaultgen.cli import main
from vaultgen.spec.loader import load_spec
from vaultgen.sql.hashing import hashdiff_py

T0 = datetime(2024, 1, 1, 6)
# key -> its versions (name, city), oldest first
HISTORY = {
    "k1": [("Ann", "Berlin")],
    "k2": [("Paris", "Paris")],
    "k3": [(None, None)],
    "k4": [("Bob", None)],
    "k5": [("X", "Y"), ("Z", "Z")],
    "k6": [("  pad ", "Rome"), ("pad", "rome")],
}
GHOSTS = ["0" * 32, "f" * 32]


def reorder(docs) -> None:
    entity(docs, "customer_details")["attributes"] = ["city", "name"]


def remove_city(docs) -> None:
    entity(docs, "customer_details")["attributes"] = ["name"]


def normalise(docs) -> None:
    docs["project.yml"]["project"]["hashing"]["hashdiff"] = {"trim": True, "case": "upper"}


def expected(new_attributes: list[str], hashing) -> int:
    old = load_spec(HISTORY_SPEC).project.hashing
    count = 0
    for versions in HISTORY.values():
        row = dict(zip(["name", "city"], versions[-1]))
        count += hashdiff_py([row["name"], row["city"]], old) != hashdiff_py([row[a] for a in new_attributes], hashing)
    return count


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("count") / "vault.duckdb"
    spec = load_spec(HISTORY_SPEC)
    with duckdb.connect(str(path)) as connection:
        create_vault_tables(connection, spec)
        rows = []
        for key, versions in HISTORY.items():
            for number, (name, city) in enumerate(versions):
                rows.append((key.ljust(32, "0"), hashdiff_py([name, city], spec.project.hashing), T0 + timedelta(days=number), "shop.customers", name, city))
        rows += [(ghost, "0" * 32, datetime(1900, 1, 1), "ghost", None, None) for ghost in GHOSTS]
        connection.executemany("insert into raw_vault.sat_customer_details values (?, ?, ?, ?, ?, ?)", rows)
    return path


@pytest.mark.parametrize("change, attributes, kind", [
    (reorder, ["city", "name"], "attributes_reordered"),
    (remove_city, ["name"], "attribute_removed"),
    (normalise, ["name", "city"], "hashdiff_normalisation_changed"),
])
def test_count_equals_the_keys_whose_hashdiff_changes(database: Path, tmp_path: Path, capsys, change, attributes, kind) -> None:
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", change)
    code = main(["plan", "--spec", str(new), "--base", str(HISTORY_SPEC), "--database", str(database), "--format", "json"])
    found = next(c for c in json.loads(capsys.readouterr().out)["changes"] if c["change"] == kind)
    assert code == 1
    want = expected(attributes, load_spec(new).project.hashing)
    assert 0 < want < len(HISTORY)  # the rows tell the cases apart
    assert found["affected_keys"] == want


def test_not_counted_without_the_values(database: Path, tmp_path: Path, capsys) -> None:
    def add_first(docs) -> None:
        docs["source.yml"]["sources"][0]["tables"][0]["columns"].append({"name": "phone", "type": "varchar(24)"})
        entity(docs, "customer_details")["attributes"].insert(0, "phone")
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", add_first)
    main(["plan", "--spec", str(new), "--base", str(HISTORY_SPEC), "--database", str(database), "--format", "json"])
    found = next(c for c in json.loads(capsys.readouterr().out)["changes"] if c["change"] == "attribute_added")
    assert found["affected_keys"] is None and found["count"].startswith("not counted")


def test_missing_database_is_a_located_error(tmp_path: Path, capsys) -> None:
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", reorder)
    assert main(["plan", "--spec", str(new), "--base", str(HISTORY_SPEC), "--database", str(tmp_path / "none.duckdb")]) == 3
    assert "none.duckdb: VG174 database not found" in capsys.readouterr().err


@pytest.mark.parametrize("change", [reorder, remove_city, normalise])
def test_rewriting_the_hashdiffs_in_place_leaves_nothing_to_re_version(database: Path, tmp_path: Path, capsys, change) -> None:
    """The plan's in-place alternative: its DuckDB `rehash` statements rewrite the stored hashdiffs, after which no key re-versions."""
    import shutil

    copy = tmp_path / "vault.duckdb"
    shutil.copy(database, copy)
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", change)
    arguments = ["plan", "--spec", str(new), "--base", str(HISTORY_SPEC), "--database", str(copy), "--format", "json"]
    main(arguments)
    changes = json.loads(capsys.readouterr().out)["changes"]
    statements = [s for c in changes for s in c["migration"].get("duckdb", {}).get("rehash", [])]
    assert len(statements) == (2 if change is normalise else 1)  # a normalisation concerns every satellite
    ghosts = "select hashdiff from raw_vault.sat_customer_details where load_ts = '1900-01-01' order by 1"
    with duckdb.connect(str(copy)) as connection:
        before = connection.execute("select count(*), sum(hash(customer_hk, load_ts, name, city)) from raw_vault.sat_customer_details").fetchone()
        ghost_hashdiffs = connection.execute(ghosts).fetchall()
        for statement in statements:
            connection.execute(statement)
        assert connection.execute("select count(*), sum(hash(customer_hk, load_ts, name, city)) from raw_vault.sat_customer_details").fetchone() == before
        assert connection.execute(ghosts).fetchall() == ghost_hashdiffs  # ghost rows keep theirs
    main(arguments)
    counts = [c["affected_keys"] for c in json.loads(capsys.readouterr().out)["changes"] if c["impact"] == "re-version"]
    assert counts and set(counts) == {0}
