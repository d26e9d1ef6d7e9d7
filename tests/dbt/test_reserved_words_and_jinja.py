"""A spec with reserved words as table and column names and Jinja in its descriptions (tests/fixtures/quoting_spec)
builds and passes every generated test on DuckDB, over two batches (the full and the incremental branch), and dbt
shows the descriptions exactly as written. One shared build for all of it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.vault import LocalVault

pytestmark = pytest.mark.dbt

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "quoting_spec"
T = [datetime(2024, 5, 1, 6), datetime(2024, 5, 2, 6)]
BATCHES = [
    {"order": [(1, "Berlin", 2, "A"), (2, "Paris", 1, "B")], "group": [("A", "first"), ("B", "second")],
     "user": [("u1", 1, "t1"), ("u1", 2, "t2"), ("u2", 1, "t3")]},
    {"order": [(1, "Bonn", 2, "A"), (2, "Paris", 1, "B")], "group": [("A", "first"), ("B", "changed")],
     "user": [("u1", 1, "t1"), ("u2", 1, "t4")]},
]


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> LocalVault:
    vault = LocalVault(SPEC, tmp_path_factory.mktemp("quoting"))
    vault.load_and_build_each(T, BATCHES)  # asserts that every model and test of each build passed
    return vault


def _tests_run(vault: LocalVault) -> set[str]:
    results = json.loads((vault.work_dir / "dbt_target" / "run_results.json").read_text())["results"]
    assert all(r["status"] in ("success", "pass") for r in results)
    return {r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith("test.")}


def test_tests_on_reserved_word_columns_run_and_pass(vault: LocalVault):
    tests = _tests_run(vault)
    # dbt's own tests (quote: true) and vaultgen's generic tests (quoted arguments) on the reserved-word columns
    assert {"not_null_hub_sale__select_", "not_null_hub_customer__user_", "not_null_ref_groups__where_",  # quotes become _ in test names
            "vaultgen_hashdiff_covers_sat_sale_details__from____rows____group___hashdiff",
            "vaultgen_hashdiff_covers_ref_groups__having___hashdiff",
            "vaultgen_no_consecutive_duplicate_hashdiff_ref_groups_hashdiff___where___load_ts",
            "vaultgen_unique_combination_msat_customer_orders_customer_hk__load_ts___order_",
            "vaultgen_unique_combination_ref_groups__where___load_ts"} <= tests, sorted(tests)


def test_reserved_word_columns_hold_their_values(vault: LocalVault):
    assert vault.query('select "select", "from" from raw_vault.sat_sale_details_current join raw_vault.hub_sale using (sale_hk) where "select" is not null '
                       'order by "select"') == [(1, "Bonn"), (2, "Paris")]
    assert vault.query('select "where", "having" from raw_vault.ref_groups order by "where", load_ts') == [
        ("A", "first"), ("B", "second"), ("B", "changed")]
    assert vault.query('select count(*) from raw_vault.msat_customer_orders where load_ts = ?', [T[1]]) == [(2,)]  # both sets changed


def test_descriptions_with_jinja_are_shown_as_written(vault: LocalVault):
    manifest = json.loads((vault.work_dir / "dbt_target" / "manifest.json").read_text())
    sources = {n["name"]: n for n in manifest["sources"].values()}
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert sources["order"]["description"] == "Orders; {{ config(materialized='table') }} must stay text, as must {# this #} and {%- raw -%}"
    assert sources["order"]["columns"]["select"]["description"] == "The order number {{ 'not rendered' }}"
    assert sources["order"]["columns"]["from"]["description"] == "Ship from {{"
    assert sources["order"]["columns"]["rows"]["description"] == "Line count }} %} #}"
    assert models["hub_sale"]["description"] == "Sales {{ var('missing') }} keyed by {% if true %}select{% endif %}"
    assert models["sat_sale_details"]["columns"]["from"]["description"] == "Ship from {{"
