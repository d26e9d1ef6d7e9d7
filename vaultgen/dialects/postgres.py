"""PostgreSQL: not a dbt target, but the source engine and a third engine for the hash parity tests."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, call, literal, six_decimals
from vaultgen.types import POSTGRES_TYPES


def _to_char(pattern: str):
    return lambda value: call("to_char", value, literal(pattern))


POSTGRES = Dialect(
    name="postgres",
    sqlglot_dialect="postgres",
    dbt_adapter="postgres",
    string_type="VARCHAR",
    hash_functions={
        "md5": lambda value: call("md5", value),
        "sha256": lambda value: call("encode", call("sha256", call("convert_to", value, literal("UTF8"))), literal("hex")),
    },
    type_mapping=POSTGRES_TYPES,
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
