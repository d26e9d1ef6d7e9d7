"""Per-target migration artefacts of each classified change: DDL (sqlglot trees rendered in the target's dialect, with
the renderer's names, schemas, identifier case and quoting), in-place rehash statements, dbt selectors of the models
to rebuild with --full-refresh, the Glue catalog update, and clean-up statements a reviewer may run once nothing
reads an orphaned table."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.catalog.glue_vault import column_types
from vaultgen.change.compare import DERIVED, Change, WITH_HASHDIFF, match_entities
from vaultgen.dialects import get_dialect, target_dialect
from vaultgen.dialects.base import Dialect
from vaultgen.emit.dbt_project import LAYER_SCHEMAS, RENDERERS
from vaultgen.graph import ModelColumn, hub_feeds, vault_model_columns
from vaultgen.naming import Naming
from vaultgen.spec.model import EffectivitySatellite, Hub, Link, MultiActiveSatellite, ReferenceTable, Spec
from vaultgen.sql.common import sentinel_keys, union_all
from vaultgen.sql.hashing import hash_key_sql, hashdiff_sql
from vaultgen.targets import enabled_entities
from vaultgen.types import decimal_precision, parse_source_type

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
    if dialect.glue_vault_catalog:  # Athena's Iceberg DDL takes the catalog's (Hive) types, as `glue sync` writes them
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
    if not dialect.rename_qualified:
        new = exp.table_(new.this)
    return exp.Alter(this=old, kind="TABLE", actions=[exp.AlterRename(this=new)])


def rename_column(spec: Spec, entity, old: str, new: ModelColumn, dialect: Dialect) -> exp.Alter:
    if dialect.glue_vault_catalog:  # Athena (Hive DDL): CHANGE COLUMN old new type
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
    """The model and its descendants; for a raw vault model also its staging (+ before it): staging tables hold only the
    last build's window, and a full refresh of staging without a window reads every batch of the raw layer."""
    name = Naming(spec).model_name(entity)
    return f"{name}+" if isinstance(entity, DERIVED) else f"+{name}+"


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
    lead = next((c for c in changes if c.change in KEY_REHASHES), None)  # one in-place rehash applies the whole new hashing
    for change in changes:
        targets = [change.target] if change.target else sorted(set(new.project.targets) | set(old.project.targets))
        for target in targets:
            artefacts: dict[str, list[str]] = {}
            _artefacts(old, new, pairs, change, target, artefacts, lead)
            if artefacts:
                change.migration[target] = artefacts


def _built_on(spec: Spec, entity, target: str) -> bool:
    return target in spec.project.targets and any(e.name == entity.name for e in enabled_entities(spec, target))


def _artefacts(old: Spec, new: Spec, pairs, change: Change, target: str, out: dict[str, list[str]], lead: Change | None = None) -> None:
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
    if change.impact == "re-version" and in_new and after is not None and _built_on(new, after, target):
        # the staging passes only changed rows: a key not rewritten in place would re-version only when its row next
        # changes; with the whole snapshot staged once, every affected key gets its new version in one batch (after
        # the rehash statements, nothing is left to re-version and the step inserts nothing)
        add("dbt", "dbt build --vars '{vaultgen_stage_whole: true}' for the next batch (every row staged: each affected key "
                   "not rewritten in place gets its new version once, in that batch)")
    elif change.impact == "rehash" and in_new:
        _rehash(old, new, change, target, add, lead)
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
        if get_dialect(target).glue_raw_catalog:
            add("glue", GLUE_SYNC)
    elif kind == "source_table_added" and in_new and get_dialect(target).glue_raw_catalog:
        add("glue", GLUE_SYNC)
    if kind == "entity_renamed" and in_new and in_old:
        for old_entity, new_entity in pairs:  # hash key columns named after a renamed hub or link, wherever they are stored
            if _built_on(new, new_entity, target) and is_persisted(new_entity):
                dialect = dialect_of(new, target)
                own_key = Naming(old).hash_key(before.name) if isinstance(before, (Hub, Link)) else None
                for old_name, new_column in _column_renames(old, new, old_entity, new_entity):
                    if old_name == own_key:
                        add("ddl", _sql(rename_column(new, new_entity, old_name, new_column, dialect), dialect))
    if get_dialect(target).glue_vault_catalog and in_new and out.get("ddl") and kind != "source_column_added":
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
    return (isinstance(after, WITH_HASHDIFF) and isinstance(before, WITH_HASHDIFF) and not isinstance(after, MultiActiveSatellite)
            and all(name in before.attributes for name in after.attributes))


KEY_REHASHES = ("hashing_algorithm_changed", "hashing_delimiter_changed", "hashing_null_marker_changed", "hashing_sentinels_changed")
HASHDIFF_REHASHES = ("hashing_algorithm_changed", "hashing_delimiter_changed", "hashing_null_marker_changed")
REBUILD = "dbt build --full-refresh --select +path:models/raw_vault+"  # with staging: see _selector
KEY_MAP_SUFFIX = "_key_map"
OLD_KEY, NEW_KEY = "old_key", "new_key"


def _col(dialect: Dialect, name: str, table: str | None = None) -> exp.Column:
    return exp.column(dialect.identifier(name), table=table, quoted=True)


def _aliased(table: exp.Table, name: str) -> exp.Table:
    table.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
    return table


def _logical(column: ModelColumn) -> str:
    return parse_source_type(column.source.type).logical


def _key_owners(spec: Spec, entity) -> list[tuple[str, Hub | Link]]:
    """(hash key column, the hub or link whose key it holds) of every hash key column of a raw vault table."""
    naming = Naming(spec)
    if isinstance(entity, Hub):
        return [(naming.hash_key(entity.name), entity)]
    if isinstance(entity, Link):
        return [(naming.hash_key(entity.name), entity)] + [(naming.hash_key(r.role_name), spec.entity(r.hub)) for r in entity.references]
    parent = spec.entity(entity.parent) if hasattr(entity, "parent") else None
    if parent is None:  # a reference table: no hash keys
        return []
    owners = [(naming.parent_key(entity), parent)]
    if isinstance(entity, EffectivitySatellite):
        hubs = {r.role_name: spec.entity(r.hub) for r in parent.references}
        owners += [(naming.hash_key(role), hubs[role]) for role in entity.driving_keys]
    return owners


def _sentinel_pairs(old: Spec, new: Spec, target: str) -> list[tuple[exp.Expression, exp.Expression]]:
    """(old key, new key) of the sentinel keys: the old null and empty sentinels become the new ones. They are in every
    map, also where the table itself lacks them (a link has no ghost rows, its satellites have), and are not recomputed
    (ghost rows have NULL business keys, so the empty sentinel could not be). A new sentinel stays (a rerun)."""
    old_dialect, new_dialect = dialect_of(old, target), dialect_of(new, target)
    pairs = list(zip(sentinel_keys(old), sentinel_keys(new))) + [(k, k) for k in sentinel_keys(new) if k not in sentinel_keys(old)]  # a rerun
    return [((old_dialect if before in sentinel_keys(old) else new_dialect).key_literal(before), new_dialect.key_literal(after)) for before, after in pairs]


def _map_table(spec: Spec, entity, dialect: Dialect) -> exp.Table:
    return table_of(spec, entity, dialect, Naming(spec).model_name(entity) + KEY_MAP_SUFFIX)


def key_map(old: Spec, new: Spec, entity: Hub | Link, target: str) -> exp.Create:
    """CREATE TABLE <model>_key_map AS SELECT old_key, new_key: every stored key of a hub (from its stored business keys)
    or a link (from its parents' business keys, joined through the parent hubs, in the link's key order), hashed with
    the new spec's hashing exactly as staging hashes them."""
    dialect, naming, project = dialect_of(new, target), Naming(new), new.project
    key = naming.hash_key(entity.name)
    select = exp.select().from_(_aliased(table_of(new, entity, dialect), "t"))
    if isinstance(entity, Hub):
        columns = _columns(new, entity)
        parts = [(_col(dialect, name, "t"), _logical(columns[name])) for name in entity.business_keys]
    else:
        parts, empty = [], sentinel_keys(old)[1]
        for index, reference in enumerate(entity.references):
            hub, alias = new.entity(reference.hub), f"p{index}"
            columns, role_key = _columns(new, hub), _col(dialect, naming.hash_key(reference.role_name), "t")
            select = select.join(_aliased(table_of(new, hub, dialect), alias), join_type="left",
                                 on=exp.EQ(this=_col(dialect, naming.hash_key(hub.name), alias), expression=role_key))
            for name in hub.business_keys:
                value: exp.Expression = _col(dialect, name, alias)
                if _logical(columns[name]) == "string":  # an empty parent key was '' (one key column: see _in_place_obstacle)
                    empties = [dialect_of(old, target).key_literal(empty), dialect.key_literal(sentinel_keys(new)[1])]  # new: a rerun
                    value = exp.Case(ifs=[exp.If(this=exp.In(this=role_key.copy(), expressions=empties), true=exp.Literal.string(""))], default=value)
                parts.append((value, _logical(columns[name])))

    def row(old_key: exp.Expression, new_key: exp.Expression) -> list[exp.Expression]:
        return [exp.alias_(old_key, dialect.identifier(OLD_KEY), quoted=True), exp.alias_(new_key, dialect.identifier(NEW_KEY), quoted=True)]

    stored = _col(dialect, key, "t")
    sentinels = _sentinel_pairs(old, new, target)
    real = (select.select(*row(stored, hash_key_sql(parts, project.hashing, project.sentinels, dialect)))
            .where(exp.not_(exp.In(this=stored.copy(), expressions=[before.copy() for before, _ in sentinels]))))
    return exp.Create(this=_map_table(new, entity, dialect), kind="TABLE",
                      expression=union_all([real, *[exp.select(*row(before, after)) for before, after in sentinels]]))


def remap_keys(spec: Spec, entity, column: str, owner: Hub | Link, dialect: Dialect) -> exp.Merge:
    """MERGE INTO the table USING the owner's key map: each stored key of `column` becomes its new key."""
    update = exp.Update(expressions=[exp.EQ(this=_col(dialect, column), expression=_col(dialect, NEW_KEY, "m"))])
    return exp.Merge(this=_aliased(table_of(spec, entity, dialect), "t"), using=_aliased(_map_table(spec, owner, dialect), "m"),
                     on=exp.EQ(this=_col(dialect, column, "t"), expression=_col(dialect, OLD_KEY, "m")),
                     whens=exp.Whens(expressions=[exp.When(matched=True, then=update)]))


def ghost_hashdiff_update(spec: Spec, entity, dialect: Dialect) -> exp.Update:
    """Ghost rows carry the null sentinel as their hashdiff: the new spec's."""
    key = _col(dialect, Naming(spec).parent_key(entity))
    return exp.Update(this=table_of(spec, entity, dialect),
                      expressions=[exp.EQ(this=_col(dialect, Naming(spec).hashdiff), expression=dialect.key_literal(sentinel_keys(spec)[0]))],
                      where=exp.Where(this=exp.In(this=key, expressions=[dialect.key_literal(k) for k in sentinel_keys(spec)])))


def _in_place_obstacle(spec: Spec) -> str | None:
    """Why the stored vault does not determine every new hash key, or None when it does."""
    for link in spec.links:
        for reference in link.references:
            hub = spec.entity(reference.hub)
            if len(hub.business_keys) > 1 and any(_logical(c) == "string" for name, c in _columns(spec, hub).items() if name in hub.business_keys):
                return (f"link '{link.name}' hashes the several business keys of hub '{hub.name}': where its stored parent key is the empty "
                        "sentinel the vault does not tell which of them were empty and which NULL")
    for hub in spec.hubs:
        stored = {name: _logical(c) for name, c in _columns(spec, hub).items() if name in hub.business_keys}
        for feed in hub_feeds(spec, hub):
            table = spec.table(feed.table)
            for column, name in zip(feed.columns, hub.business_keys):
                if parse_source_type(table.column(column).type).logical != stored[name]:
                    return (f"hub '{hub.name}' is fed from {feed.table}.{column} of another logical type than the business key it stores: "
                            "staging hashes that column's own canonical string")
    return None


def _derived_rebuild(spec: Spec, target: str) -> str | None:
    models = [_selector(spec, e) for e in enabled_entities(spec, target) if isinstance(e, DERIVED) and is_persisted(e)]
    return f"dbt build --full-refresh --select {' '.join(models)}" if models else None


def rehash_statements(old: Spec, new: Spec, change: str, target: str) -> tuple[list[str], list[str]]:
    """The in-place rehash of a hashing change on one target: (statements, dbt commands to run after them). (1) a key
    map per hub and link from the stored vault, (2) every stored hash key column through its owner's map (MERGE INTO:
    DuckDB, Spark/Iceberg, Athena/Iceberg and Snowflake all take it), (3) the hashdiffs from the stored attributes,
    (4) the maps dropped. Run again after it finished, it changes nothing; after a failure it stops at (1), since the
    maps exist. Multi-active satellites (a hashdiff over the set) and the derived PIT and bridge tables are rebuilt by
    dbt, from the raw layer and from the rehashed vault."""
    dialect = dialect_of(new, target)
    stored = [e for e in enabled_entities(new, target) if type(e) in RENDERERS and is_persisted(e) and not isinstance(e, DERIVED)]
    multi_active = [e for e in stored if isinstance(e, MultiActiveSatellite)]
    owners = [e for e in stored if isinstance(e, (Hub, Link))]
    statements = [_sql(key_map(old, new, e, target), dialect) for e in owners]
    for entity in stored:
        if entity not in multi_active:
            statements += [_sql(remap_keys(new, entity, column, owner, dialect), dialect) for column, owner in _key_owners(new, entity)]
    for entity in stored:
        if isinstance(entity, WITH_HASHDIFF) and entity not in multi_active:
            if change in HASHDIFF_REHASHES:
                statements.append(_sql(hashdiff_update(new, entity, dialect), dialect))
            if new.project.ghost_records and not isinstance(entity, ReferenceTable):
                statements.append(_sql(ghost_hashdiff_update(new, entity, dialect), dialect))
    statements += [_sql(drop(new, e, dialect, Naming(new).model_name(e) + KEY_MAP_SUFFIX), dialect) for e in owners]
    commands = [f"dbt build --full-refresh --select {_selector(new, e)}" for e in multi_active]
    derived = _derived_rebuild(new, target)
    return statements, commands + ([derived] if derived else [])


def _canonical_family(column: ModelColumn) -> str:
    """Types whose values render the same canonical string (vaultgen.sql.hashing): the integers; decimals of one scale."""
    source_type = parse_source_type(column.source.type)
    if source_type.logical in ("int16", "int32", "int64"):
        return "int"
    return f"decimal/{decimal_precision(source_type)[1]}" if source_type.logical == "decimal" else source_type.logical


def _rehash(old: Spec, new: Spec, change: Change, target: str, add, lead: Change | None) -> None:
    """Hash keys are stored in hubs, links and every satellite. Where the stored rows determine the new keys (a hash
    algorithm, delimiter, null marker or sentinel change) the plan rehashes in place; else the exact rehash is a rebuild
    of the vault from the raw layer (it keeps every batch), with the reason."""
    kind = change.change
    if kind in KEY_REHASHES:
        obstacle = _in_place_obstacle(new)
        if obstacle is None and lead is not change:
            add("hint", f"the rehash statements of {lead.change} rehash this change too (they apply the whole new hashing)")
            return
        if obstacle is None:
            statements, commands = rehash_statements(old, new, kind, target)
            for statement in statements:
                add("rehash", statement)
            for command in commands:
                add("dbt", command)
            add("hint", f"or, instead of the rehash statements, rebuild the vault from the raw layer: {REBUILD}")
            return
        add("dbt", REBUILD)
        add("hint", f"no in-place rehash: {obstacle}")
        return
    if kind == "business_key_type_changed":
        before, after = change.data["old"], change.data["new"]
        was = [_canonical_family(c) for n, c in _columns(old, before).items() if n in before.business_keys]
        now = [_canonical_family(c) for n, c in _columns(new, after).items() if n in after.business_keys]
        if was == now and _built_on(new, after, target):
            dialect = dialect_of(new, target)
            for name in after.business_keys:
                add("ddl", _sql(alter_column_type(new, after, _columns(new, after)[name], dialect), dialect))
            add("hint", "hash keys unchanged: both types render the same canonical string, so only the column type changes")
            return
        add("dbt", REBUILD)
        add("hint", "no in-place rehash: the stored business keys have the old type, whose values need not map one to one onto the new "
                    "type's canonical strings (a rebuild from the raw layer hashes the new type)")
        return
    add("dbt", REBUILD)
    if kind == "hashing_business_key_changed":
        add("hint", "no in-place rehash: keys that the new normalisation merges (e.g. 'alfki' and 'ALFKI' under case: upper) or splits "
                    "cannot be recomputed from the stored rows, which keep only the first spelling; a rebuild from the raw layer is exact")
    elif kind == "hash_type_changed":
        add("hint", "no in-place rehash: every key column changes type; a rebuild from the raw layer is exact")
