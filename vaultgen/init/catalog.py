"""What a live database holds, as plain data: tables, columns (type, nullability, comment), primary and foreign
keys. Read from PostgreSQL's catalog (psycopg: pg_catalog keeps key column order and comments), a DuckDB file
(duckdb_constraints) or a SQLite file (PRAGMA table_info / foreign_key_list, Python's sqlite3)."""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass, field

from vaultgen.errors import Problem
from vaultgen.source import SourceError, SourceUrl


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str  # as the source spells it
    nullable: bool = True
    comment: str = ""


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]  # the referenced table's columns, in the order of `columns`


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    comment: str = ""

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Catalog:
    schema: str
    tables: tuple[SourceTable, ...] = field(default_factory=tuple)


def read_catalog(url: SourceUrl, schema: str | None = None, tables: list[str] | None = None) -> Catalog:
    schema = schema or url.default_schema
    reader = {"postgres": _postgres, "duckdb": _duckdb, "sqlite": _sqlite}[url.kind]
    found = reader(url, schema)
    if tables:
        known = {t.name for t in found}
        missing = [name for name in tables if name not in known]
        if missing:
            raise SourceError([Problem("VG153", f"no table(s) {', '.join(missing)} in schema {schema}", url.where(schema),
                                       f"tables: {', '.join(sorted(known)) or 'none'}")])
        found = [t for t in found if t.name in tables]
    if not found:
        raise SourceError([Problem("VG153", f"schema {schema} holds no tables", url.where(schema), "pass --schema NAME")])
    return Catalog(schema, tuple(sorted(found, key=lambda t: t.name)))


# --- PostgreSQL --------------------------------------------------------------------------------------------

_PG_COLUMNS = """
select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull, coalesce(col_description(c.oid, a.attnum), ''),
       coalesce(obj_description(c.oid, 'pg_class'), '')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = %s and c.relkind in ('r', 'p')
order by c.relname, a.attnum
"""
_PG_KEYS = """
select c.relname, k.contype, k.conname, array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i),
       r.relname, array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
         join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i), rn.nspname
from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
left join pg_class r on r.oid = k.confrelid left join pg_namespace rn on rn.oid = r.relnamespace
where n.nspname = %s and k.contype in ('p', 'f')
order by c.relname, k.conname
"""


def _postgres(url: SourceUrl, schema: str) -> list[SourceTable]:
    import psycopg

    try:
        with psycopg.connect(url.target, connect_timeout=10) as connection:
            columns = connection.execute(_PG_COLUMNS, [schema]).fetchall()
            keys = connection.execute(_PG_KEYS, [schema]).fetchall()
    except psycopg.Error as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceError([Problem("VG151", f"cannot open the source: {detail}", url.where(),
                                   "check the host, port, database, user and password (or PGPASSWORD), and that the server runs")]) from None
    return _assemble(columns, [(t, kind, cols, ref, refcols) for t, kind, _, cols, ref, refcols, ref_schema in keys
                                if kind == "p" or ref_schema == schema])


def _assemble(columns, keys) -> list[SourceTable]:
    by_table: dict[str, list[SourceColumn]] = {}
    comments: dict[str, str] = {}
    for table, name, kind, nullable, comment, table_comment in columns:
        by_table.setdefault(table, []).append(SourceColumn(name, kind, bool(nullable), comment or ""))
        comments[table] = table_comment or ""
    primary: dict[str, tuple[str, ...]] = {}
    foreign: dict[str, list[ForeignKey]] = {}
    for table, kind, cols, ref, refcols in keys:
        if kind in ("p", "PRIMARY KEY"):
            primary[table] = tuple(cols)
        elif ref:
            foreign.setdefault(table, []).append(ForeignKey(tuple(cols), ref, tuple(refcols)))
    return [SourceTable(t, tuple(cs), primary.get(t, ()), tuple(foreign.get(t, ())), comments.get(t, "")) for t, cs in by_table.items()]


# --- DuckDB ------------------------------------------------------------------------------------------------


def _duckdb(url: SourceUrl, schema: str) -> list[SourceTable]:
    import duckdb

    try:
        connection = duckdb.connect(url.target, read_only=True)
    except duckdb.Error as error:
        raise SourceError([Problem("VG151", f"cannot open the source: {str(error).splitlines()[0]}", url.where(), "is it a DuckDB file?")]) from None
    with connection:
        columns = connection.execute(
            "select c.table_name, c.column_name, c.data_type, c.is_nullable, coalesce(c.comment, ''), coalesce(t.comment, '')"
            " from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name)"
            " where c.database_name = current_database() and c.schema_name = ? order by c.table_name, c.column_index", [schema]).fetchall()
        keys = connection.execute(
            "select table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names from duckdb_constraints()"
            " where database_name = current_database() and schema_name = ? and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')"
            " order by table_name, constraint_index", [schema]).fetchall()
    return _assemble(columns, [(t, "p" if kind == "PRIMARY KEY" else "f", cols, ref, refcols) for t, kind, cols, ref, refcols in keys])


# --- SQLite ------------------------------------------------------------------------------------------------


def _sqlite(url: SourceUrl, schema: str) -> list[SourceTable]:
    import sqlite3

    try:
        connection = sqlite3.connect(Path(url.target).resolve().as_uri() + "?mode=ro", uri=True)
        names = [row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]
    except sqlite3.Error as error:
        raise SourceError([Problem("VG151", f"cannot open the source: {error}", url.where(), "is it a SQLite file?")]) from None
    tables = []
    try:
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            info = connection.execute(f"pragma table_info({quoted})").fetchall()  # cid, name, type, notnull, default, pk
            columns = tuple(SourceColumn(c[1], _sqlite_type(c[2]), not c[3] and not c[5]) for c in info)
            primary = tuple(c[1] for c in sorted((c for c in info if c[5]), key=lambda c: c[5]))
            groups: dict[int, list] = {}
            for row in connection.execute(f"pragma foreign_key_list({quoted})").fetchall():  # id, seq, table, from, to, ...
                groups.setdefault(row[0], []).append(row)
            foreign = []
            for _, rows in sorted(groups.items()):
                rows.sort(key=lambda r: r[1])
                foreign.append(ForeignKey(tuple(r[3] for r in rows), rows[0][2], tuple(r[4] for r in rows)))
            tables.append(SourceTable(name, columns, primary, tuple(foreign)))
    finally:
        connection.close()
    return tables


def _sqlite_type(declared: str) -> str:
    """A SQLite declared type in PostgreSQL's spelling, by SQLite's affinity rules (INTEGER is 64-bit)."""
    text = (declared or "").strip().lower()
    sized = re.match(r"^(?:n?varchar|character varying|nchar|varying character|native character|char|character)\s*\((\d+)\)$", text)
    if sized:
        return f"varchar({sized.group(1)})"
    decimal = re.match(r"^(?:numeric|decimal)\s*\((\d+)\s*,\s*(\d+)\)$", text)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    if "int" in text:
        return "bigint"
    if any(word in text for word in ("char", "clob", "text")) or not text:
        return "text"
    if "blob" in text:
        return "bytea"
    if any(word in text for word in ("real", "floa", "doub")):
        return "double precision"
    if text.startswith("bool"):
        return "boolean"
    if text in ("datetime", "timestamp"):
        return "timestamp"
    if text == "date":
        return "date"
    return "numeric"
