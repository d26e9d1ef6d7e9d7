"""Record tracking satellite: per full-snapshot batch, whether the parent key is present in the source.

Inserts a row when a key appears (is_present = true), disappears (false) or comes back (true again); history
is never removed. The batches of a table come from the raw load log, so an empty snapshot still counts.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect

from vaultgen.graph import record_source
from vaultgen.naming import Naming
from vaultgen.spec.model import RecordTrackingSatellite, Spec
from vaultgen.sql.staging import raw_keys_sql, stages_changes
from vaultgen.sql.common import (
    alias, col, cte, descending, is_real_key, join_node, latest_per_key, load_window, previous_value, raw_load_ts, ref, row_number_is_first, select, source, this,
    with_ctes,
)

PREVIOUS = "previous_is_present"


def record_tracking_sql(spec: Spec, satellite: RecordTrackingSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    if spec.table(satellite.source).load == "cdc":
        return cdc_record_tracking_sql(spec, satellite, dialect, incremental)
    naming = Naming(spec)
    raw = spec.project.raw
    key, load_ts, status = naming.parent_key(satellite), naming.load_ts, spec.project.naming.status_column
    batches = (
        select(alias(raw_load_ts(spec, dialect), load_ts))
        .distinct(copy=False)
        .from_(source(raw.load_log_table), copy=False)
        .where(exp.and_(exp.EQ(this=col("table_name"), expression=exp.Literal.string(satellite.source)), load_window(raw.load_timestamp_column), copy=False), copy=False)
    )
    table = spec.table(satellite.source)
    if stages_changes(spec, table):  # the staging holds the changed rows only: every key of a snapshot is in the raw table
        keys_of_batch = exp.Subquery(this=raw_keys_sql(spec, table, key, dialect), alias=exp.TableAlias(this=exp.to_identifier("raw_keys")))
    else:
        keys_of_batch = ref(naming.staging_model(satellite.source))
    seen = (
        select(col(key), col(load_ts))
        .distinct(copy=False)
        .from_(keys_of_batch, copy=False)
        .where(is_real_key(col(key), spec), copy=False)
    )
    keys = select(col(key)).from_(cte("seen"), copy=False)
    ctes: list[tuple[str, exp.Select]] = [("batches", batches), ("seen", seen)]
    if incremental:
        latest = latest_per_key(this(), [key], [status], load_ts)
        ctes.append(("latest", latest))
        keys = exp.union(keys, select(col(key)).from_(cte("latest"), copy=False), distinct=True, copy=False)
    else:
        keys = keys.distinct(copy=False)
    ctes.append(("tracked_keys", keys))
    present = exp.Not(this=exp.Is(this=col(key, "seen"), expression=exp.Null()))
    grid = (
        select(col(key, "tracked"), col(load_ts, "batch"), alias(present, status))
        .from_(cte("tracked_keys", "tracked"), copy=False)
        .join(join_node(cte("batches", "batch"), "cross"), copy=False)
        .join(
            join_node(cte("seen", "seen"), "left",
                      on=exp.and_(exp.EQ(this=col(key, "seen"), expression=col(key, "tracked")), exp.EQ(this=col(load_ts, "seen"), expression=col(load_ts, "batch")), copy=False)),
            copy=False,
        )
    )
    ctes.append(("grid", grid))
    changes = previous_value("grid", [key], status, load_ts, PREVIOUS, "latest" if incremental else None, columns=[key, load_ts, status])
    ctes.append(("changes", changes))
    return with_ctes(ctes, _status_changes(spec, satellite, key, load_ts, status))


def _status_changes(spec: Spec, satellite: RecordTrackingSatellite, key: str, load_ts: str, status: str) -> exp.Select:
    """The rows of `changes` that start a key (present) or change its status."""
    first_or_changed = exp.or_(
        exp.and_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), col(status), copy=False),
        exp.NEQ(this=col(status), expression=col(PREVIOUS)),
        copy=False,
    )
    return select(
        col(key), col(load_ts), alias(exp.Literal.string(record_source(spec, satellite.source)), Naming(spec).record_source), col(status)
    ).from_(cte("changes"), copy=False).where(first_or_changed, copy=False)


def is_delete(spec: Spec, table_name: str) -> exp.Expression:
    """The row of a CDC table is a delete."""
    cdc = spec.table(table_name).cdc
    return exp.EQ(this=col(cdc.operation_column), expression=exp.Literal.string(cdc.delete))


def cdc_record_tracking_sql(spec: Spec, satellite: RecordTrackingSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    """Record tracking from a CDC table: a key's last operation in a batch says whether it is present (a delete:
    false; an insert or update: true). Keys missing from a batch did not change, so they keep their status."""
    naming = Naming(spec)
    key, load_ts, status = naming.parent_key(satellite), naming.load_ts, spec.project.naming.status_column
    cdc = spec.table(satellite.source).cdc
    order = [descending(col(cdc.sequence_column))] if cdc.sequence_column else [descending(col(cdc.operation_column))]
    last_operation = (
        select(col(key), col(load_ts), alias(exp.Not(this=is_delete(spec, satellite.source)), status))
        .from_(ref(naming.staging_model(satellite.source)), copy=False)
        .where(is_real_key(col(key), spec), copy=False)
        .qualify(row_number_is_first([col(key), col(load_ts)], order), copy=False)
    )
    ctes: list[tuple[str, exp.Select]] = [("last_operation", last_operation)]
    if incremental:
        ctes.append(("latest", latest_per_key(this(), [key], [status], load_ts)))
    changes = previous_value("last_operation", [key], status, load_ts, PREVIOUS, "latest" if incremental else None,
                             columns=[key, load_ts, status])
    ctes.append(("changes", changes))
    return with_ctes(ctes, _status_changes(spec, satellite, key, load_ts, status))
