"""Rebuild a source table as it was at one load timestamp, from the vault alone.

The keys present at that time come from the record tracking satellite of the table's key entity (the hub or
link whose business keys are the table's primary key); business keys come from hubs; descriptive columns
from the satellites valid at that time; foreign keys from the links, present at that time, that the table
feeds. Used to prove that the vault loses nothing: every rebuilt table equals its source snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from vaultgen.errors import VaultgenError
from vaultgen.naming import Naming
from vaultgen.spec.model import Hub, Link, RecordTrackingSatellite, Satellite, Spec, Table
from vaultgen.sql.common import col, descending, is_real_key, row_number_is_first

VAULT_SCHEMA = "raw_vault"


class ReconstructError(VaultgenError):
    pass


@dataclass(frozen=True)
class Reconstruction:
    table: str
    query: exp.Select  # selects the table's columns in spec order
    note: str = ""  # how the rows are rebuilt, when that is not by the table's primary key


def moment(at: datetime) -> exp.Expression:
    """A load timestamp as a literal of microsecond precision (a bare TIMESTAMP is milliseconds on Trino/Athena)."""
    return exp.cast(exp.Literal.string(at.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP(6)"))


def _vault_table(name: str, table_alias: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name, quoted=True),
        db=exp.to_identifier(VAULT_SCHEMA, quoted=True),
        alias=exp.TableAlias(this=exp.to_identifier(table_alias, quoted=True)),
    )


def _as_of(spec: Spec, model: str, key: str, at: datetime, extra: list[exp.Expression]) -> exp.Subquery:
    """The latest row per key of a satellite with load_ts <= at."""
    inner = (
        exp.select(col(key), *extra)
        .from_(_vault_table(model, "history"))
        .where(exp.LTE(this=col("load_ts"), expression=moment(at)))
        .where(is_real_key(col(key), spec))  # never the ghost row
        .qualify(row_number_is_first([col(key)], [descending(col("load_ts"))]))
    )
    return inner.subquery()


def _key_columns(entity: Hub | Link, table: Table) -> list[str] | None:
    """The table's columns that make the entity's key (a hub's business keys, a link's references), or None
    when the entity is not fed by the table."""
    if isinstance(entity, Hub):
        return next((list(s.columns) for s in entity.sources if s.table == table.name), None)
    source = next((s for s in entity.sources if s.table == table.name), None)
    return None if source is None else [c for r in entity.references for c in source.columns[r.role_name]]


def _keyed_by_primary_key(spec: Spec, entity: Hub | Link, table: Table) -> bool:
    columns = _key_columns(entity, table)
    return columns is not None and sorted(columns) == sorted(table.primary_key)


def _other_key_note(entity: Hub | Link, table: Table) -> str:
    return (f"rebuilt through {entity.kind} '{entity.name}', keyed by ({', '.join(_key_columns(entity, table) or [])}), not by the "
            f"primary key ({', '.join(table.primary_key)}): rows that share those columns would come back as one")


def _key_entity(spec: Spec, table: Table) -> tuple[Hub | Link, RecordTrackingSatellite | None, str]:
    """The hub or link whose key the table's rows are rebuilt by, its record tracking satellite on the table
    (None for an incremental table: its keys, once seen, stay present, since deletions never reach it), and a
    note when that key is not the table's primary key.

    The entity keyed by the primary key comes first. A table may instead feed a link over other columns (order
    lines keyed by their own id, stored as a link over (order, product)); it is rebuilt by that link, which is
    exact while those columns are unique in the table, and the comparison shows any row that is not."""
    fed = [entity for entity in [*spec.hubs, *spec.links] if _key_columns(entity, table) is not None]
    if table.load == "incremental":
        for entity in sorted(fed, key=lambda e: not _keyed_by_primary_key(spec, e, table)):
            if any(type(s) is Satellite and s.source == table.name and s.parent == entity.name for s in spec.satellites):
                return entity, None, "" if _keyed_by_primary_key(spec, entity, table) else _other_key_note(entity, table)
        raise ReconstructError(f"table '{table.name}': no hub or link fed by it has a satellite from it, so the vault does not record which keys it holds")
    tracked = [(spec.entity(t.parent), t) for t in spec.tracking_satellites if t.source == table.name]
    tracked = [(entity, t) for entity, t in tracked if entity in fed]
    for entity, tracking in sorted(tracked, key=lambda pair: not _keyed_by_primary_key(spec, pair[0], table)):
        return entity, tracking, "" if _keyed_by_primary_key(spec, entity, table) else _other_key_note(entity, table)
    raise ReconstructError(f"table '{table.name}': no record tracking satellite from it on a hub or link it feeds, so the vault does not record which "
                           f"of its rows each snapshot held (add a record_tracking_satellite with source: {table.name})")


def _seen(spec: Spec, table: Table, entity: Hub | Link, key: str, at: datetime, status: str) -> exp.Subquery:
    """The keys of an incremental table present at `at`: those with a row, by then, in a satellite it feeds."""
    naming = Naming(spec)
    satellites = [s for s in spec.satellites if type(s) is Satellite and s.source == table.name and s.parent == entity.name]
    if not satellites:
        raise ReconstructError(f"incremental table '{table.name}': no satellite on '{entity.name}' records which keys it holds")
    selects = [
        exp.select(col(key)).from_(_vault_table(naming.model_name(satellite), "history"))
        .where(exp.LTE(this=col("load_ts"), expression=moment(at)))
        .where(is_real_key(col(key), spec))
        for satellite in satellites
    ]
    union = selects[0]
    for select in selects[1:]:
        union = exp.union(union, select, distinct=True)
    return exp.select(col(key), exp.alias_(exp.true(), status)).from_(union.subquery("seen")).distinct().subquery()


def reconstruct_query(spec: Spec, table: Table, at: datetime) -> Reconstruction:
    naming = Naming(spec)
    status = spec.project.naming.status_column
    entity, tracking, note = _key_entity(spec, table)
    key = naming.hash_key(entity.name)
    present = _seen(spec, table, entity, key, at, status) if tracking is None else _as_of(spec, naming.model_name(tracking), key, at, [col(status)])
    query = exp.select().from_(exp.alias_(present, "present", quoted=True)).where(col(status, "present"))
    column_values: dict[str, exp.Expression] = {}
    joins = 0

    def join_hub(hub: Hub, hub_key: exp.Expression, source_columns: list[str]) -> None:
        nonlocal query, joins
        joins += 1
        name = f"h{joins}"
        query = query.join(_vault_table(naming.model_name(hub), name), on=exp.EQ(this=col(naming.hash_key(hub.name), name), expression=hub_key), join_type="left")
        for business_key, source_column in zip(hub.business_keys, source_columns):
            column_values.setdefault(source_column, col(business_key, name))

    if isinstance(entity, Hub):
        join_hub(entity, col(key, "present"), next(s.columns for s in entity.sources if s.table == table.name))
        driving = {(entity.name, tuple(next(s.columns for s in entity.sources if s.table == table.name)))}
    else:
        joins += 1
        query = query.join(_vault_table(naming.model_name(entity), "key_link"), on=exp.EQ(this=col(key, "key_link"), expression=col(key, "present")), join_type="inner")
        source = next(s for s in entity.sources if s.table == table.name)
        for reference in entity.references:
            hub = spec.entity(reference.hub)
            join_hub(hub, col(naming.hash_key(reference.role_name), "key_link"), source.columns[reference.role_name])
        driving = set()

    for satellite in spec.satellites:
        if type(satellite) is not Satellite or satellite.source != table.name or satellite.parent != entity.name:
            continue
        joins += 1
        name = f"s{joins}"
        query = query.join(exp.alias_(_as_of(spec, naming.model_name(satellite), key, at, [col(a) for a in satellite.attributes]), name, quoted=True),
                           on=exp.EQ(this=col(key, name), expression=col(key, "present")), join_type="left")
        for attribute in satellite.attributes:
            column_values.setdefault(attribute, col(attribute, name))

    if isinstance(entity, Hub):
        for link in spec.links:
            source = next((s for s in link.sources if s.table == table.name), None)
            tracking_of_link = next((t for t in spec.tracking_satellites if t.parent == link.name and t.source == table.name), None)
            if source is None or tracking_of_link is None:
                continue
            driver = next((r for r in link.references if (r.hub, tuple(source.columns[r.role_name])) in driving), None)
            if driver is None:
                continue
            joins += 1
            link_alias = f"l{joins}"
            link_key = naming.hash_key(link.name)
            live = (
                exp.select(col(link_key, "link"), *[col(naming.hash_key(r.role_name), "link") for r in link.references])
                .from_(_vault_table(naming.model_name(link), "link"))
                .join(exp.alias_(_as_of(spec, naming.model_name(tracking_of_link), link_key, at, [col(status)]), "tracked", quoted=True),
                      on=exp.EQ(this=col(link_key, "tracked"), expression=col(link_key, "link")), join_type="inner")
                .where(col(status, "tracked"))
                .subquery()
            )
            query = query.join(exp.alias_(live, link_alias, quoted=True),
                               on=exp.EQ(this=col(naming.hash_key(driver.role_name), link_alias), expression=col(key, "present")), join_type="left")
            for reference in link.references:
                if reference is driver:
                    continue
                hub = spec.entity(reference.hub)
                role_key = col(naming.hash_key(reference.role_name), link_alias)
                join_hub(hub, exp.Case(ifs=[exp.If(this=is_real_key(role_key.copy(), spec), true=role_key)]), source.columns[reference.role_name])

    missing = [c.name for c in table.columns if c.name not in column_values]
    if missing:
        raise ReconstructError(f"table '{table.name}': {_not_covered(spec, table, entity, missing)}")
    query = query.select(*[exp.alias_(column_values[c.name], c.name, quoted=True) for c in table.columns])
    return Reconstruction(table.name, query, note)


def _not_covered(spec: Spec, table: Table, entity: Hub | Link, missing: list[str]) -> str:
    """Why columns cannot be rebuilt: where the vault keeps them instead, if anywhere the round trip reads."""
    elsewhere = []
    for link in spec.links:
        source = next((s for s in link.sources if s.table == table.name), None)
        carried = [c for c in missing if source is not None and any(c in columns for columns in source.columns.values())]
        tracked = any(t.parent == link.name and t.source == table.name for t in spec.tracking_satellites)
        if carried and link.name != entity.name and not tracked:
            elsewhere.append(f"link '{link.name}' carries {', '.join(carried)} but has no record tracking satellite from this table")
    for other in spec.entities:
        kept = [c for c in missing if c in getattr(other, "attributes", []) or c in getattr(other, "payload", [])]
        if kept and getattr(other, "source", table.name) == table.name and other.name != entity.name:
            elsewhere.append(f"{other.kind} '{other.name}' keeps {', '.join(kept)}, and the round trip reads plain satellites only")
    where = f" ({'; '.join(elsewhere)})" if elsewhere else ""
    return f"no satellite of {entity.kind} '{entity.name}' from this table keeps column{'s' if len(missing) != 1 else ''} {', '.join(missing)}{where}"
