"""What vaultgen needs to know about a target: plain data that the SQL builders and emitters ask, never a
name to compare. sqlglot owns the syntax; a Dialect owns the meaning: how a value becomes its canonical
string, which function hashes it, the column types, identifier case and length, the dbt adapter's settings,
and which catalog reads its tables.

What vaultgen/emit/dbt_project.py asks of a target: `name` (the profile's target and output), `profile`,
`project_models_config`, `staging_materialized`, `incremental_config`, `partition_config_key` with
`partition_transforms`, `cluster_config_key`, and `identifier` (names in the batch-guard vars)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable

from sqlglot import exp

from vaultgen.dialects.logical import SourceType, mapped_type

ExpressionBuilder = Callable[[exp.Expression], exp.Expression]


@lru_cache(maxsize=None)
def _parsed_type(name: str, dialect: str | None) -> exp.DataType:
    return exp.DataType.build(name, dialect=dialect)


def _fresh(node: exp.Expression) -> exp.Expression:
    """A new tree like `node` (a parsed type: no comments, no metadata), made by the nodes' constructors: cheaper
    than sqlglot's copy, a general deep copy."""
    args = {}
    for key, value in node.args.items():
        if isinstance(value, exp.Expression):
            value = _fresh(value)
        elif isinstance(value, list):
            value = [_fresh(item) if isinstance(item, exp.Expression) else item for item in value]
        args[key] = value
    return type(node)(**args)


def data_type(name: str, dialect: str | None = None) -> exp.DataType:
    """The type node of a type name, parsed once per name and dialect (a new node each call)."""
    return _fresh(_parsed_type(name, dialect))  # type: ignore[return-value]


def call(name: str, *arguments: exp.Expression) -> exp.Expression:
    """A function call written exactly as named: vaultgen owns it, sqlglot must not translate it."""
    return exp.Anonymous(this=name, expressions=list(arguments))


def literal(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def cast_to(type_name: str, dialect: str) -> ExpressionBuilder:
    return lambda value: exp.Cast(this=value, to=data_type(type_name, dialect))


def six_decimals(string_type: str, dialect: str) -> ExpressionBuilder:
    """Floats as a decimal string rounded to 6 places, alike on every engine: n = floor(x * 1e6 + 0.5) in IEEE
    double arithmetic (which every engine does the same way), then n as an integer times 0.000001 as a
    DECIMAL. A cast from DOUBLE to DECIMAL would not do: DuckDB multiplies in floating point, Spark and Trino go
    through the shortest decimal text, PostgreSQL through 15 significant digits, so they round 0.1234565 or
    5e-07 differently. Exact for |x| < 9e9 (n below 2**53)."""

    def double(value: exp.Expression) -> exp.Expression:
        return exp.Cast(this=value, to=data_type("DOUBLE", dialect))

    def render(value: exp.Expression) -> exp.Expression:
        scaled = exp.Add(this=exp.Mul(this=double(value), expression=double(exp.Literal.number(1000000))), expression=double(exp.Literal.number("0.5")))
        micro_units = exp.Cast(this=exp.Floor(this=scaled), to=data_type("BIGINT", dialect))
        as_decimal = exp.Mul(
            this=exp.Cast(this=micro_units, to=data_type("DECIMAL(18, 0)", dialect)),
            expression=exp.Cast(this=exp.Literal.number("0.000001"), to=data_type("DECIMAL(7, 6)", dialect)),
        )
        return exp.Cast(this=as_decimal, to=data_type(string_type, dialect))

    return render


@dataclass(frozen=True)
class PartitionTransforms:
    """How an Iceberg partition transform is written in the adapter's partition config."""

    identity: str = "{column}"
    day: str = "day({column})"
    month: str = "month({column})"
    year: str = "year({column})"
    hour: str = "hour({column})"
    bucket: str = "bucket({buckets}, {column})"


@dataclass(frozen=True)
class Dialect:
    name: str
    sqlglot_dialect: str
    dbt_adapter: str
    string_type: str
    max_identifier_length: int  # the longest table or column name the engine keeps (vaultgen.spec.checks enforces it)
    # a dbt target (a choice of the spec's project.targets); False: a dialect vaultgen only reads or tests with
    dbt_target: bool = True
    # algorithm -> a function building the lower-case hexadecimal digest of a string expression
    hash_functions: dict[str, ExpressionBuilder] = field(repr=False, default_factory=dict)
    # logical type (vaultgen.types) -> this target's column type
    type_mapping: dict[str, str] = field(repr=False, default_factory=dict)
    # logical type -> a function rendering a value of that type as its canonical string (see sql/hashing.py)
    string_renderers: dict[str, ExpressionBuilder] = field(repr=False, default_factory=dict)
    identifier_case: str = "lower"  # "upper": every generated identifier is upper-cased (Snowflake)
    # dbt: the profile output (values may hold env_var() calls), config for every model under models/,
    # config of incremental vault models, and the config keys for partitioning and clustering
    profile: dict[str, Any] = field(repr=False, default_factory=dict)
    project_models_config: dict[str, Any] = field(repr=False, default_factory=dict)
    incremental_config: dict[str, Any] = field(repr=False, default_factory=dict)
    # staging models compute the hashes: "view" where views are cheap and replaceable; "table" (rebuilt from
    # the batch window on every run) where a view is not: Spark's Iceberg session catalog keeps a replaced
    # view's old SQL, and inlining staging as CTEs makes Spark's planner copy the hash expressions into
    # every consumer until the driver runs out of memory
    staging_materialized: str = "view"
    partition_config_key: str | None = None
    partition_transforms: PartitionTransforms = PartitionTransforms()
    cluster_config_key: str | None = None
    # the optional binary hash type: algorithm -> digest as raw bytes, the type of a key column, and (once
    # chosen) the sentinel keys that must be written as binary literals
    binary_hash_functions: dict[str, ExpressionBuilder] = field(repr=False, default_factory=dict)
    binary_key_literals: frozenset[str] = frozenset()
    # how staging turns an instant (timestamptz) into the type this target's tables can hold; None: as it is.
    # Athena's Iceberg DDL (and so dbt-athena's CREATE TABLE AS) creates only timestamps without time zone.
    store_instant: ExpressionBuilder | None = field(repr=False, default=None)
    # Unicode normalisation to NFC of a string (hashing.*.unicode: nfc); None: the target has none
    nfc_normalise: ExpressionBuilder | None = field(repr=False, default=None)
    # the catalog: whether `vaultgen glue sync` defines the vault tables in the Glue Data Catalog (this target's
    # DDL then takes the catalog's Hive types), and whether it reads the raw Iceberg tables defined there
    glue_vault_catalog: bool = False
    glue_raw_catalog: bool = False
    # ALTER TABLE ... RENAME TO takes the new name qualified (it stays in its schema) rather than bare
    rename_qualified: bool = True

    @property
    def supports_nfc(self) -> bool:
        return self.nfc_normalise is not None

    @property
    def supports_binary_hashes(self) -> bool:
        return bool(self.binary_hash_functions)

    def with_binary_hashes(self, sentinel_keys: list[str]) -> "Dialect":
        """This dialect storing hash keys and hashdiffs as bytes (half the size of hex text)."""
        return replace(self, hash_functions=self.binary_hash_functions, binary_key_literals=frozenset(sentinel_keys))

    def key_literal(self, text: str) -> exp.Expression:
        """A hash key constant (a sentinel key) as this dialect stores keys."""
        return call("TO_BINARY", literal(text), literal("HEX")) if self.binary_key_literals else literal(text)

    def column_type(self, source_type: SourceType) -> str:
        return mapped_type(self.type_mapping, source_type)

    def hash_hex(self, algorithm: str, value: exp.Expression) -> exp.Expression:
        if algorithm not in self.hash_functions:
            raise ValueError(f"{self.name} has no {algorithm} function")
        return self.hash_functions[algorithm](value)

    def cast(self, value: exp.Expression, type_name: str) -> exp.Expression:
        return exp.Cast(this=value, to=data_type(type_name, self.sqlglot_dialect))

    def render_string(self, value: exp.Expression, logical: str) -> exp.Expression:
        renderer = self.string_renderers.get(logical)
        return renderer(value) if renderer else self.cast(value, self.string_type)

    def stored(self, value: exp.Expression, logical: str) -> exp.Expression:
        """A staged value as the vault tables store it."""
        return self.store_instant(value) if logical == "timestamptz" and self.store_instant else value

    def identifier(self, name: str) -> str:
        return name.upper() if self.identifier_case == "upper" else name

    def partition_field(self, transform: str, column: str, buckets: int | None = None) -> str:
        return getattr(self.partition_transforms, transform).format(column=self.identifier(column), buckets=buckets)
