"""Per-target migration artefacts of each classified change: DDL (sqlglot trees rendered in the target's dialect, with
the renderer's names, schemas, identifier case and quoting), in-place rehash statements, dbt selectors of the models
to rebuild with --full-refresh, the Glue catalog update, and clean-up statements a reviewer may run once nothing
reads an orphaned table."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.catalog.glue_vault import column_types
from vaultgen.change.compare import Change, WITH_HASHDIFF, match_entities
from vaultgen.dialects import target_dialect
from vaultgen.dialects.base import Dialect
from vaultgen.emit.dbt_project import LAYER_SCHEMAS, RENDERERS
from vaultgen.graph import ModelColumn, vault_model_columns
from vaultgen.naming import Naming
from vaultgen.spec.model import Hub, Link, ReferenceTable, Spec
from vaultgen.sql.common import sentinel_keys
from vaultgen.sql.hashing import hashdiff_sql
from vaultgen.targets import enabled_entities
from vaultgen.types import parse_source_type

# RENAME TO: DuckDB takes the bare new name (the table stays in its schema); the others take it qualified, so that
# the table stays in its database/schema rather than moving to the session's current one
RENAME_TO_QUALIFIED = {"duckdb": False, "spark": True, "athena": True, "snowflake": True}
GLUE_TARGETS = ("athena",)  # targets whose vault tables `vaultgen glue sync` defines
RAW_GLUE_TARGETS = ("athena", "spark")  # targets that read the raw Iceberg tables defined in Glue
GLUE_SYNC = "vaultgen glue sync"


def dialect_of(spec: Spec, target: str) -> Dialect:
    settings = spec.project.target_settings.get(target)
    return target_dialect(target, settings.hash_type if settings else "hex", sentinel_keys(spec))


def layer_schema(entity) -> str:
    return LAYER_SCHEMAS[RENDERERS[type(entity)].folder.split("/")[0]]


def is_persisted(entity) -> bool:
    """Whether the entity's model is an incremental table whose rows (history) outlive a build."""
    return RENDERERS[type(entity)].incremental


def table_of(spec: Spec, entity, dialect: Dialect, name: str | None = None) -> exp.Table:
    model = name or Naming(spec).model_name(entity)
    return exp.table_(exp.to_identifier(dialect.identifier(model), quoted=True),
                      db=exp.to_identifier(dialect.identifier(layer_schema(entity)), quoted=True))


def _identifier(dialect: Dialect, name: str) -> exp.Identifier:
    return exp.to_identifier(dialect.identifier(name), quoted=True)


def _column_type(spec: Spec, column: ModelColumn, dialect: Dialect) -> exp.DataType:
    if dialect.name in GLUE_TARGETS:  # Athena's Iceberg DDL takes the catalog's (Hive) types, as `glue sync` writes them
        return exp.DataType.build(column_types(spec, column)[0], dialect=dialect.sqlglot_dialect)
    return exp.DataType.build(dialect.column_type(parse_source_type(column.source.type)), dialect=dialect.sqlglot_dialect)


def add_column(spec: Spec, entity, column: ModelColumn, dialect: Dialect) -> exp.Alter:
    definition = exp.ColumnDef(this=_identifier(dialect, column.name), kind=_column_type(spec, column, dialect))
    return exp.Alter(this=table_of(spec, entity, dialect), kind="TABLE", actions=[definition])


def alter_column_type(spec: Spec, entity, column: ModelColumn, dialect: Dialect) -> exp.Alter:
    action = exp.AlterColumn(this=_identifier(dialect, column.name), dtype=_column_type(spec, column, dialect))
    return exp.Alter(this=table_of(spec, entity, dialect), kind="TABLE", actions=[action])


def rename_table(old_spec: Spec, old_entity, new_spec: Spec, new_entity, dialect: Dialect) -> exp.Alter:
    old, new = table_of(old_spec, old_entity, dialect), table_of(new_spec, new_entity, dialect)
    if not RENAME_TO_QUALIFIED[dialect.name]:
        new = exp.table_(new.this)
    return exp.Alter(this=old, kind="TABLE", actions=[exp.AlterRename(this=new)])


def rename_column(spec: Spec, entity, old: str, new: ModelColumn, dialect: Dialect) -> exp.Alter:
    if dialect.name in GLUE_TARGETS:  # Athena (Hive DDL): CHANGE COLUMN old new type
        action = exp.AlterColumn(this=_identifier(dialect, old), rename_to=_identifier(dialect, new.name),
                                 dtype=exp.DataType.build(column_types(spec, new)[0], dialect=dialect.sqlglot_dialect))
    else:
        action = exp.RenameColumn(this=_identifier(dialect, old), to=_identifier(dialect, new.name))
    return exp.Alter(this=table_of(spec, entity, dialect), kind="TABLE", actions=[action])


def drop(spec: Spec, entity, dialect: Dialect, name: str | None = None, kind: str = "TABLE") -> exp.Drop:
    return exp.Drop(tables=[table_of(spec, entity, dialect, name)], kind=kind, exists=True)


def hashdiff_update(spec: Spec, entity, dialect: Dialect) -> exp.Update:
    """Recompute a satellite's stored hashdiffs from its stored attributes with the spec's hashing (an in-place rehash)."""
    table = spec.table(entity.source)
    typed = [(exp.column(dialect.identifier(name), quoted=True), parse_source_type(table.column(name).type).logical) for name in entity.attributes]
    value = hashdiff_sql(typed, spec.project.hashing, dialect)
    target = exp.column(dialect.identifier(Naming(spec).hashdiff), quoted=True)
    update = exp.Update(this=table_of(spec, entity, dialect), expressions=[exp.EQ(this=target, expression=value)])
    if isinstance(entity, ReferenceTable):
        return update
    key = exp.column(dialect.identifier(Naming(spec).parent_key(entity)), quoted=True)  # ghost rows keep their hashdiff
    return update.where(exp.not_(exp.In(this=key, expressions=[dialect.key_literal(k) for k in sentinel_keys(spec)])))


def _sql(statement: exp.Expression, dialect: Dialect) -> str:
    return statement.sql(dialect=dialect.sqlglot_dialect) + ";"


def _selector(spec: Spec, entity) -> str:
    return f"{Naming(spec).model_name(entity)}+"


def _columns(spec: Spec, entity) -> dict[str, ModelColumn]:
    return {column.name: column for column in vault_model_columns(spec, entity) or []}


def _key_renames(old: Spec, new: Spec) -> dict[str, str]:
    """Hash key columns renamed by entity renames (a hub's key, a link's key, a link role named after its hub)."""
    renames = {}
    old_naming, new_naming = Naming(old), Naming(new)
    for before, after in match_entities(old, new)[0]:
        if before.name != after.name and isinstance(after, (Hub, Link)):
            renames[old_naming.hash_key(before.name)] = new_naming.hash_key(after.name)
    return renames


def _column_renames(old: Spec, new: Spec, before, after) -> list[tuple[str, ModelColumn]]:
    renames = _key_renames(old, new)
    old_columns, new_columns = _columns(old, before), _columns(new, after)
    return [(name, new_columns[renames[name]]) for name in old_columns
            if name in renames and renames[name] in new_columns and name not in new_columns]


def plan_migrations(old: Spec, new: Spec, changes: list[Change]) -> None:
    """Fill `migration` of every change: target -> {ddl, rehash, dbt, glue, cleanup} -> statements or commands."""
    pairs = match_entities(old, new)[0]
    for change in changes:
        targets = [change.target] if change.target else sorted(set(new.project.targets) | set(old.project.targets))
        for target in targets:
            artefacts: dict[str, list[str]] = {}
            _artefacts(old, new, pairs, change, target, artefacts)
            if artefacts:
                change.migration[target] = artefacts


def _built_on(spec: Spec, entity, target: str) -> bool:
    return target in spec.project.targets and any(e.name == entity.name for e in enabled_entities(spec, target))


def _artefacts(old: Spec, new: Spec, pairs, change: Change, target: str, out: dict[str, list[str]]) -> None:
    def add(kind: str, item: str) -> None:
        if item not in out.setdefault(kind, []):
            out[kind].append(item)

    data, kind = change.data, change.change
    before, after = data.get("old"), data.get("new")
    in_new, in_old = target in new.project.targets, target in old.project.targets
    if kind in ("attribute_added", "payload_changed") and after is not None and _built_on(new, after, target) and is_persisted(after):
        dialect, columns = dialect_of(new, target), _columns(new, after)
        for name in data.get("added") or [data["attribute"]]:
            add("ddl", _sql(add_column(new, after, columns[name], dialect), dialect))
    elif kind == "attribute_type_changed" and _built_on(new, after, target):
        dialect = dialect_of(new, target)
        add("ddl", _sql(alter_column_type(new, after, _columns(new, after)[data["attribute"]], dialect), dialect))
    elif kind == "entity_renamed" and in_new and in_old and _built_on(new, after, target):
        dialect = dialect_of(new, target)
        add("ddl", _sql(rename_table(old, before, new, after, dialect), dialect))
        for view in Naming(old).derived_models(before):  # virtual end-dating views: dbt creates them under the new names
            add("cleanup", _sql(drop(old, before, dialect, view, "VIEW"), dialect))
    elif kind in ("entity_removed", "entity_renamed_without_renamed_from") and in_old and _built_on(old, before, target):
        dialect = dialect_of(old, target)
        add("cleanup", _sql(drop(old, before, dialect), dialect))
        if kind == "entity_renamed_without_renamed_from":
            add("hint", data["hint"])
    elif kind == "entity_disabled":
        dialect = dialect_of(old, target)
        add("cleanup", _sql(drop(old, before, dialect), dialect))
    elif kind in ("definition_changed", "business_key_changed", "link_references_changed", "kind_changed", "parent_changed", "source_changed",
                  "multi_active_key_changed", "layout_changed") and in_new and _built_on(new, after, target):
        add("dbt", f"dbt build --full-refresh --select {_selector(new, after)}")
    if (change.impact == "re-version" and in_new and after is not None and before is not None and _built_on(new, after, target)
            and rewritable(before, after)):
        dialect = dialect_of(new, target)  # instead of new versions: rewrite the stored hashdiffs in place
        add("rehash", _sql(hashdiff_update(new, after, dialect), dialect))
    elif change.impact == "re-version":
        pass
    elif change.impact == "rehash" and in_new:
        _rehash(new, change, target, add)
    elif kind == "target_added":
        add("dbt", "dbt build (the first build of the new target creates every table from the raw layer)")
    elif kind == "source_column_added" and in_new:
        if target == "duckdb":  # the DuckDB raw layer (vaultgen load) lives beside the vault
            dialect, table = dialect_of(new, target), new.table(data["table"])
            column = exp.ColumnDef(this=exp.to_identifier(data["column"], quoted=True),
                                   kind=exp.DataType.build(dialect.column_type(parse_source_type(data["type"])), dialect="duckdb"))
            raw = exp.table_(exp.to_identifier(table.name, quoted=True), db=exp.to_identifier(new.project.raw.schema_name, quoted=True))
            add("ddl", _sql(exp.Alter(this=raw, kind="TABLE", actions=[column]), dialect))
            add("ddl", _sql(refingerprint(old, new, data["table"]), dialect))
        else:  # the build log's fingerprints of that table's batches now cover one more (NULL) column
            add("dbt", f"dbt build --full-refresh --select {Naming(new).staging_model(data['table'])}+ (the batch guard sees the new raw column "
                       "as changed content; or re-fingerprint the build log as the DuckDB migration does)")
        if target in RAW_GLUE_TARGETS:
            add("glue", GLUE_SYNC)
    elif kind == "source_table_added" and in_new and target in RAW_GLUE_TARGETS:
        add("glue", GLUE_SYNC)
    if kind == "entity_renamed" and in_new and in_old:
        for old_entity, new_entity in pairs:  # hash key columns named after a renamed hub or link, wherever they are stored
            if _built_on(new, new_entity, target) and is_persisted(new_entity):
                dialect = dialect_of(new, target)
                own_key = Naming(old).hash_key(before.name) if isinstance(before, (Hub, Link)) else None
                for old_name, new_column in _column_renames(old, new, old_entity, new_entity):
                    if old_name == own_key:
                        add("ddl", _sql(rename_column(new, new_entity, old_name, new_column, dialect), dialect))
    if target in GLUE_TARGETS and in_new and out.get("ddl") and kind != "source_column_added":
        add("glue", GLUE_SYNC)


def refingerprint(old: Spec, new: Spec, table_name: str) -> exp.Update:
    """DuckDB: the build log's fingerprint of every built batch of a raw table that gained a column, recomputed over
    the new columns, where the batch's rows are unchanged since the build (its fingerprint over the old columns still
    matches); a batch corrected in the meantime keeps its old fingerprint, so the batch guard still catches it."""
    from vaultgen.run.batches import _fingerprint, build_log_table

    raw = new.project.raw
    before, after = [c.name for c in old.table(table_name).columns], [c.name for c in new.table(table_name).columns]
    batch = exp.column(raw.batch_id_column, quoted=True)
    fingerprints = (exp.select(batch.as_("batch_id"), _fingerprint(before).as_("old_fingerprint"), _fingerprint(after).as_("new_fingerprint"))
                    .from_(exp.table_(exp.to_identifier(table_name, quoted=True), db=exp.to_identifier(raw.schema_name, quoted=True)))
                    .group_by(batch.copy()))
    log = build_log_table()
    condition = exp.and_(
        exp.EQ(this=exp.column("table_name", log.name, quoted=True), expression=exp.Literal.string(table_name)),
        exp.EQ(this=exp.column("batch_id", log.name, quoted=True), expression=exp.column("batch_id", "raw_batch", quoted=True)),
        exp.EQ(this=exp.column("fingerprint", log.name, quoted=True), expression=exp.column("old_fingerprint", "raw_batch", quoted=True)),
    )
    return exp.Update(this=log, expressions=[exp.EQ(this=exp.column("fingerprint", quoted=True),
                                                    expression=exp.column("new_fingerprint", "raw_batch", quoted=True))],
                      from_=exp.From(this=fingerprints.subquery("raw_batch")), where=exp.Where(this=condition))


def rewritable(before, after) -> bool:
    """Whether the stored rows hold every value the entity's new hashdiff reads (so it can be rewritten in place)."""
    from vaultgen.spec.model import MultiActiveSatellite

    return (isinstance(after, WITH_HASHDIFF) and isinstance(before, WITH_HASHDIFF) and not isinstance(after, MultiActiveSatellite)
            and all(name in before.attributes for name in after.attributes))


def _rehash(spec: Spec, change: Change, target: str, add) -> None:
    """Hash keys are stored in hubs, links and every satellite, and the raw layer keeps every batch, so the exact
    rehash is a rebuild of the vault from the raw layer with the new hashing; hashdiffs alone can be rewritten in place."""
    scope = _selector(spec, change.data["new"]) if change.data.get("new") is not None else "path:models/raw_vault+"
    add("dbt", f"dbt build --full-refresh --select {scope}")
    if change.change in ("hashing_algorithm_changed", "hashing_delimiter_changed", "hashing_null_marker_changed"):
        dialect = dialect_of(spec, target)
        for entity in enabled_entities(spec, target):
            if isinstance(entity, WITH_HASHDIFF) and is_persisted(entity):
                add("rehash", _sql(hashdiff_update(spec, entity, dialect), dialect))
