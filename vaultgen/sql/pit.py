"""Point-in-time (PIT) table: per hub key and snapshot time, where each satellite's row valid then is.

A satellite row is valid at a snapshot from its load timestamp until the next row of the same key. When no row
is valid yet, the PIT points at the ghost row (the null sentinel key, 1900-01-01), so that inner joins from a
PIT to its satellites never lose rows. Snapshot times come from the spec's calendar (every batch load timestamp
in the load log, or every midnight between two dates), never later than the latest loaded batch, so a snapshot
always sees complete data. Incremental: only snapshot times later than those already stored are added.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlglot import exp

from vaultgen.dialects.base import Dialect, data_type
from vaultgen.naming import Naming
from vaultgen.spec.model import PointInTime, SnapshotCalendar, Spec
from vaultgen.sql.common import (
    END_OF_TIME, GHOST_LOAD_TS, alias, ascending, col, cte, ghost_key, is_real_key, join_node, load_window, raw_load_ts, ref, select, source, this, timestamp_literal, with_ctes,
)

NEXT = "next_load_ts"
HORIZON = "horizon_ts"


def _digits() -> exp.Select:
    digits = select(alias(exp.Literal.number(0), "d"))
    for value in range(1, 10):
        digits = exp.union(digits, select(alias(exp.Literal.number(value), "d")), distinct=False, copy=False)
    return select(exp.Star()).from_(digits.subquery("digits", copy=False), copy=False)


def calendar_sql(spec: Spec, calendar: SnapshotCalendar, dialect: Dialect) -> exp.Select:
    """Every snapshot time of the calendar (possibly beyond the loaded data: the caller cuts at the horizon)."""
    naming, raw = Naming(spec), spec.project.raw
    snapshot = naming.snapshot
    daily = calendar.daily
    if daily is None:
        return select(alias(raw_load_ts(spec, dialect), snapshot)).distinct(copy=False).from_(source(raw.load_log_table), copy=False)
    days = (daily.end - daily.start).days + 1
    places = len(str(max(days - 1, 1)))
    number: exp.Expression = col("d", "p0")
    query = select().from_(cte("digits", "p0"), copy=False)
    for place in range(1, places):
        number = exp.Add(this=number, expression=exp.Mul(this=col("d", f"p{place}"), expression=exp.Literal.number(10 ** place)))
        query = query.join(join_node(cte("digits", f"p{place}"), "cross"), copy=False)
    start = timestamp_literal(datetime.combine(daily.start, time()).isoformat(sep=" "))
    midnight = exp.Cast(this=exp.DateAdd(this=start, expression=number.copy(), unit=exp.Var(this="DAY")), to=data_type("TIMESTAMP"))
    query = query.select(alias(midnight, snapshot), copy=False).where(exp.LT(this=number, expression=exp.Literal.number(days)), copy=False)
    return query


def snapshot_ctes(spec: Spec, calendar: SnapshotCalendar, dialect: Dialect, incremental: bool) -> list[tuple[str, exp.Select]]:
    """CTEs ending in `snapshots`: the calendar's times up to the latest batch of this run (and, on an incremental
    run, after the latest time already stored)."""
    naming, raw = Naming(spec), spec.project.raw
    snapshot = naming.snapshot
    ctes: list[tuple[str, exp.Select]] = []
    if calendar.daily is not None:
        ctes.append(("digits", _digits()))
    ctes.append(("calendar", calendar_sql(spec, calendar, dialect)))
    # the latest batch of this run: snapshots after it would not see complete data yet
    horizon = select(alias(exp.Max(this=raw_load_ts(spec, dialect)), HORIZON)).from_(source(raw.load_log_table), copy=False).where(
        load_window(raw.load_timestamp_column), copy=False)
    ctes.append(("horizon", horizon))
    snapshots = (
        select(col(snapshot, "calendar"))
        .from_(cte("calendar", "calendar"), copy=False)
        .join(cte("horizon", "horizon"), on=exp.LTE(this=col(snapshot, "calendar"), expression=col(HORIZON, "horizon")), copy=False)
    )
    if incremental:
        stored = select(exp.Max(this=col(snapshot))).from_(this(), copy=False)
        snapshots = snapshots.where(exp.GT(this=col(snapshot, "calendar"),
                                           expression=exp.Coalesce(this=stored.subquery(copy=False), expressions=[timestamp_literal(GHOST_LOAD_TS)])), copy=False)
    ctes.append(("snapshots", snapshots))
    return ctes


def valid_at_snapshot(table: str, load_ts: str, snapshot_column: str) -> exp.Expression:
    """The row of `table` (with the load timestamp of the next row of its key in NEXT) is the one valid at the snapshot.

    The open end is the end of time, not `next IS NULL OR ...`: an OR in the join condition makes engines (DuckDB
    among them) plan a nested-loop join; a conjunction of comparisons next to the key equality stays a hash join."""
    snapshot = col(snapshot_column, "snapshots")
    open_end = exp.Coalesce(this=col(NEXT, table), expressions=[timestamp_literal(END_OF_TIME)])
    return exp.and_(
        exp.LTE(this=col(load_ts, table), expression=snapshot.copy()),
        exp.GT(this=open_end, expression=snapshot.copy()),
        copy=False,
    )


def pit_sql(spec: Spec, pit: PointInTime, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    hub = spec.entity(pit.hub)
    hub_key, load_ts, snapshot = naming.hash_key(hub.name), naming.load_ts, naming.snapshot
    ctes = snapshot_ctes(spec, pit.calendar, dialect, incremental)
    ctes.append(("hub_keys", select(col(hub_key), col(load_ts)).from_(ref(naming.model_name(hub)), copy=False).where(is_real_key(col(hub_key), spec), copy=False)))
    final = (
        select(col(hub_key, "hub_keys"), col(snapshot, "snapshots"))
        .from_(cte("hub_keys", "hub_keys"), copy=False)
        .join(cte("snapshots", "snapshots"), on=exp.LTE(this=col(load_ts, "hub_keys"), expression=col(snapshot, "snapshots")), copy=False)
    )
    for name in pit.satellites:
        satellite = spec.entity(name)
        key = naming.parent_key(satellite)
        loads = select(col(key), col(load_ts)).distinct(copy=False).from_(ref(naming.model_name(satellite)), copy=False).where(is_real_key(col(key), spec), copy=False)
        next_load = exp.Window(this=exp.Anonymous(this="LEAD", expressions=[col(load_ts)]), partition_by=[col(key)],
                               order=exp.Order(expressions=[ascending(col(load_ts))]))
        rows = select(col(key), col(load_ts), alias(next_load, NEXT)).from_(loads.subquery("loads", copy=False), copy=False)
        rows_cte = f"rows_{name}"
        ctes.append((rows_cte, rows))
        valid = exp.and_(
            exp.EQ(this=col(key, rows_cte), expression=col(hub_key, "hub_keys")),
            valid_at_snapshot(rows_cte, load_ts, snapshot),
            copy=False,
        )
        final = final.join(join_node(cte(rows_cte, rows_cte), "left", on=valid), copy=False).select(
            alias(exp.Coalesce(this=col(key, rows_cte), expressions=[exp.Literal.string(ghost_key(spec))]), naming.pit_key(name)),
            alias(exp.Coalesce(this=col(load_ts, rows_cte), expressions=[timestamp_literal(GHOST_LOAD_TS)]), naming.pit_load_ts(name)),
            copy=False,
        )
    return with_ctes(ctes, final)
