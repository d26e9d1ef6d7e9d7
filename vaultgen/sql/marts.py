"""Star-schema marts on PIT and bridge tables: dimensions, facts and aggregates, rebuilt as tables on every run.

- dimension: one row per hub key at the PIT's latest snapshot; the PIT's pointers join every satellite with an
  inner join (a key without a satellite row points at its ghost row), optionally keeping only the keys present
  per a record tracking satellite.
- fact: the bridge combinations in effect now (per step: the relationship in effect for its driving key per an
  effectivity satellite, the link row present per a record tracking satellite), the hub keys of every link on
  the path, and the current row of a payload satellite; derived measures are products of columns and of
  complements (1 - column).
- aggregate: measures of a fact (sum, count, count_distinct, avg, min, max of a column) grouped by columns of the
  fact or of its dimensions (joined on their hub key), optionally the year or month of a date.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import Aggregate, Complement, Dimension, Fact, Spec
from vaultgen.sql.bridge import bridge_columns, step_alias
from vaultgen.sql.common import alias, aliased, col, cte, descending, is_real_key, join_node, ref, row_number_is_first, select, with_ctes

LATEST = "latest_snapshot"


def _named(table: exp.Table | str, table_alias: str) -> exp.Table:
    return cte(table, table_alias) if isinstance(table, str) else aliased(table, table_alias)


def _latest_row(spec: Spec, model: str, key: str, columns: list[str]) -> exp.Select:
    """The latest row per key of an insert-only model."""
    naming = Naming(spec)
    return (
        select(*[col(c) for c in columns])
        .from_(ref(model), copy=False)
        .where(is_real_key(col(key), spec), copy=False)
        .qualify(row_number_is_first([col(key)], [descending(col(naming.load_ts))]), copy=False)
    )


def present_keys(spec: Spec, tracking_name: str) -> exp.Select:
    """Keys whose latest record tracking row says present."""
    naming = Naming(spec)
    tracking = spec.entity(tracking_name)
    key, status = naming.parent_key(tracking), spec.project.naming.status_column
    latest = _latest_row(spec, naming.model_name(tracking), key, [key, status])
    return select(col(key)).from_(latest.subquery("latest", copy=False), copy=False).where(col(status), copy=False)


def in_effect_keys(spec: Spec, effectivity_name: str) -> exp.Select:
    """Link keys of the relationship in effect for each driving key (an end and a start at one load: the start)."""
    naming = Naming(spec)
    effectivity = spec.entity(effectivity_name)
    key, status = naming.parent_key(effectivity), spec.project.naming.effectivity_status_column
    drivers = [col(naming.hash_key(role)) for role in effectivity.driving_keys]
    latest = (
        select(col(key), col(status))
        .from_(ref(naming.model_name(effectivity)), copy=False)
        .qualify(row_number_is_first(drivers, [descending(col(naming.load_ts)), descending(col(status))]), copy=False)
    )
    return select(col(key)).from_(latest.subquery("latest", copy=False), copy=False).where(col(status), copy=False)


def dimension_columns(spec: Spec, dimension: Dimension) -> list[str]:
    naming = Naming(spec)
    hub = spec.entity(spec.entity(dimension.pit).hub)
    return [naming.hash_key(hub.name), *hub.business_keys, *[c for group in dimension.attributes for c in group.columns]]


def dimension_sql(spec: Spec, dimension: Dimension, dialect: Dialect, incremental: bool = False) -> exp.Select:
    naming = Naming(spec)
    pit = spec.entity(dimension.pit)
    hub = spec.entity(pit.hub)
    hub_key, snapshot = naming.hash_key(hub.name), naming.snapshot
    latest = select(alias(exp.Max(this=col(snapshot)), snapshot)).from_(ref(naming.model_name(pit)), copy=False)
    query = (
        select(col(hub_key, "pit"), *[col(bk, "hub") for bk in hub.business_keys])
        .from_(_named(ref(naming.model_name(pit)), "pit"), copy=False)
        .join(_named(LATEST, LATEST), on=exp.EQ(this=col(snapshot, "pit"), expression=col(snapshot, LATEST)), copy=False)
        .join(_named(ref(naming.model_name(hub)), "hub"), on=exp.EQ(this=col(hub_key, "hub"), expression=col(hub_key, "pit")), copy=False)
    )
    for group in dimension.attributes:
        satellite = spec.entity(group.satellite)
        on = exp.and_(
            exp.EQ(this=col(naming.parent_key(satellite), group.satellite), expression=col(naming.pit_key(group.satellite), "pit")),
            exp.EQ(this=col(naming.load_ts, group.satellite), expression=col(naming.pit_load_ts(group.satellite), "pit")),
            copy=False,
        )
        query = query.join(_named(ref(naming.model_name(satellite)), group.satellite), on=on, copy=False).select(
            *[col(c, group.satellite) for c in group.columns], copy=False)
    if dimension.tracking:
        query = query.where(col(hub_key, "pit").isin(query=present_keys(spec, dimension.tracking), copy=False), copy=False)
    return with_ctes([(LATEST, latest)], query)


def fact_columns(spec: Spec, fact: Fact) -> list[str]:
    naming = Naming(spec)
    bridge = spec.entity(fact.bridge)
    columns = bridge_columns(spec, bridge)
    for step in bridge.path:
        for reference in spec.entity(step.link).references:
            if naming.hash_key(reference.role_name) not in columns:
                columns.append(naming.hash_key(reference.role_name))
    return [*columns, *fact.measures, *[d.name for d in fact.derived]]


def fact_sql(spec: Spec, fact: Fact, dialect: Dialect, incremental: bool = False) -> exp.Select:
    naming = Naming(spec)
    bridge = spec.entity(fact.bridge)
    keys = bridge_columns(spec, bridge)
    query = select(*[col(k, "bridge") for k in keys]).from_(_named(ref(naming.model_name(bridge)), "bridge"), copy=False)
    seen = set(keys)
    for index, step in enumerate(bridge.path):
        link = spec.entity(step.link)
        link_key = naming.hash_key(link.name)
        if step.effectivity:
            query = query.where(col(link_key, "bridge").isin(query=in_effect_keys(spec, step.effectivity), copy=False), copy=False)
        if step.tracking:
            query = query.where(col(link_key, "bridge").isin(query=present_keys(spec, step.tracking), copy=False), copy=False)
        extra = [naming.hash_key(r.role_name) for r in link.references if naming.hash_key(r.role_name) not in seen]
        if extra:
            here = step_alias(index)
            query = query.join(_named(ref(naming.model_name(link)), here),
                               on=exp.EQ(this=col(link_key, here), expression=col(link_key, "bridge")), copy=False).select(*[col(k, here) for k in extra], copy=False)
            seen.update(extra)
    if bridge.calendar is not None:  # a snapshot bridge: its latest snapshot
        latest = select(exp.Max(this=col(naming.snapshot))).from_(ref(naming.model_name(bridge)), copy=False)
        query = query.where(exp.EQ(this=col(naming.snapshot, "bridge"), expression=latest.subquery(copy=False)), copy=False)
    satellite = spec.entity(fact.satellite)
    key = naming.parent_key(satellite)
    payload = _latest_row(spec, naming.model_name(satellite), key, [key, *fact.measures])
    query = query.join(join_node(_named("payload", "payload"), "left", on=exp.EQ(this=col(key, "payload"), expression=col(key, "bridge"))), copy=False)
    query = query.select(*[col(m, "payload") for m in fact.measures], copy=False)
    for derived in fact.derived:
        factors = [
            exp.Paren(this=exp.Sub(this=exp.Literal.number(1), expression=col(f.complement, "payload"))) if isinstance(f, Complement)
            else col(f, "payload")
            for f in derived.product
        ]
        product = factors[0]
        for factor in factors[1:]:
            product = exp.Mul(this=product, expression=factor)
        query = query.select(alias(product, derived.name), copy=False)
    return with_ctes([("payload", payload)], query)


def group_name(group) -> str:
    return group.name or (f"{group.column}_{group.part}" if group.part else group.column)


def aggregate_columns(spec: Spec, aggregate: Aggregate) -> list[str]:
    return [*[group_name(g) for g in aggregate.group_by], *[m.name for m in aggregate.measures]]


def _dimension_alias(group) -> str:
    return f"{group.dimension}__{group.role or 'hub'}"


FUNCTIONS = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "count": exp.Count}


def aggregate_sql(spec: Spec, aggregate: Aggregate, dialect: Dialect, incremental: bool = False) -> exp.Select:
    naming = Naming(spec)
    fact = spec.entity(aggregate.fact)
    query = select().from_(_named(ref(naming.model_name(fact)), "fact"), copy=False)
    joined: set[str] = set()
    groups = []
    for group in aggregate.group_by:
        if group.dimension is None:
            value: exp.Expression = col(group.column, "fact")
        else:
            dimension = spec.entity(group.dimension)
            hub_key = naming.hash_key(spec.entity(dimension.pit).hub)
            here = _dimension_alias(group)
            if here not in joined:
                fact_key = naming.hash_key(group.role) if group.role else hub_key
                query = query.join(join_node(_named(ref(naming.model_name(dimension)), here), "left",
                                             on=exp.EQ(this=col(hub_key, here), expression=col(fact_key, "fact"))), copy=False)
                joined.add(here)
            value = col(group.column, here)
        if group.part == "year":
            value = exp.Year(this=value)
        elif group.part == "month":
            value = exp.Month(this=value)
        groups.append(value)
        query = query.select(alias(value.copy(), group_name(group)), copy=False)
    for measure in aggregate.measures:
        if measure.function == "count_distinct":
            value = exp.Count(this=exp.Distinct(expressions=[col(measure.column, "fact")]))
        else:
            value = FUNCTIONS[measure.function](this=col(measure.column, "fact"))
        query = query.select(alias(value, measure.name), copy=False)
    return query.group_by(*groups, copy=False)
