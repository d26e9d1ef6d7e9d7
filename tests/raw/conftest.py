"""The raw loader's tests: a real DuckDB file, batches written as CSV and parquet files, no dbt."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pytest

from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Spec

SPEC_DIR = Path(__file__).parent / "spec"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec(SPEC_DIR)


def raw_state(database: Path, spec: Spec) -> dict[str, list[tuple]]:
    """Every raw table and the load log, sorted: what "the raw layer is unchanged" compares."""
    if not database.exists():
        return {}
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection_state(connection, spec)


def connection_state(connection, spec: Spec) -> dict[str, list[tuple]]:
    names = [table.name for _, table in spec.tables()] + [spec.project.raw.load_log_table]
    present = {row[0] for row in connection.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
    return {name: connection.execute(f'select * from raw."{name}" order by all').fetchall() for name in names if name in present}


def write_csv(folder: Path, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A CSV file; None is written as an empty unquoted field (NULL), every other value quoted when needed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        for row in rows:
            handle.write(",".join("" if value is None else _csv_field(writer, value) for value in row) + "\n")
    return path


def _csv_field(writer, value: Any) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if (text == "" or any(c in text for c in ',"\n')) else text


def write_parquet(folder: Path, table: str, columns: Mapping[str, Any]) -> Path:
    """A parquet file from {column: pyarrow array or list}."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.parquet"
    pq.write_table(pa.table(dict(columns)), path)
    return path
