"""Multi-active satellite: several active rows per parent key, historized as a set.

The set hashdiff of a key at a load is the hash of its rows' hashdiffs, sorted and joined; when it differs from
the key's previous set, every row of the new set is inserted with that load timestamp. Rows are told apart by
the multi-active key; A -> B -> A of a whole set is kept. On an incremental run only the latest stored set
hashdiff of the keys in the batch is read, as for a satellite.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import MultiActiveSatellite, Spec
from vaultgen.sql.common import (
    alias, ascending, col, cte, descending, is_real_key, join_node, previous_value, ref, row_number_is_first, select, this, with_ctes, with_ghost_rows,
)
from vaultgen.sql.satellite import ghost_row

PREVIOUS, ROW_HASHDIFF = "previous_hashdiff", "row_hashdiff"


def multi_active_sql(spec: Spec, satellite: MultiActiveSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key, load_ts, hashdiff = naming.parent_key(satellite), naming.load_ts, naming.hashdiff
    hashing = spec.project.hashing
    incoming = (
        select(col(key), alias(col(naming.staged_hashdiff(satellite)), ROW_HASHDIFF), col(load_ts), col(naming.record_source),
                   *[col(a) for a in satellite.attributes])
        .from_(ref(naming.staging_model(satellite.source)), copy=False)
        .where(is_real_key(col(key), spec), copy=False)
    )
    # one row per key, load and multi-active key
    rows = select(exp.Star()).from_(cte("incoming"), copy=False).qualify(
        row_number_is_first([col(key), col(load_ts), *[col(c) for c in satellite.multi_active_key]], [ascending(col(ROW_HASHDIFF))]), copy=False
    )
    joined = exp.ArrayToString(this=exp.ArraySort(this=exp.ArrayAgg(this=col(ROW_HASHDIFF))), expression=exp.Literal.string(hashing.delimiter))
    sets = (
        select(col(key), col(load_ts), alias(dialect.hash_hex(hashing.algorithm, joined), hashdiff))
        .from_(cte("active_rows"), copy=False)
        .group_by(col(key), col(load_ts), copy=False)
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("active_rows", rows), ("sets", sets)]
    if incremental:
        latest = (
            select(col(key), col(hashdiff), col(load_ts))
            .from_(this(), copy=False)
            .where(col(key).isin(query=select(col(key)).from_(cte("sets"), copy=False), copy=False), copy=False)
            .qualify(row_number_is_first([col(key)], [descending(col(load_ts))]), copy=False)
        )
        ctes.append(("latest", latest))
    changes = previous_value("sets", [key], hashdiff, load_ts, PREVIOUS, "latest" if incremental else None, columns=[key, load_ts, hashdiff])
    ctes.append(("changes", changes))
    changed_sets = (
        select(col(key), col(load_ts), col(hashdiff))
        .from_(cte("changes"), copy=False)
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), exp.NEQ(this=col(hashdiff), expression=col(PREVIOUS)), copy=False), copy=False)
    )
    ctes.append(("changed_sets", changed_sets))
    final = (
        select(col(key, "row"), col(hashdiff, "changed"), col(load_ts, "row"), col(naming.record_source, "row"),
                   *[col(a, "row") for a in satellite.attributes])
        .from_(cte("active_rows", "row"), copy=False)
        .join(join_node(cte("changed_sets", "changed"), "inner",
                        on=exp.and_(exp.EQ(this=col(key, "row"), expression=col(key, "changed")),
                                    exp.EQ(this=col(load_ts, "row"), expression=col(load_ts, "changed")), copy=False)), copy=False)
    )
    if spec.project.ghost_records:
        final = with_ghost_rows(final, lambda value: ghost_row(spec, satellite, dialect, [key], value), key, spec, incremental)
    return with_ctes(ctes, final)
