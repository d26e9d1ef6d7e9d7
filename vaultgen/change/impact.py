"""How many keys a re-versioning change affects, counted on the current DuckDB vault.

Exact where the vault holds every input of the new hashdiff: for each key of the satellite, its latest row's
stored hashdiff is compared with the hashdiff the new spec computes over that row's stored attribute values (cast
to the new types, in the new order, with the new normalisation, without removed attributes). Those keys are the
ones the next build inserts a new version for even when their source row did not change. Sentinel (ghost) keys
are left out: staging never brings them. An attribute added before the end, or NOT NULL, is not in the stored rows,
so such a change is not counted (every key with a non-NULL value there re-versions)."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from vaultgen.change.compare import Change, WITH_HASHDIFF
from vaultgen.change.migration import dialect_of, layer_schema
from vaultgen.errors import Location, Problem, VaultgenError
from vaultgen.naming import Naming
from vaultgen.spec.model import MultiActiveSatellite, ReferenceTable, Spec
from vaultgen.sql.common import sentinel_keys
from vaultgen.sql.hashing import hashdiff_sql
from vaultgen.types import parse_source_type


class DatabaseError(VaultgenError):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _quoted(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def reversion_count_query(old: Spec, new: Spec, before, after) -> exp.Select | None:
    """The count of keys whose latest row's hashdiff changes under the new spec; None when the vault lacks an input."""
    if not isinstance(after, WITH_HASHDIFF) or isinstance(after, MultiActiveSatellite):
        return None
    if any(name not in before.attributes for name in after.attributes):
        return None
    dialect = dialect_of(new, "duckdb")
    naming_old = Naming(old)
    key_columns = list(before.code) if isinstance(before, ReferenceTable) else [naming_old.parent_key(before)]
    table = exp.table_(exp.to_identifier(naming_old.model_name(before), quoted=True), db=exp.to_identifier(layer_schema(before), quoted=True))
    load_ts, hashdiff = naming_old.load_ts, naming_old.hashdiff
    source = new.table(after.source)
    typed = []
    for name in after.attributes:
        source_type = parse_source_type(source.column(name).type)
        typed.append((exp.cast(_quoted(name), exp.DataType.build(dialect.column_type(source_type), dialect="duckdb")), source_type.logical))
    latest = (exp.select(*[_quoted(k) for k in key_columns], _quoted(hashdiff).as_("stored"),
                         hashdiff_sql(typed, new.project.hashing, dialect).as_("recomputed"))
              .from_(table)
              .qualify(exp.EQ(this=exp.Window(this=exp.RowNumber(), partition_by=[_quoted(k) for k in key_columns],
                                              order=exp.Order(expressions=[exp.Ordered(this=_quoted(load_ts), desc=True)])),
                              expression=exp.Literal.number(1))))
    if not isinstance(before, ReferenceTable):
        sentinels = [exp.Literal.string(key) for key in sentinel_keys(old)]
        latest = latest.where(exp.not_(exp.In(this=_quoted(key_columns[0]), expressions=sentinels)))
    changed = exp.NEQ(this=_quoted("stored"), expression=_quoted("recomputed"))
    return exp.select(exp.Count(this=exp.Star())).from_(latest.subquery("latest")).where(changed)


def count_reversions(database: Path, old: Spec, new: Spec, changes: list[Change]) -> None:
    """Fill `affected_keys` of every re-versioning change from the DuckDB vault in `database` (opened read-only)."""
    import duckdb

    if not database.is_file():
        raise DatabaseError(Problem("VG174", "database not found", Location(str(database)), "pass --database the DuckDB file of the vault"))
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise DatabaseError(Problem("VG174", f"cannot open the database: {str(error).splitlines()[0]}", Location(str(database)),
                                    "pass --database a DuckDB file; a running build may hold its lock")) from None
    with connection:
        present = {(schema, name) for schema, name in connection.execute("select table_schema, table_name from information_schema.tables").fetchall()}
        for change in changes:
            if change.impact != "re-version":
                continue
            before, after = change.data.get("old"), change.data.get("new")
            query = reversion_count_query(old, new, before, after) if before is not None and after is not None else None
            if query is None:
                change.count_note = "not counted: the vault does not hold every value the new hashdiff reads"
                continue
            if (layer_schema(before), Naming(old).model_name(before)) not in present:
                change.count_note = "not counted: the table is not in the database (not built yet)"
                continue
            change.affected_keys = connection.execute(query.sql("duckdb")).fetchone()[0]
            change.count_note = "keys whose latest row's hashdiff differs when recomputed with the new spec"
