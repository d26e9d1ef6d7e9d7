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
from vaultgen.sql.common import (
    alias, ascending, col, descending, is_real_key, latest_per_key, load_window, raw_load_ts, ref, row_number_is_first, source, this, with_ctes,
)

PREVIOUS = "previous_is_present"


def _table(name: str, table_alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)))


def record_tracking_sql(spec: Spec, satellite: RecordTrackingSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    if spec.table(satellite.source).load == "cdc":
        return cdc_record_tracking_sql(spec, satellite, dialect, incremental)
    naming = Naming(spec)
    raw = spec.project.raw
    key, load_ts, status = naming.parent_key(satellite), naming.load_ts, spec.project.naming.status_column
    batches = (
        exp.select(alias(raw_load_ts(spec, dialect), load_ts))
        .distinct()
        .from_(source(raw.load_log_table))
        .where(exp.and_(exp.EQ(this=col("table_name"), expression=exp.Literal.string(satellite.source)), load_window(raw.load_timestamp_column)))
    )
    seen = (
        exp.select(col(key), col(load_ts))
        .distinct()
        .from_(ref(naming.staging_model(satellite.source)))
        .where(is_real_key(col(key), spec))
    )
    keys = exp.select(col(key)).from_("seen")
    ctes: list[tuple[str, exp.Select]] = [("batches", batches), ("seen", seen)]
    if incremental:
        latest = latest_per_key(this(), [key], [status], load_ts)
        ctes.append(("latest", latest))
        keys = exp.union(keys, exp.select(col(key)).from_("latest"), distinct=True)
    else:
        keys = keys.distinct()
    ctes.append(("tracked_keys", keys))
    present = exp.Not(this=exp.Is(this=col(key, "seen"), expression=exp.Null()))
    grid = (
        exp.select(col(key, "tracked"), col(load_ts, "batch"), alias(present, status))
        .from_(_table("tracked_keys", "tracked"))
        .join(_table("batches", "batch"), join_type="cross")
        .join(
            _table("seen", "seen"),
            on=exp.and_(exp.EQ(this=col(key, "seen"), expression=col(key, "tracked")), exp.EQ(this=col(load_ts, "seen"), expression=col(load_ts, "batch"))),
            join_type="left",
        )
    )
    ctes.append(("grid", grid))
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(status, "grid")]),
        partition_by=[col(key, "grid")],
        order=exp.Order(expressions=[ascending(col(load_ts, "grid"))]),
    )
    if incremental:
        changes = (
            exp.select(col(key, "grid"), col(load_ts, "grid"), col(status, "grid"),
                       alias(exp.Coalesce(this=previous, expressions=[col(status, "latest")]), PREVIOUS))
            .from_(_table("grid", "grid"))
            .join(_table("latest", "latest"), on=exp.EQ(this=col(key, "grid"), expression=col(key, "latest")), join_type="left")
            .where(exp.or_(exp.Is(this=col(load_ts, "latest"), expression=exp.Null()), exp.GT(this=col(load_ts, "grid"), expression=col(load_ts, "latest"))))
        )
    else:
        changes = exp.select(col(key, "grid"), col(load_ts, "grid"), col(status, "grid"), alias(previous, PREVIOUS)).from_(_table("grid", "grid"))
    ctes.append(("changes", changes))
    first_or_changed = exp.or_(
        exp.and_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), col(status)),
        exp.NEQ(this=col(status), expression=col(PREVIOUS)),
    )
    final = exp.select(
        col(key), col(load_ts), alias(exp.Literal.string(record_source(spec, satellite.source)), naming.record_source), col(status)
    ).from_("changes").where(first_or_changed)
    return with_ctes(ctes, final)


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
        exp.select(col(key), col(load_ts), alias(exp.Not(this=is_delete(spec, satellite.source)), status))
        .from_(ref(naming.staging_model(satellite.source)))
        .where(is_real_key(col(key), spec))
        .qualify(row_number_is_first([col(key), col(load_ts)], order))
    )
    ctes: list[tuple[str, exp.Select]] = [("last_operation", last_operation)]
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(status, "batch")]),
        partition_by=[col(key, "batch")],
        order=exp.Order(expressions=[ascending(col(load_ts, "batch"))]),
    )
    batch_columns = [col(key, "batch"), col(load_ts, "batch"), col(status, "batch")]
    if incremental:
        latest = latest_per_key(this(), [key], [status], load_ts)
        ctes.append(("latest", latest))
        changes = (
            exp.select(*batch_columns, alias(exp.Coalesce(this=previous, expressions=[col(status, "latest")]), PREVIOUS))
            .from_(_table("last_operation", "batch"))
            .join(_table("latest", "latest"), on=exp.EQ(this=col(key, "batch"), expression=col(key, "latest")), join_type="left")
            .where(exp.or_(exp.Is(this=col(load_ts, "latest"), expression=exp.Null()),
                           exp.GT(this=col(load_ts, "batch"), expression=col(load_ts, "latest"))))
        )
    else:
        changes = exp.select(*batch_columns, alias(previous, PREVIOUS)).from_(_table("last_operation", "batch"))
    ctes.append(("changes", changes))
    first_or_changed = exp.or_(
        exp.and_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), col(status)),
        exp.NEQ(this=col(status), expression=col(PREVIOUS)),
    )
    final = exp.select(
        col(key), col(load_ts), alias(exp.Literal.string(record_source(spec, satellite.source)), naming.record_source), col(status)
    ).from_("changes").where(first_or_changed)
    return with_ctes(ctes, final)
