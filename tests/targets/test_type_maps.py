"""Each target's type map, table-driven (the sqlglot way): one source type, {target: the column type}. The Glue
catalog's and the raw extract's types sit beside them, so a change to one map shows against the others."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from vaultgen.catalog.extract_plan import raw_spark_type
from vaultgen.catalog.glue import catalog_type
from vaultgen.dialects import DIALECTS, get_dialect, targets
from vaultgen.types import LOGICAL_TYPES, SOURCE_TYPES, parse_source_type

# source type -> {target or catalog: type}
CASES: dict[str, dict[str, str]] = {
    "smallint": {"duckdb": "SMALLINT", "spark": "SMALLINT", "athena": "INTEGER", "snowflake": "NUMBER(5,0)", "postgres": "SMALLINT",
                 "glue": "int", "iceberg": "int", "raw_spark": "int"},
    "integer": {"duckdb": "INTEGER", "spark": "INT", "athena": "INTEGER", "snowflake": "NUMBER(10,0)", "postgres": "INTEGER",
                "glue": "int", "iceberg": "int", "raw_spark": "int"},
    "bigint": {"duckdb": "BIGINT", "spark": "BIGINT", "athena": "BIGINT", "snowflake": "NUMBER(19,0)", "postgres": "BIGINT",
               "glue": "bigint", "iceberg": "long", "raw_spark": "bigint"},
    "real": {"duckdb": "REAL", "spark": "FLOAT", "athena": "REAL", "snowflake": "FLOAT", "postgres": "REAL",
             "glue": "float", "iceberg": "float", "raw_spark": "float"},
    "double precision": {"duckdb": "DOUBLE", "spark": "DOUBLE", "athena": "DOUBLE", "snowflake": "FLOAT", "postgres": "DOUBLE PRECISION",
                         "glue": "double", "iceberg": "double", "raw_spark": "double"},
    "numeric(10,2)": {"duckdb": "DECIMAL(10,2)", "spark": "DECIMAL(10,2)", "athena": "DECIMAL(10,2)", "snowflake": "NUMBER(10,2)",
                      "postgres": "NUMERIC(10,2)", "glue": "decimal(10,2)", "iceberg": "decimal(10,2)", "raw_spark": "decimal(10,2)"},
    "numeric(7)": {"duckdb": "DECIMAL(7,0)", "spark": "DECIMAL(7,0)", "athena": "DECIMAL(7,0)", "snowflake": "NUMBER(7,0)",
                   "postgres": "NUMERIC(7,0)", "glue": "decimal(7,0)", "iceberg": "decimal(7,0)", "raw_spark": "decimal(7,0)"},
    "numeric": {"duckdb": "DECIMAL(38,18)", "spark": "DECIMAL(38,18)", "athena": "DECIMAL(38,18)", "snowflake": "NUMBER(38,18)",
                "postgres": "NUMERIC(38,18)", "glue": "decimal(38,18)", "iceberg": "decimal(38,18)", "raw_spark": "decimal(38,18)"},
    "character varying(40)": {"duckdb": "VARCHAR", "spark": "STRING", "athena": "VARCHAR", "snowflake": "VARCHAR", "postgres": "VARCHAR",
                              "glue": "string", "iceberg": "string", "raw_spark": "string"},
    "bytea": {"duckdb": "BLOB", "spark": "BINARY", "athena": "VARBINARY", "snowflake": "BINARY", "postgres": "BYTEA",
              "glue": "binary", "iceberg": "binary", "raw_spark": "binary"},
    "boolean": {"duckdb": "BOOLEAN", "spark": "BOOLEAN", "athena": "BOOLEAN", "snowflake": "BOOLEAN", "postgres": "BOOLEAN",
                "glue": "boolean", "iceberg": "boolean", "raw_spark": "boolean"},
    "date": {"duckdb": "DATE", "spark": "DATE", "athena": "DATE", "snowflake": "DATE", "postgres": "DATE",
             "glue": "date", "iceberg": "date", "raw_spark": "date"},
    "timestamp": {"duckdb": "TIMESTAMP", "spark": "TIMESTAMP_NTZ", "athena": "TIMESTAMP(6)", "snowflake": "TIMESTAMP_NTZ(6)",
                  "postgres": "TIMESTAMP", "glue": "timestamp", "iceberg": "timestamp", "raw_spark": "timestamp_ntz"},
    "timestamp with time zone": {"duckdb": "TIMESTAMPTZ", "spark": "TIMESTAMP", "athena": "TIMESTAMP(6)", "snowflake": "TIMESTAMP_TZ(6)",
                                 "postgres": "TIMESTAMPTZ", "glue": "timestamp", "iceberg": "timestamptz", "raw_spark": "timestamp"},
}

CATALOGS = {
    "glue": lambda parsed: catalog_type(parsed)[0],
    "iceberg": lambda parsed: catalog_type(parsed)[1],
    "raw_spark": raw_spark_type,
}


@pytest.mark.parametrize("source", CASES)
def test_type_maps(source):
    parsed = parse_source_type(source)
    written = {name: get_dialect(name).column_type(parsed) for name in DIALECTS} | {name: kind(parsed) for name, kind in CATALOGS.items()}
    assert written == CASES[source]


def test_the_cases_cover_every_logical_type():
    assert {parse_source_type(source).logical for source in CASES} == set(LOGICAL_TYPES) == set(SOURCE_TYPES.values())


@pytest.mark.parametrize("name", list(DIALECTS))
def test_every_dialect_maps_every_logical_type_to_a_type_its_sqlglot_dialect_reads(name):
    dialect = get_dialect(name)
    assert set(dialect.type_mapping) == set(LOGICAL_TYPES)
    for type_name in dialect.type_mapping.values():
        assert isinstance(sqlglot.parse_one(f"CAST(x AS {type_name})", read=dialect.sqlglot_dialect), exp.Cast)


# the facts each target module states: {target: (identifier length, identifier case, Glue vault, Glue raw, RENAME TO qualified)}
FACTS = {
    "duckdb": (255, "lower", False, False, False),
    "spark": (255, "lower", False, True, True),
    "athena": (255, "lower", True, True, True),
    "snowflake": (255, "upper", False, False, True),
}


def test_target_facts():
    assert targets() == tuple(FACTS)
    assert {name: (d.max_identifier_length, d.identifier_case, d.glue_vault_catalog, d.glue_raw_catalog, d.rename_qualified)
            for name, d in ((name, get_dialect(name)) for name in targets())} == FACTS
    assert (get_dialect("postgres").dbt_target, get_dialect("postgres").max_identifier_length) == (False, 63)
