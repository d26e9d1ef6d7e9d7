"""Stage one source table of a batch in a DuckDB temp table, typed by the spec, and check it, in bulk.

Three readers feed the same staged shape (the spec's columns with their raw types, plus the row's place in its
input): DuckDB's read_csv with explicit column types (bad values land in its rejects table with line and
column), read_parquet (values cast with TRY_CAST; the first row that does not cast is reported), and Python
rows through a pyarrow table that DuckDB scans (the demo and the tests). Every check (a value that does not
cast, a NULL in a NOT NULL or primary key column, a primary key twice in a full snapshot) is a query over the
staged table, and every problem names its file, row, column, value and expected type. Nothing here touches the
raw tables: the caller applies a staged batch in one transaction.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.errors import Location, LoadError, Problem
from vaultgen.spec.model import Table
from vaultgen.types import decimal_precision, parse_source_type

DIALECT = get_dialect("duckdb")
ROW = "__vaultgen_row"  # a staged row's number in its input (1-based); no spec name can start with "_"
BAD = "__vaultgen_bad"  # true when a value of the row did not cast to its spec type
EXTENSIONS = (".csv", ".parquet")


def raw_type(column) -> str:
    return DIALECT.column_type(parse_source_type(column.type))


def required(table: Table, column) -> bool:
    return not column.nullable or column.name in table.primary_key


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _temp(name: str) -> exp.Table:
    return exp.table_(name, db="main", catalog="temp", quoted=True)


def execute(connection, expression: exp.Expression, parameters: Sequence[Any] = ()):
    return connection.execute(expression.sql("duckdb"), list(parameters))


def _text(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Staged:
    """A table's batch rows in a temp table: the spec columns, typed, and the row number (ROW or `rowid + 1`)."""

    table: Table
    name: str  # the temp table
    row: exp.Expression  # the row's number in its input
    locate: Callable[[int, str | None], Location]  # row number, column -> where to point the user
    kind: str  # "record" (CSV: a data record; line = record + 1 unless a quoted value spans lines) or "row"

    def relation(self) -> exp.Table:
        return _temp(self.name)

    def count(self, connection) -> int:
        return execute(connection, exp.select(exp.Count(this=exp.Star())).from_(self.relation())).fetchone()[0]


def drop(connection, name: str) -> None:
    connection.execute(exp.Drop(tables=[_temp(name)], kind="TABLE", exists=True).sql("duckdb"))


# --- the readers ------------------------------------------------------------------------------------------


def _check_names(table: Table, present: Sequence[str], where: Location) -> None:
    wanted = [column.name for column in table.columns]
    problems = []
    missing = [name for name in wanted if name not in present]
    if missing:
        problems.append(Problem("VG101", f"table {table.name} lacks column(s) {', '.join(missing)}", where,
                                f"the spec's columns are {', '.join(wanted)} (names are case-sensitive)"))
    extra = [name for name in present if name not in wanted]
    if extra:
        problems.append(Problem("VG102", f"column(s) not in the spec's table {table.name}: {', '.join(extra)}", where,
                                "remove them from the file, or add them to the spec to carry them"))
    if problems:
        raise LoadError(problems)


def _csv_header(path: Path) -> list[str]:
    """The first record of a comma-separated file (quotes as in RFC 4180), read as DuckDB will: no sniffing."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        return next(csv.reader(handle), [])


def stage_csv(connection, table: Table, path: Path, name: str) -> Staged:
    """read_csv with the spec's types: a header line names the columns; an empty unquoted field is NULL, "" is ''."""
    where = Location(str(path))
    if path.stat().st_size == 0:
        raise LoadError([Problem("VG103", "empty file: no header line", where, "the first line names the columns")])
    source = exp.Literal.string(str(path))
    present = _csv_header(path)
    _check_names(table, present, Location(str(path), 1))
    types = {column.name: raw_type(column) for column in table.columns}
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=_id(n), expression=exp.Literal.string(types[n])) for n in present])
    rejects, scan = f"{name}_rejects", f"{name}_rejects_scan"
    options = {"header": exp.true(), "delim": exp.Literal.string(","), "quote": exp.Literal.string('"'), "escape": exp.Literal.string('"'),
               "encoding": exp.Literal.string("utf-8"), "columns": columns, "allow_quoted_nulls": exp.false(), "store_rejects": exp.true(),
               "rejects_table": exp.Literal.string(rejects), "rejects_scan": exp.Literal.string(scan)}
    reader = exp.Table(this=exp.ReadCSV(this=source, expressions=[exp.EQ(this=_col(k), expression=v) for k, v in options.items()]))
    for leftover in (name, rejects, scan):
        drop(connection, leftover)
    select = exp.select(*[_col(c.name) for c in table.columns]).from_(reader)
    execute(connection, exp.Create(this=_temp(name), kind="TABLE", expression=select, properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
    try:
        first = execute(connection, exp.select("line", "column_idx", "column_name", "error_type", "csv_line", "error_message")
                     .from_(_temp(rejects)).order_by("line").limit(1)).fetchone()
    finally:
        drop(connection, rejects)
        drop(connection, scan)
    if first is not None:
        line, index, column, kind, text, message = first
        detail = message.splitlines()[0] if message else ""
        at = f", column {column} (expected {types[column]})" if column in types else ""
        hint = "fix the value, or the column's type in the spec" if str(kind) == "CAST" else \
            "every line holds the header's columns, comma-separated, values with commas or quotes in double quotes"
        raise LoadError([Problem("VG104", f"line {line}{at}: {str(kind).lower()}: {detail}; the line reads {_text(text)}",
                                 Location(str(path), int(line), int(index or 0)), hint)])
    record = exp.Add(this=exp.column("rowid"), expression=exp.Literal.number(1))

    def locate(row: int, column: str | None) -> Location:
        return Location(str(path), row + 1, present.index(column) + 1 if column else 0)

    return Staged(table, name, record, locate, "record")


def _stage_cast(connection, table: Table, source: exp.Expression, row: exp.Expression, name: str,
                locate: Callable[[int, str | None], Location], kind: str) -> Staged:
    """CREATE TEMP TABLE name AS SELECT TRY_CAST(each column AS its spec type), row, bad FROM source; refuses the
    first row whose value did not cast."""
    casts, bad = [], []
    for column in table.columns:
        target = exp.DataType.build(raw_type(column), dialect="duckdb")
        cast = exp.TryCast(this=_col(column.name), to=target)
        casts.append(exp.alias_(cast, column.name, quoted=True))
        bad.append(exp.and_(exp.Not(this=exp.Is(this=_col(column.name), expression=exp.Null())), exp.Is(this=cast.copy(), expression=exp.Null())))
    flag = exp.or_(*bad) if len(bad) > 1 else bad[0]
    drop(connection, name)
    select = exp.select(*casts, exp.alias_(row, ROW, quoted=True), exp.alias_(flag, BAD, quoted=True)).from_(source)
    execute(connection, exp.Create(this=_temp(name), kind="TABLE", expression=select, properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
    staged = Staged(table, name, _col(ROW), locate, kind)
    first = execute(connection, exp.select(exp.Min(this=_col(ROW))).from_(staged.relation()).where(_col(BAD))).fetchone()[0]
    if first is None:
        return staged
    for column, check in zip(table.columns, bad):
        value = execute(connection, exp.select(_col(column.name)).from_(source).where(exp.and_(exp.EQ(this=row.copy(), expression=exp.Placeholder()), check.copy())), [first]).fetchone()
        if value is not None:
            raise LoadError([Problem("VG105", f"{kind} {first}, column {column.name}: {_text(value[0])} is not a {raw_type(column)}",
                                     locate(first, column.name), "fix the value, or the column's type in the spec")])
    raise AssertionError("a row flagged bad has no bad column")  # pragma: no cover - the flag is the OR of the checks


def stage_parquet(connection, table: Table, path: Path, name: str) -> Staged:
    source = exp.Literal.string(str(path))
    reader = exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[source, exp.EQ(this=_col("file_row_number"), expression=exp.true())]))
    try:
        present = [d[0] for d in execute(connection, exp.select(exp.Star()).from_(reader.copy()).limit(0)).description if d[0] != "file_row_number"]
    except Exception as error:  # duckdb.IOException / InvalidInputException: not a parquet file
        raise LoadError([Problem("VG106", f"cannot read as parquet: {str(error).splitlines()[0]}", Location(str(path)), "write the file as parquet, or name it .csv")]) from None
    _check_names(table, present, Location(str(path)))
    row = exp.Add(this=_col("file_row_number"), expression=exp.Literal.number(1))

    def locate(number: int, column: str | None) -> Location:
        return Location(str(path), number, present.index(column) + 1 if column else 0)

    return _stage_cast(connection, table, reader, row, name, locate, "row")


def _arrow_type(column):
    import pyarrow as pa

    source_type = parse_source_type(column.type)
    if source_type.logical == "decimal":
        return pa.decimal128(*decimal_precision(source_type))
    return {
        "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(), "float32": pa.float32(), "float64": pa.float64(),
        "string": pa.string(), "binary": pa.binary(), "boolean": pa.bool_(), "date": pa.date32(),
        "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"),  # a naive instant is UTC
    }[source_type.logical]


def _arrow_column(table: Table, column, values: list, where: str):
    """The column as an arrow array of its spec type. Values arrow cannot take as that type (floats for a
    decimal, mixed Python types) go as arrow infers them, else as text; DuckDB's TRY_CAST then decides."""
    import pyarrow as pa

    failures = (pa.ArrowException, TypeError, ValueError, OverflowError)
    try:
        return pa.array(values, type=_arrow_type(column))
    except failures:
        pass
    try:
        return pa.array(values)
    except failures:
        pass
    if parse_source_type(column.type).logical != "binary":
        return pa.array([None if value is None else str(value) for value in values], type=pa.string())
    for number, value in enumerate(values, start=1):
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
            raise LoadError([Problem("VG105", f"row {number}, column {column.name}: {_text(value)} is not a {raw_type(column)}",
                                     Location(where, number, table.columns.index(column) + 1), "pass bytes, or fix the column's type in the spec")])
    return pa.array([None if value is None else bytes(value) for value in values], type=pa.binary())


def stage_rows(connection, table: Table, rows: Sequence[Sequence[Any]], name: str, where: str) -> Staged:
    """Python rows in the spec's column order, through one arrow table (no row-by-row inserts)."""
    import pyarrow as pa

    width = len(table.columns)
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise LoadError([Problem("VG107", f"row {number} has {len(row)} values, table {table.name} has {width} columns "
                                     f"({', '.join(c.name for c in table.columns)})", Location(where, number), "pass rows in the spec's column order")])
    values = list(zip(*rows)) if rows else [() for _ in table.columns]
    arrays = [_arrow_column(table, column, list(column_values), where) for column, column_values in zip(table.columns, values)]
    arrays.append(pa.array(range(1, len(rows) + 1), type=pa.int64()))
    arrow = pa.Table.from_arrays(arrays, names=[c.name for c in table.columns] + [ROW])
    view = f"{name}_arrow"
    connection.register(view, arrow)
    try:
        def locate(number: int, column: str | None) -> Location:
            return Location(where, number, table.columns.index(table.column(column)) + 1 if column else 0)

        return _stage_cast(connection, table, exp.table_(view, quoted=True), _col(ROW), name, locate, "row")
    finally:
        connection.unregister(view)


# --- the checks -------------------------------------------------------------------------------------------


def check_staged(connection, staged: Staged) -> None:
    """NULLs in NOT NULL / primary key columns, and (full snapshots) a primary key twice: LoadError at the first."""
    table, relation = staged.table, staged.relation()
    problems = []
    for column in table.columns:
        if not required(table, column):
            continue
        query = exp.select(exp.Min(this=staged.row.copy())).from_(relation.copy()).where(exp.Is(this=_col(column.name), expression=exp.Null()))
        first = execute(connection, query).fetchone()[0]
        if first is not None:
            why = "primary key" if column.name in table.primary_key else "NOT NULL"
            problems.append(Problem("VG108", f"{staged.kind} {first}, column {column.name}: NULL in a {why} column of {table.name}",
                                    staged.locate(first, column.name), "every row needs a value here"))
    if problems:
        raise LoadError(problems)
    if table.load != "full_snapshot":
        return  # incremental and CDC batches may carry several rows of one key
    keys = [_col(name) for name in table.primary_key]
    first = exp.Min(this=staged.row.copy())
    query = (exp.select(*keys, first).from_(relation.copy()).group_by(*[k.copy() for k in keys])
             .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))).order_by(first.copy()).limit(1))
    duplicate = execute(connection, query).fetchone()
    if duplicate is None:
        return
    *key, row = duplicate
    same = exp.and_(*[exp.EQ(this=k.copy(), expression=exp.Placeholder()) for k in keys], exp.GT(this=staged.row.copy(), expression=exp.Placeholder()))
    second = execute(connection, exp.select(exp.Min(this=staged.row.copy())).from_(relation.copy()).where(same), [*key, row]).fetchone()[0]
    shown = ", ".join(f"{name}={_text(value)}" for name, value in zip(table.primary_key, key))
    raise LoadError([Problem("VG109", f"primary key ({shown}) of full snapshot {table.name} is in {staged.kind}s {row} and {second}",
                             staged.locate(second, table.primary_key[0]), "a full snapshot holds each key once: remove or merge one of the rows")])


def stage_file(connection, table: Table, path: Path, name: str) -> Staged:
    reader = stage_csv if path.suffix == ".csv" else stage_parquet
    staged = reader(connection, table, path, name)
    check_staged(connection, staged)
    return staged


def batch_files(folder: Path, tables: Sequence[Table]) -> dict[str, Path]:
    """<table>.csv / <table>.parquet per spec table in the folder; any other file is refused (hidden files aside)."""
    if not folder.is_dir():
        raise LoadError([Problem("VG100", "not a folder", Location(str(folder)), "pass --from DIR: one <table>.csv or <table>.parquet per source table")])
    names = {table.name for table in tables}
    files: dict[str, Path] = {}
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix not in EXTENSIONS or path.stem not in names:
            problems.append(Problem("VG100", f"{path.name} names no source table of the spec", Location(str(path)),
                                    f"files are <table>.csv or <table>.parquet; tables: {', '.join(sorted(names))}"))
        elif path.stem in files:
            problems.append(Problem("VG100", f"table {path.stem} has two files ({files[path.stem].name}, {path.name})", Location(str(path)), "keep one"))
        else:
            files[path.stem] = path
    if problems:
        raise LoadError(problems)
    if not files:
        raise LoadError([Problem("VG100", "no <table>.csv or <table>.parquet file", Location(str(folder)), f"tables: {', '.join(sorted(names))}")])
    return files
