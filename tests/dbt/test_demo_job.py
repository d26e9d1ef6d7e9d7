"""The main job end to end at a small scale: generated batches, dbt builds, the round trip after each batch."""

from __future__ import annotations

from pathlib import Path
from types import GeneratorType

import pytest

from vaultgen.demo.job import run_demo, to_batch
from vaultgen.demo.northwind_data import snapshots
from vaultgen.spec.loader import load_spec
from vaultgen.types import parse_source_type

pytestmark = pytest.mark.dbt


def test_generator_is_deterministic_and_changes_every_kind_of_thing():
    first, again = list(snapshots(7, 0.2, 3)), list(snapshots(7, 0.2, 3))
    assert [s.tables for s in first] == [s.tables for s in again]
    assert list(snapshots(8, 0.2, 3))[1].tables != first[1].tables
    before, after = first[0].tables, first[1].tables
    keys = lambda rows, *columns: {tuple(r[c] for c in columns) for r in rows}  # noqa: E731
    assert keys(after["customers"], "customer_id") - keys(before["customers"], "customer_id"), "inserts"
    assert keys(before["order_details"], "order_id", "product_id") - keys(after["order_details"], "order_id", "product_id"), "deletes"
    by_key = {r["customer_id"]: r for r in before["customers"]}
    assert any(by_key.get(r["customer_id"]) not in (None, r) for r in after["customers"]), "updates"


INTEGER_RANGES = {"int16": 2 ** 15, "int32": 2 ** 31, "int64": 2 ** 63}


def test_generator_streams_and_the_spec_types_hold_its_keys_at_scale(repo: Path):
    """Batches are generated one at a time (never the whole history at once), and at scale 30 (order ids beyond
    32,767) every integer the generator writes fits the spec's type of its column."""
    stream = snapshots(5, 30, 2)
    assert isinstance(stream, GeneratorType)
    spec = load_spec(repo / "vault_spec")
    batch = to_batch(spec, next(stream))
    assert max(row[0] for row in batch.rows["orders"]) > 2 ** 15
    for _, table in spec.tables():
        for index, column in enumerate(table.columns):
            limit = INTEGER_RANGES.get(parse_source_type(column.type).logical)
            values = [row[index] for row in batch.rows.get(table.name, []) if row[index] is not None]
            if limit and values:
                assert -limit <= min(values) and max(values) < limit, f"{table.name}.{column.name} ({column.type})"


def test_demo_job_builds_and_round_trips_every_batch(repo: Path, tmp_path: Path):
    lines: list[str] = []
    out = tmp_path / "generated"
    exit_code = run_demo(repo / "vault_spec", out, tmp_path / "work", scale=0.1, batches=3, seed=3, say=lines.append)
    text = "\n".join(lines)
    assert exit_code == 0, text
    assert text.count("14/14 source tables rebuilt from the vault equal their snapshot") == 3
    assert "0 failed" in text and "hub_customer" in text
