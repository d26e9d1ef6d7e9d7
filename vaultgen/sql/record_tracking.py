"""Record tracking satellite: per full-snapshot batch, whether the parent key is present in the source.

Inserts a row when a key appears (is_present = true), disappears (false) or comes back (true again); history
is never removed. The batches of a table come from the raw load log, so an empty snapshot still counts.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect

from vaultgen.graph import record_source, staged_keys
from vaultgen.naming import Naming
from vaultgen.spec.model import RecordTrackingSatellite, Spec
from vaultgen.sql.common import (
    RAW_LOAD_TS_TYPE, alias, col, cte, descending, is_real_key, latest_per_key, load_window, previous_value, ref, row_number_is_first, select, source,
    this, with_ctes,
)
from vaultgen.sql.hashing import hash_key_of_parts, is_real_key_of_parts
from vaultgen.sql.staging import key_part, key_part_names, rows_of_load_before, table_loads

PREVIOUS = "previous_is_present"


def record_tracking_sql(spec: Spec, satellite: RecordTrackingSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    if spec.table(satellite.source).load == "cdc":
        return cdc_record_tracking_sql(spec, satellite, dialect, incremental)
    return snapshot_record_tracking_sql(spec, satellite, dialect, incremental)


def snapshot_record_tracking_sql(spec: Spec, satellite: RecordTrackingSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    """Record tracking from full snapshots: each load's keys against those of the load of the table before it,
    compared on the normalised business key before anything is hashed (the raw table prunes on the load
    timestamp). A key in the load and not in the one before appears (present), one in the load before and not in
    this one vanishes (absent); only those are hashed. The first load appears whole; an empty snapshot vanishes
    whole. On an incremental run a status row already stored is not inserted again (a rerun inserts nothing)."""
    naming, project = Naming(spec), spec.project
    table = spec.table(satellite.source)
    raw_ts = project.raw.load_timestamp_column
    key, load_ts, status = naming.parent_key(satellite), naming.load_ts, project.naming.status_column
    columns = list(next(staged for staged in staged_keys(spec, table) if staged.column == key).source_columns)
    names = key_part_names(table, columns, {raw_ts, load_ts, status, key})
    parts = [names[c] for c in columns]

    def keyed(table_alias: str) -> list[exp.Expression]:
        return [alias(key_part(table, c, project.hashing, dialect, table_alias), names[c]) for c in columns]

    keys_now = select(alias(dialect.stored(col(raw_ts, "now"), RAW_LOAD_TS_TYPE), load_ts), *keyed("now")).from_(source(table.name, "now"), copy=False).where(load_window(raw_ts), copy=False)
    keys_before = select(alias(dialect.stored(col(raw_ts, "loads"), RAW_LOAD_TS_TYPE), load_ts), *keyed("before")).from_(
        cte("loads", "loads"), copy=False).join(rows_of_load_before(spec, table), copy=False)

    def only_in(side: str, other: str, present: bool) -> exp.Select:
        """The real keys of each load in `side` and not in `other`, with their status."""
        same = [exp.EQ(this=col(load_ts, other), expression=col(load_ts, side))]
        same += [exp.NullSafeEQ(this=col(part, other), expression=col(part, side)) for part in parts]
        in_other = select(exp.Literal.number(1)).from_(cte(f"keys_{other}", other), copy=False).where(exp.and_(*same, copy=False), copy=False)
        return (
            select(col(load_ts, side), *[col(part, side) for part in parts], alias(exp.Boolean(this=present), status))
            .distinct(copy=False)
            .from_(cte(f"keys_{side}", side), copy=False)
            .where(exp.and_(is_real_key_of_parts([col(part, side) for part in parts]), exp.Not(this=exp.Exists(this=in_other)), copy=False), copy=False)
        )

    changed = exp.union(only_in("now", "before", True), only_in("before", "now", False), distinct=False, copy=False)
    changes = select(
        alias(hash_key_of_parts([col(part) for part in parts], project.hashing, project.sentinels, dialect), key),
        col(load_ts),
        col(status),
    ).from_(exp.Subquery(this=changed, alias=exp.TableAlias(this=exp.to_identifier("changed"))), copy=False)
    ctes = [("loads", table_loads(spec, table)), ("keys_now", keys_now), ("keys_before", keys_before), ("changes", changes)]
    final = select(
        col(key), col(load_ts), alias(exp.Literal.string(record_source(spec, satellite.source)), naming.record_source), col(status)
    ).from_(cte("changes"), copy=False)
    if incremental:
        stored = select(exp.Literal.number(1)).from_(this("stored"), copy=False).where(exp.and_(
            exp.EQ(this=col(key, "stored"), expression=col(key, "changes")), exp.EQ(this=col(load_ts, "stored"), expression=col(load_ts, "changes")),
            copy=False), copy=False)
        final = final.where(exp.Not(this=exp.Exists(this=stored)), copy=False)
    return with_ctes(ctes, final)


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
