"""Hash parity: the golden vectors (Unicode, NULLs, empty strings, the delimiter, the null marker and
backslashes inside values, the pairs that collided before escaping, NFC and NFD spellings, whitespace, case,
integers, decimals, floats near a rounding tie, dates, timestamps with and without time zone) hash alike in
Python and in every engine, with the expressions vaultgen generates for that engine.

Engines: DuckDB (fast tier), PostgreSQL (postgres tier, a real server), Spark 3.5 (spark, a local pyspark).
Snowflake: executed by fakesnow (a Snowflake emulator on DuckDB) in its own environment, the closest
executable means here. Athena: no engine exists here; the expression tree is evaluated by
tests/support/trino_eval.py, which implements Trino's documented semantics of the functions used, and the
emitted text must parse as Athena SQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot

from tests.support import parity
from tests.support.trino_eval import evaluate
from vaultgen.dialects import get_dialect

ALGORITHMS = ["md5", "sha1", "sha256"]
WITH_NFC = [*ALGORITHMS, "nfc"]  # the NFC settings, on the engines that can normalise (not Spark, not Snowflake)


@pytest.mark.parametrize("algorithm", WITH_NFC)
def test_duckdb(algorithm):
    rows = duckdb.sql(parity.parity_query(algorithm, get_dialect("duckdb"))).fetchall()
    assert rows == parity.expected(algorithm)


@pytest.mark.parametrize("algorithm", WITH_NFC)
def test_athena_expression_tree_under_trino_semantics(algorithm):
    dialect = get_dialect("athena")
    expressions = parity.hash_expressions(algorithm, dialect)
    for expression in expressions:
        sqlglot.parse_one(expression.sql("athena"), read="athena")
    rows = []
    for n, values in enumerate(parity.VECTORS):
        row = dict(zip([name for name, _ in parity.COLUMNS], values))
        rows.append((n, *[evaluate(expression, row) for expression in expressions]))
    assert rows == parity.expected(algorithm)


@pytest.mark.postgres
@pytest.mark.parametrize("algorithm", ["md5", "sha256", "nfc"])  # PostgreSQL has no built-in sha1 (pgcrypto)
def test_postgresql(postgres, algorithm):
    import psycopg

    with psycopg.connect(postgres.dsn) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        rows = connection.execute(parity.parity_query(algorithm, get_dialect("postgres"))).fetchall()
    assert rows == parity.expected(algorithm)


@pytest.mark.spark
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_spark(spark, algorithm):
    rows = [tuple(row) for row in spark.sql(parity.parity_query(algorithm, get_dialect("spark"))).collect()]
    assert rows == parity.expected(algorithm)


FAKESNOW_RUNNER = """
import json, sys
import fakesnow, snowflake.connector
queries = json.load(sys.stdin)
with fakesnow.patch():
    cursor = snowflake.connector.connect(database="parity", schema="vectors").cursor()
    print(json.dumps({name: [list(row) for row in cursor.execute(sql).fetchall()] for name, sql in queries.items()}))
"""


@pytest.mark.emulated
def test_snowflake_in_fakesnow():
    """fakesnow renders TIMESTAMP_NTZ with format FF6 without the fraction when it is zero (Snowflake prints
    '.000000'), so the composition is checked in two halves: every value's rendering, allowing that one
    emulator gap, and the hashing of the canonical strings."""
    snowflake = get_dialect("snowflake")
    queries = {algorithm: parity.string_hash_query(algorithm, snowflake) for algorithm in ALGORITHMS}
    for algorithm in ALGORITHMS:  # the optional binary hash type: MD5_BINARY & co., sentinels as TO_BINARY
        binary = snowflake.with_binary_hashes(parity.sentinels_for(algorithm))
        queries[f"{algorithm}_binary"] = parity.string_hash_query(algorithm, binary, binary=True)
    queries["rendering"] = parity.rendering_query(snowflake)
    uvx = Path(sys.executable).with_name("uvx")
    completed = subprocess.run(
        [str(uvx), "--quiet", "--from", "fakesnow==0.12.1", "--with", "snowflake-connector-python==3.18.0", "python", "-c", FAKESNOW_RUNNER],
        input=json.dumps(queries), capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for algorithm in ALGORITHMS:
        assert [tuple(row) for row in results[algorithm]] == parity.expected(algorithm), algorithm
        assert [tuple(row) for row in results[f"{algorithm}_binary"]] == parity.expected(algorithm), f"{algorithm} binary"
    ts = [name for name, _ in parity.COLUMNS].index("ts") + 1
    for rendered, canonical in zip(results["rendering"], parity.canonical_rows()):
        if canonical[ts] and canonical[ts].endswith(".000000") and rendered[ts] == canonical[ts][: -len(".000000")]:
            rendered[ts] = canonical[ts]  # the emulator gap described above
        assert tuple(rendered) == canonical
