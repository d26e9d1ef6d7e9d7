"""A table loaded incrementally by a watermark column, through the vault: batches hold changed rows only (and the
boundary rows the extract reads again), yet the vault rebuilds the whole table as it stood at every batch."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.support.vault import LocalVault
from vaultgen.verify.reconstruct import reconstruct_query
from vaultgen.verify.roundtrip import compare_batch

pytestmark = pytest.mark.dbt

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"
T = [datetime(2024, 3, day, 6, 0) for day in (1, 2, 3, 4)]
W = {hour: datetime(2024, 2, 29, hour, 0) for hour in (10, 11, 12)}  # watermark values

# customers (incremental on updated_at): (customer_id, name, city, updated_at); orders (full snapshot)
BATCHES = [
    {"customers": [("C1", "Ann", "Berlin", W[10]), ("C2", "Bob", "Paris", W[10])], "orders": [(1, "C1", 10.0)]},
    # C1 moves; C2 is read again at the boundary, unchanged
    {"customers": [("C1", "Ann", "Bonn", W[11]), ("C2", "Bob", "Paris", W[10])], "orders": [(1, "C1", 10.0), (2, "C2", 5.5)]},
    # C1 moves back (A -> B -> A); C3 is new; C2 is not in the batch and must stay
    {"customers": [("C1", "Ann", "Berlin", W[12]), ("C3", "Cid", "Rome", W[12])], "orders": [(1, "C1", 10.0), (2, "C2", 5.5)]},
    # nothing changed in customers
    {"customers": [], "orders": [(1, "C1", 10.0), (2, "C2", 5.5)]},
]


def _incremental_spec(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    source = spec_dir / "source.yml"
    source.write_text(source.read_text().replace(
        "primary_key: [customer_id]\n", "primary_key: [customer_id]\n        load: incremental\n        watermark_column: updated_at\n",
    ).replace(
        "          - {name: city, type: varchar(15)}\n", "          - {name: city, type: varchar(15)}\n          - {name: updated_at, type: timestamp, nullable: false}\n",
    ))
    vault = spec_dir / "vault.yml"
    text = vault.read_text()
    assert "attributes: [name, city]" in text
    vault.write_text(text.replace("attributes: [name, city]", "attributes: [name, city, updated_at]").replace(
        "  - {kind: record_tracking_satellite, name: customer_status, parent: customer, source: customers}\n", ""))
    return spec_dir


def _source_states() -> list[set[tuple]]:
    """What the source held at each batch: every batch's rows folded over the previous state, key by key."""
    state: dict[str, tuple] = {}
    states = []
    for batch in BATCHES:
        for row in batch["customers"]:
            state[row[0]] = row
        states.append(set(state.values()))
    return states


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> LocalVault:
    work = tmp_path_factory.mktemp("incremental")
    vault = LocalVault(_incremental_spec(work), work)
    vault.load_and_build_each(T, BATCHES)
    return vault


def test_the_vault_rebuilds_the_whole_table_at_every_batch(vault: LocalVault):
    table = vault.spec.table("customers")
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        for load_ts, expected in zip(T, _source_states()):
            rebuilt = connection.execute(reconstruct_query(vault.spec, table, load_ts).query.sql("duckdb")).fetchall()
            assert len(rebuilt) == len(expected) and set(rebuilt) == expected, load_ts


def test_round_trip_check_compares_incremental_tables_with_the_folded_batches(vault: LocalVault):
    with duckdb.connect(str(vault.database), read_only=True) as connection:
        for load_ts, expected in zip(T, _source_states()):
            comparisons = {c.table: c for c in compare_batch(connection, vault.spec, load_ts)}
            assert all(c.equal for c in comparisons.values()), comparisons
            assert comparisons["customers"].source_rows == len(expected)


def test_boundary_rows_read_again_add_no_satellite_rows(vault: LocalVault):
    rows = vault.query('select c.customer_id, s.city, s.load_ts from raw_vault."sat_customer_details" s '
                       'join raw_vault."hub_customer" c using (customer_hk) order by 1, 3')
    assert rows == [
        ("C1", "Berlin", T[0]), ("C1", "Bonn", T[1]), ("C1", "Berlin", T[2]),
        ("C2", "Paris", T[0]),
        ("C3", "Rome", T[2]),
    ]
