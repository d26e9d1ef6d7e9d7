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
from vaultgen.spec.model import Satellite, Spec
from vaultgen.sql.common import (
    GHOST_LOAD_TS, GHOST_RECORD_SOURCE, alias, ascending, col, descending, ghost_key, is_real_key, ref, row_number_is_first, this,
    timestamp_literal, typed_null, with_ctes,
)
from vaultgen.types import parse_source_type

PREVIOUS = "previous_hashdiff"


def satellite_sql(spec: Spec, satellite: Satellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key, load_ts, hashdiff = naming.parent_key(satellite), naming.load_ts, naming.hashdiff
    incoming = (
        exp.select(
            col(key),
            alias(col(naming.staged_hashdiff(satellite)), hashdiff),
            col(load_ts),
            col(naming.record_source),
            *[col(a) for a in satellite.attributes],
        )
        .from_(ref(naming.staging_model(satellite.source)))
        .where(is_real_key(col(key), spec))
    )
    # one row per key and load: a source that repeats a key within a batch must not create fake changes
    one_per_load = exp.select(exp.Star()).from_("incoming").qualify(
        row_number_is_first([col(key), col(load_ts)], [ascending(col(hashdiff))])
    )
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(hashdiff, "batch")]),
        partition_by=[col(key, "batch")],
        order=exp.Order(expressions=[ascending(col(load_ts, "batch"))]),
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("one_per_load", one_per_load)]
    columns = [col(key), col(hashdiff), col(load_ts), col(naming.record_source), *[col(a) for a in satellite.attributes]]
    if incremental:
        latest = (
            exp.select(col(key), col(hashdiff), col(load_ts))
            .from_(this())
            .where(col(key).isin(query=exp.select(col(key)).from_("one_per_load")))
            .qualify(row_number_is_first([col(key)], [descending(col(load_ts))]))
        )
        ctes.append(("latest", latest))
        changes = (
            exp.select(
                exp.Column(this=exp.Star(), table=exp.to_identifier("batch", quoted=True)),
                alias(exp.Coalesce(this=previous, expressions=[col(hashdiff, "latest")]), PREVIOUS),
            )
            .from_(exp.Table(this=exp.to_identifier("one_per_load"), alias=exp.TableAlias(this=exp.to_identifier("batch", quoted=True))))
            .join(
                exp.Table(this=exp.to_identifier("latest"), alias=exp.TableAlias(this=exp.to_identifier("latest", quoted=True))),
                on=exp.EQ(this=col(key, "batch"), expression=col(key, "latest")),
                join_type="left",
            )
            .where(
                exp.or_(
                    exp.Is(this=col(load_ts, "latest"), expression=exp.Null()),
                    exp.GT(this=col(load_ts, "batch"), expression=col(load_ts, "latest")),
                )
            )
        )
    else:
        changes = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier("batch", quoted=True)), alias(previous, PREVIOUS)
        ).from_(exp.Table(this=exp.to_identifier("one_per_load"), alias=exp.TableAlias(this=exp.to_identifier("batch", quoted=True))))
    ctes.append(("changes", changes))
    final = (
        exp.select(*columns)
        .from_("changes")
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), exp.NEQ(this=col(hashdiff), expression=col(PREVIOUS))))
    )
    if spec.project.ghost_records and not incremental:
        final = exp.union(final, ghost_row(spec, satellite, dialect, [key]), distinct=False)
    return with_ctes(ctes, final)


def ghost_row(spec: Spec, satellite: Satellite, dialect: Dialect, keys: list[str]) -> exp.Select:
    """The zero-key row: null sentinel key(s) and hashdiff, the ghost load timestamp, NULL attributes."""
    naming = Naming(spec)
    table = spec.table(satellite.source)
    return exp.select(
        *[alias(exp.Literal.string(ghost_key(spec)), k) for k in keys],
        alias(exp.Literal.string(ghost_key(spec)), naming.hashdiff),
        alias(timestamp_literal(GHOST_LOAD_TS), naming.load_ts),
        alias(exp.Literal.string(GHOST_RECORD_SOURCE), naming.record_source),
        *[alias(typed_null(dialect.column_type(parse_source_type(table.column(a).type)), dialect), a) for a in satellite.attributes],
    )
