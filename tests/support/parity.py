"""The golden vectors of the hash parity tests, and the query that hashes them on any engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.spec.model import Hashing, SentinelKeys
from vaultgen.sql.hashing import canonical_string, sentinel, hash_key_py, hash_key_sql, hashdiff_py, hashdiff_sql
from vaultgen.types import SourceType

COLUMNS = [("s", "string"), ("s2", "string"), ("i", "int32"), ("d", "decimal"), ("f", "float64"), ("dt", "date"), ("ts", "timestamp"),
           ("tz", "timestamptz"), ("b", "boolean")]
PLUS_TWO = timezone(timedelta(hours=2))
NULL = None

VECTORS = [
    ("ALFKI", "x", 1, Decimal("1.50"), 0.05, date(1996, 7, 4), datetime(2024, 1, 1, 6, 0), datetime(2024, 1, 1, 6, 0, tzinfo=PLUS_TWO), True),
    ("  alfki  ", "", -7, Decimal("-0.05"), 1234567.125, date(2000, 2, 29), datetime(2024, 1, 1, 6, 0, 0, 123456), datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), False),
    ("Ärger-Strasse Ünïcode 東京 ñ", NULL, 2147483647, Decimal("99999999.99"), -0.000001, date(1, 1, 1), datetime(1970, 1, 1), NULL, NULL),
    ("a||b", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("^^", "^^", 0, Decimal("0.00"), 0.0, date(2024, 12, 31), datetime(2024, 12, 31, 23, 59, 59), datetime(2024, 6, 1, 0, 0, tzinfo=timezone.utc), True),
    ("", NULL, 10248, Decimal("12.34"), 18.4, NULL, NULL, NULL, False),
    ("   ", "   ", NULL, Decimal("0.10"), 1e-7, NULL, NULL, NULL, NULL),
    (NULL, NULL, 42, Decimal("3.00"), 2.5, date(1998, 5, 6), NULL, NULL, True),
    ("tab\tinside  ", NULL, 5, NULL, 0.1234564, NULL, NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    # collisions of the unescaped encoding: each pair hashed alike before escaping
    ("A||B", "C", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("A", "B||C", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("A", "^^", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("A", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("^^||^^", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (NULL, "^^||^^", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("~<null>", "<null>~", NULL, NULL, NULL, NULL, NULL, NULL, NULL),  # the sha1 settings' delimiter and marker inside values
    # backslashes: the escape character itself, alone, doubled, before a delimiter or marker character
    ("back\\slash", "\\", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("A\\", "||B", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("A\\||", "B", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("\\^^", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("\\\\", "\\|", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    # NFC and NFD spellings of one text: two keys unless hashing.business_key.unicode is nfc
    ("\u00e9t\u00e9", "Z\u00fcrich", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ("e\u0301te\u0301", "Zu\u0308rich", NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    # six-decimal rounding near a tie, where a DOUBLE -> DECIMAL cast differs between engines; a negative zero
    ("floats", NULL, NULL, Decimal("-0.00"), 0.1234565, NULL, NULL, NULL, NULL),
    ("floats", NULL, NULL, NULL, 5e-07, NULL, NULL, NULL, NULL),
    ("floats", NULL, NULL, NULL, -5e-07, NULL, NULL, NULL, NULL),
    ("floats", NULL, NULL, NULL, 123456789.1234565, NULL, NULL, NULL, NULL),
    ("floats", NULL, NULL, NULL, -2.0000005, NULL, NULL, NULL, NULL),
]

HASHINGS = {
    "md5": Hashing(),
    "sha1": Hashing(algorithm="sha1", delimiter="~", null_marker="<null>"),
    "sha256": Hashing(algorithm="sha256", business_key={"trim": True, "case": "lower"}),
    # NFC business keys and hashdiffs, on the targets that can normalise (not Spark, not Snowflake)
    "nfc": Hashing(business_key={"unicode": "nfc", "trim": True, "case": "upper"}, hashdiff={"unicode": "nfc", "trim": False, "case": "preserve"}),
}
SENTINELS = SentinelKeys()
DECIMAL_TYPE = SourceType("decimal", 10, 2)


def sentinels_for(algorithm: str) -> list[str]:
    hashing = HASHINGS[algorithm]
    return [sentinel(SENTINELS.null_key, hashing.algorithm), sentinel(SENTINELS.empty_key, hashing.algorithm)]


def _literal(value, logical: str, dialect: Dialect) -> exp.Expression:
    type_name = dialect.column_type(DECIMAL_TYPE) if logical == "decimal" else dialect.type_mapping[logical]
    if value is None:
        text = exp.Null()
    elif logical in ("int32",):
        text = exp.Literal.number(value)
    elif logical == "boolean":
        text = exp.Boolean(this=value)
    elif logical == "timestamptz":
        text = exp.Literal.string(value.isoformat(sep=" "))
    elif isinstance(value, (date, datetime)):
        text = exp.Literal.string(value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat())
    else:
        text = exp.Literal.string(str(value) if not isinstance(value, float) else repr(value))
    return exp.Cast(this=text, to=exp.DataType.build(type_name, dialect=dialect.sqlglot_dialect))


def vector_rows_sql(dialect: Dialect) -> exp.Expression:
    rows = [
        exp.select(exp.alias_(exp.Literal.number(n), "n"), *[exp.alias_(_literal(value, logical, dialect), name) for (name, logical), value in zip(COLUMNS, row)])
        for n, row in enumerate(VECTORS)
    ]
    union = rows[0]
    for row in rows[1:]:
        union = exp.union(union, row, distinct=False)
    return union


def _expressions(typed: list, sentinels: SentinelKeys) -> list:
    """The hashes of each vector: key(s), key(s, s2), key(s, i), hashdiff(all), hashdiff(s, s2), as builders."""
    s, s2, i = typed[0], typed[1], typed[2]
    return [
        lambda hashing, dialect: hash_key_sql([s], hashing, sentinels, dialect),
        lambda hashing, dialect: hash_key_sql([s, s2], hashing, sentinels, dialect),
        lambda hashing, dialect: hash_key_sql([s, i], hashing, sentinels, dialect),
        lambda hashing, dialect: hashdiff_sql(typed, hashing, dialect),
        lambda hashing, dialect: hashdiff_sql([s, s2], hashing, dialect),
    ]


def expected_row(text: list, hashing: Hashing) -> tuple:
    """The Python twin of `_expressions` on one vector's canonical strings."""
    return (hash_key_py(text[:1], hashing, SENTINELS), hash_key_py(text[:2], hashing, SENTINELS), hash_key_py([text[0], text[2]], hashing, SENTINELS),
            hashdiff_py(text, hashing), hashdiff_py(text[:2], hashing))


def hash_expressions(algorithm: str, dialect: Dialect) -> list[exp.Expression]:
    hashing = HASHINGS[algorithm]
    typed = [(exp.column(name), logical) for name, logical in COLUMNS]
    return [expression(hashing, dialect) for expression in _expressions(typed, SENTINELS)]


def parity_query(algorithm: str, dialect: Dialect) -> str:
    expressions = [exp.alias_(e, f"h{i}") for i, e in enumerate(hash_expressions(algorithm, dialect))]
    query = exp.select(exp.column("n"), *expressions).from_(vector_rows_sql(dialect).subquery("v")).order_by(exp.column("n"))
    return query.sql(dialect.sqlglot_dialect)


def expected(algorithm: str) -> list[tuple]:
    hashing = HASHINGS[algorithm]
    result = []
    for n, row in enumerate(VECTORS):
        text = [canonical_string(value, logical) for (_, logical), value in zip(COLUMNS, row)]
        result.append((n, *expected_row(text, hashing)))
    return result


def rendering_query(dialect: Dialect) -> str:
    """Each vector's columns rendered as canonical strings by the dialect's renderers."""
    rendered = [exp.alias_(dialect.render_string(exp.column(name), logical), name) for name, logical in COLUMNS]
    return exp.select(exp.column("n"), *rendered).from_(vector_rows_sql(dialect).subquery("v")).order_by(exp.column("n")).sql(dialect.sqlglot_dialect)


def canonical_rows() -> list[tuple]:
    return [(n, *[canonical_string(value, logical) for (_, logical), value in zip(COLUMNS, row)]) for n, row in enumerate(VECTORS)]


def string_hash_query(algorithm: str, dialect: Dialect, binary: bool = False) -> str:
    """The hash expressions over the canonical strings themselves: the hashing half of the composition.
    With `binary`, the dialect stores hashes as bytes and the query shows them as lower hex to compare."""
    hashing = HASHINGS[algorithm]
    names = [name for name, _ in COLUMNS]
    rows = [
        exp.select(exp.alias_(exp.Literal.number(n), "n"), *[exp.alias_(exp.cast(exp.Literal.string(v) if v is not None else exp.Null(), dialect.string_type), name) for name, v in zip(names, texts)])
        for n, *texts in canonical_rows()
    ]
    union = rows[0]
    for row in rows[1:]:
        union = exp.union(union, row, distinct=False)
    typed = [(exp.column(name), "string") for name in names]
    expressions = [expression(hashing, dialect) for expression in _expressions(typed, SENTINELS)]
    if binary:
        expressions = [exp.Lower(this=exp.Anonymous(this="HEX_ENCODE", expressions=[e])) for e in expressions]
    query = exp.select(exp.column("n"), *[exp.alias_(e, f"h{i}") for i, e in enumerate(expressions)]).from_(union.subquery("v")).order_by(exp.column("n"))
    text = query.sql(dialect.sqlglot_dialect)
    if binary:  # the sentinel keys as bytes, as the dbt wrapper writes them
        from vaultgen.emit.dbt_model import sql_text

        text = sql_text(query, dialect)
    return text
