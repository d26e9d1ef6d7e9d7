"""The real Northwind database through a real PostgreSQL server: the dump is the first batch, then change
batches are applied in PostgreSQL. After each batch the vault is built with dbt on DuckDB, and every source
table rebuilt from the vault equals what PostgreSQL held at that batch, row for row."""

from __future__ import annotations

import struct
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.support.vault import LocalVault
from vaultgen.raw.postgres_source import read_snapshot
from vaultgen.verify.reconstruct import reconstruct_query

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]

REPO = Path(__file__).resolve().parents[2]
FIRST = datetime(2024, 6, 1, 2, 0)

CHANGES = [
    # batch 2: attribute updates, a moved order, a changed manager, deleted lines, new rows
    """
    UPDATE customers SET contact_title = 'Owner', phone = '030-0076545' WHERE customer_id = 'ALFKI';
    UPDATE customers SET city = 'Lyon' WHERE customer_id = 'BLONP';
    UPDATE orders SET ship_via = 3, employee_id = 2 WHERE order_id = 10248;
    UPDATE orders SET shipped_date = DATE '1998-05-10' WHERE order_id = 11077;
    UPDATE employees SET reports_to = 5 WHERE employee_id = 9;
    UPDATE products SET unit_price = unit_price * 1.1 WHERE category_id = 1;
    DELETE FROM order_details WHERE order_id = 10250 AND product_id = 41;
    DELETE FROM employee_territories WHERE employee_id = 1 AND territory_id = '06897';
    INSERT INTO customers (customer_id, company_name, contact_name, country) VALUES ('NEWCO', 'New Company', 'Jane Roe', 'Norway');
    INSERT INTO orders (order_id, customer_id, employee_id, order_date, ship_via, freight) VALUES (11078, 'NEWCO', 3, DATE '1998-05-07', 1, 12.5);
    INSERT INTO order_details VALUES (11078, 11, 21, 2, 0), (11078, 42, 14, 1, 0.05);
    INSERT INTO customer_demographics VALUES ('GOLD', 'Gold customers');
    INSERT INTO customer_customer_demo VALUES ('NEWCO', 'GOLD');
    """,
    # batch 3: a value changes back (A -> B -> A), a customer is deleted, a product changes supplier
    """
    UPDATE customers SET city = 'Strasbourg' WHERE customer_id = 'BLONP';
    DELETE FROM customer_customer_demo WHERE customer_id = 'NEWCO';
    DELETE FROM order_details WHERE order_id = 11078;
    DELETE FROM orders WHERE order_id = 11078;
    DELETE FROM customers WHERE customer_id = 'NEWCO';
    UPDATE products SET supplier_id = 2 WHERE product_id = 1;
    UPDATE employees SET reports_to = NULL WHERE employee_id = 9;
    """,
    # batch 4: the deleted customer comes back, unchanged; an empty table stays empty
    """
    INSERT INTO customers (customer_id, company_name, contact_name, country) VALUES ('NEWCO', 'New Company', 'Jane Roe', 'Norway');
    UPDATE region SET region_description = 'Eastern ' WHERE region_id = 1;
    """,
]


def _psql(server, database: str, sql_file: Path | None = None, command: str | None = None) -> None:
    args = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", database]
    args += ["-f", str(sql_file)] if sql_file else ["-c", command]
    subprocess.run(args, check=True, capture_output=True, text=True)


def _normal(value):
    """Compare REAL columns at single precision, as both databases store them."""
    if isinstance(value, float):
        return struct.unpack("f", struct.pack("f", value))[0]
    if isinstance(value, memoryview):
        return bytes(value)
    return value


@pytest.fixture(scope="module")
def northwind_db(postgres, northwind_dump):
    _psql(postgres, "postgres", command="CREATE DATABASE northwind")
    _psql(postgres, "northwind", sql_file=northwind_dump)
    return postgres


def test_real_northwind_round_trips_through_the_vault(northwind_db, tmp_path: Path):
    vault = LocalVault(REPO / "vault_spec", tmp_path)
    snapshots = []
    previous = None
    with psycopg.connect(f"{northwind_db.dsn} dbname=northwind", autocommit=True) as source:
        for number in range(len(CHANGES) + 1):
            if number:
                with source.transaction():
                    source.execute(CHANGES[number - 1])
            load_ts = FIRST + timedelta(days=number)
            snapshot = read_snapshot(source, vault.spec)
            snapshots.append((load_ts, snapshot))
            vault.load(f"batch_{number + 1}", load_ts, snapshot)
            assert vault.build(after=previous, until=load_ts).ok
            previous = load_ts

    assert len(snapshots[0][1]["order_details"]) == 2155 and len(snapshots[0][1]["orders"]) == 830
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        for load_ts, snapshot in snapshots:
            for _, table in vault.spec.tables():
                rebuilt = connection.execute(reconstruct_query(vault.spec, table, load_ts).query.sql("duckdb")).fetchall()
                expected = Counter(tuple(_normal(v) for v in row) for row in snapshot[table.name])
                actual = Counter(tuple(_normal(v) for v in row) for row in rebuilt)
                assert actual == expected, f"{table.name} at {load_ts}: missing {list((expected - actual).elements())[:3]}, extra {list((actual - expected).elements())[:3]}"

    # the history is there: ALFKI's title change, BLONP's A -> B -> A, NEWCO deleted and restored
    def rows(sql: str):
        with duckdb.connect(str(vault.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    assert rows("select count(*) from raw_vault.sat_customer_details s join raw_vault.hub_customer h using (customer_hk) where h.customer_id = 'BLONP'") == [(3,)]
    newco = rows("select s.load_ts, s.is_present from raw_vault.rts_customer_status s join raw_vault.hub_customer h using (customer_hk) where h.customer_id = 'NEWCO' order by s.load_ts")
    assert newco == [(FIRST + timedelta(days=1), True), (FIRST + timedelta(days=2), False), (FIRST + timedelta(days=3), True)]
    assert rows("select count(*) from raw_vault.link_order_customer_employee_shipper l join raw_vault.hub_order h using (order_hk) where h.order_id = 10248") == [(2,)]
