"""Link: every combination of hub keys once, with the load timestamp of its first appearance.

A non-historized (transactional) link is the same with the payload of the event as first seen: events do not
change, so a later different payload for the same key is not recorded.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import Link, Spec
from vaultgen.sql.common import col, cte, first_seen, only_new_keys, ref, select, union_all, with_ctes


def link_sql(spec: Spec, link: Link, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key = naming.hash_key(link.name)
    role_keys = [naming.hash_key(reference.role_name) for reference in link.references]
    payload = getattr(link, "payload", [])  # a non-historized link carries its event's payload
    branches = [
        select(col(key), *[col(k) for k in role_keys], col(naming.load_ts), col(naming.record_source), *[col(p) for p in payload]).from_(
            ref(naming.staging_model(source.table)), copy=False
        )
        for source in sorted(link.sources, key=lambda s: s.table)
    ]
    incoming = union_all(branches)
    earliest = first_seen(key, naming.load_ts, naming.record_source, spec)
    final = select(
        col(key), *[col(k) for k in role_keys], col(naming.load_ts), col(naming.record_source), *[col(p) for p in payload]
    ).from_(cte("first_seen"), copy=False)
    if incremental:
        final = only_new_keys(final, key)
    return with_ctes([("incoming", incoming), ("first_seen", earliest)], final)
