"""Random batch histories, built for real: after every step `vaultgen run` leaves a vault equal to a fresh build of
the same raw layer (table for table, row for row), and every source table rebuilt from the vault equals each of
its snapshots.

A hypothesis state machine over a small spec (tests/fixtures/history_spec: hubs customer and order with
satellites and record tracking, a link with record tracking, ghost rows) draws new full-snapshot batches (so
inserts, updates, deletes, restores and A -> B -> A across batches; the cities come from two values, an order's
customer from three, which the effectivity satellite follows), several new batches in one step (so one run builds
several changes of the same key), corrected batches and late batches written straight into the raw layer (as a
loader other than `vaultgen load` could), and reruns by hand. CI runs a fixed-seed handful; `VAULTGEN_HISTORIES=100 .venv/bin/python -m pytest
tests/dbt/test_histories.py` runs 100 histories; `VAULTGEN_HISTORY_SEED=N` draws another fixed series (so two series
can run side by side).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
import tempfile
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.support.raw_layer import differences_from_fresh_build, vault_tables, write_raw
from tests.support.vault import LocalVault
from vaultgen.cli import main
from vaultgen.dbt_runner import run_dbt
from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch
from vaultgen.verify.roundtrip import compare_batch

pytestmark = pytest.mark.dbt

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "history_spec"
HISTORIES = int(os.environ.get("VAULTGEN_HISTORIES", "2"))
STEPS = int(os.environ.get("VAULTGEN_HISTORY_STEPS", "3"))
START = datetime(2024, 6, 1, 6, 0)
CUSTOMERS = ["ALFKI", "BONAP", "CACTU"]

customer_rows = st.dictionaries(st.sampled_from(CUSTOMERS), st.tuples(st.sampled_from(["Ann", "Bob"]), st.sampled_from(["Berlin", "Bonn"])), max_size=3).map(
    lambda rows: sorted((key, *value) for key, value in rows.items()))
order_rows = st.dictionaries(st.integers(1, 3), st.tuples(st.sampled_from(CUSTOMERS), st.sampled_from([10, 12]))).map(
    lambda rows: sorted((key, *value) for key, value in rows.items()))
snapshots = st.fixed_dictionaries({}, optional={"customers": customer_rows, "orders": order_rows}).filter(bool)


STEPS_TAKEN: Counter = Counter()  # rule -> how often it ran, over every history (printed at the end with -s)


@lru_cache(maxsize=1)
def _rendered() -> LocalVault:
    """One rendered project for every history (each history has its own database)."""
    return LocalVault(SPEC, Path(tempfile.mkdtemp(prefix="vaultgen-histories-")))


class BatchHistory(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.vault = _rendered()
        self.work = Path(tempfile.mkdtemp(prefix="history-", dir=self.vault.work_dir))
        self.database = self.work / "vault.duckdb"
        with duckdb.connect(str(self.database)) as connection:
            create_raw_tables(connection, self.vault.spec)
        self.batches: dict[str, tuple[datetime, dict[str, list[tuple]]]] = {}  # batch id -> (load_ts, snapshots)
        self.started, self.steps = time.monotonic(), []  # the steps in order

    def teardown(self):
        shutil.rmtree(self.work, ignore_errors=True)
        if os.environ.get("VAULTGEN_HISTORY_LOG"):  # one line per finished history, for the long run's figures
            with open(os.environ["VAULTGEN_HISTORY_LOG"], "a", encoding="utf-8") as log:
                log.write(f"{time.monotonic() - self.started:.1f} s, {len(self.batches)} batches, steps {' '.join(self.steps)}\n")

    def _took(self, step: str) -> None:
        STEPS_TAKEN[step] += 1
        self.steps.append(step)

    def _write(self, batch_id: str, load_ts: datetime, rows: dict[str, list[tuple]]) -> None:
        for table, table_rows in rows.items():
            write_raw(self.database, self.vault.spec, table, batch_id, load_ts, table_rows)
        known = self.batches.get(batch_id, (load_ts, {}))[1]
        self.batches[batch_id] = (load_ts, {**known, **rows})

    def _next(self, rows) -> None:
        load_ts = max((ts for ts, _ in self.batches.values()), default=START - timedelta(days=1)) + timedelta(days=1)
        batch_id = f"b{len(self.batches) + 1}"
        with duckdb.connect(str(self.database)) as connection:
            load_batch(connection, self.vault.spec, Batch(batch_id, load_ts, rows))
        self.batches[batch_id] = (load_ts, dict(rows))

    @initialize(rows=snapshots)
    def first_batch(self, rows):
        """Every history starts with a batch, so none is empty."""
        self._took("histories")
        self._next(rows)

    @rule(data=st.data(), rows=snapshots)
    def new_batches(self, data, rows):
        """The next one, two or three batches through vaultgen's loader before the next run (so one `vaultgen run`
        builds several changes of the same key). One rule with a drawn count rather than a rule per count:
        hypothesis drew a separate rule with a list of at least two batches in 2 of 80 steps."""
        count = data.draw(st.integers(1, 3), label="batches")
        self._took("new_batch" if count == 1 else "several_new_batches")
        self._next(rows)
        for _ in range(count - 1):
            self._next(data.draw(snapshots))

    @rule(data=st.data(), rows=snapshots)
    def late_batch(self, data, rows):
        """A batch older than the newest one, written straight into the raw layer."""
        self._took("late_batch")
        before = data.draw(st.sampled_from(sorted(ts for ts, _ in self.batches.values())))
        load_ts = before - timedelta(minutes=data.draw(st.integers(1, 600)))
        if any(ts == load_ts for ts, _ in self.batches.values()):
            return
        self._write(f"late{len(self.batches) + 1}", load_ts, rows)

    @rule(data=st.data())
    def corrected_batch(self, data):
        """A batch loaded again with other rows for one of its tables (same batch id and load timestamp)."""
        self._took("corrected_batch")
        batch_id = data.draw(st.sampled_from(sorted(self.batches)))
        load_ts, tables = self.batches[batch_id]
        table = data.draw(st.sampled_from(sorted(tables)))
        self._write(batch_id, load_ts, {table: data.draw(customer_rows if table == "customers" else order_rows)})

    @precondition(lambda self: self.steps[-1:] != ["rerun_by_hand"])
    @rule()
    def rerun_by_hand(self):
        """A hand rerun of the whole history without window vars changes nothing. Never twice in a row: a second
        rerun proves nothing new (without this precondition most drawn histories were one batch and two reruns)."""
        self._took("rerun_by_hand")
        before = vault_tables(self.database)
        result = run_dbt(["build"], self.vault.project, self.vault.work_dir / "hand", self.database, check=False, partial_parse=True)
        assert result.ok, result.output[-3000:]
        assert vault_tables(self.database) == before

    @invariant()
    def vault_equals_a_fresh_build_and_every_snapshot(self):
        if not self.batches:
            return
        code = main(["run", "--spec", str(SPEC), "--out", str(self.vault.out_dir), "--database", str(self.database), "--work-dir", str(self.vault.work_dir / "run")])
        assert code == 0
        assert differences_from_fresh_build(self.database, self.vault.spec, self.vault.project, self.vault.work_dir / "fresh") == {}
        with duckdb.connect(str(self.database), read_only=True) as connection:
            for batch_id, (load_ts, tables) in sorted(self.batches.items()):
                for comparison in compare_batch(connection, self.vault.spec, load_ts):
                    if comparison.table in tables:
                        assert comparison.equal, (batch_id, comparison)


BatchHistory.TestCase.settings = settings(
    max_examples=HISTORIES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False,
)
if os.environ.get("VAULTGEN_HISTORY_SEED"):  # another fixed series (by default the series is derived from the test's name)
    seed(int(os.environ["VAULTGEN_HISTORY_SEED"]))(BatchHistory)
test_batch_histories = BatchHistory.TestCase


@pytest.fixture(scope="module", autouse=True)
def _print_steps_taken():
    yield
    print(f"\nhistories: {dict(sorted(STEPS_TAKEN.items()))}", file=sys.stderr)


def test_a_late_batch_of_one_table_keeps_the_keys_known_only_from_another():
    """Found by the 100-history run: a late customers batch repaired the customer hub from the orders staging
    table while it held only the last window's orders, losing the customers known only from earlier orders."""
    history = BatchHistory()
    try:
        history.first_batch({"customers": [("BONAP", "Ann", "Berlin")], "orders": [(1, "BONAP", 10), (2, "ALFKI", 12), (3, "CACTU", 12)]})
        history.vault_equals_a_fresh_build_and_every_snapshot()
        history._next({"orders": [(1, "BONAP", 12), (3, "BONAP", 12)], "customers": []})
        history.vault_equals_a_fresh_build_and_every_snapshot()
        history._write("late3", START - timedelta(minutes=305), {"customers": [("BONAP", "Ann", "Bonn")]})
        history.vault_equals_a_fresh_build_and_every_snapshot()
    finally:
        history.teardown()
