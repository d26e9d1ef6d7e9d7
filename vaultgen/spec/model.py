"""The spec as frozen pydantic models: the shape of vault_spec/*.yml.

Shape only: whether references resolve is checked afterwards by `vaultgen.spec.checks`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, WithJsonSchema, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vaultgen.dialects import POSTGRES, targets
from vaultgen.types import parse_source_type

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RULE = "use lower-case letters, digits and underscores, starting with a letter"


# values found valid, so that a name or type met again (a spec repeats its column names and types thousands of
# times) is not matched again; bounded, as a long-running process may read many specs
_VALID_NAMES: set[str] = set()
_VALID_TYPES: set[str] = set()
_VALID_MAX = 100_000


def _remember(valid: set[str], value: str) -> None:
    if len(valid) >= _VALID_MAX:
        valid.clear()
    valid.add(value)


def _check_name(value: str) -> str:
    if value in _VALID_NAMES:
        return value
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(f"'{value}' is not a valid name: {NAME_RULE}")
    if len(value) > 60:
        raise ValueError(f"'{value}' is longer than 60 characters")
    _remember(_VALID_NAMES, value)
    return value


def _check_type(value: str) -> str:
    if value not in _VALID_TYPES:
        parse_source_type(value)  # raises ValueError with the list of known types
        _remember(_VALID_TYPES, value)
    return value


def _check_hex_char(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]", value):
        raise ValueError(f"'{value}' must be one lower-case hexadecimal character (0-9, a-f)")
    return value


def _check_marker(value: str) -> str:
    if not value or len(value) > 8 or any(ch in value for ch in "'\"\\\n\r\t{}%#"):
        raise ValueError("must be 1 to 8 characters without quotes, backslashes, line breaks or any of { } % #")
    return value


def _check_label(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:/-]{1,100}", value):
        raise ValueError("must be 1 to 100 letters, digits or _ . : / -")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
Label = Annotated[str, AfterValidator(_check_label)]
SourceType = Annotated[str, AfterValidator(_check_type)]
Marker = Annotated[str, AfterValidator(_check_marker)]
HexChar = Annotated[str, AfterValidator(_check_hex_char)]
Text = Annotated[str, Field(max_length=2000)]


def _check_source_name(value: str) -> str:
    limit = POSTGRES.max_identifier_length
    if not value or len(value) > limit or value != value.strip() or re.search("[\x00-\x1f\x7f\"]", value):
        raise ValueError(f"'{value}' is not a source name: 1 to {limit} characters, no surrounding spaces, double quotes or control characters")
    return value


# the source's own spelling of a table or column (`AlbumId`); the spec name stays snake_case, every reader of
# the source selects "AlbumId" AS album_id
SourceName = Annotated[str, AfterValidator(_check_source_name)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indexed(Strict):
    """A frozen model with lookups cached on first use (functools.cached_property, kept in the instance's __dict__
    beside the fields; pydantic compares and hashes the fields only). A copy with changed fields drops them."""

    def model_copy(self, *, update=None, deep: bool = False):
        copied = super().model_copy(update=update, deep=deep)
        if update:
            for name in [name for name in copied.__dict__ if name not in type(self).model_fields]:
                del copied.__dict__[name]
        return copied


# --- project settings -------------------------------------------------------------------------------------


class KeyNormalisation(Strict):
    """How a value is normalised before it is hashed (in this order: Unicode form, trim, case)."""

    unicode: Literal["preserve", "nfc"] = "preserve"  # nfc: composed form, so 'é' and 'e' + U+0301 hash alike
    trim: bool = True
    case: Literal["upper", "lower", "preserve"] = "upper"


HASH_MARKER_FORBIDDEN = "'\"\\{}%#"


def _check_hash_marker(value: str) -> str:
    if not 1 <= len(value) <= 8 or any(not "!" <= ch <= "~" or ch in HASH_MARKER_FORBIDDEN for ch in value):
        raise ValueError("must be 1 to 8 printable ASCII characters without spaces, control characters, quotes, "
                         "backslashes or any of { } % #")
    return value


class Hashing(Strict):
    """How hash keys and hashdiffs encode their parts (see vaultgen/sql/hashing.py for the rule)."""

    algorithm: Literal["md5", "sha1", "sha256"] = "md5"
    delimiter: Annotated[str, AfterValidator(_check_hash_marker)] = "||"
    null_marker: Annotated[str, AfterValidator(_check_hash_marker)] = "^^"
    business_key: KeyNormalisation = KeyNormalisation()
    hashdiff: KeyNormalisation = KeyNormalisation(trim=False, case="preserve")

    @field_validator("null_marker")
    @classmethod
    def _marker_apart_from_delimiter(cls, value: str, info: ValidationInfo) -> str:
        _check_apart(info.data.get("delimiter", ""), value)
        return value

    @model_validator(mode="after")
    def _default_marker_apart_from_delimiter(self) -> "Hashing":
        _check_apart(self.delimiter, self.null_marker)  # also when one of them is the default
        return self


def _check_apart(delimiter: str, null_marker: str) -> None:
    shared = sorted(set(delimiter) & set(null_marker))
    if shared:  # escaping must tell a delimiter character from a marker character
        raise ValueError(f"null marker '{null_marker}' shares {', '.join(repr(ch) for ch in shared)} with the delimiter '{delimiter}'; "
                         "they must have no character in common")


class SentinelKeys(Strict):
    """Hash keys that stand for a missing business key: the character fills the whole key."""

    null_key: HexChar = "0"
    empty_key: HexChar = "f"

    @field_validator("empty_key")
    @classmethod
    def _empty_apart_from_null(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("null_key"):
            raise ValueError(f"equals null_key '{value}'; a NULL and an empty business key must get different sentinel keys")
        return value


class Naming(Strict):
    staging_prefix: Name = "stg"
    hub_prefix: Name = "hub"
    link_prefix: Name = "link"
    satellite_prefix: Name = "sat"
    record_tracking_prefix: Name = "rts"
    hash_key_suffix: Name = "hk"
    hashdiff_column: Name = "hashdiff"
    load_timestamp_column: Name = "load_ts"
    record_source_column: Name = "record_source"
    status_column: Name = "is_present"
    effectivity_prefix: Name = "eff"
    nonhistorized_link_prefix: Name = "nhl"
    multi_active_prefix: Name = "msat"
    reference_prefix: Name = "ref"
    pit_prefix: Name = "pit"
    bridge_prefix: Name = "bridge"
    dimension_prefix: Name = "dim"
    fact_prefix: Name = "fct"
    aggregate_prefix: Name = "agg"
    snapshot_column: Name = "snapshot_ts"
    effectivity_status_column: Name = "is_active"


class RawLayer(Strict):
    """Where the raw (landing) tables live and the batch columns every raw row carries."""

    schema_name: Name = Field("raw", alias="schema")
    load_timestamp_column: Name = "load_ts"
    batch_id_column: Name = "batch_id"
    load_log_table: Name = "load_log"


def _check_target(value: str) -> str:
    """A dbt target of the registry (vaultgen.dialects), asked when the spec is read: a registered target is one."""
    known = targets()
    if value not in known:
        listed = [repr(name) for name in known]
        raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": " or ".join([", ".join(listed[:-1]), listed[-1]])})
    return value


Target = Annotated[str, AfterValidator(_check_target), WithJsonSchema({"enum": list(targets()), "type": "string"})]


class PartitionField(Strict):
    """One Iceberg partition field of a model: a column and a transform (bucket takes a bucket count)."""

    column: Name
    transform: Literal["identity", "day", "month", "year", "hour", "bucket"] = "identity"
    buckets: int | None = Field(None, ge=2, le=4096)


class TargetOptions(Strict):
    """How one model is built on one target; unset fields fall back to the project's defaults."""

    enabled: bool | None = None
    partition_by: list[PartitionField] | None = None
    cluster_by: list[Name] | None = None


class TargetSettings(Strict):
    """Per target: the type of hash keys and hashdiffs, and default options by entity kind (hub, link, ...)."""

    hash_type: Literal["hex", "binary"] = "hex"
    defaults: dict[Name, TargetOptions] = Field(default_factory=dict)


class Project(Strict):
    name: Name
    description: Text = ""
    targets: list[Target] = Field(default_factory=lambda: ["duckdb"], min_length=1)
    target_settings: dict[Target, TargetSettings] = Field(default_factory=dict)
    hashing: Hashing = Hashing()
    sentinels: SentinelKeys = SentinelKeys()
    naming: Naming = Naming()
    raw: RawLayer = RawLayer()
    # a zero-key row (the null sentinel key) in every hub and satellite, so that PIT joins never lose rows
    ghost_records: bool = False
    # per satellite, a history view (valid_from, valid_to, is_current) and a current view
    virtual_end_dating: bool = False


# --- the source -------------------------------------------------------------------------------------------


class Column(Strict):
    name: Name
    source_name: SourceName | None = None  # the column's name in the source, when it differs from `name`
    type: SourceType
    nullable: bool = True
    description: Text = ""
    sensitivity: Literal["public", "internal", "confidential", "pii"] = "internal"


class ChangeDataCapture(Strict):
    """How a CDC table's rows say what happened: an operation column and its values (and an optional sequence)."""

    operation_column: Name
    insert: Marker = "I"
    update: Marker = "U"
    delete: Marker = "D"
    sequence_column: Name | None = None  # orders several changes of one key within a batch


class Table(Indexed):
    name: Name
    source_name: SourceName | None = None  # the table's name in the source, when it differs from `name`
    description: Text = ""
    primary_key: list[Name] = Field(min_length=1)
    # full_snapshot: every batch holds the whole table; incremental: every batch holds the rows whose watermark
    # column reached or passed the highest value loaded before (new and changed rows, never deletions);
    # cdc: every batch holds the changed rows with an operation flag
    load: Literal["full_snapshot", "incremental", "cdc"] = "full_snapshot"
    watermark_column: Name | None = None  # incremental only: a not-null column that grows on every insert and update
    cdc: ChangeDataCapture | None = None
    columns: list[Column] = Field(min_length=1)

    def column(self, name: str) -> Column | None:
        return self.columns_by_name.get(name)

    @cached_property
    def columns_by_name(self) -> dict[str, Column]:
        found: dict[str, Column] = {}
        for column in self.columns:
            found.setdefault(column.name, column)  # the first of a duplicated name, as a linear search finds it
        return found

    @property
    def source_table(self) -> str:
        return self.source_name or self.name


def source_column(column: Column) -> str:
    """The column's name in the source (its `source_name`, else its spec name)."""
    return column.source_name or column.name


FRESHNESS_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24}


class FreshnessWindow(Strict):
    count: int = Field(ge=1, le=100_000)
    period: Literal["minute", "hour", "day"] = "hour"

    @property
    def hours(self) -> float:
        return self.count * FRESHNESS_HOURS[self.period]


class Freshness(Strict):
    """How late a source's newest raw batch may be before `dbt source freshness` warns or fails (default: a daily
    extract, with two hours of slack for the warning and a missed day for the error)."""

    warn_after: FreshnessWindow = FreshnessWindow(count=26)
    error_after: FreshnessWindow = FreshnessWindow(count=50)

    @model_validator(mode="after")
    def _error_after_warn(self) -> "Freshness":
        if self.error_after.hours <= self.warn_after.hours:
            raise ValueError("error_after must be longer than warn_after")
        return self


class SourceSystem(Strict):
    name: Name
    description: Text = ""
    record_source: Label | None = None
    source_schema: SourceName | None = None  # the schema of its tables in the live source (default: public / main)
    freshness: Freshness = Freshness()
    tables: list[Table] = Field(min_length=1)


# --- the vault --------------------------------------------------------------------------------------------


class VaultEntity(Strict):
    """What every entity kind has: a unique name, a description, and per-target options."""

    name: Name
    description: Text = ""
    targets: dict[Target, TargetOptions] = Field(default_factory=dict)
    # the entity's name before a rename: `vaultgen plan` then renames its tables (keeping their history) instead of
    # dropping one entity and creating an empty other
    renamed_from: Name | None = None


class HubSource(Strict):
    table: Name
    columns: list[Name] = Field(min_length=1)


class Hub(VaultEntity):
    kind: Literal["hub"]
    business_keys: list[Name] = Field(min_length=1)
    sources: list[HubSource] = Field(min_length=1)


class LinkReference(Strict):
    hub: Name
    role: Name | None = None

    @property
    def role_name(self) -> str:
        return self.role or self.hub


class LinkSource(Strict):
    table: Name
    columns: dict[Name, list[Name]]


class Link(VaultEntity):
    kind: Literal["link"]
    references: list[LinkReference]
    sources: list[LinkSource] = Field(min_length=1)


class Satellite(VaultEntity):
    kind: Literal["satellite"]
    parent: Name
    source: Name
    attributes: list[Name] = Field(min_length=1)


class RecordTrackingSatellite(VaultEntity):
    """Records, per full-snapshot batch, whether the parent key is present in the source table."""

    kind: Literal["record_tracking_satellite"]
    parent: Name
    source: Name


class EffectivitySatellite(VaultEntity):
    """Which relationship of a link is in effect for its driving key(s): when a driving key (an order) appears
    with another relationship (a new shipper), the old relationship ends and the new one starts."""

    kind: Literal["effectivity_satellite"]
    parent: Name
    source: Name
    driving_keys: list[Name] = Field(min_length=1)  # roles of the parent link


class NonHistorizedLink(Link):
    """A transactional link: one row per event (an order line) with its payload, never changed afterwards."""

    kind: Literal["nonhistorized_link"]
    payload: list[Name] = Field(min_length=1)


class MultiActiveSatellite(Satellite):
    """Several active rows per parent key (an employee's territories); a change of any row of the set inserts the
    whole set again. `multi_active_key` (a subset of `attributes`) tells the rows of one set apart."""

    kind: Literal["multi_active_satellite"]
    multi_active_key: list[Name] = Field(min_length=1)


class ReferenceTable(VaultEntity):
    """Reference data (codes and their descriptions) without hash keys: keyed by its code, insert-only history."""

    kind: Literal["reference_table"]
    source: Name
    code: list[Name] = Field(min_length=1)
    attributes: list[Name] = Field(min_length=1)


class DailyCalendar(Strict):
    start: date
    end: date


class SnapshotCalendar(Strict):
    """When a PIT table takes its snapshots: at every batch load timestamp, or daily (midnight) between two dates.
    Only snapshot times up to the latest loaded batch are computed, so each snapshot sees complete data."""

    load_timestamps: bool = False
    daily: DailyCalendar | None = None


class PointInTime(VaultEntity):
    """PIT table: per hub key and snapshot time, the key and load timestamp of each satellite's row valid then (the
    ghost row when none is). Incremental: only new snapshot times are added."""

    kind: Literal["pit"]
    hub: Name
    satellites: list[Name] = Field(min_length=1)
    calendar: SnapshotCalendar


class BridgeStep(Strict):
    """One step of a bridge's path: through `link`, from one of its roles to another."""

    link: Name
    from_role: Name = Field(alias="from")
    to_role: Name = Field(alias="to")
    # when the step's relationship is in effect now (used by facts over the bridge)
    effectivity: Name | None = None
    tracking: Name | None = None


class Bridge(VaultEntity):
    """Bridge table: every combination of link rows along a path of links (customer -> order -> product), with the
    load timestamp of the latest link row of the combination. Incremental: only new combinations are added."""

    kind: Literal["bridge"]
    path: list[BridgeStep] = Field(min_length=1)
    # with a calendar: per snapshot time, the combinations in effect then (per the steps' effectivity and record
    # tracking satellites); incremental by snapshot time like a PIT
    calendar: SnapshotCalendar | None = None


class DimensionAttributes(Strict):
    satellite: Name
    columns: list[Name] = Field(min_length=1)


class Dimension(VaultEntity):
    """A star-schema dimension: one row per hub key, business keys and satellite attributes at the PIT's latest
    snapshot (optionally only the keys present per a record tracking satellite)."""

    kind: Literal["dimension"]
    pit: Name
    attributes: list[DimensionAttributes] = Field(min_length=1)
    tracking: Name | None = None


class Complement(Strict):
    complement: Name  # 1 - column


class DerivedMeasure(Strict):
    """A named product of columns (and complements 1 - column): revenue = unit_price * quantity * (1 - discount)."""

    name: Name
    product: list[Union[Name, Complement]] = Field(min_length=2)


class Fact(VaultEntity):
    """A star-schema fact over a bridge: one row per combination in effect now (each step's effectivity / record
    tracking), the hub keys of every link on the path, and the current payload of a satellite of one of its links."""

    kind: Literal["fact"]
    bridge: Name
    satellite: Name
    measures: list[Name] = Field(min_length=1)
    derived: list[DerivedMeasure] = Field(default_factory=list)


class GroupBy(Strict):
    column: Name
    dimension: Name | None = None  # a dimension joined on its hub key; without it, a column of the fact
    role: Name | None = None  # the fact's key column of that dimension is <role>_hk (default: the dimension's hub)
    part: Literal["year", "month"] | None = None  # of a date
    name: Name | None = None  # output column (default: column, or column_part)


class Measure(Strict):
    name: Name
    function: Literal["sum", "count", "count_distinct", "avg", "min", "max"]
    column: Name


class Aggregate(VaultEntity):
    """An aggregate mart: measures of a fact grouped by columns of the fact or of its dimensions."""

    kind: Literal["aggregate"]
    fact: Name
    group_by: list[GroupBy] = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)


Entity = Annotated[
    Union[Hub, Link, Satellite, RecordTrackingSatellite, EffectivitySatellite, NonHistorizedLink, MultiActiveSatellite, ReferenceTable,
          PointInTime, Bridge, Dimension, Fact, Aggregate],
    Field(discriminator="kind"),
]


class SpecIndex:
    """The spec's lookups as dictionaries, built once per spec (`Spec.index`). Pure grouping of what the spec says,
    valid before the meaning checks too: where a name is duplicated, the first holder wins, as a linear search
    would find it. The lists are shared: read them, never change them."""

    def __init__(self, spec: "Spec"):
        self.entities: dict[str, Entity] = {}
        for entity in spec.entities:
            self.entities.setdefault(entity.name, entity)
        self.kinds: dict[type, list] = {}  # of_kind(kind), computed per kind asked for
        self._entities = spec.entities
        self.tables = [(system, table) for system in spec.sources for table in system.tables]
        self.table: dict[str, Table] = {}
        self.system: dict[str, SourceSystem] = {}
        for system, table in self.tables:
            self.table.setdefault(table.name, table)
            self.system.setdefault(table.name, system)
        # per source table: the hub and link sources that read it, in spec order
        self.hub_sources: dict[str, list[tuple[Hub, HubSource]]] = {}
        self.link_sources: dict[str, list[tuple[Link, LinkSource]]] = {}
        # per hub name: the link references to it, in spec order
        self.references: dict[str, list[tuple[Link, LinkReference]]] = {}
        # per source table: the satellites and reference tables whose hashdiff its staging computes
        self.hashdiffs: dict[str, list] = {}
        for entity in spec.entities:
            if isinstance(entity, Hub):
                for hub_source in entity.sources:
                    self.hub_sources.setdefault(hub_source.table, []).append((entity, hub_source))
            elif isinstance(entity, Link):
                for link_source in entity.sources:
                    self.link_sources.setdefault(link_source.table, []).append((entity, link_source))
                for reference in entity.references:
                    self.references.setdefault(reference.hub, []).append((entity, reference))
        for entity in [*self.of_kind(Satellite), *self.of_kind(ReferenceTable)]:  # as spec.satellites + spec.reference_tables
            self.hashdiffs.setdefault(entity.source, []).append(entity)
        self.naming = None  # vaultgen.naming.Naming.of(spec) keeps the spec's Naming here

    def of_kind(self, kind: type) -> list:
        found = self.kinds.get(kind)
        if found is None:
            found = self.kinds[kind] = [entity for entity in self._entities if isinstance(entity, kind)]
        return found


class Spec(Indexed):
    project: Project
    sources: list[SourceSystem] = Field(min_length=1)
    entities: list[Entity] = Field(min_length=1)
    # where each entity and table is declared, (file relative to the spec folder, line), set by the loader
    _origins: dict[str, tuple[str, int]] = PrivateAttr(default_factory=dict)

    def files_digest(self) -> str | None:
        """SHA-256 over the files the loader read this spec from (their paths in the spec folder and bytes); None
        for a spec built in code, or copied with changed fields (Indexed.model_copy drops it with the caches)."""
        return self.__dict__.get("_files_digest")

    def origin(self, key: str) -> tuple[str, int] | None:
        """(spec file, line) of `entity:<name>` or `table:<name>`, when the spec was read from files."""
        return self._origins.get(key)

    @cached_property
    def index(self) -> SpecIndex:
        return SpecIndex(self)

    def of_kind(self, kind: type) -> list:
        """The entities that are a `kind` (subclasses included), in spec order; a shared list: do not change it."""
        return self.index.of_kind(kind)

    @property
    def hubs(self) -> list[Hub]:
        return self.of_kind(Hub)

    @property
    def links(self) -> list[Link]:
        return self.of_kind(Link)

    @property
    def satellites(self) -> list[Satellite]:
        return self.of_kind(Satellite)

    @property
    def tracking_satellites(self) -> list[RecordTrackingSatellite]:
        return self.of_kind(RecordTrackingSatellite)

    @property
    def reference_tables(self) -> list[ReferenceTable]:
        return self.of_kind(ReferenceTable)

    @property
    def effectivity_satellites(self) -> list[EffectivitySatellite]:
        return self.of_kind(EffectivitySatellite)

    def entity(self, name: str):
        return self.index.entities.get(name)

    def tables(self) -> list[tuple[SourceSystem, Table]]:
        return list(self.index.tables)

    def table(self, name: str) -> Table | None:
        return self.index.table.get(name)

    def system_of(self, table_name: str) -> SourceSystem:
        system = self.index.system.get(table_name)
        if system is None:
            raise KeyError(f"no source table {table_name!r}")
        return system
