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
from vaultgen.sql.common import alias, ascending, col, descending, is_real_key, ref, row_number_is_first, this, with_ctes, with_ghost_rows
from vaultgen.sql.satellite import ghost_row

PREVIOUS, ROW_HASHDIFF = "previous_hashdiff", "row_hashdiff"


def _table(name: str, table_alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)))


def multi_active_sql(spec: Spec, satellite: MultiActiveSatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    key, load_ts, hashdiff = naming.parent_key(satellite), naming.load_ts, naming.hashdiff
    hashing = spec.project.hashing
    incoming = (
        exp.select(col(key), alias(col(naming.staged_hashdiff(satellite)), ROW_HASHDIFF), col(load_ts), col(naming.record_source),
                   *[col(a) for a in satellite.attributes])
        .from_(ref(naming.staging_model(satellite.source)))
        .where(is_real_key(col(key), spec))
    )
    # one row per key, load and multi-active key
    rows = exp.select(exp.Star()).from_("incoming").qualify(
        row_number_is_first([col(key), col(load_ts), *[col(c) for c in satellite.multi_active_key]], [ascending(col(ROW_HASHDIFF))])
    )
    joined = exp.ArrayToString(this=exp.ArraySort(this=exp.ArrayAgg(this=col(ROW_HASHDIFF))), expression=exp.Literal.string(hashing.delimiter))
    sets = (
        exp.select(col(key), col(load_ts), alias(dialect.hash_hex(hashing.algorithm, joined), hashdiff))
        .from_("active_rows")
        .group_by(col(key), col(load_ts))
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("active_rows", rows), ("sets", sets)]
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(hashdiff, "batch")]),
        partition_by=[col(key, "batch")],
        order=exp.Order(expressions=[ascending(col(load_ts, "batch"))]),
    )
    batch_columns = [col(key, "batch"), col(load_ts, "batch"), col(hashdiff, "batch")]
    if incremental:
        latest = (
            exp.select(col(key), col(hashdiff), col(load_ts))
            .from_(this())
            .where(col(key).isin(query=exp.select(col(key)).from_("sets")))
            .qualify(row_number_is_first([col(key)], [descending(col(load_ts))]))
        )
        ctes.append(("latest", latest))
        changes = (
            exp.select(*batch_columns, alias(exp.Coalesce(this=previous, expressions=[col(hashdiff, "latest")]), PREVIOUS))
            .from_(_table("sets", "batch"))
            .join(_table("latest", "latest"), on=exp.EQ(this=col(key, "batch"), expression=col(key, "latest")), join_type="left")
            .where(exp.or_(exp.Is(this=col(load_ts, "latest"), expression=exp.Null()),
                           exp.GT(this=col(load_ts, "batch"), expression=col(load_ts, "latest"))))
        )
    else:
        changes = exp.select(*batch_columns, alias(previous, PREVIOUS)).from_(_table("sets", "batch"))
    ctes.append(("changes", changes))
    changed_sets = (
        exp.select(col(key), col(load_ts), col(hashdiff))
        .from_("changes")
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), exp.NEQ(this=col(hashdiff), expression=col(PREVIOUS))))
    )
    ctes.append(("changed_sets", changed_sets))
    final = (
        exp.select(col(key, "row"), col(hashdiff, "changed"), col(load_ts, "row"), col(naming.record_source, "row"),
                   *[col(a, "row") for a in satellite.attributes])
        .from_(_table("active_rows", "row"))
        .join(_table("changed_sets", "changed"),
              on=exp.and_(exp.EQ(this=col(key, "row"), expression=col(key, "changed")),
                          exp.EQ(this=col(load_ts, "row"), expression=col(load_ts, "changed"))), join_type="inner")
    )
    if spec.project.ghost_records:
        final = with_ghost_rows(final, lambda value: ghost_row(spec, satellite, dialect, [key], value), key, spec, incremental)
    return with_ctes(ctes, final)
