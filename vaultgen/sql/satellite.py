"""Satellite: insert-only history of a parent's attributes.

A row is inserted only when its hashdiff differs from the previous row of the same key; several changes of
one key inside one window are kept in load order, A -> B -> A included. On an incremental run only the
latest stored row of the keys in the batch is read, and rows not newer than it are skipped, so re-running a
batch inserts nothing.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect

from vaultgen.naming import Naming
from vaultgen.spec.model import ReferenceTable, Satellite, Spec
from vaultgen.sql.common import (
    GHOST_LOAD_TS, GHOST_RECORD_SOURCE, alias, ascending, col, cte, descending, ghost_key, is_real_key, latest_per_key, previous_value, ref,
    row_number_is_first, select, this, timestamp_literal, typed_null, with_ctes, with_ghost_rows,
)
from vaultgen.types import parse_source_type

PREVIOUS = "previous_hashdiff"


def history_sql(spec: Spec, keys: list[str], staged_hashdiff: str, source: str, attributes: list[str], key_filter: exp.Expression,
                incremental: bool, sequence: str | None = None) -> tuple[exp.Select, list[tuple[str, exp.Select]]]:
    """The insert-only history of `attributes` per `keys` (the final query and its CTEs), shared by satellites and
    reference tables. `sequence` orders several rows of one key within a batch (a CDC table's change sequence):
    the last one is the key's state at the end of the batch."""
    naming = Naming(spec)
    load_ts, hashdiff = naming.load_ts, naming.hashdiff
    key_columns = [col(k) for k in keys]
    incoming = (
        select(
            *key_columns,
            alias(col(staged_hashdiff), hashdiff),
            col(load_ts),
            col(naming.record_source),
            *[col(a) for a in attributes],
            *([col(sequence)] if sequence and sequence not in attributes else []),
        )
        .from_(ref(naming.staging_model(source)), copy=False)
        .where(key_filter, copy=False)
    )
    # one row per key and load: a source that repeats a key within a batch must not create fake changes; the
    # latest change of the batch when a sequence says which that is, else a deterministic pick
    order = ([descending(col(sequence))] if sequence else []) + [ascending(col(hashdiff))]
    one_per_load = select(exp.Star()).from_(cte("incoming"), copy=False).qualify(
        row_number_is_first([*[k.copy() for k in key_columns], col(load_ts)], order), copy=False
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("one_per_load", one_per_load)]
    columns = [*[k.copy() for k in key_columns], col(hashdiff), col(load_ts), col(naming.record_source), *[col(a) for a in attributes]]
    if incremental:
        latest = latest_per_key(this(), keys, [hashdiff], load_ts)
        if len(keys) == 1:  # read only the keys of the batch
            latest = latest.where(col(keys[0]).isin(query=select(col(keys[0])).from_(cte("one_per_load"), copy=False), copy=False), copy=False)
        ctes.append(("latest", latest))
    changes = previous_value("one_per_load", keys, hashdiff, load_ts, PREVIOUS, "latest" if incremental else None)
    ctes.append(("changes", changes))
    final = (
        select(*columns)
        .from_(cte("changes"), copy=False)
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), exp.NEQ(this=col(hashdiff), expression=col(PREVIOUS)), copy=False), copy=False)
    )
    return final, ctes


def satellite_sql(spec: Spec, satellite: Satellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key = naming.parent_key(satellite)
    key_filter = is_real_key(col(key), spec)
    cdc = spec.table(satellite.source).cdc
    if cdc is not None:  # a CDC delete carries no new attribute values: record tracking records it
        key_filter = exp.and_(key_filter, exp.NEQ(this=col(cdc.operation_column), expression=exp.Literal.string(cdc.delete)), copy=False)
    final, ctes = history_sql(spec, [key], naming.staged_hashdiff(satellite), satellite.source, satellite.attributes, key_filter, incremental,
                              sequence=cdc.sequence_column if cdc is not None else None)
    if spec.project.ghost_records:
        final = with_ghost_rows(final, lambda value: ghost_row(spec, satellite, dialect, [key], value), key, spec, incremental)
    return with_ctes(ctes, final)


def ghost_row(spec: Spec, satellite: Satellite, dialect: Dialect, keys: list[str], value: str | None = None) -> exp.Select:
    """The row of a sentinel key (default the null sentinel): that key, the null sentinel as hashdiff, the ghost load
    timestamp, NULL attributes."""
    naming = Naming(spec)
    table = spec.table(satellite.source)
    return select(
        *[alias(exp.Literal.string(value or ghost_key(spec)), k) for k in keys],
        alias(exp.Literal.string(ghost_key(spec)), naming.hashdiff),
        alias(timestamp_literal(GHOST_LOAD_TS), naming.load_ts),
        alias(exp.Literal.string(GHOST_RECORD_SOURCE), naming.record_source),
        *[alias(typed_null(dialect.column_type(parse_source_type(table.column(a).type)), dialect), a) for a in satellite.attributes],
    )


def reference_table_sql(spec: Spec, reference: ReferenceTable, dialect: Dialect, incremental: bool) -> exp.Select:
    """Reference table: the insert-only history of its attributes per code (no hash key, no ghost row)."""
    naming = Naming(spec)
    key_filter = exp.and_(*[exp.Not(this=exp.Is(this=col(c), expression=exp.Null())) for c in reference.code], copy=False)
    final, ctes = history_sql(spec, reference.code, naming.staged_hashdiff(reference), reference.source, reference.attributes,
                              key_filter, incremental)
    return with_ctes(ctes, final)
