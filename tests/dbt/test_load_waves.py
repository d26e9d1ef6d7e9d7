"""Load waves and freshness with real dbt on DuckDB: `dbt ls --selector` selects what the plan says; one source
system's vault builds alone (`dbt build --selector source_<system>_vault`), the marts rebuild alone on the shared
Northwind build; `dbt source freshness` passes after a recent load and warns / errors per the spec's thresholds."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.dbt.test_northwind_marts import marts_after_batch
from tests.support.vault import LocalVault
from vaultgen.dbt_runner import run_dbt
from vaultgen.dialects import get_dialect
from vaultgen.emit.plan import plan_models
from vaultgen.emit.selectors import load_waves

pytestmark = pytest.mark.dbt

REPO = Path(__file__).resolve().parents[2]


def selected(vault: LocalVault, selector: str, resource_type: str = "model") -> set[str]:
    result = run_dbt(["ls", "--selector", selector, "--resource-type", resource_type, "--output", "name", "-q"], vault.project,
                     vault.work_dir / "ls", vault.database, partial_parse=True)
    return {line.strip() for line in result.output.splitlines() if line.strip()}


def test_dbt_ls_selects_each_layer_and_the_source_vault(northwind_build):
    vault = northwind_build.vault
    models = plan_models(vault.spec, get_dialect("duckdb"))
    by_layer = {layer: {m.name for m in models if m.layer == layer} for layer in ("staging", "raw_vault", "business_vault", "marts")}
    assert selected(vault, "marts") == by_layer["marts"] == {
        "agg_customer_sales", "agg_employee_performance", "agg_product_sales", "agg_sales_by_country_year", "agg_sales_by_region",
        "dim_customers", "dim_employees", "dim_orders", "dim_products", "fct_sales_lines"}
    assert selected(vault, "business_vault") == by_layer["business_vault"] and len(by_layer["business_vault"]) == 7
    source_vault = selected(vault, "source_northwind_vault")
    assert source_vault == by_layer["staging"] | by_layer["raw_vault"]  # one system: its vault is all staging and raw vault
    assert "hub_customer" in source_vault and "stg_northwind__orders" in source_vault and not source_vault & by_layer["marts"]
    assert selected(vault, "source_northwind_raw_vault") == by_layer["raw_vault"]
    assert selected(vault, "load_staging") == by_layer["staging"]
    sources = selected(vault, "load_staging", "source")
    assert sources == {f"raw.{table.name}" for _, table in vault.spec.tables()} | {"raw.load_log"}  # the raw-layer tests run first
    # every test runs in exactly one wave, and never before a model it reads (a PIT's tests wait for the PIT)
    per_wave = [selected(vault, wave.selector, "test") for wave in load_waves(vault.spec)]
    every = selected(vault, "staging", "test") | selected(vault, "raw_vault", "test") | per_wave[0] | per_wave[2] | per_wave[3]
    assert sum(len(tests) for tests in per_wave) == len(set().union(*per_wave)) == len(every) > 400
    assert not any("points_to_pit" in t or "points_to_bridge" in t for t in per_wave[1])


def test_the_marts_rebuild_alone_on_a_built_vault(northwind_build):
    vault = northwind_build.vault
    result = vault.build(extra=["--selector", "marts"])
    assert result.ok, result.output[-3000:]
    built = {r["unique_id"].split(".")[-1] for r in result.results if r["unique_id"].startswith("model.")}
    assert built == selected(vault, "marts")
    tested = [r for r in result.results if r["unique_id"].startswith("test.")]
    assert tested and all(r["status"] == "pass" for r in tested)
    assert marts_after_batch(vault, northwind_build.load_timestamps[-1]) == northwind_build.marts[-1]  # same rows as the full build


# --- two source systems: one system's vault alone, and freshness per system ------------------------------------------

NOW = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


@pytest.fixture(scope="module")
def two_systems(tmp_path_factory) -> LocalVault:
    """mini_spec split into two source systems, crm (customers, fresh within 12 h, late after 40 h) and shop (orders,
    the default thresholds 26 h / 50 h)."""
    spec_dir = tmp_path_factory.mktemp("two_systems") / "spec"
    shutil.copytree(REPO / "tests/fixtures/mini_spec", spec_dir)
    source = (spec_dir / "source.yml").read_text()
    crm, orders = source.split("      - name: orders\n")
    crm = crm.replace("  - name: shop\n", "  - name: crm\n    freshness: {warn_after: {count: 12}, error_after: {count: 40, period: hour}}\n")
    (spec_dir / "source.yml").write_text(crm + "  - name: shop\n    tables:\n      - name: orders\n" + orders)
    return LocalVault(spec_dir, tmp_path_factory.mktemp("two_systems_work"))


CUSTOMERS = [("C1", "Ann", "Oslo"), ("C2", "Bo", "Rome")]
ORDERS = [(1, "C1", 10.5), (2, "C2", 3)]


def _load(vault: LocalVault, batch: str, hours_ago: float, rows: dict) -> datetime:
    load_ts = NOW - timedelta(hours=hours_ago)
    vault.load(batch, load_ts, rows)
    return load_ts


def freshness(vault: LocalVault) -> dict[str, str]:
    run_dbt(["source", "freshness"], vault.project, vault.work_dir, vault.database, check=False)
    report = json.loads((vault.work_dir / "dbt_target" / "sources.json").read_text())
    return {r["unique_id"].split(".")[-1]: r["status"] for r in report["results"]}


def models_of(result) -> set[str]:
    assert result.ok, result.output[-3000:]
    return {r["unique_id"].split(".")[-1] for r in result.results if r["unique_id"].startswith("model.")}


def test_one_source_systems_vault_builds_alone_then_the_waves_and_freshness_follows_the_spec(two_systems):
    vault = two_systems
    waves = [w.selector for w in load_waves(vault.spec)]
    assert waves == ["load_staging", "source_crm_raw_vault", "source_shop_raw_vault", "shared_raw_vault", "business_vault", "marts"]
    # each system delivers a batch of its own and builds its own vault alone
    crm_at = _load(vault, "b1", 70, {"customers": CUSTOMERS})
    assert models_of(vault.build(until=crm_at, extra=["--selector", "source_crm_vault"])) == {
        "stg_crm__customers", "sat_customer_details", "rts_customer_status"}
    assert vault.query("select count(*) from raw_vault.sat_customer_details") == [(2,)]
    assert vault.query("select count(*) from information_schema.tables where table_name in ('link_order_customer', 'stg_shop__orders')") == [(0,)]
    shop_at = _load(vault, "b2", 60, {"orders": ORDERS})
    assert models_of(vault.build(after=crm_at, until=shop_at, extra=["--selector", "source_shop_vault"])) == {
        "stg_shop__orders", "hub_order", "link_order_customer", "sat_order_details", "rts_order_status", "rts_order_customer_status"}
    # hub_customer is fed by both systems (the link from orders references it): it waits for the shared wave
    assert vault.query("select count(*) from information_schema.tables where table_name = 'hub_customer'") == [(0,)]
    assert models_of(vault.build(after=crm_at, until=shop_at, extra=["--selector", "shared_raw_vault"])) == {"hub_customer"}
    assert vault.query("select count(*) from raw_vault.hub_customer") == [(2,)]
    assert freshness(vault) == {"customers": "error", "orders": "error"}  # 70 h and 60 h: late for both systems

    # one batch of both systems, built wave by wave in the run's order
    both_at = _load(vault, "b3", 45, {"customers": CUSTOMERS + [("C3", "Cy", "Lima")], "orders": ORDERS + [(3, "C3", 1)]})
    built = [models_of(vault.build(after=shop_at, until=both_at, extra=["--selector", wave])) for wave in waves[:4]]
    assert built[0] == {"stg_crm__customers", "stg_shop__orders"} and "hub_customer" in built[3]
    assert vault.query("select count(*) from raw_vault.hub_customer") == [(3,)]
    assert vault.query("select count(*) from raw_vault.link_order_customer") == [(3,)]
    assert freshness(vault) == {"customers": "error", "orders": "warn"}  # 45 h: crm is late after 40 h, shop warns after 26 h
    _load(vault, "b4", 20, {"customers": CUSTOMERS, "orders": ORDERS})
    assert freshness(vault) == {"customers": "warn", "orders": "pass"}
    _load(vault, "b5", 1, {"customers": CUSTOMERS, "orders": ORDERS})
    assert freshness(vault) == {"customers": "pass", "orders": "pass"}
