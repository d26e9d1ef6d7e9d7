"""PostgreSQL: not a dbt target, but the source engine (its type spellings are the spec's source types) and a
third engine for the hash parity tests."""

from __future__ import annotations

import re

from sqlglot import exp

from vaultgen.dialects.base import Dialect, call, literal, six_decimals
from vaultgen.dialects.logical import SourceType

# PostgreSQL spelling (and aliases) of a source column's type -> logical type
SOURCE_TYPES: dict[str, str] = {
    "smallint": "int16",
    "int2": "int16",
    "integer": "int32",
    "int": "int32",
    "int4": "int32",
    "bigint": "int64",
    "int8": "int64",
    "real": "float32",
    "float4": "float32",
    "double precision": "float64",
    "float8": "float64",
    "numeric": "decimal",
    "decimal": "decimal",
    "character varying": "string",
    "varchar": "string",
    "character": "string",
    "char": "string",
    "text": "string",
    "bytea": "binary",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz",
    "timestamp with time zone": "timestamptz",
}

_TYPE_PATTERN = re.compile(r"^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


def parse_source_type(text: str) -> SourceType:
    match = _TYPE_PATTERN.match(text.lower())
    if not match or match.group(1) not in SOURCE_TYPES:
        known = ", ".join(sorted(set(SOURCE_TYPES)))
        raise ValueError(f"unknown source type '{text}'; known types: {known}")
    name, length, scale = match.groups()
    logical = SOURCE_TYPES[name]
    if scale is not None and logical != "decimal":
        raise ValueError(f"type '{text}' takes no scale")
    if logical == "decimal" and length is not None and not (1 <= int(length) <= 38 and int(scale or 0) <= int(length)):
        raise ValueError(f"type '{text}': precision must be 1..38 and scale at most the precision")
    return SourceType(logical, int(length) if length else None, int(scale) if scale else None)


# logical type -> PostgreSQL type (the hash parity tests)
TYPES: dict[str, str] = {
    "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "float32": "REAL", "float64": "DOUBLE PRECISION",
    "decimal": "NUMERIC", "string": "VARCHAR", "binary": "BYTEA", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
}


def _to_char(pattern: str):
    return lambda value: call("to_char", value, literal(pattern))


POSTGRES = Dialect(
    name="postgres",
    sqlglot_dialect="postgres",
    dbt_adapter="postgres",
    string_type="VARCHAR",
    max_identifier_length=63,  # NAMEDATALEN - 1: longer names are truncated; also the limit of a source's own names
    dbt_target=False,
    hash_functions={
        "md5": lambda value: call("md5", value),
        "sha256": lambda value: call("encode", call("sha256", call("convert_to", value, literal("UTF8"))), literal("hex")),
    },
    type_mapping=TYPES,
    nfc_normalise=lambda value: call("normalize", value, exp.var("NFC")),  # PostgreSQL 13+, in a UTF8 database
    string_renderers={
        "float32": six_decimals("VARCHAR", "postgres"),
        "float64": six_decimals("VARCHAR", "postgres"),
        "date": _to_char("YYYY-MM-DD"),
        "timestamp": _to_char("YYYY-MM-DD HH24:MI:SS.US"),
        "timestamptz": lambda value: _to_char("YYYY-MM-DD HH24:MI:SS.US")(exp.AtTimeZone(this=value, zone=literal("UTC"))),
        "binary": lambda value: call("encode", value, literal("hex")),
    },
)
