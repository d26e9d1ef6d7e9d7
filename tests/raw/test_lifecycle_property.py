"""Property: any sequence of batch loads, accepted or refused, leaves the raw layer equal to applying only the
accepted ones, and equal to a plain model of the lifecycle rules. Fixed seed, bounded; more examples with
VAULTGEN_PROPERTY_EXAMPLES=500 .venv/bin/python -m pytest tests/raw/test_lifecycle_property.py"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import duckdb
from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.raw.conftest import connection_state
from vaultgen.errors import LoadError
from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch

EXAMPLES = int(os.environ.get("VAULTGEN_PROPERTY_EXAMPLES", "40"))
START = datetime(2024, 3, 1, 6)
NOW = datetime(2024, 6, 1)  # what a batch without a load timestamp gets when it is new

customer = st.tuples(st.sampled_from(["ALFKI", "BONAP", "CACTU"]), st.sampled_from(["Ann", "Bob"])).map(
    lambda r: (r[0], r[1], None, None, None, None, None))
line = st.tuples(st.integers(1, 2), st.integers(1, 2), st.sampled_from([1.0, 2.5])).map(lambda r: (r[0], r[1], r[2], None, None))
tables = st.fixed_dictionaries({}, optional={"customers": st.lists(customer, max_size=3), "order_lines": st.lists(line, max_size=3)})
step = st.tuples(
    st.sampled_from(["b1", "b2", "b3"]),
    st.one_of(st.none(), st.integers(0, 6).map(lambda hours: START + timedelta(hours=hours))),
    tables,
)


def model_accepts(model: dict, batch: Batch) -> datetime | None:
    """The lifecycle as plain rules over the model: the batch's load timestamp if accepted, else None."""
    if not batch.rows:
        return None
    for name, rows in batch.rows.items():
        keys = [row[:1] if name == "customers" else row[:2] for row in rows]
        if len(keys) != len(set(keys)):
            return None
    stamps = {ts for (_, batch_id), (ts, _) in model.items()}
    newest = max(stamps, default=None)
    own = {ts for (_, batch_id), (ts, _) in model.items() if batch_id == batch.batch_id}
    if not own:
        load_ts = batch.load_ts or NOW
        return load_ts if newest is None or load_ts > newest else None
    (original,) = own
    if batch.load_ts is not None and batch.load_ts != original:
        return None
    lacking = {name for name in batch.rows if (name, batch.batch_id) not in model}
    return original if not lacking or original == newest else None


def expected_state(model: dict) -> dict[str, list[tuple]]:
    state = {"customers": [], "order_lines": [], "payments": [], "load_log": []}
    for (name, batch_id), (ts, rows) in model.items():
        state[name].extend((*row, ts, batch_id) for row in rows)
        state["load_log"].append((name, batch_id, ts, len(rows)))
    return {name: sorted(rows, key=repr) for name, rows in state.items()}


def fresh(spec):
    connection = duckdb.connect()
    create_raw_tables(connection, spec)
    return connection


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=2, max_size=8))
@example(steps=[  # a late table for an old batch, then a correction that keeps its tables
    ("b1", START, {"customers": [("ALFKI", "Ann", None, None, None, None, None)]}),
    ("b2", START + timedelta(hours=1), {"customers": []}),
    ("b1", None, {"order_lines": [(1, 1, 1.0, None, None)]}),
    ("b1", START, {"customers": [("BONAP", "Bob", None, None, None, None, None)]}),
    ("b2", None, {"order_lines": []}),
])
@example(steps=[("b1", None, {"customers": []}), ("b2", None, {"customers": []}), ("b1", START, {"customers": []})])
def test_refused_loads_leave_no_trace(spec, steps):
    connection, model, accepted = fresh(spec), {}, []
    for batch_id, load_ts, rows in steps:
        batch = Batch(batch_id, load_ts, rows)
        expected = model_accepts(model, batch)
        try:
            load_batch(connection, spec, batch, now=NOW)
        except LoadError:
            assert expected is None, f"refused, though the rules accept {batch}"
            continue
        assert expected is not None, f"accepted, though the rules refuse {batch}"
        accepted.append(batch)
        for name, table_rows in rows.items():
            model[(name, batch_id)] = (expected, [tuple(float(v) if isinstance(v, float) else v for v in row) for row in table_rows])
    state = connection_state(connection, spec)
    replay = fresh(spec)
    for batch in accepted:
        load_batch(replay, spec, batch, now=NOW)
    assert connection_state(replay, spec) == state
    normalised = {name: sorted([tuple(float(v) if hasattr(v, "as_tuple") else v for v in row) for row in rows], key=repr) for name, rows in state.items()}
    assert normalised == expected_state(model)
