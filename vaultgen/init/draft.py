"""The draft spec `vaultgen init` writes, from a database catalog: pure logic, files as text.

A hub per entity table on its primary key; a table whose primary key is made of foreign keys only (at least two)
is a link; every other foreign key to a drafted table becomes a link from the table's hub (a self-reference, or
a second reference to one hub, gets a role named after its columns: employee.reports_to); a satellite with the
remaining columns; record tracking on every hub and link (the draft's tables are full snapshots). Names not in
snake_case keep their source spelling beside them (`source_name: AlbumId`). YAML comments mark what a person
should decide: a natural business key instead of a surrogate, splitting satellites by rate of change, PII,
incremental loading, types read as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vaultgen.init.catalog import Catalog, ForeignKey, SourceTable
from vaultgen.init.names import Names, singular, snake
from vaultgen.types import parse_source_type

RESERVED_COLUMNS = {"load_ts", "batch_id", "record_source", "hashdiff", "is_present", "is_active", "snapshot_ts", "valid_from", "valid_to",
                    "is_current", "table_name", "row_count"}
PII = re.compile(r"(^|_)(first_?name|last_?name|full_?name|given_?name|surname|contact_?name|e_?mail|phone|mobile|fax|address|street|"
                 r"postal_?code|zip(_?code)?|birth|birthday|dob|ssn|passport|iban|card_?number|tax_?id|home_phone)(_|$)")
WATERMARK = re.compile(r"(^|_)(updated|modified|changed|last_update|last_modified|updated_at|modified_at|row_version)(_|$)")
DUCKDB_TYPES = {"tinyint": "smallint", "utinyint": "smallint", "usmallint": "integer", "uinteger": "bigint", "hugeint": "numeric(38,0)",
                "ubigint": "numeric(20,0)", "float": "real", "double": "double precision", "blob": "bytea",
                "timestamp with time zone": "timestamptz", "timestamp_s": "timestamp", "timestamp_ms": "timestamp", "timestamp_ns": "timestamp"}


@dataclass
class DraftColumn:
    name: str
    source_name: str
    type: str
    nullable: bool
    comment: str
    notes: list[str] = field(default_factory=list)
    pii: bool = False


@dataclass
class DraftTable:
    source: SourceTable
    name: str
    columns: list[DraftColumn]

    def spec(self, source_name: str) -> str:
        return next(c.name for c in self.columns if c.source_name == source_name)


def spec_type(source_type: str) -> tuple[str, str]:
    """The spec's type for a source type (PostgreSQL spelling) and a note when it is read as text."""
    text = source_type.strip().lower()
    text = DUCKDB_TYPES.get(text, text)
    if text.startswith("decimal("):
        text = "numeric" + text[len("decimal"):]
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)", r"(\1,\2)", text)
    try:
        parse_source_type(text)
        return text, ""
    except ValueError:
        return "text", f"source type {source_type} is read as text: vaultgen has no such type"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) and text.lower() not in {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _flow(mapping: dict) -> str:
    parts = []
    for key, value in mapping.items():
        if isinstance(value, list):
            parts.append(f"{key}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, dict):
            parts.append(f"{key}: {_flow(value)}")
        else:
            parts.append(f"{key}: {_scalar(value)}")
    return "{" + ", ".join(parts) + "}"


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


class _Draft:
    def __init__(self, catalog: Catalog, shown: str, database: str):
        self.catalog, self.shown = catalog, shown
        self.system = snake(database, "source")
        self.skipped: list[str] = []
        self.tables: dict[str, DraftTable] = {}  # by source name
        table_names = Names({"load_log"})
        for table in catalog.tables:
            if not table.primary_key:
                self.skipped.append(table.name)
                continue
            names = Names(RESERVED_COLUMNS)
            columns = []
            for column in table.columns:
                kind_text, note = spec_type(column.type)
                name = names.unique(snake(column.name, "c"))
                draft = DraftColumn(name, column.name, kind_text, column.nullable and column.name not in table.primary_key, column.comment)
                if note:
                    draft.notes.append(note)
                if PII.search(name):
                    draft.pii = True
                    draft.notes.append("PII? the name suggests personal data (sensitivity: pii masks it on Snowflake): review")
                columns.append(draft)
            self.tables[table.name] = DraftTable(table, table_names.unique(snake(table.name, "t")), columns)
        self.entity_names = Names()
        self.files: dict[str, list[str]] = {}

    # -- keys ---------------------------------------------------------------------------------------------
    def resolve(self, key: ForeignKey) -> tuple[DraftTable, list[str]] | None:
        """The referenced drafted table and this key's columns in the order of its primary key (the hub's keys)."""
        target = self.tables.get(key.table)
        if target is None or sorted(key.references) != sorted(target.source.primary_key):
            return None
        order = {ref: col for col, ref in zip(key.columns, key.references)}
        return target, [order[ref] for ref in target.source.primary_key]

    def is_link_table(self, table: DraftTable) -> list[tuple[ForeignKey, DraftTable, list[str]]] | None:
        primary = set(table.source.primary_key)
        inside = [(key, *resolved) for key in table.source.foreign_keys
                  if set(key.columns) <= primary and (resolved := self.resolve(key)) is not None]
        inside.sort(key=lambda item: min(table.source.primary_key.index(c) for c in item[0].columns))
        covered = {column for key, _, _ in inside for column in key.columns}
        return inside if len(inside) >= 2 and covered == primary else None

    # -- output -------------------------------------------------------------------------------------------
    def build(self) -> dict[str, str]:
        link_tables = {name: self.is_link_table(t) for name, t in self.tables.items()}
        self.hubs = {name: self.entity_names.unique(singular(t.name)) for name, t in self.tables.items() if not link_tables[name]}
        out = {"project.yml": self.project(), f"sources/{self.system}.yml": self.sources()}
        for name, table in self.tables.items():
            lines = self.link_table(table, link_tables[name]) if link_tables[name] else self.entity_table(table)
            stem = self.hubs.get(name) or table.name
            out[f"vault/{stem}.yml"] = "\n".join(["entities:", *lines]) + "\n"
        return out

    def project(self) -> str:
        lines = [
            f"# Draft written by `vaultgen init` from {self.shown} (schema {self.catalog.schema}).",
            "# It validates and builds as it is; review every `# decide:` and `# review:` comment in sources/ and vault/.",
            "project:",
            f"  name: {_scalar(snake(self.system + '_vault'))}",
            f"  description: {_scalar('Data Vault 2.0 drafted from ' + self.shown)}",
            "  targets: [duckdb]",
            "  ghost_records: true",
        ]
        return "\n".join(lines) + "\n"

    def sources(self) -> str:
        lines = []
        if self.skipped:
            lines += _comment(f"not drafted (no primary key, so no hub key): {', '.join(self.skipped)}", "")
        lines += ["sources:", f"  - name: {self.system}", f"    description: {_scalar(self.shown)}", f"    record_source: {self.system}",
                  f"    source_schema: {_scalar(self.catalog.schema)}", "    tables:"]
        for table in self.tables.values():
            source = table.source
            lines.append(f"      - name: {table.name}")
            if source.name != table.name:
                lines.append(f"        source_name: {_scalar(source.name)}")
            if source.comment:
                lines.append(f"        description: {_scalar(source.comment)}")
            watermarks = [c.name for c in table.columns if WATERMARK.search(c.name) and parse_source_type(c.type).logical in ("timestamp", "timestamptz")]
            if watermarks:
                lines += _comment(f"decide: {', '.join(watermarks)} may grow on every change; then `load: incremental` with "
                                  f"`watermark_column: {watermarks[0]}` reads only changed rows (deletions are then not seen; drop the table's"
                                  " record tracking satellites)", "        ")
            lines.append(f"        primary_key: [{', '.join(table.spec(c) for c in source.primary_key)}]")
            lines.append("        columns:")
            for column in table.columns:
                item = {"name": column.name}
                if column.source_name != column.name:
                    item["source_name"] = column.source_name
                item["type"] = column.type
                if not column.nullable:
                    item["nullable"] = False
                if column.comment:
                    item["description"] = column.comment
                if column.pii:
                    item["sensitivity"] = "pii"
                for note in column.notes:
                    lines += _comment(f"review: {column.name}: {note}", "          ")
                lines.append(f"          - {_flow(item)}")
        return "\n".join(lines) + "\n"

    def _describe(self, table: DraftTable) -> str:
        return table.source.comment or ""

    def entity_table(self, table: DraftTable) -> list[str]:
        source = table.source
        hub = self.hubs[source.name]
        keys = [table.spec(c) for c in source.primary_key]
        lines = []
        if len(keys) == 1 and parse_source_type(table.columns[[c.source_name for c in table.columns].index(source.primary_key[0])].type).logical in ("int16", "int32", "int64"):
            lines += _comment(f"decide: {keys[0]} looks like a surrogate key; if {source.name} has a natural business key (a code or number"
                              " people use), make it the hub's business key and keep this one as an attribute", "  ")
        lines += ["  - kind: hub", f"    name: {hub}"]
        if self._describe(table):
            lines.append(f"    description: {_scalar(self._describe(table))}")
        lines += [f"    business_keys: [{', '.join(keys)}]", "    sources:", f"      - {_flow({'table': table.name, 'columns': keys})}"]
        linked: set[str] = set()
        roles_taken: dict[str, int] = {}
        links = []
        order = [c.name for c in source.columns]
        for key in sorted(source.foreign_keys, key=lambda k: [order.index(c) for c in k.columns]):  # the same on every engine
            resolved = self.resolve(key)
            if resolved is None:
                continue
            target, columns = resolved
            target_hub = self.hubs.get(target.source.name)
            if target_hub is None:  # a link table's key: no hub to point at
                continue
            stem = snake("_".join(re.sub(r"(?i)_?id$", "", c) or c for c in key.columns), "ref")
            role = stem if target_hub == hub or stem != target_hub else None
            if role is not None and role == hub:
                role = f"{role}_ref"
            name = self.entity_names.unique(f"{hub}_{role or target_hub}")
            references = [{"hub": hub}, {"hub": target_hub, **({"role": role} if role else {})}]
            links.append((name, references, {hub: keys, (role or target_hub): [table.spec(c) for c in columns]}, target))
            linked.update(columns)
        attributes = [c.name for c in table.columns if c.source_name not in source.primary_key and c.source_name not in linked]
        unresolved = [c for key in source.foreign_keys if self.resolve(key) is None for c in key.columns]
        if unresolved:
            lines += _comment(f"review: foreign key column(s) {', '.join(table.spec(c) for c in unresolved)} reference a table that is not"
                              " drafted (or not by its primary key): kept as attributes", "  ")
        if attributes:
            lines += ["", *_comment("decide: split this satellite by rate of change (columns that change often apart from stable ones)", "  "),
                      "  - kind: satellite", f"    name: {self.entity_names.unique(hub + '_details')}", f"    parent: {hub}",
                      f"    source: {table.name}", f"    attributes: [{', '.join(attributes)}]"]
        lines += ["", f"  - {_flow({'kind': 'record_tracking_satellite', 'name': self.entity_names.unique(hub + '_status'), 'parent': hub, 'source': table.name})}"]
        for name, references, columns, target in links:
            lines += ["", "  - kind: link", f"    name: {name}",
                      f"    description: {_scalar(f'{table.name} to {target.name} ({source.name} references {target.source.name})')}",
                      "    references:", *[f"      - {_flow(r)}" for r in references],
                      "    sources:", f"      - table: {table.name}", f"        columns: {_flow(columns)}",
                      f"  - {_flow({'kind': 'record_tracking_satellite', 'name': self.entity_names.unique(name + '_status'), 'parent': name, 'source': table.name})}"]
        return lines

    def link_table(self, table: DraftTable, keys: list[tuple[ForeignKey, DraftTable, list[str]]]) -> list[str]:
        source = table.source
        name = self.entity_names.unique(table.name)
        references, columns, seen = [], {}, Names()
        for key, target, ordered in keys:
            target_hub = self.hubs[target.source.name]
            role = None
            if target_hub in seen.taken:
                role = seen.unique(snake("_".join(re.sub(r"(?i)_?id$", "", c) or c for c in key.columns), "ref"))
            else:
                seen.unique(target_hub)
            references.append({"hub": target_hub, **({"role": role} if role else {})})
            columns[role or target_hub] = [table.spec(c) for c in ordered]
        in_key = {c for key, _, _ in keys for c in key.columns}
        attributes = [c.name for c in table.columns if c.source_name not in in_key]
        lines = ["  - kind: link", f"    name: {name}"]
        lines.append(f"    description: {_scalar(self._describe(table) or f'{source.name}: a relationship table (its primary key is foreign keys only)')}")
        lines += ["    references:", *[f"      - {_flow(r)}" for r in references], "    sources:", f"      - table: {table.name}",
                  f"        columns: {_flow(columns)}"]
        if attributes:
            lines += ["", "  - kind: satellite", f"    name: {self.entity_names.unique(name + '_details')}", f"    parent: {name}",
                      f"    source: {table.name}", f"    attributes: [{', '.join(attributes)}]"]
        lines += ["", f"  - {_flow({'kind': 'record_tracking_satellite', 'name': self.entity_names.unique(name + '_status'), 'parent': name, 'source': table.name})}"]
        return lines


def draft_files(catalog: Catalog, shown: str, database: str) -> tuple[dict[str, str], list[str]]:
    """The draft spec's files (path -> text) and the source tables left out (no primary key)."""
    draft = _Draft(catalog, shown, database)
    return draft.build(), draft.skipped
