"""`vaultgen validate --against URL`: does the live source hold what the spec says, and will it load?

Per spec table, read through DuckDB's attached catalog and a few aggregate queries (no rows leave the source):
the table and each column exist by their source names (VG155, VG156); the source type converts to the spec's
without loss (VG157: same kind, or a wider spec type, or text); the declared primary key is unique (VG158, how
many keys repeat); hub business keys hold no NULL (VG159, how many rows) and NOT NULL columns no NULL (VG160).
Every finding is located at the spec's file:line of the table, column, key or hub source it is about.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from sqlglot import exp

from vaultgen.errors import Location, Problem, ProblemsError
from vaultgen.raw.database_load import source_relation
from vaultgen.source import ALIAS, SourceUrl, attach
from vaultgen.spec.model import Spec, Table, source_column
from vaultgen.types import decimal_precision, parse_source_type

Locate = Callable[[tuple[Any, ...]], Location]
INTEGER_DIGITS = {"int16": 5, "int32": 10, "int64": 19}
WIDER = {  # spec logical type -> source logical types it takes without loss (besides its own)
    "int32": {"int16"}, "int64": {"int16", "int32"}, "float64": {"float32", "int16", "int32"},
    "timestamp": {"date"}, "timestamptz": {"date", "timestamp"}, "float32": {"int16"},
}
DUCKDB_LOGICAL = {"TINYINT": "int16", "SMALLINT": "int16", "INTEGER": "int32", "BIGINT": "int64", "HUGEINT": "int128", "UTINYINT": "int16",
                  "USMALLINT": "int32", "UINTEGER": "int64", "UBIGINT": "int128", "FLOAT": "float32", "REAL": "float32", "DOUBLE": "float64",
                  "VARCHAR": "string", "BLOB": "binary", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
                  "TIMESTAMP_NS": "timestamp", "TIMESTAMP_MS": "timestamp", "TIMESTAMP_S": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz"}


class SourceFindings(ProblemsError):
    subject = "the spec, checked against the source,"


def _logical(duckdb_type: str) -> tuple[str, tuple[int, int] | None]:
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return "decimal", (int(decimal.group(1)), int(decimal.group(2)))
    return DUCKDB_LOGICAL.get(duckdb_type, "other"), None


def compatible(spec_type: str, source_type: str, sqlite: bool = False) -> bool:
    """Does every value of the source type (DuckDB's name for it) fit the spec type? SQLite stores a declared
    NUMERIC(p,s) as REAL (DuckDB reads DOUBLE): there the declared decimal is the contract."""
    wanted = parse_source_type(spec_type)
    logical, precision = _logical(source_type)
    if wanted.logical == "string" or logical == wanted.logical and logical != "decimal":
        return True  # text takes anything (a length is not checked: DuckDB does not report it)
    if wanted.logical == "decimal":
        p, s = decimal_precision(wanted)
        if logical == "decimal":
            return precision[1] <= s and precision[0] - precision[1] <= p - s
        return logical in INTEGER_DIGITS and INTEGER_DIGITS[logical] <= p - s or sqlite and logical in ("float64", "int64")
    return logical in WIDER.get(wanted.logical, set())


def _count(connection, query: exp.Expression) -> int:
    return connection.execute(query.sql("duckdb")).fetchone()[0] or 0


def check_against(spec: Spec, locate: Locate, url: SourceUrl, connection=None, schema: str | None = None) -> list[Problem]:
    import duckdb

    own = connection is None
    connection = connection or duckdb.connect()
    try:
        attach(connection, url)
        return _check(spec, locate, url, connection, schema)
    finally:
        connection.execute(exp.Detach(this=exp.to_identifier(ALIAS, quoted=True), exists=True).sql("duckdb"))
        if own:
            connection.close()


def _check(spec: Spec, locate: Locate, url: SourceUrl, connection, schema: str | None) -> list[Problem]:
    problems: list[Problem] = []
    present: dict[str, Table] = {}
    for si, system in enumerate(spec.sources):
        for ti, table in enumerate(system.tables):
            path = ("sources", si, "tables", ti)
            source_schema = schema or system.source_schema or url.default_schema
            where = f"{source_schema}.{table.source_table}"
            rows = connection.execute(
                "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ?"
                " order by column_index", [ALIAS, source_schema, table.source_table]).fetchall()
            if not rows:
                tables = [r[0] for r in connection.execute("select table_name from duckdb_tables() where database_name = ? and schema_name = ?",
                                                           [ALIAS, source_schema]).fetchall()]
                problems.append(Problem("VG155", f"table {table.name}: the source has no table {where}",
                                        locate((*path, "source_name" if table.source_name else "name")),
                                        _close(table.source_table, tables) or f"set `source_name:` to its name in the source, or `source_schema:` (tables there: {', '.join(sorted(tables)[:12]) or 'none'})"))
                continue
            types = dict(rows)
            missing = False
            for ci, column in enumerate(table.columns):
                column_path = (*path, "columns", ci)
                name = source_column(column)
                if name not in types:
                    missing = True
                    problems.append(Problem("VG156", f"column {table.name}.{column.name}: {where} has no column {name}",
                                            locate((*column_path, "source_name" if column.source_name else "name")),
                                            _close(name, types) or "set `source_name:` to the column's name in the source (names are case-sensitive)"))
                elif not compatible(column.type, types[name], url.kind == "sqlite"):
                    problems.append(Problem("VG157", f"column {table.name}.{column.name} is {column.type} in the spec, but {where}.{name} is {types[name]}",
                                            locate((*column_path, "type")), "use a spec type that holds every source value (a wider one, or text)"))
            if missing:
                continue
            present[table.name] = table
            problems += _data_checks(connection, table, source_relation(table, source_schema), where, path, locate)
    problems += _business_keys(spec, locate, present, url, schema, connection)
    return problems


def _close(word: str, choices) -> str:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6) or [c for c in choices if c.lower() == word.lower()]
    return f"did you mean '{found[0]}'?" if found else ""


def _data_checks(connection, table: Table, relation: exp.Table, where: str, path: tuple, locate: Locate) -> list[Problem]:
    problems = []
    keys = [exp.column(source_column(table.column(name)), quoted=True) for name in table.primary_key]
    repeated = (exp.select(exp.Count(this=exp.Star())).from_(
        exp.select(*keys).from_(relation.copy()).group_by(*[k.copy() for k in keys])
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))).subquery("repeated")))
    duplicates = _count(connection, repeated)
    if duplicates and table.load == "full_snapshot":
        problems.append(Problem("VG158", f"primary key ({', '.join(table.primary_key)}) of {table.name} is not unique in {where}:"
                                f" {duplicates} key(s) occur more than once", locate((*path, "primary_key")),
                                "a full snapshot holds each key once: declare the real key, or fix the source"))
    required = [(ci, c) for ci, c in enumerate(table.columns) if not c.nullable or c.name in table.primary_key]
    if required:
        counts = connection.execute(exp.select(*[exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.Is(this=exp.column(source_column(c), quoted=True), expression=exp.Null()),
                                                                                   true=exp.Literal.number(1))], default=exp.Literal.number(0)))
                                                 for _, c in required]).from_(relation.copy()).sql("duckdb")).fetchone()
        for (ci, column), nulls in zip(required, counts):
            if nulls:
                what = "primary key" if column.name in table.primary_key else "NOT NULL"
                problems.append(Problem("VG160", f"column {table.name}.{column.name} is {what} in the spec, but {nulls} row(s) of {where} hold NULL",
                                        locate((*path, "columns", ci, "nullable" if not column.nullable else "name")),
                                        "mark it nullable (not for a key), or fix the source: such a batch is refused (VG108)"))
    return problems


def _business_keys(spec: Spec, locate: Locate, present: dict[str, Table], url: SourceUrl, schema: str | None, connection) -> list[Problem]:
    problems = []
    for ei, hub in enumerate(spec.entities):
        if getattr(hub, "kind", None) != "hub":
            continue
        for hi, hub_source in enumerate(hub.sources):
            table = present.get(hub_source.table)
            if table is None:
                continue
            system = spec.system_of(table.name)
            relation = source_relation(table, schema or system.source_schema or url.default_schema)
            nulls = exp.or_(*[exp.Is(this=exp.column(source_column(table.column(c)), quoted=True), expression=exp.Null()) for c in hub_source.columns])
            count = _count(connection, exp.select(exp.Count(this=exp.Star())).from_(relation).where(nulls))
            if count:
                problems.append(Problem("VG159", f"hub {hub.name}: {count} row(s) of {table.name} have a NULL business key ({', '.join(hub_source.columns)})",
                                        locate(("entities", ei, "sources", hi, "columns")),
                                        "they get the null sentinel key: map a column that always has a value, or accept it"))
    return problems
