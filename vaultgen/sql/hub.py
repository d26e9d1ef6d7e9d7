"""Hub: every business key once, with the load timestamp and record source of its first appearance."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.graph import hub_feeds
from vaultgen.naming import Naming
from vaultgen.spec.model import Hub, Spec
from vaultgen.sql.common import (
    GHOST_LOAD_TS, GHOST_RECORD_SOURCE, alias, ascending, col, ghost_key, is_real_key, ref, row_number_is_first, this, timestamp_literal,
    typed_null, with_ctes,
)
from vaultgen.types import parse_source_type


def hub_sql(spec: Spec, hub: Hub, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key = naming.hash_key(hub.name)
    first_source = hub.sources[0]
    first_table = spec.table(first_source.table)
    key_types = [dialect.column_type(parse_source_type(first_table.column(c).type)) for c in first_source.columns]
    branches = []
    for feed in hub_feeds(spec, hub):
        branches.append(
            exp.select(
                alias(col(feed.hash_key_column), key),
                *[
                    alias(exp.Cast(this=col(column), to=exp.DataType.build(key_type, dialect=dialect.sqlglot_dialect)), business_key)
                    for column, business_key, key_type in zip(feed.columns, hub.business_keys, key_types)
                ],
                col(naming.load_ts),
                col(naming.record_source),
            ).from_(ref(naming.staging_model(feed.table)))
        )
    incoming = branches[0]
    for branch in branches[1:]:
        incoming = exp.union(incoming, branch, distinct=False)
    first_seen = (
        exp.select(exp.Star())
        .from_("incoming")
        .where(is_real_key(col(key), spec))
        .qualify(row_number_is_first([col(key)], [ascending(col(naming.load_ts)), ascending(col(naming.record_source))]))
    )
    final = exp.select(col(key), *[col(k) for k in hub.business_keys], col(naming.load_ts), col(naming.record_source)).from_("first_seen")
    if spec.project.ghost_records and not incremental:  # the ghost row is written once, when the table is built
        ghost = exp.select(
            alias(exp.Literal.string(ghost_key(spec)), key),
            *[alias(typed_null(key_type, dialect), business_key) for business_key, key_type in zip(hub.business_keys, key_types)],
            alias(timestamp_literal(GHOST_LOAD_TS), naming.load_ts),
            alias(exp.Literal.string(GHOST_RECORD_SOURCE), naming.record_source),
        )
        final = exp.union(final, ghost, distinct=False)
    if incremental:
        known = exp.select(exp.Literal.number(1)).from_(this("known")).where(
            exp.EQ(this=col(key, "known"), expression=col(key, "first_seen"))
        )
        final = final.where(exp.Not(this=exp.Exists(this=known)))
    return with_ctes([("incoming", incoming), ("first_seen", first_seen)], final)
