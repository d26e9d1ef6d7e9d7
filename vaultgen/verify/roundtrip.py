"""Compare every source table rebuilt from the vault with the raw snapshot of the same batch.

The comparison is a set of sqlglot trees built once, for any engine: an `Engine` turns a tree into its own SQL
and returns rows (DuckDB here; Athena through awswrangler in vaultgen.verify.athena), and the verdict is made
from those rows by the same Python on every engine, so the two paths cannot drift apart.

A table is compared as a multiset, by one GROUP BY over both sides (NULLs group together; no EXCEPT ALL,
which not every engine has): every group whose row count differs between the snapshot and the rebuild is a
difference, shown as sample rows of the side that has more of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlglot import exp

from vaultgen.errors import InputError, Location, Problem
from vaultgen.spec.model import Spec, Table
from vaultgen.sql.common import descending, row_number_is_first
from vaultgen.verify.reconstruct import ReconstructError, moment, reconstruct_query

IN_SNAPSHOT = "vaultgen_in_snapshot"
IN_VAULT = "vaultgen_in_vault"


class Engine(Protocol):
    """Where the comparison queries run."""

    dialect: str  # sqlglot's name of the engine's SQL

    def fetch(self, query: exp.Expression) -> list[tuple]: ...


@dataclass
class DuckDBEngine:
    connection: object
    dialect: str = "duckdb"

    def fetch(self, query: exp.Expression) -> list[tuple]:
        import duckdb

        try:
            return self.connection.execute(query.sql(self.dialect)).fetchall()
        except duckdb.Error as error:  # a raw layer or vault table that is not there, or not as the spec says
            tables = sorted({f"{t.db}.{t.name}" for t in query.find_all(exp.Table) if t.db})
            raise InputError([Problem("VG145", f"DuckDB cannot run a comparison query: {str(error).splitlines()[0]}",
                                      Location(", ".join(tables) or "database"),
                                      "verify reads the database `vaultgen load` and `vaultgen run` wrote for this spec: load, run, then verify")]) from error


@dataclass(frozen=True)
class TableComparison:
    table: str
    source_rows: int
    missing_from_vault: list[tuple]  # in the snapshot, not rebuilt (a row missing twice is listed twice)
    extra_in_vault: list[tuple]  # rebuilt, not in the snapshot
    rebuilt_rows: int | None = None
    reason: str = ""  # why the table cannot be rebuilt from the vault (then nothing was compared)
    note: str = ""  # how it was rebuilt, when not by its primary key
    columns: tuple[str, ...] = field(default=())

    @property
    def rebuildable(self) -> bool:
        return not self.reason

    @property
    def equal(self) -> bool:
        return self.rebuildable and not self.missing_from_vault and not self.extra_in_vault

    @property
    def status(self) -> str:
        return "not rebuilt" if not self.rebuildable else "equal" if self.equal else "differs"


@dataclass(frozen=True)
class ComparisonQueries:
    """The two queries that compare one table at one load timestamp."""

    table: str
    counts: exp.Select  # one row: rows in the snapshot, rows rebuilt
    differences: exp.Select  # the table's columns, then IN_SNAPSHOT and IN_VAULT, for every group that differs
    note: str = ""

    def all(self) -> list[exp.Select]:
        return [self.counts, self.differences]


def _snapshot_query(spec: Spec, table_name: str, at: datetime) -> exp.Select:
    """The source table as loaded at `at`: that batch's snapshot, or, for an incremental table, the latest row of
    every key loaded up to then (the newest batch first, then the highest watermark)."""
    table = spec.table(table_name)
    raw = spec.project.raw
    load_ts = exp.column(raw.load_timestamp_column, quoted=True)
    columns = [exp.column(c.name, quoted=True) for c in table.columns]
    select = exp.select(*columns).from_(exp.table_(table.name, db=raw.schema_name, quoted=True))
    if table.load != "incremental":
        return select.where(exp.EQ(this=load_ts, expression=moment(at)))
    newest_first = [descending(load_ts.copy()), descending(exp.column(table.watermark_column, quoted=True))]
    return select.where(exp.LTE(this=load_ts, expression=moment(at))).qualify(
        row_number_is_first([exp.column(name, quoted=True) for name in table.primary_key], newest_first))


def multiset_difference(left: exp.Select, right: exp.Select, columns: list[str], order: list[str], limit: int = 20) -> tuple[exp.Select, exp.Select]:
    """Two queries comparing the rows of `left` (the snapshot) and `right` (the rebuild) as multisets: one row
    (rows on the left, rows on the right), and the `columns` of every group of equal rows whose count differs,
    with its count on each side (IN_SNAPSHOT, IN_VAULT): the first `limit` groups by `order` of each side (rows
    missing from the right, rows extra on it), so that one side never hides the other. NULLs group together."""
    names = [exp.column(name, quoted=True) for name in columns]

    def side(query: exp.Select, in_snapshot: int) -> exp.Select:
        return exp.select(*[c.copy() for c in names], exp.alias_(exp.Literal.number(in_snapshot), IN_SNAPSHOT),
                          exp.alias_(exp.Literal.number(1 - in_snapshot), IN_VAULT)).from_(query.subquery("side"))

    both = exp.union(side(left, 1), side(right, 0), distinct=False).subquery("both_sides")
    in_snapshot, in_vault = (exp.Sum(this=exp.column(name)) for name in (IN_SNAPSHOT, IN_VAULT))
    counts = exp.select(exp.alias_(in_snapshot.copy(), IN_SNAPSHOT), exp.alias_(in_vault.copy(), IN_VAULT)).from_(both.copy())
    grouped = (
        exp.select(*[c.copy() for c in names], exp.alias_(in_snapshot.copy(), IN_SNAPSHOT), exp.alias_(in_vault.copy(), IN_VAULT))
        .from_(both.copy())
        .group_by(*[c.copy() for c in names])
        .having(exp.NEQ(this=in_snapshot.copy(), expression=in_vault.copy()))
    )
    ordering = [exp.Ordered(this=exp.column(name, quoted=True), nulls_first=True) for name in (order or columns)]
    side_of = exp.GT(this=exp.column(IN_SNAPSHOT), expression=exp.column(IN_VAULT))  # missing from the vault, or extra in it
    numbered = exp.Window(this=exp.RowNumber(), partition_by=[side_of], order=exp.Order(expressions=[o.copy() for o in ordering]))
    ranked = exp.select(*[c.copy() for c in names], exp.column(IN_SNAPSHOT), exp.column(IN_VAULT), exp.alias_(numbered, "vaultgen_rank")).from_(
        grouped.subquery("differing"))
    differences = (  # the first `limit` groups of each side
        exp.select(*[c.copy() for c in names], exp.column(IN_SNAPSHOT), exp.column(IN_VAULT)).from_(ranked.subquery("ranked"))
        .where(exp.LTE(this=exp.column("vaultgen_rank"), expression=exp.Literal.number(limit)))
        .order_by(*[o.copy() for o in ordering])
    )
    return counts, differences


def comparison_queries(spec: Spec, table: Table, at: datetime, limit: int = 20) -> ComparisonQueries:
    """The comparison of `table` at `at`, as trees for any engine. Raises ReconstructError when the vault cannot
    rebuild the table (the reason says why)."""
    reconstruction = reconstruct_query(spec, table, at)
    counts, differences = multiset_difference(_snapshot_query(spec, table.name, at), reconstruction.query, [c.name for c in table.columns],
                                              list(table.primary_key), limit)
    return ComparisonQueries(table.name, counts, differences, reconstruction.note)


def differences_of(rows: list[tuple], limit: int = 20) -> tuple[list[tuple], list[tuple]]:
    """(missing from the vault, extra in the vault) from the rows of the differences query: each group is listed
    as often as its count differs, at most `limit` rows per side."""
    missing: list[tuple] = []
    extra: list[tuple] = []
    for row in rows:
        values, snapshot_count, vault_count = tuple(row[:-2]), int(row[-2] or 0), int(row[-1] or 0)
        target = missing if snapshot_count > vault_count else extra
        target.extend([values] * min(abs(snapshot_count - vault_count), limit))
    return missing[:limit], extra[:limit]


def run_comparison(engine: Engine, queries: ComparisonQueries, table: Table, limit: int = 20) -> TableComparison:
    """Run the two queries on `engine` and read the verdict from their rows (the same for every engine)."""
    (source_rows, rebuilt_rows), = engine.fetch(queries.counts)
    missing, extra = differences_of(engine.fetch(queries.differences), limit)
    return TableComparison(table.name, int(source_rows or 0), missing, extra, int(rebuilt_rows or 0), note=queries.note,
                           columns=tuple(c.name for c in table.columns))


def compare_table(engine: Engine, spec: Spec, table: Table, at: datetime, limit: int = 20) -> TableComparison:
    """One table at one load timestamp; a table the vault cannot rebuild comes back with the reason."""
    try:
        queries = comparison_queries(spec, table, at, limit)
    except ReconstructError as error:
        return TableComparison(table.name, 0, [], [], reason=str(error).removeprefix(f"table '{table.name}': "),
                               columns=tuple(c.name for c in table.columns))
    return run_comparison(engine, queries, table, limit)


def compare_batch(connection, spec: Spec, at: datetime, limit: int = 20, tables: list[str] | None = None) -> list[TableComparison]:
    """For each source table (or those named): the snapshot loaded at `at` versus the table rebuilt from the vault
    as of `at`, on a DuckDB connection."""
    engine = DuckDBEngine(connection)
    return [compare_table(engine, spec, table, at, limit) for _, table in spec.tables() if tables is None or table.name in tables]
