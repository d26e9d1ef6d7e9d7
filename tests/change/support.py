"""Spec copies to change in a test, and a DuckDB vault made of an old spec's tables (no dbt) to run DDL against."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import duckdb
import yaml
from sqlglot import exp

from vaultgen.change.migration import dialect_of, is_persisted, table_of
from vaultgen.dialects.duckdb import DUCKDB
from vaultgen.emit.dbt_project import RENDERERS
from vaultgen.graph import vault_model_columns
from vaultgen.spec.model import Spec
from vaultgen.targets import enabled_entities
from vaultgen.types import parse_source_type

HISTORY_SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "history_spec"
FILES = ("project.yml", "source.yml", "vault.yml")


def read_spec(folder: Path) -> dict[str, Any]:
    return {name: yaml.safe_load((folder / name).read_text()) for name in FILES}


def write_spec(folder: Path, documents: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (folder / name).write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def changed_copy(source: Path, folder: Path, change: Callable[[dict[str, Any]], None] | None) -> Path:
    if change is None:
        shutil.copytree(source, folder)
        return folder
    documents = read_spec(source)
    change(documents)
    return write_spec(folder, documents)


def entity(documents: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in documents["vault.yml"]["entities"] if e["name"] == name)


def table(documents: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for s in documents["source.yml"]["sources"] for t in s["tables"] if t["name"] == name)


def _duckdb_type(spec: Spec, column) -> str:
    if column.type == "source":
        return DUCKDB.column_type(parse_source_type(column.source.type))
    return {"hash": "VARCHAR", "load_ts": "TIMESTAMPTZ", "string": "VARCHAR", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP"}[column.type]


def create_vault_tables(connection: duckdb.DuckDBPyConnection, spec: Spec) -> None:
    """Every persisted vault table of `spec` on DuckDB, empty, with the columns and types its model has."""
    dialect = dialect_of(spec, "duckdb")
    # the build log as the generated project's on-run-start creates it (macros/vaultgen_batches.sql)
    connection.execute("create schema if not exists vaultgen_meta")
    connection.execute("create table if not exists vaultgen_meta.build_log (table_name varchar, batch_id varchar, load_ts timestamp, fingerprint varchar)")
    for entity_ in enabled_entities(spec, "duckdb"):
        if type(entity_) not in RENDERERS or not is_persisted(entity_):
            continue
        target = table_of(spec, entity_, dialect)
        connection.execute(exp.Create(this=target.args["db"].copy(), kind="SCHEMA", exists=True).sql("duckdb"))
        columns = [exp.ColumnDef(this=exp.to_identifier(c.name, quoted=True), kind=exp.DataType.build(_duckdb_type(spec, c), dialect="duckdb"))
                   for c in vault_model_columns(spec, entity_)]
        connection.execute(exp.Create(this=exp.Schema(this=target, expressions=columns), kind="TABLE").sql("duckdb"))


def columns_of(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    return [row[0] for row in connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()]
