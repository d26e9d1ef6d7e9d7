"""Properties of the hash encoding (hypothesis): it decodes back to its parts, so distinct tuples of text and
NULLs give distinct encodings and keys, under any delimiter and null marker the spec accepts; and the SQL that
DuckDB runs equals the Python twin on generated text, integers, decimals, floats, dates and timestamps.

CI runs a fixed seed (derandomize) and a bounded number of examples (200 per pure-Python property, 60 per
DuckDB property). More examples, and a random seed:
    VAULTGEN_HYPOTHESIS_EXAMPLES=20000 .venv/bin/python -m pytest -q tests/sql/test_hash_properties.py
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.spec.model import HASH_MARKER_FORBIDDEN, Hashing, KeyNormalisation, SentinelKeys
from vaultgen.sql.hashing import (
    ESCAPE, canonical_string, encoding, hash_key_py, hash_key_sql, hashdiff_encoding, hashdiff_py, hashdiff_sql,
)

EXAMPLES = int(os.environ.get("VAULTGEN_HYPOTHESIS_EXAMPLES", "0")) or None
_COMMON = dict(derandomize=EXAMPLES is None, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROPERTY = settings(max_examples=EXAMPLES or 200, **_COMMON)  # pure Python
SQL_PROPERTY = settings(max_examples=EXAMPLES or 60, **_COMMON)  # one DuckDB query per example
DUCKDB = get_dialect("duckdb")
MARKER_CHARACTERS = [chr(code) for code in range(0x21, 0x7F) if chr(code) not in HASH_MARKER_FORBIDDEN]


@st.composite
def hashings(draw, normalise: bool = False) -> Hashing:
    """Any delimiter and null marker the spec accepts (see Hashing), short so that values hit them often."""
    delimiter = draw(st.text(st.sampled_from(MARKER_CHARACTERS), min_size=1, max_size=3))
    marker = draw(st.text(st.sampled_from([c for c in MARKER_CHARACTERS if c not in delimiter]), min_size=1, max_size=3))
    rules = KeyNormalisation(unicode=draw(st.sampled_from(["preserve", "nfc"])), trim=draw(st.booleans()),
                             case=draw(st.sampled_from(["upper", "lower", "preserve"]))) if normalise else KeyNormalisation(trim=False, case="preserve")
    return Hashing(algorithm=draw(st.sampled_from(["md5", "sha1", "sha256"])), delimiter=delimiter, null_marker=marker,
                   business_key=rules, hashdiff=rules)


def texts(hashing: Hashing, any_code_point: bool = True):
    """Text rich in the characters that matter (backslash, delimiter, marker), and in any other code point or
    only in 'a' (then two tuples collide often where the encoding is not injective)."""
    tricky = st.sampled_from([ESCAPE, *hashing.delimiter, *hashing.null_marker, hashing.delimiter, hashing.null_marker])
    other = st.characters(exclude_categories=("Cs",), exclude_characters="\x00") if any_code_point else st.just("a")
    return st.lists(st.one_of(tricky, other, st.sampled_from([" ", "e\u0301", "é"])) if any_code_point else st.one_of(tricky, other), max_size=6).map("".join)


def decode(text: str, hashing: Hashing) -> list[str | None]:
    """Split an encoding back into its parts, reading left to right (the proof that the encoding is injective)."""
    parts: list[str | None] = []
    value: list[str] = []
    null = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == ESCAPE:
            value.append(text[position + 1])
            position += 2
        elif char in hashing.delimiter:
            assert text.startswith(hashing.delimiter, position), "a lone delimiter character"
            parts.append(None if null else "".join(value))
            value, null = [], False
            position += len(hashing.delimiter)
        elif char in hashing.null_marker:
            assert text.startswith(hashing.null_marker, position) and not value and not null, "a lone marker character"
            null = True
            position += len(hashing.null_marker)
        else:
            assert not null, "a value after a null marker"
            value.append(char)
            position += 1
    parts.append(None if null else "".join(value))
    return parts


@st.composite
def hashing_and_tuples(draw, count: int = 1):
    hashing = draw(hashings())
    width = draw(st.integers(1, 4))
    part = st.one_of(st.none(), texts(hashing, any_code_point=count == 1))
    return hashing, [tuple(draw(st.lists(part, min_size=width, max_size=width))) for _ in range(count)]


@PROPERTY
@given(hashing_and_tuples())
def test_an_encoding_decodes_to_its_parts(case):
    hashing, [parts] = case
    assert decode(encoding(parts, hashing), hashing) == list(parts)
    # the hashdiff keeps the parts up to the last non-NULL one: padded with NULLs to the width, they come back
    kept = decode(hashdiff_encoding(parts, hashing), hashing)
    assert kept + [None] * (len(parts) - len(kept)) == list(parts)


def _missing(parts) -> bool:
    return all(not part for part in parts)  # NULL or '' everywhere: a sentinel key


def resplits(parts: tuple, hashing: Hashing) -> list[tuple]:
    """The tuples of the same width whose parts, joined without escaping, give the same text as `parts`: the
    delimiters moved, a null marker read as NULL and back (the forgeries an unescaped encoding allows)."""
    joined = hashing.delimiter.join(hashing.null_marker if part is None else part for part in parts)
    cuts = [i for i in range(len(joined)) if joined.startswith(hashing.delimiter, i)]
    result = []
    for chosen in itertools.combinations(cuts, len(parts) - 1):
        if any(b - a < len(hashing.delimiter) for a, b in zip(chosen, chosen[1:])):
            continue
        bounds = [0, *[c for cut in chosen for c in (cut, cut + len(hashing.delimiter))], len(joined)]
        pieces = [joined[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]
        result.append(tuple(pieces))
        result.append(tuple(None if piece == hashing.null_marker else piece for piece in pieces))
    return result


@st.composite
def hashing_and_pairs(draw):
    """Two tuples of one width: independent, or the second a forgery of the first (see resplits)."""
    hashing, [left, right] = draw(hashing_and_tuples(count=2))
    forgeries = [t for t in resplits(left, hashing) if t != left]
    if forgeries and draw(st.booleans()):
        right = draw(st.sampled_from(forgeries))
    return hashing, [left, right]


@PROPERTY
@given(hashing_and_pairs())
def test_distinct_tuples_give_distinct_keys_and_hashdiffs(case):
    hashing, [left, right] = case
    assume(left != right)
    sentinels = SentinelKeys()
    assert encoding(left, hashing) != encoding(right, hashing)
    assert hashdiff_py(left, hashing) != hashdiff_py(right, hashing)
    if not (_missing(left) and _missing(right)):
        assert hash_key_py(left, hashing, sentinels) != hash_key_py(right, hashing, sentinels)


CONNECTION = duckdb.connect()
CONNECTION.execute("SET TimeZone = 'UTC'")


def _run(expressions: list[exp.Expression], columns: list[tuple[str, str]], rows: list[tuple]) -> list[tuple]:
    """The expressions over rows of SQL literals (columns: name and DuckDB type), on DuckDB in UTC."""
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[exp.cast(value, type_name, dialect="duckdb") for value, (_, type_name) in zip(row, columns)]) for row in rows],
        alias=exp.TableAlias(this=exp.to_identifier("v"), columns=[exp.to_identifier(name) for name, _ in columns]),
    )
    return CONNECTION.execute(exp.select(*expressions).from_(values).sql("duckdb")).fetchall()


def _string(value: str | None) -> exp.Expression:
    return exp.Null() if value is None else exp.Literal.string(value)


@SQL_PROPERTY
@given(st.data())
def test_duckdb_text_hashes_equal_the_python_twin(data):
    hashing = data.draw(hashings(normalise=True))
    width = data.draw(st.integers(1, 3))
    rows = data.draw(st.lists(st.tuples(*[st.one_of(st.none(), texts(hashing))] * width), min_size=1, max_size=8))
    columns = [(f"c{i}", "VARCHAR") for i in range(width)]
    typed = [(exp.column(name), "string") for name, _ in columns]
    sentinels = SentinelKeys()
    result = _run([hash_key_sql(typed, hashing, sentinels, DUCKDB), hashdiff_sql(typed, hashing, DUCKDB)], columns,
                  [tuple(_string(v) for v in row) for row in rows])
    assert result == [(hash_key_py(row, hashing, sentinels), hashdiff_py(row, hashing)) for row in rows]


# typed values: (logical type, DuckDB type, strategy, SQL literal of a value)
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))])
TYPED = [
    ("int64", "BIGINT", st.integers(-2**63, 2**63 - 1), lambda v: exp.Literal.number(v)),
    ("decimal", "DECIMAL(18,4)", st.decimals(min_value=-10**13, max_value=10**13, places=4, allow_nan=False, allow_infinity=False),
     lambda v: exp.Literal.string(format(v, "f"))),
    # floats: exact parity for |x| < 9e9 (floor(x * 1e6 + 0.5) below 2**53, see dialects/base.py six_decimals)
    ("float64", "DOUBLE", st.floats(min_value=-9e9, max_value=9e9, allow_nan=False), lambda v: exp.Literal.string(repr(v))),
    ("float32", "REAL", st.floats(min_value=-2e9, max_value=2e9, allow_nan=False, width=32), lambda v: exp.Literal.string(repr(v))),
    ("date", "DATE", st.dates(), lambda v: exp.Literal.string(v.isoformat())),
    ("timestamp", "TIMESTAMP", st.datetimes(), lambda v: exp.Literal.string(v.isoformat(sep=" "))),
    ("timestamptz", "TIMESTAMPTZ", st.datetimes(min_value=datetime(1900, 1, 1), timezones=ZONES),
     lambda v: exp.Literal.string(v.isoformat(sep=" "))),
    ("boolean", "BOOLEAN", st.booleans(), lambda v: exp.Boolean(this=v)),
    ("binary", "BLOB", st.binary(max_size=8), lambda v: exp.Anonymous(this="unhex", expressions=[exp.Literal.string(v.hex())])),
]


TYPED_COLUMNS = [(logical, type_name) for logical, type_name, _, _ in TYPED]


def _typed_query() -> str:
    """Every column rendered, the hashdiff of all and a hash key of two, over table `v`: built once."""
    typed = [(exp.column(logical), logical) for logical, _ in TYPED_COLUMNS]
    expressions = [DUCKDB.render_string(column.copy(), logical) for column, logical in typed]
    expressions += [hashdiff_sql(typed, Hashing(), DUCKDB), hash_key_sql(typed[:2], Hashing(), SentinelKeys(), DUCKDB)]
    return exp.select(*expressions).from_("v").order_by(exp.column("n")).sql("duckdb")


TYPED_QUERY = _typed_query()
CONNECTION.execute(exp.Create(this=exp.Schema(this=exp.to_table("v"), expressions=[
    exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(type_name, dialect="duckdb"))
    for name, type_name in [("n", "INT"), *TYPED_COLUMNS]]), kind="TABLE").sql("duckdb"))


@SQL_PROPERTY
@given(st.lists(st.tuples(*[st.one_of(st.none(), strategy) for _, _, strategy, _ in TYPED]), min_size=1, max_size=8))
def test_duckdb_typed_values_render_and_hash_like_the_python_twin(rows):
    hashing = Hashing()
    literals = [exp.Tuple(expressions=[exp.Literal.number(n), *[
        exp.cast(exp.Null() if value is None else literal(value), type_name, dialect="duckdb")
        for value, (_, type_name, _, literal) in zip(row, TYPED)]]) for n, row in enumerate(rows)]
    CONNECTION.execute("DELETE FROM v")
    CONNECTION.execute(exp.insert(exp.Values(expressions=literals), "v").sql("duckdb"))
    result = CONNECTION.execute(TYPED_QUERY).fetchall()
    for row, got in zip(rows, result):
        text = [canonical_string(value, logical) for value, (logical, _) in zip(row, TYPED_COLUMNS)]
        assert list(got[: len(TYPED_COLUMNS)]) == text
        assert got[len(TYPED_COLUMNS)] == hashdiff_py(text, hashing)
        assert got[len(TYPED_COLUMNS) + 1] == hash_key_py(text[:2], hashing, SentinelKeys())


def test_decimals_print_with_their_scale_and_without_negative_zero():
    """The twin prints a decimal with the scale it has (as a driver returns a column's value), and no '-0.0000'."""
    assert canonical_string(Decimal("1.5000"), "decimal") == "1.5000"
    assert canonical_string(Decimal("-0.0000"), "decimal") == "0.0000"
