"""Effectivity satellite: which relationship of a link is in effect for its driving key(s).

Insert-only. Per driving key, when a batch carries a relationship other than the one in effect, a row ends the
old relationship (is_active = false) and a row starts the new one (is_active = true), both at the batch's load
timestamp; A -> B -> A starts A again. A driving key missing from a snapshot ends nothing (record tracking says
whether the key was deleted). On an incremental run only the relationship in effect per driving key is read.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import EffectivitySatellite, Spec
from vaultgen.sql.common import alias, ascending, col, descending, is_real_key, latest_per_key, ref, row_number_is_first, this, with_ctes

PREVIOUS = "previous_link_key"


def _table(name: str, table_alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)))


def effectivity_sql(spec: Spec, satellite: EffectivitySatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    link_key, load_ts, record_source = naming.parent_key(satellite), naming.load_ts, naming.record_source
    status = spec.project.naming.effectivity_status_column
    drivers = [naming.hash_key(role) for role in satellite.driving_keys]
    incoming = (
        exp.select(col(link_key), *[col(d) for d in drivers], col(load_ts), col(record_source))
        .from_(ref(naming.staging_model(satellite.source)))
        .where(exp.and_(is_real_key(col(link_key), spec), *[is_real_key(col(d), spec) for d in drivers]))
    )
    # one relationship per driving key and load (deterministic if a snapshot carries two)
    one_per_load = exp.select(exp.Star()).from_("incoming").qualify(
        row_number_is_first([*[col(d) for d in drivers], col(load_ts)], [ascending(col(link_key))])
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("one_per_load", one_per_load)]
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(link_key, "batch")]),
        partition_by=[col(d, "batch") for d in drivers],
        order=exp.Order(expressions=[ascending(col(load_ts, "batch"))]),
    )
    batch_columns = [col(link_key, "batch"), *[col(d, "batch") for d in drivers], col(load_ts, "batch"), col(record_source, "batch")]
    if incremental:
        # the relationship in effect per driving key: its latest start (one start per driving key and load)
        in_effect = latest_per_key(this(), drivers, [link_key], load_ts).where(col(status))
        ctes.append(("in_effect", in_effect))
        changes = (
            exp.select(*batch_columns, alias(exp.Coalesce(this=previous, expressions=[col(link_key, "in_effect")]), PREVIOUS))
            .from_(_table("one_per_load", "batch"))
            .join(_table("in_effect", "in_effect"),
                  on=exp.and_(*[exp.EQ(this=col(d, "batch"), expression=col(d, "in_effect")) for d in drivers]), join_type="left")
            .where(exp.or_(exp.Is(this=col(load_ts, "in_effect"), expression=exp.Null()),
                           exp.GT(this=col(load_ts, "batch"), expression=col(load_ts, "in_effect"))))
        )
    else:
        changes = exp.select(*batch_columns, alias(previous, PREVIOUS)).from_(_table("one_per_load", "batch"))
    ctes.append(("changes", changes))
    changed = exp.NEQ(this=col(link_key), expression=col(PREVIOUS))
    starts = (
        exp.select(col(link_key), *[col(d) for d in drivers], col(load_ts), col(record_source), alias(exp.true(), status))
        .from_("changes")
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), changed.copy()))
    )
    ends = (
        exp.select(alias(col(PREVIOUS), link_key), *[col(d) for d in drivers], col(load_ts), col(record_source), alias(exp.false(), status))
        .from_("changes")
        .where(exp.and_(exp.Not(this=exp.Is(this=col(PREVIOUS), expression=exp.Null())), changed))
    )
    return with_ctes(ctes, exp.union(starts, ends, distinct=False))
