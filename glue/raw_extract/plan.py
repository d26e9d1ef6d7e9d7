"""The extract plan (generated/glue/extract_plan.json, rendered by vaultgen.catalog.extract_plan) as dataclasses.

Standard library only: on AWS Glue the job has PySpark and nothing of vaultgen. vaultgen validated the spec
before rendering the plan; this module checks again what reaches SQL (identifiers and type names), so a
hand-edited plan fails here with a clear message instead of in PostgreSQL or Spark.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PLAN_VERSION = 1
LOAD_MODES = ("full_snapshot", "incremental", "cdc")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # vaultgen's Name rule
SOURCE_TYPE = re.compile(r"^[a-z][a-z0-9 ]*(\(\d+(,\s*\d+)?\))?$")  # a PostgreSQL type name, as vaultgen parsed it
SPARK_TYPE = re.compile(r"^[a-z_]+(\(\d+,\d+\))?$")


class PlanError(ValueError):
    """The plan file cannot be used."""


@dataclass(frozen=True)
class ColumnPlan:
    name: str
    source_type: str  # as PostgreSQL spells it
    logical: str  # vaultgen's logical type
    spark_type: str  # the raw Iceberg column's Spark type
    source_name: str = ""  # the column's name in the source (the spec's `source_name`); "" when it is `name`

    @property
    def source(self) -> str:
        return self.source_name or self.name


@dataclass(frozen=True)
class TablePlan:
    name: str
    source_system: str
    load: str
    watermark_column: str | None
    columns: tuple[ColumnPlan, ...]
    source_name: str = ""  # the table's name in the source; "" when it is `name`

    @property
    def source(self) -> str:
        return self.source_name or self.name

    def column(self, name: str) -> ColumnPlan | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class RawLayerPlan:
    database: str
    load_timestamp_column: str
    batch_id_column: str
    load_log_table: str


@dataclass(frozen=True)
class ExtractPlan:
    project: str
    raw: RawLayerPlan
    tables: tuple[TablePlan, ...]

    def table(self, name: str) -> TablePlan | None:
        return next((table for table in self.tables if table.name == name), None)


def _identifier(value, where: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise PlanError(f"{where}: {value!r} is not an identifier")
    return value


def _matching(pattern: re.Pattern, value, where: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise PlanError(f"{where}: unexpected value {value!r}")
    return value


def _column(data: dict, where: str) -> ColumnPlan:
    return ColumnPlan(
        name=_identifier(data.get("name"), where),
        source_type=_matching(SOURCE_TYPE, data.get("source_type"), f"{where}.source_type"),
        logical=_identifier(data.get("logical"), f"{where}.logical"),
        spark_type=_matching(SPARK_TYPE, data.get("spark_type"), f"{where}.spark_type"),
        source_name=_source_name(data.get("source_name", ""), f"{where}.source_name"),
    )


def _source_name(value, where: str) -> str:
    """A source's own spelling (`AlbumId`): any text without double quotes or control characters (it is quoted)."""
    if not isinstance(value, str) or len(value) > 63 or any(ch == '"' or ord(ch) < 32 for ch in value):
        raise PlanError(f"{where}: {value!r} is not a source name")
    return value


def _table(data: dict, where: str) -> TablePlan:
    name = _identifier(data.get("name"), f"{where}.name")
    load = data.get("load")
    if load not in LOAD_MODES:
        raise PlanError(f"{where}: load {load!r} is not one of {', '.join(LOAD_MODES)}")
    columns = tuple(_column(column, f"{where}.columns[{index}]") for index, column in enumerate(data.get("columns") or []))
    if not columns:
        raise PlanError(f"{where}: table {name} has no columns")
    watermark = data.get("watermark_column")
    if (load == "incremental") != (watermark is not None):
        raise PlanError(f"{where}: an incremental table, and only one, names its watermark_column")
    if watermark is not None and watermark not in {column.name for column in columns}:
        raise PlanError(f"{where}: watermark column {watermark!r} is not a column of {name}")
    return TablePlan(name, _identifier(data.get("source_system"), f"{where}.source_system"), load, watermark, columns,
                     _source_name(data.get("source_name", ""), f"{where}.source_name"))


def parse_plan(text: str, origin: str = "plan") -> ExtractPlan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanError(f"{origin}: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("version") != PLAN_VERSION:
        raise PlanError(f"{origin}: expected an extract plan of version {PLAN_VERSION} (render it with `vaultgen render`)")
    raw = data.get("raw") or {}
    return ExtractPlan(
        project=str(data.get("project", "")),
        raw=RawLayerPlan(*[_identifier(raw.get(key), f"{origin}: raw.{key}")
                           for key in ("database", "load_timestamp_column", "batch_id_column", "load_log_table")]),
        tables=tuple(_table(table, f"{origin}: tables[{index}]") for index, table in enumerate(data.get("tables") or [])),
    )
