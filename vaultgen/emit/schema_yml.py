"""sources.yml and schema.yml: column docs and the Data Vault tests of every generated model."""

from __future__ import annotations

import re

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.emit.plan import RAW_TAG, source_tag
from vaultgen.emit.yaml_text import dump_yaml
from vaultgen.graph import parent_of
from vaultgen.naming import Naming, needs_quotes
from vaultgen.spec.model import Hub, Spec
from vaultgen.sql.common import sentinel_keys


def _dump(data: object, dialect: Dialect) -> str:
    return dump_yaml(_as_dbt_reads_it(data, dialect, {}))


JINJA_OPENER = re.compile(r"\{(?=[{%#])")  # a brace that starts {{ ... }}, {% ... %} or {# ... #}


def jinja_literal(text: str) -> str:
    """Text that dbt, which renders descriptions as Jinja, shows as written: every brace that would open a Jinja
    tag is printed by Jinja instead ({{ '{' }}), so `{{ x }}` in a description reads `{{ x }}` in the docs."""
    return JINJA_OPENER.sub("{{ '{' }}", text)


def sql_name(name: str, dialect: Dialect) -> str:
    """A column as the SQL of a test names it: quoted (in the target's case) when some target reserves the word."""
    if not needs_quotes(name):
        return name
    return exp.to_identifier(dialect.identifier(name), quoted=True).sql(dialect.sqlglot_dialect)


def _quoted_entry(entry: dict, kind: str, dialect: Dialect) -> dict:
    """A column (or source table) entry whose name is a reserved word: dbt quotes it, in the target's case."""
    name = entry.get("name")
    if not isinstance(name, str) or not needs_quotes(name):
        return entry
    if kind == "columns":
        return {"name": dialect.identifier(name), "quote": True, **{k: v for k, v in entry.items() if k != "name"}}
    return {"name": name, "identifier": dialect.identifier(name), "quoting": {"identifier": True}, **{k: v for k, v in entry.items() if k != "name"}}


NOT_IDENTIFIERS = ("to", "load_log", "table_name")  # a ref, a source, and a table's name as the load log stores it


def _test_arguments(arguments: dict, dialect: Dialect) -> dict:
    """The arguments of a vaultgen generic test: every one but a ref, a source or a value names columns, which its SQL
    inserts as written."""
    return {name: value if name in NOT_IDENTIFIERS else [sql_name(v, dialect) for v in value] if isinstance(value, list) else sql_name(value, dialect)
            for name, value in arguments.items()}


def _as_dbt_reads_it(node: object, dialect: Dialect, done: dict[int, object]) -> object:
    """The document with descriptions made Jinja-literal, `quote: true` (and the target's case) on columns whose name
    is a reserved word, and such names quoted in the arguments of vaultgen's generic tests. Shared parts stay shared."""
    if id(node) in done:
        return done[id(node)]
    if isinstance(node, list):
        result: object = [_as_dbt_reads_it(item, dialect, done) for item in node]
    elif isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                result[key] = jinja_literal(value)
            elif key in ("columns", "tables") and isinstance(value, list) and all(isinstance(item, dict) for item in value):
                result[key] = [_quoted_entry(_as_dbt_reads_it(item, dialect, done), key, dialect) for item in value]
            elif isinstance(key, str) and key.startswith("vaultgen_") and isinstance(value, dict):  # one of vaultgen's generic tests
                result[key] = {k: _test_arguments(v, dialect) if k == "arguments" else _as_dbt_reads_it(v, dialect, done) for k, v in value.items()}
            else:
                result[key] = _as_dbt_reads_it(value, dialect, done)
    else:
        return node
    done[id(node)] = result
    return result


def sources_yml(spec: Spec, dialect: Dialect) -> str:
    raw = spec.project.raw
    batch_columns = [
        {"name": raw.load_timestamp_column, "description": "When the batch was loaded (the vault's load timestamp).", "data_tests": ["not_null"]},
        {"name": raw.batch_id_column, "description": "Identifier of the load batch.", "data_tests": ["not_null"]},
    ]
    tables = []
    for system, table in spec.tables():
        tables.append(
            {
                "name": table.name,
                "description": table.description or f"{system.name}.{table.name}",
                "config": raw_table_config(spec, system),
                "data_tests": raw_layer_tests(spec, table),
                "columns": [
                    {"name": c.name, "description": c.description or f"{c.type}", "meta": {"source_type": c.type, "sensitivity": c.sensitivity}}
                    for c in table.columns
                ]
                + batch_columns,
            }
        )
    tables.append(
        {
            "name": raw.load_log_table,
            "description": "One row per source table and batch loaded into the raw layer, even when the snapshot is empty.",
            "config": {"tags": [RAW_TAG, *(source_tag(system.name) for system in spec.sources)]},
            "columns": [
                {"name": "table_name", "data_tests": ["not_null"]},
                {"name": raw.batch_id_column, "data_tests": ["not_null"]},
                {"name": raw.load_timestamp_column, "data_tests": ["not_null"]},
                {"name": "row_count"},
            ],
        }
    )
    return _dump({"version": 2, "sources": [{"name": "raw", "schema": raw.schema_name, "description": "Raw batches, one snapshot per load.", "tables": tables}]}, dialect)


def raw_table_config(spec: Spec, system) -> dict:
    """A raw table's tags (the raw layer, its source system: the load waves select by them) and its freshness: the
    newest load timestamp against the source system's thresholds, for `dbt source freshness`."""
    freshness = system.freshness
    return {
        "tags": [RAW_TAG, source_tag(system.name)],
        "loaded_at_field": spec.project.raw.load_timestamp_column,
        "freshness": {name: {"count": window.count, "period": window.period}
                      for name, window in (("warn_after", freshness.warn_after), ("error_after", freshness.error_after))},
    }


def raw_layer_tests(spec: Spec, table) -> list[dict]:
    """Tests of a raw table: each of its batches has its load-log row; in a full snapshot, one row per primary key
    and batch (batch id and load timestamp are tested not null column by column)."""
    raw = spec.project.raw
    tests: list[dict] = [{"vaultgen_batch_logged": {"arguments": {
        "table_name": table.name, "load_log": f"source('raw', '{raw.load_log_table}')",
        "batch_id": raw.batch_id_column, "load_ts": raw.load_timestamp_column}}}]
    if table.load == "full_snapshot":
        tests.append({"vaultgen_unique_combination": {"arguments": {"columns": [*table.primary_key, raw.batch_id_column]}}})
    return tests


def _hub_relationship(column: str, hub: Hub, spec: Spec) -> dict:
    """A key's relationship to its hub. With ghost records every sentinel key (NULL and empty) has its hub row, so
    the test covers every key; without them sentinel keys have no hub row by design and are left out."""
    naming = Naming(spec)
    if not spec.project.ghost_records:
        return _relationship(column, naming.model_name(hub), naming.hash_key(hub.name), spec)
    return {"relationships": {"arguments": {"to": f"ref('{naming.model_name(hub)}')", "field": naming.hash_key(hub.name)}}}


def _real_keys_only(column: str, spec: Spec) -> str:
    keys = ", ".join(f"'{key}'" for key in sentinel_keys(spec))
    return f"{column} not in ({keys})"


def _relationship(column: str, to_model: str, to_column: str, spec: Spec) -> dict:
    return {
        "relationships": {
            "arguments": {"to": f"ref('{to_model}')", "field": to_column},
            "config": {"where": _real_keys_only(column, spec)},
        }
    }


def _not_null_except_ghost(key_column: str, spec: Spec) -> str | dict:
    """not_null, except on the ghost row (whose business keys are NULL) when the project has ghost records."""
    if not spec.project.ghost_records:
        return "not_null"
    return {"not_null": {"config": {"where": _real_keys_only(key_column, spec)}}}


def schema_yml(spec: Spec, dialect: Dialect, entities: list | None = None) -> str:
    """Docs and tests of the vault models of `entities` (default: all)."""
    naming = Naming(spec)
    rendered = {entity.name for entity in (spec.entities if entities is None else entities)}
    load_ts = {"name": naming.load_ts, "description": "Load timestamp of the raw batch that first carried this row.", "data_tests": ["not_null"]}
    record_source = {"name": naming.record_source, "description": "Source table the row came from.", "data_tests": ["not_null"]}
    models = []
    for hub in spec.hubs:
        if hub.name not in rendered:
            continue
        key = naming.hash_key(hub.name)
        models.append(
            {
                "name": naming.model_name(hub),
                "description": hub.description or f"Hub {hub.name}",
                "columns": [
                    {"name": key, "description": f"Hash key of {', '.join(hub.business_keys)}.", "data_tests": ["unique", "not_null"]},
                    *[{"name": bk, "description": "Business key as first seen.", "data_tests": [_not_null_except_ghost(key, spec)]} for bk in hub.business_keys],
                    load_ts,
                    record_source,
                ],
            }
        )
    for link in spec.links:
        if link.name not in rendered:
            continue
        key = naming.hash_key(link.name)
        columns = [{"name": key, "description": "Hash key of the combination of hub business keys.", "data_tests": ["unique", "not_null"]}]
        for reference in link.references:
            role_key = naming.hash_key(reference.role_name)
            hub = spec.entity(reference.hub)
            columns.append(
                {
                    "name": role_key,
                    "description": f"Hash key of hub {reference.hub} (role {reference.role_name}).",
                    "data_tests": ["not_null", _hub_relationship(role_key, hub, spec)],
                }
            )
        payload = [{"name": name, "description": f"Payload of the event, as first seen ({spec.table(link.sources[0].table).column(name).type})."}
                   for name in getattr(link, "payload", [])]
        models.append({"name": naming.model_name(link), "description": link.description or f"Link {link.name}",
                       "columns": columns + [load_ts, record_source] + payload})
    for satellite in spec.satellites + spec.tracking_satellites:
        if satellite.name not in rendered:
            continue
        parent = parent_of(spec, satellite)
        key = naming.parent_key(satellite)
        columns = [
            {
                "name": key,
                "description": f"Hash key of {'hub' if isinstance(parent, Hub) else 'link'} {parent.name}.",
                "data_tests": ["not_null", _hub_relationship(key, parent, spec) if isinstance(parent, Hub)
                               else _relationship(key, naming.model_name(parent), naming.hash_key(parent.name), spec)],
            },
            load_ts,
            record_source,
        ]
        if hasattr(satellite, "attributes"):
            columns.append({"name": naming.hashdiff, "description": f"Hash of {', '.join(satellite.attributes)}.", "data_tests": ["not_null"]})
            table = spec.table(satellite.source)
            for attribute in satellite.attributes:
                column = table.column(attribute)
                columns.append({"name": attribute, "description": column.description or column.type, "meta": {"sensitivity": column.sensitivity}})
        else:
            columns.append({"name": spec.project.naming.status_column, "description": "Whether the key is in the snapshot of this batch.", "data_tests": ["not_null"]})
        models.append(
            {
                "name": naming.model_name(satellite),
                "description": satellite.description or f"Satellite {satellite.name} of {parent.name}, from {satellite.source}",
                "data_tests": [{"vaultgen_unique_combination": {"arguments": {"columns": [key, naming.load_ts, *getattr(satellite, "multi_active_key", [])]}}},
                               *_satellite_tests(spec, satellite, [key])],
                "columns": columns,
            }
        )
    for effectivity in spec.effectivity_satellites:
        if effectivity.name not in rendered:
            continue
        link = parent_of(spec, effectivity)
        key = naming.parent_key(effectivity)
        models.append(
            {
                "name": naming.model_name(effectivity),
                "description": effectivity.description or f"Effectivity of link {link.name} per {', '.join(effectivity.driving_keys)}",
                "data_tests": [{"vaultgen_unique_combination": {"arguments": {"columns": [key, naming.load_ts]}}}],
                "columns": [
                    {"name": key, "description": f"Hash key of link {link.name}.",
                     "data_tests": ["not_null", _relationship(key, naming.model_name(link), key, spec)]},
                    *[{"name": naming.hash_key(role), "description": f"Driving key (role {role}).", "data_tests": ["not_null"]}
                      for role in effectivity.driving_keys],
                    load_ts,
                    record_source,
                    {"name": spec.project.naming.effectivity_status_column,
                     "description": "True: the relationship starts being in effect at load_ts; false: it ends.", "data_tests": ["not_null"]},
                ],
            }
        )
    for reference in spec.reference_tables:
        if reference.name not in rendered:
            continue
        table = spec.table(reference.source)
        models.append(
            {
                "name": naming.model_name(reference),
                "description": reference.description or f"Reference table {reference.name} from {reference.source}",
                "data_tests": [{"vaultgen_unique_combination": {"arguments": {"columns": [*reference.code, naming.load_ts]}}},
                               *_satellite_tests(spec, reference, list(reference.code))],
                "columns": [
                    *[{"name": code, "description": "Code (the key of the reference table).", "data_tests": ["not_null"]} for code in reference.code],
                    {"name": naming.hashdiff, "description": f"Hash of {', '.join(reference.attributes)}.", "data_tests": ["not_null"]},
                    load_ts,
                    record_source,
                    *[{"name": a, "description": table.column(a).description or table.column(a).type} for a in reference.attributes],
                ],
            }
        )
    return _dump({"version": 2, "models": models}, dialect)


def _satellite_tests(spec: Spec, satellite, keys: list[str]) -> list[dict]:
    """Beyond unique/not_null: changes only (no two consecutive identical hashdiffs per key) and a hashdiff that
    covers every attribute (a multi-active set shares one hashdiff over several rows, so only the first applies)."""
    naming = Naming(spec)
    if not hasattr(satellite, "attributes"):
        return []
    tests: list[dict] = [{"vaultgen_no_consecutive_duplicate_hashdiff": {"arguments": {"keys": keys, "hashdiff": naming.hashdiff, "load_ts": naming.load_ts}}}]
    if not hasattr(satellite, "multi_active_key"):
        tests.append({"vaultgen_hashdiff_covers": {"arguments": {"hashdiff": naming.hashdiff, "columns": list(satellite.attributes)}}})
    return tests


def _points_to(columns: list[str], model: str, to_columns: list[str]) -> dict:
    return {"vaultgen_points_to": {"arguments": {"columns": columns, "to": f"ref('{model}')", "to_columns": to_columns}}}


def business_vault_schema_yml(spec: Spec, entities: list, dialect: Dialect) -> str:
    """Docs and tests of PIT and bridge tables: one row per key and snapshot / per combination, pointers that resolve."""
    from vaultgen.spec.model import Bridge, PointInTime
    from vaultgen.sql.bridge import bridge_columns

    naming = Naming(spec)
    models = []
    for pit in [e for e in entities if isinstance(e, PointInTime)]:
        hub = spec.entity(pit.hub)
        hub_key = naming.hash_key(hub.name)
        columns = [{"name": hub_key, "description": f"Hash key of hub {hub.name}.", "data_tests": ["not_null"]},
                   {"name": naming.snapshot, "description": "Snapshot time.", "data_tests": ["not_null"]}]
        tests: list[dict] = [{"vaultgen_unique_combination": {"arguments": {"columns": [hub_key, naming.snapshot]}}}]
        for name in pit.satellites:
            satellite = spec.entity(name)
            columns += [{"name": naming.pit_key(name), "description": f"Key of the {name} row valid at the snapshot (the ghost key if none).",
                         "data_tests": ["not_null"]},
                        {"name": naming.pit_load_ts(name), "description": f"Load timestamp of the {name} row valid at the snapshot (1900-01-01 if none).",
                         "data_tests": ["not_null"]}]
            tests.append(_points_to([naming.pit_key(name), naming.pit_load_ts(name)], naming.model_name(satellite),
                                    [naming.parent_key(satellite), naming.load_ts]))
        models.append({"name": naming.model_name(pit), "description": pit.description or f"Point-in-time table of hub {hub.name}",
                       "data_tests": tests, "columns": columns})
    for bridge in [e for e in entities if isinstance(e, Bridge)]:
        link_keys = [naming.hash_key(step.link) for step in bridge.path]
        snapshot = [naming.snapshot] if bridge.calendar is not None else []
        tests = [{"vaultgen_unique_combination": {"arguments": {"columns": link_keys + snapshot}}}]
        tests += [_points_to([naming.hash_key(step.link)], naming.model_name(spec.entity(step.link)), [naming.hash_key(step.link)])
                  for step in bridge.path]
        models.append({"name": naming.model_name(bridge), "description": bridge.description or f"Bridge {bridge.name}", "data_tests": tests,
                       "columns": [{"name": c, "data_tests": ["not_null"]} for c in bridge_columns(spec, bridge)] + [
                           {"name": naming.load_ts, "description": "Load timestamp of the latest link row of the combination.", "data_tests": ["not_null"]}]
                       + [{"name": c, "description": "Snapshot time: the combination is in effect then.", "data_tests": ["not_null"]} for c in snapshot]})
    return _dump({"version": 2, "models": models}, dialect)


def _column_description(spec: Spec, table_name: str, column: str) -> str:
    """A source column's description from the spec, else its type."""
    found = spec.table(table_name).column(column)
    return found.description or found.type


def marts_schema_yml(spec: Spec, entities: list, dialect: Dialect) -> str:
    """Docs and tests of the star-schema marts: one row per dimension key, per fact combination, per group. Every
    column is described: keys by what they key, attributes and measures by their source column in the spec."""
    from vaultgen.spec.model import Aggregate, Dimension, Fact
    from vaultgen.sql.bridge import bridge_columns
    from vaultgen.sql.marts import fact_columns, group_name

    naming = Naming(spec)
    models = []
    for entity in entities:
        if isinstance(entity, Dimension):
            hub = spec.entity(spec.entity(entity.pit).hub)
            key = naming.hash_key(hub.name)
            columns: list[dict] = [{"name": key, "description": f"Hash key of hub {hub.name}.", "data_tests": ["unique", "not_null"]},
                                   *[{"name": bk, "description": f"Business key of hub {hub.name}."} for bk in hub.business_keys]]
            for group in entity.attributes:
                source = spec.entity(group.satellite).source
                columns += [{"name": c, "description": _column_description(spec, source, c)} for c in group.columns]
            models.append({"name": naming.model_name(entity), "description": entity.description or f"Dimension {entity.name}", "columns": columns})
        elif isinstance(entity, Fact):
            bridge = spec.entity(entity.bridge)
            keys, bridge_keys = [naming.hash_key(step.link) for step in bridge.path], bridge_columns(spec, bridge)
            measures = {m: _column_description(spec, spec.entity(entity.satellite).source, m) for m in entity.measures}
            measures.update((d.name, "Derived measure: the product of " + ", ".join(
                f if isinstance(f, str) else f"1 - {f.complement}" for f in d.product) + ".") for d in entity.derived)
            models.append({"name": naming.model_name(entity), "description": entity.description or f"Fact {entity.name}",
                           "data_tests": [{"vaultgen_unique_combination": {"arguments": {"columns": keys}}}],
                           "columns": [{"name": c, "description": measures.get(c, "Hash key (from the bridge and its links)."),
                                        **({} if c in measures else {"data_tests": ["not_null"]})}
                                       for c in fact_columns(spec, entity) if c in measures or c in bridge_keys]})
        elif isinstance(entity, Aggregate):
            groups = [group_name(g) for g in entity.group_by]
            columns = [{"name": group_name(g), "description": f"Group: {g.column}" + (f" ({g.part})" if g.part else "")
                        + (f" of dimension {g.dimension}" if g.dimension else f" of fact {entity.fact}") + "."} for g in entity.group_by]
            columns += [{"name": m.name, "description": f"{m.function.replace('_', ' ')} of {m.column}."} for m in entity.measures]
            models.append({"name": naming.model_name(entity), "description": entity.description or f"Aggregate {entity.name}",
                           "data_tests": [{"vaultgen_unique_combination": {"arguments": {"columns": groups}}}], "columns": columns})
    return _dump({"version": 2, "models": models}, dialect)
