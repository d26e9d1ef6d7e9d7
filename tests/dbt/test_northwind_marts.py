"""The Northwind marts of vault_spec/, per batch, equal the same figures computed with plain SQL from the raw
snapshot of that batch: generated Northwind batches loaded one at a time into the real project, one dbt build
per batch, every mart compared after every build."""

from __future__ import annotations

import pytest

from tests.dbt.conftest import NORTHWIND_BATCHES

pytestmark = pytest.mark.dbt

# one plain-SQL computation per mart over the raw snapshot of a batch (? = its load timestamp), and the mart's rows
LINES = """
with o as (select * from raw.orders where load_ts = ?), od as (select * from raw.order_details where load_ts = ?)
select od.order_id, od.product_id, o.customer_id, o.employee_id, o.ship_via, o.order_date,
       od.unit_price, od.quantity, od.discount, od.unit_price * od.quantity * (1 - od.discount) as revenue
from od join o on o.order_id = od.order_id
"""
SNAPSHOT = "with lines as ({lines}), customers as (select * from raw.customers where load_ts = ?), " \
           "employees as (select * from raw.employees where load_ts = ?), products as (select * from raw.products where load_ts = ?) "
EXPECTED = {
    "fct_sales_lines": (
        "select order_id, product_id, customer_id, employee_id, ship_via, unit_price, quantity, discount, revenue from lines",
        "select ho.order_id, hp.product_id, hc.customer_id, he.employee_id, hs.shipper_id, f.unit_price, f.quantity, f.discount, f.revenue "
        "from marts.fct_sales_lines f join raw_vault.hub_order ho using (order_hk) join raw_vault.hub_product hp using (product_hk) "
        "join raw_vault.hub_customer hc using (customer_hk) join raw_vault.hub_employee he using (employee_hk) "
        "join raw_vault.hub_shipper hs using (shipper_hk)",
    ),
    "agg_customer_sales": (
        "select c.customer_id, c.company_name, c.country, count(distinct l.order_id), sum(l.revenue) "
        "from lines l join customers c on c.customer_id = l.customer_id group by all",
        "select customer_id, company_name, country, orders, revenue from marts.agg_customer_sales",
    ),
    "agg_employee_performance": (
        "select e.employee_id, e.first_name, e.last_name, count(distinct l.order_id), count(*), sum(l.revenue) "
        "from lines l join employees e on e.employee_id = l.employee_id group by all",
        "select employee_id, first_name, last_name, orders, lines, revenue from marts.agg_employee_performance",
    ),
    "agg_product_sales": (
        "select p.product_id, p.product_name, count(distinct l.order_id), sum(l.quantity), sum(l.revenue), avg(l.discount) "
        "from lines l join products p on p.product_id = l.product_id group by all",
        "select product_id, product_name, orders, quantity, revenue, average_discount from marts.agg_product_sales",
    ),
    "agg_sales_by_country_year": (
        "select c.country, year(l.order_date), count(distinct l.order_id), sum(l.revenue) "
        "from lines l join customers c on c.customer_id = l.customer_id group by all",
        "select country, order_year, orders, revenue from marts.agg_sales_by_country_year",
    ),
    "agg_sales_by_region": (
        "select c.region, count(distinct l.customer_id), count(distinct l.order_id), sum(l.revenue), max(l.revenue), min(l.revenue) "
        "from lines l join customers c on c.customer_id = l.customer_id group by all",
        "select region, customers, orders, revenue, largest_line, smallest_line from marts.agg_sales_by_region",
    ),
}


def _normalised(rows: list[tuple]) -> list[tuple]:
    """Measures rounded (sums of floats in another order differ in the last bits), rows sorted with NULLs first."""
    def value(v):
        return round(float(v), 6) if isinstance(v, float) or type(v).__name__ == "Decimal" else v

    return sorted((tuple(value(v) for v in row) for row in rows), key=lambda row: tuple((v is not None, v) for v in row))


def marts_after_batch(vault, ts) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Per mart, (expected from the raw snapshot of the batch loaded at `ts`, the mart's rows now)."""
    per_mart = {}
    for mart, (expected_sql, mart_sql) in EXPECTED.items():
        expected = vault.query(SNAPSHOT.format(lines=LINES) + expected_sql, [ts, ts, ts, ts, ts])
        per_mart[mart] = (_normalised(expected), _normalised(vault.query(mart_sql)))
    return per_mart


@pytest.fixture(scope="module")
def marts_per_batch(northwind_build) -> list[dict[str, tuple[list[tuple], list[tuple]]]]:
    """After each batch of the shared Northwind build (tests/dbt/conftest.py): per mart, (expected, the mart's rows)."""
    return northwind_build.marts


@pytest.mark.parametrize("batch", range(NORTHWIND_BATCHES), ids=[f"batch{n + 1}" for n in range(NORTHWIND_BATCHES)])
@pytest.mark.parametrize("mart", sorted(EXPECTED))
def test_mart_equals_plain_sql_over_the_raw_snapshot(marts_per_batch, mart: str, batch: int):
    expected, actual = marts_per_batch[batch][mart]
    assert expected, f"{mart}: the snapshot has no rows to compare"
    assert actual == expected


def test_marts_follow_the_changes_between_batches(marts_per_batch):
    """The batches change what the marts show: new orders, deleted order lines, moved customers."""
    for number, batch in enumerate(marts_per_batch, start=1):
        print(f"batch {number}: " + ", ".join(f"{mart} {len(rows)}" for mart, (_, rows) in sorted(batch.items())))
    lines = [len(batch["fct_sales_lines"][1]) for batch in marts_per_batch]
    assert lines[0] < lines[1] < lines[2]
    assert marts_per_batch[0]["agg_customer_sales"][1] != marts_per_batch[1]["agg_customer_sales"][1]
