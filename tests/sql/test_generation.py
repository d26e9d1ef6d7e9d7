"""vaultgen.dialects.generation leaves out sqlglot's SELECT rewrites of EXPLODE, UNNEST, ANY and
GENERATE_DATE_ARRAY: no built query may hold one, and the text must be sqlglot's own."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import REPO
from vaultgen.dialects import target_dialect
from vaultgen.dialects.generation import generate
from vaultgen.emit.plan import plan_models
from vaultgen.spec.loader import load_spec
from vaultgen.sql.common import sentinel_keys

LEFT_OUT = (exp.Explode, exp.Unnest, exp.Any, exp.GenerateDateArray)


@pytest.mark.parametrize("spec_dir", ["vault_spec", "tests/fixtures/dv_spec", "tests/fixtures/history_spec"])
def test_built_queries_need_no_rewrite_left_out(spec_dir: str):
    spec = load_spec(REPO / spec_dir)
    checked = 0
    for target in sorted(spec.project.targets):
        dialect = target_dialect(target, "hex", sentinel_keys(spec))
        for model in plan_models(spec, dialect):
            for tree in model.trees():
                if tree is None:
                    continue
                assert tree.find(*LEFT_OUT) is None, (target, model.name)
                expected = tree.sql(dialect=dialect.sqlglot_dialect, pretty=True)  # copies the tree
                assert generate(tree, dialect.sqlglot_dialect) == expected, (target, model.name)
                checked += 1
    assert checked > 10


@pytest.mark.parametrize("sql", [
    "SELECT CAST(a AS STRING), CAST(b AS VARCHAR(10)), CAST(c AS CHAR(3)), CAST(d AS FLOAT(53)), CAST(e AS FLOAT(8))",
    "SELECT CAST(a AS TIMESTAMP(6)), CAST(b AS DATE), CAST(c AS BIGINT), CAST(d AS DOUBLE), CAST(e AS BOOLEAN)",
    "SELECT CAST(a AS JSON), CAST(CAST(b AS JSON) AS ARRAY<INT>), CAST(c AS MAP<STRING, INT>), CAST(d AS STRUCT<x INT>)",
    "SELECT CAST(1.5 AS DECIMAL(10, 2)), CAST(CAST(a AS DOUBLE) AS DECIMAL(18, 0))",
])
def test_spark_shortcuts_write_what_sqlglot_writes(sql: str):
    """The Spark casts and types that vaultgen.dialects.generation writes by sqlglot's base generator, and those it
    leaves to Spark's, come out as sqlglot's Spark generator writes them."""
    tree = sqlglot.parse_one(sql, read="spark")
    assert generate(tree.copy(), "spark") == tree.sql(dialect="spark", pretty=True)
