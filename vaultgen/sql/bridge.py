"""Bridge table: every combination of link rows along a path of links (customer -> order -> product).

A row holds the start hub's key, then per step the link's key and the key it leads to, and the load timestamp
of the latest link row of the combination (when the combination became known). Insert-only: an incremental run
adds only combinations not stored yet. Which combinations are in effect at a time is read from the steps'
effectivity and record tracking satellites by the facts built on the bridge.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import Bridge, Spec
from vaultgen.sql.common import alias, col, ref, this


def _named(table: exp.Table, table_alias: str) -> exp.Table:
    table.set("alias", exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)))
    return table


def bridge_columns(spec: Spec, bridge: Bridge) -> list[str]:
    naming = Naming(spec)
    columns = [naming.hash_key(bridge.path[0].from_role)]
    for step in bridge.path:
        columns += [naming.hash_key(step.link), naming.hash_key(step.to_role)]
    return columns


def step_alias(index: int) -> str:
    return f"step_{index + 1}"


def bridge_sql(spec: Spec, bridge: Bridge, dialect: Dialect, incremental: bool) -> exp.Select:
    naming = Naming(spec)
    load_ts = naming.load_ts
    first = bridge.path[0]
    columns = [alias(col(naming.hash_key(first.from_role), step_alias(0)), naming.hash_key(first.from_role))]
    query = exp.select().from_(_named(ref(naming.model_name(spec.entity(first.link))), step_alias(0)))
    for index, step in enumerate(bridge.path):
        here = step_alias(index)
        if index:
            previous = bridge.path[index - 1]
            query = query.join(
                _named(ref(naming.model_name(spec.entity(step.link))), here),
                on=exp.EQ(this=col(naming.hash_key(step.from_role), here), expression=col(naming.hash_key(previous.to_role), step_alias(index - 1))),
            )
        columns += [alias(col(naming.hash_key(step.link), here), naming.hash_key(step.link)),
                    alias(col(naming.hash_key(step.to_role), here), naming.hash_key(step.to_role))]
    loads = [col(load_ts, step_alias(i)) for i in range(len(bridge.path))]
    latest = loads[0] if len(loads) == 1 else exp.Greatest(this=loads[0], expressions=loads[1:])
    query = query.select(*columns, alias(latest, load_ts))
    if incremental:
        stored = exp.select(exp.Literal.number(1)).from_(this("stored")).where(exp.and_(*[
            exp.EQ(this=col(naming.hash_key(step.link), "stored"), expression=col(naming.hash_key(step.link), step_alias(i)))
            for i, step in enumerate(bridge.path)
        ]))
        query = query.where(exp.Not(this=exp.Exists(this=stored)))
    return query
