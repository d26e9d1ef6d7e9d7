"""What `vaultgen run` plans from the raw layer's batches and the build log (pure logic, fast tier)."""

from __future__ import annotations

from datetime import datetime

from vaultgen.run.batches import BatchKey, BatchState
from vaultgen.run.plan import plan_run

T1, T2, T3 = (datetime(2024, 1, day) for day in (1, 2, 3))


def state(**batches: tuple[datetime, str]) -> dict[BatchKey, BatchState]:
    return {BatchKey(*name.split("__")): BatchState(ts, fp) for name, (ts, fp) in batches.items()}


def test_nothing_pending_when_everything_is_built_unchanged():
    current = state(orders__b1=(T1, "1:5"), customers__b1=(T1, "2:7"))
    assert plan_run(current, dict(current)).empty


def test_pending_batches_are_built_in_one_window_from_the_newest_built_to_the_newest_loaded():
    built = state(orders__b1=(T1, "1:5"))
    current = {**built, **state(orders__b3=(T3, "1:9"), customers__b2=(T2, "1:1"), orders__b2=(T2, "1:2"))}
    plan = plan_run(current, built)
    assert not plan.stale and plan.repair_until is None
    assert [(w.after, w.until, w.batches) for w in plan.windows] == [
        (T1, T3, (BatchKey("customers", "b2"), BatchKey("orders", "b2"), BatchKey("orders", "b3")))]


def test_the_first_run_builds_every_batch_in_one_window_from_the_beginning():
    current = state(orders__b1=(T1, "1:5"), orders__b2=(T2, "1:6"))
    assert [(w.after, w.until) for w in plan_run(current, {}).windows] == [(None, T2)]


def test_a_corrected_a_late_and_a_removed_batch_make_their_tables_stale_up_to_the_newest_built():
    built = state(orders__b1=(T1, "1:5"), orders__b3=(T3, "1:9"), customers__b3=(T3, "1:4"), products__b1=(T1, "1:1"))
    current = state(orders__b1=(T1, "1:6"), orders__b3=(T3, "1:9"), customers__b3=(T3, "1:4"), customers__b2=(T2, "3:3"))
    plan = plan_run(current, built)
    assert [(s.key.table, s.key.batch_id, s.reason.split(" (")[0]) for s in plan.stale] == [
        ("orders", "b1", "changed since it was built"), ("products", "b1", "built, then removed from the raw layer"),
        ("customers", "b2", "older than batches the vault already holds")]
    assert plan.repair_tables == ["customers", "orders", "products"] and plan.repair_until == T3 and plan.windows == ()


def test_a_batch_whose_load_timestamp_changed_is_stale():
    built = state(orders__b1=(T1, "1:5"))
    plan = plan_run(state(orders__b1=(T2, "1:5")), built)
    assert [s.key for s in plan.stale] == [BatchKey("orders", "b1")] and plan.windows == ()
