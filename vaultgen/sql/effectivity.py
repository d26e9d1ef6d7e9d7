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
from vaultgen.sql.common import (
    alias, ascending, col, cte, is_real_key, latest_per_key, previous_value, ref, row_number_is_first, select, this, with_ctes,
)

PREVIOUS = "previous_link_key"


def effectivity_sql(spec: Spec, satellite: EffectivitySatellite, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    link_key, load_ts, record_source = naming.parent_key(satellite), naming.load_ts, naming.record_source
    status = spec.project.naming.effectivity_status_column
    drivers = [naming.hash_key(role) for role in satellite.driving_keys]
    incoming = (
        select(col(link_key), *[col(d) for d in drivers], col(load_ts), col(record_source))
        .from_(ref(naming.staging_model(satellite.source)), copy=False)
        .where(exp.and_(is_real_key(col(link_key), spec), *[is_real_key(col(d), spec) for d in drivers], copy=False), copy=False)
    )
    # one relationship per driving key and load (deterministic if a snapshot carries two)
    one_per_load = select(exp.Star()).from_(cte("incoming"), copy=False).qualify(
        row_number_is_first([*[col(d) for d in drivers], col(load_ts)], [ascending(col(link_key))]), copy=False
    )
    ctes: list[tuple[str, exp.Select]] = [("incoming", incoming), ("one_per_load", one_per_load)]
    if incremental:
        # the relationship in effect per driving key: its latest start (one start per driving key and load)
        ctes.append(("in_effect", latest_per_key(this(), drivers, [link_key], load_ts).where(col(status), copy=False)))
    changes = previous_value("one_per_load", drivers, link_key, load_ts, PREVIOUS, "in_effect" if incremental else None,
                             columns=[link_key, *drivers, load_ts, record_source])
    ctes.append(("changes", changes))
    changed = exp.NEQ(this=col(link_key), expression=col(PREVIOUS))
    starts = (
        select(col(link_key), *[col(d) for d in drivers], col(load_ts), col(record_source), alias(exp.true(), status))
        .from_(cte("changes"), copy=False)
        .where(exp.or_(exp.Is(this=col(PREVIOUS), expression=exp.Null()), changed.copy(), copy=False), copy=False)
    )
    ends = (
        select(alias(col(PREVIOUS), link_key), *[col(d) for d in drivers], col(load_ts), col(record_source), alias(exp.false(), status))
        .from_(cte("changes"), copy=False)
        .where(exp.and_(exp.Not(this=exp.Is(this=col(PREVIOUS), expression=exp.Null())), changed, copy=False), copy=False)
    )
    return with_ctes(ctes, exp.union(starts, ends, distinct=False, copy=False))
