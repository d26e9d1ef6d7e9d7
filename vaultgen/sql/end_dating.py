"""Virtual end-dating: per satellite, a history view (valid_from, valid_to, is_current) and a current view.

Views, not tables: the satellite stays insert-only, and the end of a row is the load timestamp of the next row
of the same key (or the end of time for the current row), computed when the view is read.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.naming import Naming
from vaultgen.spec.model import Satellite, Spec
from vaultgen.sql.common import END_OF_TIME, alias, ascending, col, ref, select, timestamp_literal

VALID_FROM, VALID_TO, IS_CURRENT = "valid_from", "valid_to", "is_current"


def history_view_sql(spec: Spec, satellite: Satellite, dialect: Dialect, incremental: bool = False) -> exp.Select:
    naming = Naming(spec)
    key = naming.parent_key(satellite)
    next_load = exp.Window(
        this=exp.Anonymous(this="LEAD", expressions=[col(naming.load_ts)]),
        partition_by=[col(key)],
        order=exp.Order(expressions=[ascending(col(naming.load_ts))]),
    )
    return select(
        col(key),
        col(naming.hashdiff),
        col(naming.load_ts),
        col(naming.record_source),
        alias(col(naming.load_ts), VALID_FROM),
        alias(exp.Coalesce(this=next_load.copy(), expressions=[timestamp_literal(END_OF_TIME)]), VALID_TO),
        alias(exp.Is(this=next_load, expression=exp.Null()), IS_CURRENT),
        *[col(a) for a in satellite.attributes],
    ).from_(ref(naming.model_name(satellite)), copy=False)


def current_view_sql(spec: Spec, satellite: Satellite, dialect: Dialect, incremental: bool = False) -> exp.Select:
    naming = Naming(spec)
    return select(exp.Star()).from_(ref(naming.history_view(satellite)), copy=False).where(col(IS_CURRENT), copy=False)
