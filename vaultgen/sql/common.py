"""Small helpers shared by the entity builders: quoted names, model references, sentinel filters.

Models refer to each other through placeholder table names ("vg.ref:<model>", "vg.source:<table>",
"vg.this"), which the dbt wrapper turns into ref()/source()/this. Names are validated identifiers, so the
placeholders can never collide with real text.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from sqlglot import exp

from vaultgen.dialects.base import data_type
from vaultgen.sql.hashing import sentinel
from vaultgen.spec.model import Spec

THIS = "vg.this"


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def alias(expression: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=expression, alias=exp.to_identifier(name, quoted=True))


def ref(model: str, table_alias: str | None = None) -> exp.Table:
    return _placeholder(f"vg.ref:{model}", table_alias)


def source(table: str, table_alias: str | None = None) -> exp.Table:
    return _placeholder(f"vg.source:{table}", table_alias)


def this(table_alias: str | None = None) -> exp.Table:
    return _placeholder(THIS, table_alias)


def _placeholder(name: str, table_alias: str | None) -> exp.Table:
    return aliased(exp.Table(this=exp.to_identifier(name, quoted=True)), table_alias)


def cte(name: str, table_alias: str | None = None) -> exp.Table:
    """A reference to a CTE of the same query (optionally under a quoted alias)."""
    return aliased(exp.Table(this=exp.to_identifier(name)), table_alias)


def aliased(table: exp.Table, table_alias: str | None) -> exp.Table:
    if table_alias:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)))
    return table


def select(*expressions: exp.Expression) -> exp.Select:
    """A SELECT of ready-built nodes (nothing parsed, nothing copied); chain builders with copy=False."""
    return exp.Select(expressions=list(expressions))


JOIN_TYPES = {"left": {"side": "LEFT"}, "inner": {"kind": "INNER"}, "cross": {"kind": "CROSS"}}


def join_node(table: exp.Expression, how: str, on: exp.Expression | None = None) -> exp.Join:
    """A `how` join ("left", "inner", "cross") of `table` for Select.join, built as a node: the builder's own
    join_type is parsed from text on every call."""
    return exp.Join(this=table, **JOIN_TYPES[how], **({"on": on} if on is not None else {}))


def sentinel_keys(spec: Spec) -> list[str]:
    hashing, sentinels = spec.project.hashing, spec.project.sentinels
    return [sentinel(sentinels.null_key, hashing.algorithm), sentinel(sentinels.empty_key, hashing.algorithm)]


GHOST_LOAD_TS = "1900-01-01 00:00:00"
GHOST_RECORD_SOURCE = "SYSTEM"
END_OF_TIME = "9999-12-31 23:59:59"


def ghost_key(spec: Spec) -> str:
    """The key of the ghost record PIT tables point at: the null sentinel."""
    return sentinel_keys(spec)[0]


def timestamp_literal(value: str) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(value), to=data_type("TIMESTAMP"))


def typed_null(type_name: str, dialect) -> exp.Expression:
    return exp.Cast(this=exp.Null(), to=data_type(type_name, dialect.sqlglot_dialect))


def is_real_key(column: exp.Expression, spec: Spec) -> exp.Expression:
    """The key is neither the null nor the empty sentinel."""
    return exp.Not(this=exp.In(this=column, expressions=[exp.Literal.string(k) for k in sentinel_keys(spec)]))


def row_number_is_first(partition: Sequence[exp.Expression], order: Iterable[exp.Expression]) -> exp.Expression:
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=list(partition),
        order=exp.Order(expressions=list(order)),
    )
    return exp.EQ(this=window, expression=exp.Literal.number(1))


def latest_per_key(table: exp.Table, keys: Sequence[str], values: Sequence[str], load_ts: str) -> exp.Select:
    """The latest row per key of an insert-only model holding one row per key and load timestamp, as an aggregate
    (MAX_BY on every target) instead of a window: no sort of the whole stored history on every run. `values` must
    never be NULL (hashdiffs, statuses, keys): engines skip NULLs in MAX_BY."""
    return (
        select(*[col(k) for k in keys], *[alias(exp.ArgMax(this=col(v), expression=col(load_ts)), v) for v in values],
                   alias(exp.Max(this=col(load_ts)), load_ts))
        .from_(table, copy=False)
        .group_by(*[col(k) for k in keys], copy=False)
    )


def ascending(expression: exp.Expression) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=False)


def descending(expression: exp.Expression) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=True)


def load_window(column: str) -> exp.Expression:
    """Placeholder for the batch window filter; the dbt wrapper turns it into the vaultgen_load_window macro."""
    return exp.column(f"vg.window:{column}", quoted=True)


def stage_changes() -> exp.Expression:
    """Placeholder for whether a full snapshot is staged as its changes (true unless var('vaultgen_stage_whole'));
    the dbt wrapper turns it into the vaultgen_stage_changes macro."""
    return exp.column("vg.stage_changes", quoted=True)


def with_ctes(ctes: list[tuple[str, exp.Select]], final: exp.Expression) -> exp.Expression:
    """`final` with the CTEs in order (one WITH node, nothing copied)."""
    if ctes:
        final.set("with_", exp.With(expressions=[exp.CTE(this=query, alias=exp.TableAlias(this=exp.to_identifier(name))) for name, query in ctes]))
    return final


def previous_value(source: str, keys: Sequence[str], value: str, load_ts: str, previous: str, latest: str | None,
                   columns: Sequence[str] | None = None) -> exp.Select:
    """Change detection, the one idiom of every insert-only history: the rows of CTE `source` (as "batch") with, in
    column `previous`, the `value` of the row of the same `keys` before it in load order. On an incremental run
    `latest` names a CTE holding the stored latest `value` and `load_ts` per key: it is the previous value of the
    key's first row in the batch, and rows not newer than it are skipped (a rerun inserts nothing). `columns` are
    the batch columns kept (default all)."""
    lag: exp.Expression = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col(value, "batch")]),
        partition_by=[col(k, "batch") for k in keys],
        order=exp.Order(expressions=[ascending(col(load_ts, "batch"))]),
    )
    if latest is not None:
        lag = exp.Coalesce(this=lag, expressions=[col(value, latest)])
    kept = [exp.Column(this=exp.Star(), table=exp.to_identifier("batch", quoted=True))] if columns is None else [col(c, "batch") for c in columns]
    query = select(*kept, alias(lag, previous)).from_(cte(source, "batch"), copy=False)
    if latest is None:
        return query
    return (
        query.join(join_node(cte(latest, latest), "left", on=exp.and_(*[exp.EQ(this=col(k, "batch"), expression=col(k, latest)) for k in keys], copy=False)),
                   copy=False)
        .where(exp.or_(exp.Is(this=col(load_ts, latest), expression=exp.Null()),
                       exp.GT(this=col(load_ts, "batch"), expression=col(load_ts, latest)), copy=False), copy=False)
    )


def union_all(branches: list[exp.Select]) -> exp.Expression:
    result: exp.Expression = branches[0]
    for branch in branches[1:]:
        result = exp.union(result, branch, distinct=False, copy=False)
    return result


def first_seen(key: str, load_ts: str, record_source: str, spec: Spec) -> exp.Select:
    """Each real key of `incoming` once: its earliest row (ties broken by record source)."""
    return (
        select(exp.Star())
        .from_(cte("incoming"), copy=False)
        .where(is_real_key(col(key), spec), copy=False)
        .qualify(row_number_is_first([col(key)], [ascending(col(load_ts)), ascending(col(record_source))]), copy=False)
    )


RAW_LOAD_TS_TYPE = "timestamptz"  # the raw layer's load timestamp is an instant (Iceberg timestamptz)


def raw_load_ts(spec: Spec, dialect) -> exp.Expression:
    """The raw layer's load timestamp (of a raw table or the load log) as the vault tables store it."""
    return dialect.stored(col(spec.project.raw.load_timestamp_column), RAW_LOAD_TS_TYPE)


def ghost_unless_present(ghost: exp.Select, key: str, spec: Spec, incremental: bool, value: str | None = None) -> exp.Select:
    """The ghost row (of sentinel key `value`, default the null sentinel), on an incremental run only while the model
    lacks it: a table created before its first dbt run (by `vaultgen glue sync`, or before ghost_records was
    switched on) gets its ghost row too, once."""
    if not incremental:
        return ghost
    present = select(exp.Literal.number(1)).from_(this("known"), copy=False).where(
        exp.EQ(this=col(key, "known"), expression=exp.Literal.string(value or ghost_key(spec))), copy=False)
    return ghost.where(exp.Not(this=exp.Exists(this=present)), copy=False)


def with_ghost_rows(final: exp.Expression, ghost: Callable[[str], exp.Select], key: str, spec: Spec, incremental: bool) -> exp.Expression:
    """`final` plus one ghost row per sentinel key a link can hold (the null and the empty key): every link key
    and every PIT pointer then has its hub and satellite row. `ghost(value)` builds the row of one sentinel key."""
    for value in sentinel_keys(spec):
        final = exp.union(final, ghost_unless_present(ghost(value), key, spec, incremental, value), distinct=False, copy=False)
    return final


def only_new_keys(final: exp.Select, key: str) -> exp.Select:
    """Keep the rows of `first_seen` whose key the model does not hold yet (insert-only)."""
    known = select(exp.Literal.number(1)).from_(this("known"), copy=False).where(exp.EQ(this=col(key, "known"), expression=col(key, "first_seen")), copy=False)
    return final.where(exp.Not(this=exp.Exists(this=known)), copy=False)
