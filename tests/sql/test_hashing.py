"""The generated hash expressions, run by DuckDB, equal their Python twin on awkward vectors."""

from __future__ import annotations

import hashlib
import struct
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest
from sqlglot import exp

from vaultgen.dialects import get_dialect
from vaultgen.spec.model import Hashing, KeyNormalisation, SentinelKeys
from vaultgen.sql.hashing import canonical_string, encoding, escaped_characters, hash_key_py, hash_key_sql, hashdiff_py, hashdiff_sql, sentinel

DUCKDB = get_dialect("duckdb")

KEY_VECTORS = [
    ("ALFKI",),
    ("  alfki ",),
    ("Ärger-Straße",),
    ("東京",),
    ("İSTANBUL",),
    ("ﬁle ǆ",),
    ("a||b",),
    ("^^",),
    ("",),
    ("   ",),
    (None,),
    ("\tTAB",),
    ("10248", "11"),
    ("10248", None),
    (None, "11"),
    (None, None),
    ("", None),
    ("", ""),
    ("a", "||b"),
    ("a||", "b"),
]

SETTINGS = [
    Hashing(),
    Hashing(algorithm="sha1", delimiter="~", null_marker="<null>", business_key=KeyNormalisation(trim=False, case="lower")),
    Hashing(algorithm="sha256", business_key=KeyNormalisation(trim=True, case="preserve")),
]


def _duckdb_values(expression: exp.Expression, rows: list[tuple]) -> list[str]:
    width = len(rows[0])
    columns = [f"c{i}" for i in range(width)]
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[exp.Literal.string(v) if v is not None else exp.cast(exp.Null(), "VARCHAR") for v in row]) for row in rows],
        alias=exp.TableAlias(this=exp.to_identifier("v"), columns=[exp.to_identifier(c) for c in columns]),
    )
    query = exp.select(expression).from_(values)
    return [row[0] for row in duckdb.sql(query.sql("duckdb")).fetchall()]


@pytest.mark.parametrize("hashing", SETTINGS, ids=["md5-default", "sha1-lower-notrim", "sha256-preserve"])
@pytest.mark.parametrize("width", [1, 2])
def test_hash_key_sql_equals_python(hashing: Hashing, width: int):
    sentinels = SentinelKeys()
    rows = [v for v in KEY_VECTORS if len(v) == width]
    expression = hash_key_sql([(exp.column(f"c{i}"), "string") for i in range(width)], hashing, sentinels, DUCKDB)
    assert _duckdb_values(expression, rows) == [hash_key_py(row, hashing, sentinels) for row in rows]


@pytest.mark.parametrize("hashing", SETTINGS, ids=["md5-default", "sha1-lower-notrim", "sha256-preserve"])
def test_hashdiff_sql_equals_python(hashing: Hashing):
    rows = [v for v in KEY_VECTORS if len(v) == 2]
    expression = hashdiff_sql([(exp.column("c0"), "string"), (exp.column("c1"), "string")], hashing, DUCKDB)
    assert _duckdb_values(expression, rows) == [hashdiff_py(row, hashing) for row in rows]


def test_business_keys_are_normalised_before_hashing():
    hashing, sentinels = Hashing(), SentinelKeys()
    assert hash_key_py([" alfki "], hashing, sentinels) == hash_key_py(["ALFKI"], hashing, sentinels)
    assert hash_key_py(["ALFKI"], hashing, sentinels) == hashlib.md5(b"ALFKI").hexdigest()


def test_null_and_empty_keys_map_to_sentinels():
    hashing, sentinels = Hashing(), SentinelKeys(null_key="0", empty_key="f")
    assert hash_key_py([None], hashing, sentinels) == "0" * 32
    assert hash_key_py(["  "], hashing, sentinels) == "f" * 32
    assert hash_key_py([None, ""], hashing, sentinels) == "f" * 32
    assert sentinel("0", "sha256") == "0" * 64


def test_null_differs_from_empty_and_delimiter_cannot_forge_a_key():
    hashing, sentinels = Hashing(), SentinelKeys()
    assert hash_key_py(["a", None], hashing, sentinels) != hash_key_py(["a", ""], hashing, sentinels)
    assert hashdiff_py(["a", None], hashing) != hashdiff_py(["a", ""], hashing)
    # different positions of a NULL never collide
    assert hash_key_py([None, "a"], hashing, sentinels) != hash_key_py(["a", None], hashing, sentinels)


def single_precision(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


TYPED_VECTORS = [
    # (DuckDB literal, DuckDB type, logical type, Python value)
    ("42", "SMALLINT", "int16", 42),
    ("-7", "BIGINT", "int64", -7),
    ("1.50", "DECIMAL(10,2)", "decimal", Decimal("1.50")),
    ("-0.05", "DECIMAL(10,3)", "decimal", Decimal("-0.050")),
    ("0.05", "REAL", "float32", float(single_precision(0.05))),
    ("18.4", "REAL", "float32", float(single_precision(18.4))),
    ("1234567.125", "DOUBLE", "float64", 1234567.125),
    ("1e-9", "DOUBLE", "float64", 1e-9),
    ("true", "BOOLEAN", "boolean", True),
    ("'1996-07-04'", "DATE", "date", date(1996, 7, 4)),
    ("'2024-01-01 06:00:00'", "TIMESTAMP", "timestamp", datetime(2024, 1, 1, 6, 0)),
    ("'2024-01-01 06:00:00.123456'", "TIMESTAMP", "timestamp", datetime(2024, 1, 1, 6, 0, 0, 123456)),
    ("'\\x00\\xFFab'", "BLOB", "binary", b"\x00\xffab"),
    # where DuckDB's own DOUBLE -> DECIMAL cast rounded differently from the twin (it multiplies by 1e6 in floating
    # point and adds 1e-9): the rendering now does floor(x * 1e6 + 0.5) itself, on every engine
    ("0.1234565", "DOUBLE", "float64", 0.1234565),
    ("5e-07", "DOUBLE", "float64", 5e-07),
    ("-5e-07", "DOUBLE", "float64", -5e-07),
    ("-1e-9", "DOUBLE", "float64", -1e-9),
    ("-0.0", "DOUBLE", "float64", -0.0),
    ("-0.00", "DECIMAL(10,2)", "decimal", Decimal("-0.00")),
]


@pytest.mark.parametrize("literal,sql_type,logical,value", TYPED_VECTORS, ids=[f"{v[1]}:{v[0]}" for v in TYPED_VECTORS])
def test_typed_values_render_and_hash_alike(literal: str, sql_type: str, logical: str, value):
    hashing = Hashing()
    column = exp.cast(exp.maybe_parse(literal, dialect="duckdb"), sql_type, dialect="duckdb")
    rendered = duckdb.sql(exp.select(DUCKDB.render_string(column, logical)).sql("duckdb")).fetchone()[0]
    assert rendered == canonical_string(value, logical)
    digest = duckdb.sql(exp.select(hashdiff_sql([(column, logical)], hashing, DUCKDB)).sql("duckdb")).fetchone()[0]
    assert digest == hashdiff_py([canonical_string(value, logical)], hashing)


# --- the injective encoding ------------------------------------------------------------------------------

COLLIDING_PAIRS = [  # each pair had one hash key (and one hashdiff) before values were escaped
    (("A||B", "C"), ("A", "B||C")),
    (("A", "^^"), ("A", None)),
    (("^^||^^", None), (None, "^^||^^")),
    (("A\\", "||B"), ("A\\||", "B")),
    (("A\\|", "B"), ("A", "\\|B")),
    (("\\^^", "x"), ("\\", "^^x")),
]


@pytest.mark.parametrize("left,right", COLLIDING_PAIRS, ids=[repr(pair) for pair in COLLIDING_PAIRS])
def test_values_cannot_imitate_the_delimiter_or_the_null_marker(left, right):
    hashing, sentinels = Hashing(business_key=KeyNormalisation(trim=False, case="preserve")), SentinelKeys()
    assert encoding(left, hashing) != encoding(right, hashing)
    assert hash_key_py(left, hashing, sentinels) != hash_key_py(right, hashing, sentinels)
    assert hashdiff_py(left, hashing) != hashdiff_py(right, hashing)
    expression = hash_key_sql([(exp.column("c0"), "string"), (exp.column("c1"), "string")], hashing, sentinels, DUCKDB)
    sql_keys = _duckdb_values(expression, [left, right])
    assert sql_keys[0] != sql_keys[1]
    assert sql_keys == [hash_key_py(left, hashing, sentinels), hash_key_py(right, hashing, sentinels)]


@pytest.mark.parametrize("parts,encoded", [
    (("A||B", "C"), "A\\|\\|B||C"),
    (("A", "^^"), "A||\\^\\^"),
    (("A", None), "A||^^"),
    (("back\\slash", ""), "back\\\\slash||"),
    (("plain", "text 42"), "plain||text 42"),  # no backslash, '|' or '^': encoded as before escaping existed
])
def test_the_encoding_is_the_documented_scheme(parts, encoded):
    assert encoding(parts, Hashing()) == encoded
    assert escaped_characters(Hashing()) == ["\\", "^", "|"]
    assert escaped_characters(Hashing(delimiter="~", null_marker="<null>")) == ["\\", "<", ">", "l", "n", "u", "~"]


def test_trailing_null_attributes_leave_the_hashdiff_unchanged():
    hashing = Hashing()
    assert hashdiff_py(["a", None, None], hashing) == hashdiff_py(["a"], hashing) == hashlib.md5(b"a").hexdigest()
    assert hashdiff_py([None, None], hashing) == hashdiff_py([None], hashing) == hashlib.md5(b"^^").hexdigest()
    assert hashdiff_py(["a", None, "b"], hashing) != hashdiff_py(["a", "b"], hashing)  # a NULL inside still counts
    assert hashdiff_py(["a", ""], hashing) != hashdiff_py(["a"], hashing)  # '' is not NULL
    assert hash_key_py(["a", None], hashing, SentinelKeys()) != hash_key_py(["a"], hashing, SentinelKeys())  # keys keep every part
    rows = [("a", None, None), ("a", "b", None), (None, None, None), ("a", None, "c"), ("^^", "||", None)]
    for width in (1, 2, 3):
        expression = hashdiff_sql([(exp.column(f"c{i}"), "string") for i in range(width)], hashing, DUCKDB)
        assert _duckdb_values(expression, [row[:width] for row in rows]) == [hashdiff_py(row[:width], hashing) for row in rows]
    three = hashdiff_sql([(exp.column(f"c{i}"), "string") for i in range(3)], hashing, DUCKDB)
    assert _duckdb_values(three, [("a", None, None)]) == [hashlib.md5(b"a").hexdigest()]


NFC = Hashing(business_key=KeyNormalisation(unicode="nfc"), hashdiff=KeyNormalisation(unicode="nfc", trim=False, case="preserve"))


def test_nfc_business_keys_hash_composed_and_decomposed_text_alike():
    composed, decomposed = ("\u00e9t\u00e9", "Z\u00fcrich"), ("e\u0301te\u0301", "Zu\u0308rich")
    sentinels = SentinelKeys()
    assert hash_key_py(composed, Hashing(), sentinels) != hash_key_py(decomposed, Hashing(), sentinels)  # off by default
    assert hash_key_py(composed, NFC, sentinels) == hash_key_py(decomposed, NFC, sentinels)
    assert hashdiff_py(composed, NFC) == hashdiff_py(decomposed, NFC)
    expression = hash_key_sql([(exp.column("c0"), "string"), (exp.column("c1"), "string")], NFC, sentinels, DUCKDB)
    assert _duckdb_values(expression, [composed, decomposed]) == [hash_key_py(composed, NFC, sentinels)] * 2


def test_a_target_without_unicode_normalisation_refuses_to_render_nfc():
    for name in ("spark", "snowflake"):
        dialect = get_dialect(name)
        assert not dialect.supports_nfc
        with pytest.raises(ValueError, match="no Unicode normalisation"):
            hash_key_sql([(exp.column("c0"), "string")], NFC, SentinelKeys(), dialect)
    assert all(get_dialect(name).supports_nfc for name in ("duckdb", "athena", "postgres"))
