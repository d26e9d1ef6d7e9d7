"""Hub: every business key once, with the load timestamp and record source of its first appearance."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, data_type
from vaultgen.graph import hub_feeds
from vaultgen.naming import Naming
from vaultgen.spec.model import Hub, Spec
from vaultgen.sql.common import (
    GHOST_LOAD_TS, GHOST_RECORD_SOURCE, alias, col, cte, first_seen, only_new_keys, ref, select, timestamp_literal, typed_null, union_all, with_ctes, with_ghost_rows,
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
            select(
                alias(col(feed.hash_key_column), key),
                *[
                    alias(exp.Cast(this=col(column), to=data_type(key_type, dialect.sqlglot_dialect)), business_key)
                    for column, business_key, key_type in zip(feed.columns, hub.business_keys, key_types)
                ],
                col(naming.load_ts),
                col(naming.record_source),
            ).from_(ref(naming.staging_model(feed.table)), copy=False)
        )
    incoming = union_all(branches)
    earliest = first_seen(key, naming.load_ts, naming.record_source, spec)
    final = select(col(key), *[col(k) for k in hub.business_keys], col(naming.load_ts), col(naming.record_source)).from_(cte("first_seen"), copy=False)
    if incremental:
        final = only_new_keys(final, key)
    if spec.project.ghost_records:
        def ghost(value: str) -> exp.Select:
            return select(
                alias(exp.Literal.string(value), key),
                *[alias(typed_null(key_type, dialect), business_key) for business_key, key_type in zip(hub.business_keys, key_types)],
                alias(timestamp_literal(GHOST_LOAD_TS), naming.load_ts),
                alias(exp.Literal.string(GHOST_RECORD_SOURCE), naming.record_source),
            )
        final = with_ghost_rows(final, ghost, key, spec, incremental)
    return with_ctes([("incoming", incoming), ("first_seen", earliest)], final)
