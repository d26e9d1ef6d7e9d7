"""Builds shared by several dbt-tier modules (one build of the Northwind project per session, not one per module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.vault import LocalVault
from vaultgen.demo.job import to_batch
from vaultgen.demo.northwind_data import snapshots

NORTHWIND_BATCHES = 3


@dataclass(frozen=True)
class NorthwindBuild:
    vault: LocalVault
    load_timestamps: list[datetime]
    marts: list[dict]  # per batch: what tests/dbt/test_northwind_marts.py compares after that batch's build


@pytest.fixture(scope="session")
def northwind_build(tmp_path_factory) -> NorthwindBuild:
    """vault_spec/'s project on generated Northwind batches, loaded and built one at a time (each build in its window)."""
    from tests.dbt.test_northwind_marts import marts_after_batch

    repo = Path(__file__).resolve().parents[2]
    vault = LocalVault(repo / "vault_spec", tmp_path_factory.mktemp("northwind"))
    load_timestamps, marts, previous = [], [], None
    for snapshot in snapshots(11, 0.1, NORTHWIND_BATCHES):
        batch = to_batch(vault.spec, snapshot)
        vault.load(batch.batch_id, batch.load_ts, batch.rows)
        build = vault.build(after=previous, until=batch.load_ts)
        assert build.ok and build.failed == 0, build.output[-3000:]
        previous = batch.load_ts
        load_timestamps.append(batch.load_ts)
        marts.append(marts_after_batch(vault, batch.load_ts))
    return NorthwindBuild(vault, load_timestamps, marts)
