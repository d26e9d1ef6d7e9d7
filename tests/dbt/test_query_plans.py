"""Every model of the Northwind project is planned by DuckDB without a nested-loop, blockwise nested-loop,
piecewise-merge or inequality join between two inputs that both carry rows of vault tables (a join whose cost
grows with the product of two vault tables: the PIT that never finished at a million order lines), and without a
hash join of two such inputs on the snapshot time alone (a product per snapshot: the snapshot bridge that filled
the disk at 200,000 order lines). A join of a vault table with the snapshot calendar (a few rows from the load
log) stays allowed.

Both branches of each model are planned on the shared Northwind build (tests/dbt/conftest.py): the incremental
branch, as the next run would execute it, and the full branch (`dbt compile --full-refresh`)."""

from __future__ import annotations

import json

import duckdb
import pytest

from vaultgen.dbt_runner import run_dbt

pytestmark = pytest.mark.dbt

LOOP_JOINS = {"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "PIECEWISE_MERGE_JOIN", "IE_JOIN", "CROSS_PRODUCT"}
SCANS = {"SEQ_SCAN", "TABLE_SCAN", "READ_PARQUET"}
RAW_SCHEMA = "raw"
SNAPSHOT = "snapshot_ts"  # vault_spec's naming of the snapshot column


def _name(node: dict) -> str:
    return node.get("name") or node.get("operator_name") or ""


def _ctes(node: dict, found: dict[str, dict]) -> dict[str, dict]:
    if _name(node) == "CTE":
        found[node["extra_info"]["Table Index"]] = node["children"][0]
    for child in node.get("children", []):
        _ctes(child, found)
    return found


def carries_vault_rows(node: dict, ctes: dict[str, dict]) -> bool:
    """Whether the operator's output holds rows read from a vault table (a scalar aggregate holds one row: no)."""
    name = _name(node)
    if name == "UNGROUPED_AGGREGATE":
        return False
    if name in SCANS:
        schema = node.get("extra_info", {}).get("Table", "").split(".")[-2:-1]
        return schema != [RAW_SCHEMA]
    if name == "CTE_SCAN":
        return carries_vault_rows(ctes[node["extra_info"]["CTE Index"]], ctes)
    if name == "CTE":  # the CTE's definition is planned on its own; its output is the query after it
        return carries_vault_rows(node["children"][1], ctes)
    return any(carries_vault_rows(child, ctes) for child in node.get("children", []))


def _conditions(info: dict) -> list[str]:
    conditions = info.get("Conditions") or info.get("Condition") or []
    return [c.strip() for c in ([conditions] if isinstance(conditions, str) else conditions) for c in c.split("\n") if c.strip()]


def _on_snapshot_alone(info: dict) -> bool:
    conditions = _conditions(info)
    return bool(conditions) and all(c.replace(" ", "") == f"{SNAPSHOT}={SNAPSHOT}" for c in conditions)


def loop_joins_over_vault(plan: list[dict]) -> list[str]:
    """The joins of a DuckDB JSON plan whose inputs both carry vault rows and that pair every row of one with many
    of the other (a loop join, or a hash join on the snapshot time alone), with their conditions."""
    ctes: dict[str, dict] = {}
    for root in plan:
        _ctes(root, ctes)
    found: list[str] = []

    def visit(node: dict) -> None:
        children = node.get("children", [])
        info = node.get("extra_info", {})
        product = _name(node) in LOOP_JOINS or (_name(node) == "HASH_JOIN" and _on_snapshot_alone(info))
        if product and len(children) == 2 and all(carries_vault_rows(c, ctes) for c in children):
            found.append(f"{_name(node)} on {', '.join(_conditions(info)) or '(none)'}")
        for child in children:
            visit(child)

    for root in plan:
        visit(root)
    return found


def compiled_models(build, branch: str) -> dict[str, str]:
    """Every model's compiled SELECT in one branch: the incremental branch as the next run would see it, or the full one."""
    work = build.vault.work_dir / f"plans_{branch}"
    run_dbt(["compile", "--select", "resource_type:model", *(["--full-refresh"] if branch == "full" else [])],
            build.vault.project, work, build.vault.database)
    manifest = json.loads((work / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    return {node["name"]: node["compiled_code"] for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node.get("compiled_code")}


@pytest.fixture(scope="module")
def plans(northwind_build) -> dict[str, dict[str, list[dict]]]:
    """Per branch, per model: DuckDB's JSON plan on the built vault."""
    result = {}
    for branch in ("incremental", "full"):
        models = compiled_models(northwind_build, branch)
        with duckdb.connect(str(northwind_build.vault.database), read_only=True) as connection:
            result[branch] = {name: json.loads(connection.execute(f"EXPLAIN (FORMAT json) {sql}").fetchall()[0][1])
                              for name, sql in sorted(models.items())}
    return result


@pytest.mark.parametrize("branch", ["incremental", "full"])
def test_no_model_joins_two_vault_inputs_in_a_loop(plans, branch: str):
    models = plans[branch]
    assert len(models) > 90 and any(name.startswith("pit_") for name in models) and any(name.startswith("bridge_") for name in models)
    offenders = {name: joins for name, plan in models.items() if (joins := loop_joins_over_vault(plan))}
    assert not offenders, "\n".join(f"{name}: {joins}" for name, joins in sorted(offenders.items()))


def _scan(table: str) -> dict:
    return {"name": "SEQ_SCAN", "extra_info": {"Table": table}, "children": []}


def test_the_check_flags_a_loop_join_of_two_vault_inputs_only():
    """The walker itself, on hand-written plans shaped like DuckDB's: vault x vault is flagged; vault x calendar,
    vault x a scalar aggregate of a vault table and a hash join are not."""
    satellite, pit, log = _scan("vault.raw_vault.sat_order"), _scan("vault.business_vault.pit_order"), _scan("vault.raw.load_log")
    scalar = {"name": "UNGROUPED_AGGREGATE", "extra_info": {}, "children": [pit]}
    join = {"name": "NESTED_LOOP_JOIN", "extra_info": {"Conditions": "a > b"}}
    assert loop_joins_over_vault([{**join, "children": [satellite, {"name": "PROJECTION", "children": [pit]}]}]) == ["NESTED_LOOP_JOIN on a > b"]
    assert loop_joins_over_vault([{**join, "children": [satellite, log]}]) == []
    assert loop_joins_over_vault([{**join, "children": [satellite, scalar]}]) == []
    assert loop_joins_over_vault([{**join, "name": "HASH_JOIN", "children": [satellite, pit]}]) == []
    on_snapshot = {"name": "HASH_JOIN", "extra_info": {"Conditions": "snapshot_ts = snapshot_ts"}}
    assert loop_joins_over_vault([{**on_snapshot, "children": [satellite, pit]}]) == ["HASH_JOIN on snapshot_ts = snapshot_ts"]
    assert loop_joins_over_vault([{**on_snapshot, "extra_info": {"Conditions": "order_hk = order_hk\nsnapshot_ts = snapshot_ts"}, "children": [satellite, pit]}]) == []
    cte = {"name": "CTE", "extra_info": {"CTE Name": "rows", "Table Index": "7"},
           "children": [satellite, {**join, "name": "PIECEWISE_MERGE_JOIN", "children": [pit, {"name": "CTE_SCAN", "extra_info": {"CTE Index": "7"}}]}]}
    assert loop_joins_over_vault([cte]) == ["PIECEWISE_MERGE_JOIN on a > b"]


def operators(plan: list[dict]) -> set[str]:
    found: set[str] = set()

    def visit(node: dict) -> None:
        found.add(_name(node))
        for child in node.get("children", []):
            visit(child)

    for root in plan:
        visit(root)
    return found


@pytest.mark.parametrize("branch", ["incremental", "full"])
def test_staging_finds_a_snapshots_changes_by_a_hash_join(plans, branch: str):
    """A full snapshot's staging compares each raw row with the snapshot before it: a hash (anti) join on every
    column, never a loop over the two snapshots (raw x raw, which the vault check above does not see)."""
    staging = {name: plan for name, plan in plans[branch].items() if name.startswith("stg_")}
    assert len(staging) == 14
    looping = {name: sorted(operators(plan) & LOOP_JOINS) for name, plan in staging.items() if operators(plan) & LOOP_JOINS}
    assert not looping, looping
    whole = {"stg_northwind__employee_territories"}  # it feeds a multi-active satellite: staged whole, no comparison
    compared = {name for name, plan in staging.items() if operators(plan) & {"HASH_JOIN", "RIGHT_DELIM_JOIN", "LEFT_DELIM_JOIN", "DELIM_JOIN"}}
    assert compared == set(staging) - whole
