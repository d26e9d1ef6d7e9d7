"""Hash keys and hashdiffs: the SQL expression and its Python twin, which must agree byte for byte.

Every value is first rendered as a canonical string that does not depend on the engine (`canonical_string`
here, `Dialect.render_string` per target): integers and decimals as digits, floats rounded to 6 decimals,
dates as YYYY-MM-DD, timestamps as YYYY-MM-DD HH:MM:SS.ffffff, booleans as true/false, binary as lower hex.

Business key rule, for the key columns c1..cn of one row:
  each part = normalise(canonical(ci))                (trim spaces and case as the spec says)
  all parts NULL                 -> the null sentinel  (the fill character repeated to the digest length)
  all parts NULL or ''           -> the empty sentinel
  otherwise                      -> hex(hash(p1' || delimiter || ... || pn'))  with pi' = coalesce(pi, null_marker)
Hashdiff rule: hex(hash(a1' || delimiter || ... || an')) with the hashdiff normalisation; no sentinels.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.spec.model import Hashing, KeyNormalisation, SentinelKeys

DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64}


def sentinel(fill: str, algorithm: str) -> str:
    return fill * DIGEST_LENGTH[algorithm]


TypedColumn = tuple[exp.Expression, str]  # a column and its logical type (vaultgen.types)


def _normalise(column: TypedColumn, rules: KeyNormalisation, dialect: Dialect) -> exp.Expression:
    value = dialect.render_string(*column)
    if rules.trim:
        value = exp.Trim(this=value, expression=exp.Literal.string(" "), position="BOTH")
    if rules.case == "upper":
        value = exp.Upper(this=value)
    elif rules.case == "lower":
        value = exp.Lower(this=value)
    return value


def _concatenation(parts: Sequence[exp.Expression], hashing: Hashing) -> exp.Expression:
    marked = [exp.Coalesce(this=part, expressions=[exp.Literal.string(hashing.null_marker)]) for part in parts]
    result = marked[0]
    for part in marked[1:]:
        result = exp.DPipe(this=exp.DPipe(this=result, expression=exp.Literal.string(hashing.delimiter)), expression=part)
    return result


def hash_key_sql(columns: Sequence[TypedColumn], hashing: Hashing, sentinels: SentinelKeys, dialect: Dialect) -> exp.Expression:
    parts = [_normalise(column, hashing.business_key, dialect) for column in columns]
    all_null = exp.and_(*[exp.Is(this=part.copy(), expression=exp.Null()) for part in parts])
    all_empty = exp.and_(
        *[exp.EQ(this=exp.Coalesce(this=part.copy(), expressions=[exp.Literal.string("")]), expression=exp.Literal.string("")) for part in parts]
    )
    digest = dialect.hash_hex(hashing.algorithm, _concatenation([p.copy() for p in parts], hashing))
    return exp.Case(
        ifs=[
            exp.If(this=all_null, true=exp.Literal.string(sentinel(sentinels.null_key, hashing.algorithm))),
            exp.If(this=all_empty, true=exp.Literal.string(sentinel(sentinels.empty_key, hashing.algorithm))),
        ],
        default=digest,
    )


def hashdiff_sql(columns: Sequence[TypedColumn], hashing: Hashing, dialect: Dialect) -> exp.Expression:
    parts = [_normalise(column, hashing.hashdiff, dialect) for column in columns]
    return dialect.hash_hex(hashing.algorithm, _concatenation(parts, hashing))


# --- the Python twin ---------------------------------------------------------------------------------------

_SIX_DECIMALS = Decimal("0.000001")


def canonical_string(value: Any, logical: str) -> str | None:
    """The engine-independent text of a value of a logical type, as the SQL renders it."""
    if value is None:
        return None
    if logical == "string":
        return str(value)
    if logical in ("int16", "int32", "int64"):
        return str(int(value))
    if logical == "decimal":
        return str(value)
    if logical in ("float32", "float64"):
        return str(Decimal(float(value)).quantize(_SIX_DECIMALS, rounding=ROUND_HALF_UP))
    if logical == "boolean":
        return "true" if value else "false"
    if logical == "date":
        assert isinstance(value, date)
        return value.isoformat()  # always four year digits (strftime's %Y is not, for years before 1000)
    if logical in ("timestamp", "timestamptz"):
        assert isinstance(value, datetime)
        if logical == "timestamptz" and value.tzinfo is not None:
            from datetime import timezone

            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if logical == "binary":
        return bytes(value).hex()
    raise ValueError(f"no canonical string for logical type {logical!r}")


# Case mapping is one code point to one code point (as DuckDB's upper/lower do): Python's full mapping would
# turn 'ß' into 'SS' and change the hash. The exceptions are the code points whose simple mapping differs.
_UPPER_EXCEPTIONS = {"ß": "ẞ"}


def _upper_char(char: str) -> str:
    if char in _UPPER_EXCEPTIONS:
        return _UPPER_EXCEPTIONS[char]
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _lower_char(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else lower[0]


def _normalise_py(value: str | None, rules: KeyNormalisation) -> str | None:
    if value is None:
        return None
    if rules.trim:
        value = value.strip(" ")
    if rules.case == "upper":
        value = "".join(_upper_char(char) for char in value)
    elif rules.case == "lower":
        value = "".join(_lower_char(char) for char in value)
    return value


def _digest(text: str, algorithm: str) -> str:
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def hash_key_py(values: Sequence[str | None], hashing: Hashing, sentinels: SentinelKeys) -> str:
    """The hash key of business key values already rendered as strings (None for NULL)."""
    parts = [_normalise_py(value, hashing.business_key) for value in values]
    if all(part is None for part in parts):
        return sentinel(sentinels.null_key, hashing.algorithm)
    if all(not part for part in parts):
        return sentinel(sentinels.empty_key, hashing.algorithm)
    text = hashing.delimiter.join(hashing.null_marker if part is None else part for part in parts)
    return _digest(text, hashing.algorithm)


def hashdiff_py(values: Sequence[str | None], hashing: Hashing) -> str:
    parts = [_normalise_py(value, hashing.hashdiff) for value in values]
    return _digest(hashing.delimiter.join(hashing.null_marker if part is None else part for part in parts), hashing.algorithm)
