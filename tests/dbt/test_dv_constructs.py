"""Every Data Vault 2.0 construct beyond hubs, links and satellites, proven on DuckDB over four change batches
of the tests/fixtures/dv_spec shop: exact expected rows after one dbt build per batch."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.vault import LocalVault
from vaultgen.spec.model import Hashing, SentinelKeys
from vaultgen.sql.hashing import hash_key_py

pytestmark = pytest.mark.dbt

DV = Path(__file__).resolve().parents[1] / "fixtures" / "dv_spec"
T = [datetime(2024, 3, day, 6, 0) for day in (1, 2, 3, 4)]
GHOST_TS, END = datetime(1900, 1, 1), datetime(9999, 12, 31, 23, 59, 59)
GHOST = "0" * 32
EMPTY = "f" * 32  # the empty-key sentinel: links can hold it, so it has ghost rows too
D1, D2, D4 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 4)

# customers (customer_id, name, city, country_code); orders (order_id, customer_id, employee_id, shipper_id, order_date);
# order_lines (order_id, product_id, quantity, unit_price); customer_contacts (customer_id, contact_type, number);
# countries (country_code, country_name); payments, CDC: (payment_id, amount, op, seq)
BATCHES = [
    {
        "customers": [("ALFKI", "Ann", "Berlin", "DE"), ("BONAP", "Bob", "Paris", "FR")],
        "orders": [(1, "ALFKI", 1, 1, D1)],
        "order_lines": [(1, 10, 2, 5.0), (1, 11, 1, 3.0)],
        "customer_contacts": [("ALFKI", "phone", "111"), ("ALFKI", "fax", "222"), ("BONAP", "phone", "333")],
        "payments": [(1, 10.0, "I", 1)],
        "countries": [("DE", "Germany"), ("FR", "France")],
    },
    {   # ALFKI moves; order 1 changes its employee; order 2 is placed; ALFKI's fax changes; Italy is added
        "customers": [("ALFKI", "Ann", "Bonn", "DE"), ("BONAP", "Bob", "Paris", "FR")],
        "orders": [(1, "ALFKI", 2, 1, D1), (2, "BONAP", 1, 2, D2)],
        "order_lines": [(1, 10, 2, 5.0), (1, 11, 1, 3.0), (2, 10, 5, 5.0)],
        "customer_contacts": [("ALFKI", "phone", "111"), ("ALFKI", "fax", "999"), ("BONAP", "phone", "333")],
        # payment 1 changes twice in the batch: the later change (by sequence) is its state at the batch's end
        "payments": [(1, 13.0, "U", 2), (1, 12.0, "U", 3), (2, 7.0, "I", 4)],
        "countries": [("DE", "Germany"), ("FR", "France"), ("IT", "Italy")],
    },
    {   # ALFKI moves back (A -> B -> A); BONAP is deleted; order 1 changes its shipper and loses a line; fax removed
        "customers": [("ALFKI", "Ann", "Berlin", "DE")],
        "orders": [(1, "ALFKI", 2, 3, D1), (2, "BONAP", 1, 2, D2)],
        "order_lines": [(1, 10, 2, 5.0), (2, 10, 5, 5.0)],
        "customer_contacts": [("ALFKI", "phone", "111")],
        "payments": [(1, 12.0, "D", 5)],
        "ratings": [("ALFKI", 5)],
        "countries": [("DE", "Deutschland"), ("FR", "France"), ("IT", "Italy")],
    },
    {   # BONAP comes back; order 1 returns to its first employee and shipper; order 3 is placed
        "customers": [("ALFKI", "Ann", "Berlin", "DE"), ("BONAP", "Bob", "Paris", "FR")],
        "orders": [(1, "ALFKI", 1, 1, D1), (2, "BONAP", 1, 2, D2), (3, "ALFKI", 2, 2, D4)],
        "order_lines": [(1, 10, 2, 5.0), (2, 10, 5, 5.0), (3, 11, 4, 3.5)],
        "customer_contacts": [("ALFKI", "phone", "111"), ("BONAP", "phone", "333")],
        "payments": [(1, 12.0, "I", 6)],
        "ratings": [("ALFKI", 4), ("BONAP", 3)],
        "countries": [("DE", "Deutschland"), ("FR", "France"), ("IT", "Italy")],
    },
]


def hk(*values) -> str:
    return hash_key_py([None if v is None else str(v) for v in values], Hashing(), SentinelKeys())


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> LocalVault:
    """One batch at a time, each built in its own window, as a scheduler would."""
    vault = LocalVault(DV, tmp_path_factory.mktemp("dv"))
    vault.load_and_build_each(T, BATCHES)
    return vault


# -- 1. ghost records -------------------------------------------------------------------------------------------

def test_every_hub_and_satellite_has_exactly_one_ghost_row_per_sentinel_key(vault: LocalVault):
    assert vault.query("select * from raw_vault.hub_customer where customer_hk = ?", [GHOST]) == [(GHOST, None, GHOST_TS, "SYSTEM")]
    assert vault.table("hub_customer", "load_ts, customer_hk") == [
        (GHOST, None, GHOST_TS, "SYSTEM"), (EMPTY, None, GHOST_TS, "SYSTEM"),
        (hk("ALFKI"), "ALFKI", T[0], "shop.customer_contacts"), (hk("BONAP"), "BONAP", T[0], "shop.customer_contacts"),
    ]
    for hub in ("order", "employee", "shipper", "product"):
        assert vault.query(f"select count(*) from raw_vault.hub_{hub} where {hub}_hk in (?, ?)", [GHOST, EMPTY]) == [(2,)], hub
    assert vault.query("select customer_hk, hashdiff, load_ts, record_source, name, city, country_code from raw_vault.sat_customer_details "
                       "where load_ts = ? order by customer_hk", [GHOST_TS]) == [
        (GHOST, GHOST, GHOST_TS, "SYSTEM", None, None, None), (EMPTY, GHOST, GHOST_TS, "SYSTEM", None, None, None)]
    assert vault.query("select order_hk, load_ts, order_date from raw_vault.sat_order_header order by load_ts, order_hk") == sorted([
        (GHOST, GHOST_TS, None), (EMPTY, GHOST_TS, None), (hk(1), T[0], D1), (hk(2), T[1], D2), (hk(3), T[3], D4),
    ], key=lambda r: (r[1], r[0]))


def test_ghost_rows_are_not_business_rows(vault: LocalVault):
    # record tracking and links never carry the ghost key
    assert vault.query("select count(*) from raw_vault.rts_customer_status where customer_hk = ?", [GHOST]) == [(0,)]
    assert vault.query("select count(*) from raw_vault.link_order_party where order_hk = ?", [GHOST]) == [(0,)]


# -- 2. virtual end-dating ------------------------------------------------------------------------------------

def test_history_view_end_dates_each_row_at_the_next_one(vault: LocalVault):
    rows = vault.query("select customer_hk, valid_from, valid_to, is_current, city from raw_vault.sat_customer_details_history "
                       "order by customer_hk, valid_from")
    assert rows == sorted([
        (GHOST, GHOST_TS, END, True, None), (EMPTY, GHOST_TS, END, True, None),
        (hk("ALFKI"), T[0], T[1], False, "Berlin"), (hk("ALFKI"), T[1], T[2], False, "Bonn"), (hk("ALFKI"), T[2], END, True, "Berlin"),
        (hk("BONAP"), T[0], END, True, "Paris"),
    ])


def test_current_view_has_one_row_per_key(vault: LocalVault):
    assert vault.query("select customer_hk, city, valid_from from raw_vault.sat_customer_details_current order by all") == sorted([
        (GHOST, None, GHOST_TS), (EMPTY, None, GHOST_TS), (hk("ALFKI"), "Berlin", T[2]), (hk("BONAP"), "Paris", T[0]),
    ])
    kinds = dict(vault.query("select table_name, table_type from information_schema.tables where table_schema = 'raw_vault'"))
    assert kinds["sat_customer_details_history"] == "VIEW" and kinds["sat_customer_details_current"] == "VIEW"
    assert kinds["sat_customer_details"] == "BASE TABLE"


# -- 3. effectivity satellites --------------------------------------------------------------------------------

def test_effectivity_ends_the_old_relationship_of_the_driving_key_and_starts_the_new(vault: LocalVault):
    rows = vault.query("select order_party_hk, order_hk, load_ts, is_active from raw_vault.eff_order_party_effectivity order by load_ts, is_active, order_hk")
    first, new_employee, new_shipper = hk(1, "ALFKI", 1, 1), hk(1, "ALFKI", 2, 1), hk(1, "ALFKI", 2, 3)
    assert rows == [
        (first, hk(1), T[0], True),
        (first, hk(1), T[1], False), (new_employee, hk(1), T[1], True), (hk(2, "BONAP", 1, 2), hk(2), T[1], True),
        (new_employee, hk(1), T[2], False), (new_shipper, hk(1), T[2], True),
        (new_shipper, hk(1), T[3], False), (first, hk(1), T[3], True), (hk(3, "ALFKI", 2, 2), hk(3), T[3], True),
    ]


def test_effectivity_gives_one_relationship_in_effect_per_driving_key(vault: LocalVault):
    in_effect = vault.query("select order_hk, order_party_hk from raw_vault.eff_order_party_effectivity "
                            "qualify row_number() over (partition by order_hk order by load_ts desc, is_active desc) = 1 and is_active order by all")
    assert in_effect == sorted([(hk(1), hk(1, "ALFKI", 1, 1)), (hk(2), hk(2, "BONAP", 1, 2)), (hk(3), hk(3, "ALFKI", 2, 2))])
    # the link itself keeps every relationship ever seen
    assert vault.query("select count(*) from raw_vault.link_order_party") == [(5,)]


# -- 4. non-historized links ----------------------------------------------------------------------------------

def test_nonhistorized_link_keeps_each_event_once_with_its_payload(vault: LocalVault):
    rows = vault.query("select order_line_hk, order_hk, product_hk, load_ts, record_source, quantity, unit_price "
                       "from raw_vault.nhl_order_line order by load_ts, order_line_hk")
    expected = [((1, 10), T[0], 2, "5.00"), ((1, 11), T[0], 1, "3.00"), ((2, 10), T[1], 5, "5.00"), ((3, 11), T[3], 4, "3.50")]
    assert rows == sorted(
        [(hk(o, p), hk(o), hk(p), ts, "shop.order_lines", q, Decimal(price)) for (o, p), ts, q, price in expected], key=lambda r: (r[3], r[0])
    )
    # the line deleted from the source in batch 3 stays: an event happened
    assert vault.query("select count(*) from raw_vault.nhl_order_line where order_line_hk = ?", [hk(1, 11)]) == [(1,)]
    # and its products reached the product hub
    assert vault.query("select product_id from raw_vault.hub_product where product_id is not null order by 1") == [(10,), (11,)]


# -- 5. multi-active satellites -------------------------------------------------------------------------------

def _set_hashdiff(rows) -> str:
    import hashlib

    from vaultgen.sql.hashing import hashdiff_py

    hashing = Hashing()
    return hashlib.md5(hashing.delimiter.join(sorted(hashdiff_py(list(row), hashing) for row in rows)).encode()).hexdigest()


def test_multi_active_satellite_historizes_the_whole_set(vault: LocalVault):
    rows = vault.query("select customer_hk, load_ts, contact_type, number from raw_vault.msat_customer_contacts order by all")
    assert rows == sorted([
        (GHOST, GHOST_TS, None, None), (EMPTY, GHOST_TS, None, None),
        (hk("ALFKI"), T[0], "fax", "222"), (hk("ALFKI"), T[0], "phone", "111"),
        (hk("ALFKI"), T[1], "fax", "999"), (hk("ALFKI"), T[1], "phone", "111"),  # one row changed: the whole set again
        (hk("ALFKI"), T[2], "phone", "111"),  # the fax is gone: the set shrinks
        (hk("BONAP"), T[0], "phone", "333"),  # unchanged in batch 2 and again in batch 4 after being absent in batch 3
    ], key=lambda r: (r[0], r[1], r[2] or ""))


def test_multi_active_set_hashdiff_is_order_independent_and_shared_by_the_set(vault: LocalVault):
    sets = vault.query("select load_ts, count(distinct hashdiff), min(hashdiff) from raw_vault.msat_customer_contacts "
                       "where customer_hk = ? group by load_ts order by load_ts", [hk("ALFKI")])
    assert sets == [
        (T[0], 1, _set_hashdiff([("phone", "111"), ("fax", "222")])),
        (T[1], 1, _set_hashdiff([("fax", "999"), ("phone", "111")])),
        (T[2], 1, _set_hashdiff([("phone", "111")])),
    ]


# -- 7. reference tables --------------------------------------------------------------------------------------

def test_reference_table_keeps_insert_only_history_by_code(vault: LocalVault):
    rows = vault.query("select country_code, load_ts, record_source, country_name from raw_vault.ref_country order by all")
    assert rows == [
        ("DE", T[0], "shop.countries", "Germany"), ("DE", T[2], "shop.countries", "Deutschland"),
        ("FR", T[0], "shop.countries", "France"), ("IT", T[1], "shop.countries", "Italy"),
    ]
    columns = [row[0] for row in vault.query("select column_name from information_schema.columns where table_name = 'ref_country' order by ordinal_position")]
    assert columns == ["country_code", "hashdiff", "load_ts", "record_source", "country_name"]  # no hash key


# -- 6. CDC sources: deletes from the operation flag ------------------------------------------------------------

def test_cdc_record_tracking_follows_the_operation_flag(vault: LocalVault):
    rows = vault.query("select payment_hk, load_ts, is_present from raw_vault.rts_payment_status order by all")
    assert rows == sorted([(hk(1), T[0], True), (hk(1), T[2], False), (hk(1), T[3], True), (hk(2), T[1], True)])
    # payment 2 is in no batch after the second: unchanged, still present (a full snapshot would have deleted it)


def test_cdc_satellite_keeps_the_last_change_of_a_batch_and_skips_deletes_and_unchanged_reinserts(vault: LocalVault):
    rows = vault.query("select payment_hk, load_ts, amount from raw_vault.sat_payment_details where load_ts > ? order by all", [GHOST_TS])
    assert rows == sorted([(hk(1), T[0], Decimal("10.00")), (hk(1), T[1], Decimal("12.00")), (hk(2), T[1], Decimal("7.00"))])


# -- 8. PIT tables ----------------------------------------------------------------------------------------------

def test_pit_points_at_the_row_valid_at_each_batch_or_at_the_ghost_row(vault: LocalVault):
    rows = vault.query("select customer_hk, snapshot_ts, customer_details_hk, customer_details_load_ts, customer_contacts_load_ts, "
                       "customer_rating_hk, customer_rating_load_ts from business_vault.pit_customer_by_batch order by all")
    a, b = hk("ALFKI"), hk("BONAP")
    assert rows == sorted([
        (a, T[0], a, T[0], T[0], GHOST, GHOST_TS), (a, T[1], a, T[1], T[1], GHOST, GHOST_TS),
        (a, T[2], a, T[2], T[2], a, T[2]), (a, T[3], a, T[2], T[2], a, T[3]),
        # BONAP: unchanged details and contacts stay valid through its deletion and return; no rating before batch 4
        (b, T[0], b, T[0], T[0], GHOST, GHOST_TS), (b, T[1], b, T[0], T[0], GHOST, GHOST_TS),
        (b, T[2], b, T[0], T[0], GHOST, GHOST_TS), (b, T[3], b, T[0], T[0], b, T[3]),
    ])
    # every pointer joins a satellite row, ghost rows included: inner joins keep every PIT row
    joined = vault.query("select count(*) from business_vault.pit_customer_by_batch p join raw_vault.sat_customer_rating s "
                         "on s.customer_hk = p.customer_rating_hk and s.load_ts = p.customer_rating_load_ts")
    assert joined == [(8,)]


def test_daily_pit_takes_midnight_snapshots_up_to_the_latest_batch(vault: LocalVault):
    rows = vault.query("select order_hk, snapshot_ts, order_header_hk, order_header_load_ts from business_vault.pit_order_by_day order by all")
    midnight = [datetime(2024, 3, day) for day in (2, 3, 4)]
    assert rows == sorted([
        (hk(1), midnight[0], hk(1), T[0]), (hk(1), midnight[1], hk(1), T[0]), (hk(1), midnight[2], hk(1), T[0]),
        (hk(2), midnight[1], hk(2), T[1]), (hk(2), midnight[2], hk(2), T[1]),
    ])  # 1 March 00:00 precedes every load; order 3 (4 March 06:00) comes after the last snapshot; no day after the last batch


# -- 9. bridge tables ---------------------------------------------------------------------------------------------

def test_bridge_holds_every_combination_once_with_its_latest_link_load(vault: LocalVault):
    rows = vault.query("select customer_hk, order_party_hk, order_hk, order_product_hk, product_hk, load_ts "
                       "from business_vault.bridge_customer_order_product order by all")
    parties = {"first": (1, "ALFKI", 1, 1, T[0]), "new_employee": (1, "ALFKI", 2, 1, T[1]), "new_shipper": (1, "ALFKI", 2, 3, T[2]),
               "two": (2, "BONAP", 1, 2, T[1]), "three": (3, "ALFKI", 2, 2, T[3])}
    lines = {(1, 10): T[0], (1, 11): T[0], (2, 10): T[1], (3, 11): T[3]}
    expected = [
        (hk(party[1]), hk(*party[:4]), hk(party[0]), hk(order, product), hk(product), max(party[4], line_ts))
        for party in parties.values() for (order, product), line_ts in lines.items() if order == party[0]
    ]
    assert len(expected) == 8 and rows == sorted(expected)


# -- 10. marts ------------------------------------------------------------------------------------------------------

def test_dimension_is_the_latest_pit_snapshot_of_present_keys(vault: LocalVault):
    assert vault.query("select customer_id, name, city, country_code, rating from marts.dim_customers order by all") == [
        ("ALFKI", "Ann", "Berlin", "DE", 4), ("BONAP", "Bob", "Paris", "FR", 3),
    ]


def test_fact_keeps_the_relationships_in_effect_and_the_lines_present(vault: LocalVault):
    rows = vault.query("select order_hk, product_hk, customer_hk, employee_hk, shipper_hk, quantity, unit_price, revenue "
                       "from marts.fct_sales_line order by all")
    assert rows == sorted([
        (hk(1), hk(10), hk("ALFKI"), hk(1), hk(1), 2, Decimal("5.00"), Decimal("10.00")),  # back to its first employee and shipper
        (hk(2), hk(10), hk("BONAP"), hk(1), hk(2), 5, Decimal("5.00"), Decimal("25.00")),
        (hk(3), hk(11), hk("ALFKI"), hk(2), hk(2), 4, Decimal("3.50"), Decimal("14.00")),
    ])  # line (1, 11) was deleted in batch 3


def test_aggregate_groups_fact_measures_by_dimension_columns(vault: LocalVault):
    assert vault.query("select customer_id, city, orders, lines, revenue from marts.agg_customer_sales order by all") == [
        ("ALFKI", "Berlin", 2, 2, Decimal("24.00")), ("BONAP", "Paris", 1, 1, Decimal("25.00")),
    ]


# -- 11. generated Data Vault tests ---------------------------------------------------------------------------------

def test_data_vault_tests_beyond_unique_and_not_null_are_generated_and_pass(vault: LocalVault):
    import yaml

    raw = yaml.safe_load((vault.project / "models" / "raw_vault" / "schema.yml").read_text())
    satellite = next(m for m in raw["models"] if m["name"] == "sat_customer_details")
    names = [next(iter(t)) for t in satellite["data_tests"]]
    assert names == ["vaultgen_unique_combination", "vaultgen_no_consecutive_duplicate_hashdiff", "vaultgen_hashdiff_covers"]
    business = yaml.safe_load((vault.project / "models" / "business_vault" / "schema.yml").read_text())
    pit = next(m for m in business["models"] if m["name"] == "pit_customer_by_batch")
    assert sum(1 for t in pit["data_tests"] if "vaultgen_points_to" in t) == 3
    result = vault.build(extra=["--select", "test_type:generic,sat_customer_details pit_customer_by_batch bridge_customer_order_product"])
    assert result.ok and result.failed == 0


def test_generated_tests_catch_broken_vaults(vault: LocalVault, tmp_path_factory):
    """A copy of the database with a repeated hashdiff and a dangling PIT pointer: the generated tests fail."""
    import shutil

    import duckdb

    broken = tmp_path_factory.mktemp("broken")
    shutil.copy(vault.database, broken / "vault.duckdb")
    with duckdb.connect(str(broken / "vault.duckdb")) as connection:
        connection.execute("insert into raw_vault.sat_customer_details select customer_hk, hashdiff, load_ts + interval 1 hour, record_source, "
                           "name, city, country_code from raw_vault.sat_customer_details where customer_hk = ? and load_ts = ?", [hk("BONAP"), T[0]])
        connection.execute("update business_vault.pit_customer_by_batch set customer_rating_load_ts = ? where customer_rating_hk = ?", [T[1], hk("ALFKI")])
    from vaultgen.dbt_runner import run_dbt

    result = run_dbt(["test", "--select", "sat_customer_details pit_customer_by_batch"], vault.project, broken, broken / "vault.duckdb", check=False)
    failing = sorted(r["unique_id"].split(".")[2].split("_sat_")[0].split("_pit_")[0] for r in result.results if r["status"] == "fail")
    assert failing == ["vaultgen_no_consecutive_duplicate_hashdiff", "vaultgen_points_to"]


def test_snapshot_bridge_keeps_per_batch_the_combinations_in_effect_then(vault: LocalVault):
    rows = vault.query("select snapshot_ts, order_party_hk, order_product_hk from business_vault.bridge_customer_order_product_by_batch order by all")
    first, new_employee, new_shipper = hk(1, "ALFKI", 1, 1), hk(1, "ALFKI", 2, 1), hk(1, "ALFKI", 2, 3)
    two, three = hk(2, "BONAP", 1, 2), hk(3, "ALFKI", 2, 2)
    assert rows == sorted([
        (T[0], first, hk(1, 10)), (T[0], first, hk(1, 11)),
        (T[1], new_employee, hk(1, 10)), (T[1], new_employee, hk(1, 11)), (T[1], two, hk(2, 10)),
        (T[2], new_shipper, hk(1, 10)), (T[2], two, hk(2, 10)),  # line (1, 11) is deleted in batch 3
        (T[3], first, hk(1, 10)), (T[3], two, hk(2, 10)), (T[3], three, hk(3, 11)),  # order 1 is back with its first relationship
    ])


def test_fact_over_the_snapshot_bridge_reads_its_latest_snapshot(vault: LocalVault):
    columns = "customer_hk, order_party_hk, order_hk, order_product_hk, product_hk, employee_hk, shipper_hk, quantity, unit_price"
    latest = vault.query(f"select {columns} from marts.fct_sales_line_latest_batch order by all")
    assert len(latest) == 3 and latest == vault.query(f"select {columns} from marts.fct_sales_line order by all")


# -- 12. the Glue catalog of the vault tables Athena reads --------------------------------------------------------

# Glue (Athena) type -> the type DuckDB gives the same model. Hash keys and hashdiffs are hex text on both.
GLUE_TO_DUCKDB = {"string": "VARCHAR", "boolean": "BOOLEAN", "int": "INTEGER", "bigint": "BIGINT", "float": "FLOAT", "double": "DOUBLE",
                  "date": "DATE", "binary": "BLOB",
                  # load timestamps are UTC wall-clock timestamps in the Athena vault, as the DuckDB raw layer's load_ts is;
                  # a daily PIT's snapshot_ts is a plain TIMESTAMP on both
                  "timestamp": "TIMESTAMP"}
# where the source type decides instead: Iceberg has no smallint (Glue int), DuckDB keeps SMALLINT
SOURCE_TO_DUCKDB = {"int16": "SMALLINT"}


def _expected_duckdb_type(column: dict) -> str:
    source_type = column.get("Parameters", {}).get("vaultgen.source_type")
    if source_type:
        from vaultgen.types import parse_source_type

        parsed = parse_source_type(source_type)
        if parsed.logical in SOURCE_TO_DUCKDB:
            return SOURCE_TO_DUCKDB[parsed.logical]
    decimal = re.fullmatch(r"decimal\((\d+),(\d+)\)", column["Type"])
    return f"DECIMAL({decimal.group(1)},{decimal.group(2)})" if decimal else GLUE_TO_DUCKDB[column["Type"]]


def test_vault_catalog_definitions_have_the_columns_and_types_the_models_build(vault: LocalVault):
    """Every Glue definition of a vault table (vaultgen.catalog.glue_vault) against the table dbt built from the same
    builders: the same columns in the same order, each of the type its Glue type stands for."""
    from vaultgen.catalog.glue_vault import vault_table_inputs

    definitions = vault_table_inputs(vault.spec)
    built = vault.query("select table_schema, table_name, column_name, data_type from information_schema.columns "
                        "where table_schema in ('raw_vault', 'business_vault') and table_name in "
                        "(select table_name from information_schema.tables where table_type = 'BASE TABLE' and table_schema = columns.table_schema) "
                        "order by table_schema, table_name, ordinal_position")
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in built:
        tables.setdefault((schema, table), []).append((column, data_type))
    assert set(tables) == {(d["DatabaseName"], d["TableInput"]["Name"]) for d in definitions}
    kinds = set()
    for definition in definitions:
        columns = definition["TableInput"]["StorageDescriptor"]["Columns"]
        key = (definition["DatabaseName"], definition["TableInput"]["Name"])
        assert tables[key] == [(c["Name"], _expected_duckdb_type(c)) for c in columns], key
        kinds.add(definition["TableInput"]["Parameters"]["vaultgen.kind"])
    assert kinds == {"hub", "link", "nonhistorized_link", "satellite", "multi_active_satellite", "record_tracking_satellite",
                     "effectivity_satellite", "reference_table", "pit", "bridge"}
