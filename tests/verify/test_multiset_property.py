"""The round trip's comparison is a multiset difference: for any two bags of rows (duplicates, NULLs, equal and
unequal parts) the queries on DuckDB, and the same queries written in Trino's SQL and transpiled back, report
exactly Python's Counter difference, capped per side. Fixed seed and a bounded count in CI; for more:
    VAULTGEN_HYPOTHESIS_EXAMPLES=5000 .venv/bin/python -m pytest -q tests/verify/test_multiset_property.py
"""

from __future__ import annotations

import os
from collections import Counter

import duckdb
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from vaultgen.verify.roundtrip import DuckDBEngine, differences_of, multiset_difference

EXAMPLES = int(os.environ.get("VAULTGEN_HYPOTHESIS_EXAMPLES", "0")) or None
PROPERTY = settings(max_examples=EXAMPLES or 30, derandomize=EXAMPLES is None, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
LIMIT = 3

rows = st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 3)), st.one_of(st.none(), st.sampled_from(["a", "b", "", "a b"]))), max_size=12)


class TrinoOnDuckDB(DuckDBEngine):
    """The Athena path's SQL: written for Trino, parsed as Trino, run on DuckDB."""

    def fetch(self, query: exp.Expression) -> list[tuple]:
        return self.connection.execute(sqlglot.transpile(query.sql("trino"), read="trino", write="duckdb")[0]).fetchall()


def _expected(left: list[tuple], right: list[tuple]) -> tuple[Counter, Counter]:
    return Counter(left) - Counter(right), Counter(right) - Counter(left)


@PROPERTY
@given(left=rows, right=rows, overlap=rows)
def test_the_comparison_is_the_multiset_difference_on_both_paths(left, right, overlap):
    left, right = left + overlap, overlap + right
    with duckdb.connect() as connection:
        for name, bag in (("snapshot", left), ("rebuilt", right)):
            connection.execute(f"create table {name} (k integer, v varchar)")
            if bag:
                connection.executemany(f"insert into {name} values (?, ?)", bag)
        counts, differences = multiset_difference(exp.select("k", "v").from_("snapshot"), exp.select("k", "v").from_("rebuilt"),
                                                  ["k", "v"], ["k"], LIMIT)
        missing_expected, extra_expected = _expected(left, right)
        for engine in (DuckDBEngine(connection), TrinoOnDuckDB(connection)):
            assert engine.fetch(counts) == [(len(left), len(right)) if left or right else (None, None)]  # SUM of nothing is NULL
            missing, extra = differences_of(engine.fetch(differences), limit=100)
            assert set(missing) <= set(missing_expected) and set(extra) <= set(extra_expected)
            assert bool(missing) == bool(missing_expected) and bool(extra) == bool(extra_expected)  # one side never hides the other
            assert len(set(missing)) == min(len(missing_expected), LIMIT) and len(set(extra)) == min(len(extra_expected), LIMIT)
            for row in set(missing):
                assert Counter(missing)[row] == missing_expected[row]
            for row in set(extra):
                assert Counter(extra)[row] == extra_expected[row]
