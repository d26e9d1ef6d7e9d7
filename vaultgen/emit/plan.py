"""Which models a target's dbt project holds, what each reads, and where it comes from: the plan that the dbt
files, their tags and meta, the selectors (load waves) and `vaultgen docs` all share. Pure: no I/O here.

A model's inputs are read from its own SQL (the `vg.ref:` and `vg.source:` placeholders the builders put in),
so the lineage is what the model really reads, never a second description of it. The plan keeps each model's
text, not its trees: a render's trees die young, and the cyclic garbage collector never walks a target's worth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.emit.dbt_model import model_sql
from vaultgen.naming import Naming
from vaultgen.spec.model import Spec
from vaultgen.sql.staging import staging_sql
from vaultgen.targets import enabled_entities

if TYPE_CHECKING:
    from vaultgen.emit.fingerprint import Fingerprints
    from vaultgen.writer import Previous

# the layers, in build order; a model's layer is the first folder under models/
LAYERS = ("staging", "raw_vault", "business_vault", "marts")
RAW_TAG = "raw"  # the raw layer's source tables
MULTI_SOURCE_TAG = "multi_source"  # a model fed by several source systems (a hub two systems carry)


def source_tag(system: str) -> str:
    """The tag of every node fed by one source system (its raw tables, staging, vault and everything downstream)."""
    return f"source_{system}"


@dataclass(frozen=True)
class PlannedModel:
    name: str
    path: str  # models/<layer>/.../<name>.sql
    kind: str  # staging, or the spec kind (hub, satellite, pit, dimension, ...), or end_dated_view
    description: str
    config: dict[str, object]
    sql: str | None  # the model's SQL (ModelSql.text); None when its inputs are unchanged and it was not built
    entity: str | None  # the spec entity it is built from (None for staging)
    table: str | None = None  # staging: its raw table
    refs: tuple[str, ...] = ()  # models it reads
    sources: tuple[str, ...] = ()  # raw tables it reads itself
    upstream_tables: tuple[str, ...] = ()  # every raw table it depends on, directly or through other models
    systems: tuple[str, ...] = ()  # the source systems of those tables
    origin: tuple[str, int] | None = None  # (spec file, line) of the entity or table
    fingerprint: str = ""  # of what the model is made from (vaultgen.emit.fingerprint); "" when not computed
    build: Callable[[], tuple[exp.Expression, exp.Expression | None]] | None = field(default=None, compare=False, repr=False)

    def trees(self) -> tuple[exp.Expression, exp.Expression | None]:
        """(full, incremental): the model's queries, built anew on each call."""
        return self.build()  # type: ignore[misc]

    @property
    def full(self) -> exp.Expression:
        return self.trees()[0]

    @property
    def incremental(self) -> exp.Expression | None:
        return self.trees()[1]

    def sql_on(self, dialect: Dialect) -> str:
        """The model's SQL: as planned, or built now when the plan reused its inputs from the last render."""
        return self.sql if self.sql is not None else model_sql(*self.trees(), dialect).text

    @property
    def note(self) -> str:
        """The inputs as the manifest keeps them, for the next render: "refs;sources"."""
        return f"{','.join(self.refs)};{','.join(self.sources)}"

    @property
    def layer(self) -> str:
        return self.path.split("/")[1]

    @property
    def tags(self) -> list[str]:
        return [self.layer, *(source_tag(system) for system in self.systems), *([MULTI_SOURCE_TAG] if len(self.systems) > 1 else [])]

    @property
    def meta(self) -> dict[str, object]:
        meta: dict[str, object] = {"kind": self.kind, "layer": self.layer, "source_tables": list(self.upstream_tables),
                                   "source_systems": list(self.systems)}
        if self.entity is not None:
            meta["entity"] = self.entity
        if self.origin is not None:
            meta["spec_file"], meta["spec_line"] = self.origin
        return {"vaultgen": meta}


def _parse_note(note: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    refs, separator, sources = note.partition(";")
    if not separator:
        return None
    return tuple(name for name in refs.split(",") if name), tuple(name for name in sources.split(",") if name)


@dataclass
class _Draft:
    dialect: Dialect
    previous: Previous | None = None
    models: list[PlannedModel] = field(default_factory=list)

    def add(self, build: Callable[[], tuple[exp.Expression, exp.Expression | None]], fingerprint: str = "", **fields) -> None:
        note = self.previous.note(fields["path"], fingerprint) if self.previous is not None and fingerprint else None
        known = _parse_note(note) if note is not None else None
        if known is not None:  # made from the same inputs last time: its inputs are known, its SQL waits until needed
            refs, sources = known
            self.models.append(PlannedModel(refs=refs, sources=sources, sql=None, fingerprint=fingerprint, build=build, **fields))
            return
        sql = model_sql(*build(), self.dialect)
        self.models.append(PlannedModel(refs=sql.refs, sources=sql.sources, sql=sql.text, fingerprint=fingerprint, build=build, **fields))


def plan_models(spec: Spec, dialect: Dialect, previous: Previous | None = None, fingerprints: Fingerprints | None = None) -> list[PlannedModel]:
    """Every model of the target's project with its inputs, the raw tables and source systems upstream of it.
    With `fingerprints`, each model gets its fingerprint; with `previous` too, a model whose fingerprint the last
    render recorded takes its inputs from there and is not built (PlannedModel.sql_on builds it on demand)."""
    from vaultgen.emit.dbt_project import DERIVED_VIEWS, RENDERERS, model_config  # the renderers live with the dbt files

    naming = Naming(spec)
    draft = _Draft(dialect, previous if fingerprints is not None else None)
    target = dialect.name
    for _, table in spec.tables():
        path = f"models/staging/{naming.staging_model(table.name)}.sql"
        draft.add(lambda table=table: (staging_sql(spec, table, dialect), None),
                  fingerprints.staging_model(table.name, target, path) if fingerprints else "",
                  name=naming.staging_model(table.name), path=path, kind="staging",
                  description=f"staging of raw table {table.name}", config={}, entity=None, table=table.name, origin=spec.origin(f"table:{table.name}"))
    for entity in enabled_entities(spec, target):
        renderer = RENDERERS[type(entity)]
        name = naming.model_name(entity)
        config = model_config(spec, entity, dialect, True) if renderer.incremental else {"materialized": renderer.materialized}
        path = f"models/{renderer.folder}/{name}.sql"
        draft.add(lambda entity=entity, renderer=renderer: (renderer.build(spec, entity, dialect, False),
                                                            renderer.build(spec, entity, dialect, True) if renderer.incremental else None),
                  fingerprints.entity_model(entity.name, target, path) if fingerprints else "",
                  name=name, path=path, kind=entity.kind, description=renderer.describe(entity),
                  config=config, entity=entity.name, origin=spec.origin(f"entity:{entity.name}"))
        if naming.derived_models(entity):
            folder, views = DERIVED_VIEWS[type(entity)]
            for name_of, build, describe in views:
                view = name_of(naming, entity)
                path = f"models/{folder}/{view}.sql"
                draft.add(lambda entity=entity, build=build: (build(spec, entity, dialect, False), None),
                          fingerprints.entity_model(entity.name, target, path) if fingerprints else "",
                          name=view, path=path, kind="end_dated_view", description=describe(entity),
                          config={"materialized": "view"}, entity=entity.name, origin=spec.origin(f"entity:{entity.name}"))
    return _with_upstream(spec, draft.models)


def _with_upstream(spec: Spec, models: list[PlannedModel]) -> list[PlannedModel]:
    by_name = {model.name: model for model in models}
    tables: dict[str, tuple[str, ...]] = {}
    bookkeeping = {spec.project.raw.load_log_table}  # the raw layer's load log is read too, but is no source table

    def upstream(name: str, seen: tuple[str, ...] = ()) -> tuple[str, ...]:
        if name not in tables:
            model = by_name[name]
            found = set(model.sources) - bookkeeping
            for ref in model.refs:
                if ref in by_name and ref not in seen:
                    found.update(upstream(ref, (*seen, name)))
            tables[name] = tuple(sorted(found))
        return tables[name]

    system_of = {table.name: system.name for system, table in spec.tables()}
    result = []
    for model in models:
        upstream_tables = upstream(model.name)
        systems = tuple(sorted({system_of[table] for table in upstream_tables if table in system_of}))
        result.append(_replace(model, upstream_tables=upstream_tables, systems=systems))
    return result


def _replace(model: PlannedModel, **changes) -> PlannedModel:
    from dataclasses import replace

    return replace(model, **changes)


def models_by_layer(models: list[PlannedModel]) -> dict[str, list[PlannedModel]]:
    return {layer: [model for model in models if model.layer == layer] for layer in LAYERS}

