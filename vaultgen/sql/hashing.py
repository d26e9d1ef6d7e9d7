"""Hash keys and hashdiffs: the SQL expression and its Python twin, which must agree byte for byte.

Every value is first rendered as a canonical string that does not depend on the engine (`canonical_string`
here, `Dialect.render_string` per target): integers and decimals as digits, floats rounded to 6 decimals
(floor(x * 1e6 + 0.5) in double arithmetic, as text with 6 decimals), dates as YYYY-MM-DD, timestamps as
YYYY-MM-DD HH:MM:SS.ffffff, booleans as true/false, binary as lower hex. Then it is normalised as the spec
says (`hashing.business_key` / `hashing.hashdiff`): Unicode NFC (optional, where the target can), trim of
spaces, case mapped code point by code point.

Encoding of the parts p1..pn (the same on every target, and injective):
  escape(p)  = p with a backslash put before every backslash, and then before every character that occurs in
               the delimiter or the null marker (nested REPLACE, backslash first)
  part(p)    = the null marker if p is NULL, else escape(p)
  encoding   = part(p1) || delimiter || ... || part(pn)
The delimiter and the null marker contain no backslash and share no character (the spec refuses it), so in
an encoding every character of a delimiter or a marker that comes from a value is preceded by an escaping
backslash: read left to right, the encoding splits back into its parts in exactly one way. No value can
imitate a delimiter or the marker: ('A||B', 'C') != ('A', 'B||C'), ('A', '^^') != ('A', NULL). A value
without a backslash and without any character of the delimiter and the marker encodes as it did before
escaping existed.

Business key rule, for the key columns c1..cn of one row:
  all parts NULL                 -> the null sentinel  (the fill character repeated to the digest length)
  all parts NULL or ''           -> the empty sentinel
  otherwise                      -> hex(hash(encoding(p1..pn)))      (every part, NULL or not)
Hashdiff rule: hex(hash(encoding(a1..ak))) with the hashdiff normalisation, where ak is the last non-NULL
attribute (k = 1 when all are NULL): trailing NULL attributes beyond the first leave the hashdiff unchanged,
so adding a nullable attribute at the end of a satellite does not re-version the keys whose new attribute is
NULL. In SQL the encoding of all n parts is cut by (n - k) * len(delimiter + null marker) characters (see
`_without_trailing_nulls`); sound because an escaped value never ends in an unescaped marker. For a fixed
attribute list the hashdiff stays injective (the parts up to ak come back from the encoding, the rest are
NULL).
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Sequence

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.spec.model import Hashing, KeyNormalisation, SentinelKeys

ESCAPE = "\\"
DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64}


def sentinel(fill: str, algorithm: str) -> str:
    return fill * DIGEST_LENGTH[algorithm]


def escaped_characters(hashing: Hashing) -> list[str]:
    """The characters a value escapes with a backslash, the backslash first."""
    return [ESCAPE, *sorted(set(hashing.delimiter + hashing.null_marker))]


TypedColumn = tuple[exp.Expression, str]  # a column and its logical type (vaultgen.types)


def _normalise(column: TypedColumn, rules: KeyNormalisation, dialect: Dialect) -> exp.Expression:
    value = dialect.render_string(*column)
    if rules.unicode == "nfc":
        if dialect.nfc_normalise is None:  # the spec check refuses this before any rendering
            raise ValueError(f"{dialect.name} has no Unicode normalisation")
        value = dialect.nfc_normalise(value)
    if rules.trim:
        value = exp.Trim(this=value, expression=exp.Literal.string(" "), position="BOTH")
    if rules.case == "upper":
        value = exp.Upper(this=value)
    elif rules.case == "lower":
        value = exp.Lower(this=value)
    return value


def _escape(value: exp.Expression, hashing: Hashing) -> exp.Expression:
    for char in escaped_characters(hashing):
        value = exp.Replace(this=value, expression=exp.Literal.string(char), replacement=exp.Literal.string(ESCAPE + char))
    return value


def _encoding(parts: Sequence[exp.Expression], hashing: Hashing) -> exp.Expression:
    marked = [exp.Coalesce(this=_escape(part, hashing), expressions=[exp.Literal.string(hashing.null_marker)]) for part in parts]
    result = marked[0]
    for part in marked[1:]:
        result = exp.DPipe(this=exp.DPipe(this=result, expression=exp.Literal.string(hashing.delimiter)), expression=part)
    return result


def _without_trailing_nulls(encoding: exp.Expression, columns: Sequence[TypedColumn], hashing: Hashing) -> exp.Expression:
    """The encoding cut before its trailing NULL parts (all but the first part may go): the last n - k parts
    are NULL, so they are exactly (n - k) * len(delimiter + null marker) characters at its end. Linear in the
    parts (the encoding appears twice); a fold from the right with NULLIF would be exponential, since engines
    expand NULLIF(a, b) to CASE WHEN a = b THEN NULL ELSE a END (DuckDB took 13 s to plan 12 attributes)."""
    if len(columns) < 2:
        return encoding
    trailing = exp.Case(
        ifs=[exp.If(this=exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())), true=exp.Literal.number(len(columns) - 1 - index))
             for index, (column, _) in reversed(list(enumerate(columns))) if index > 0],
        default=exp.Literal.number(len(columns) - 1),
    )
    cut = exp.Mul(this=exp.Literal.number(len(hashing.delimiter) + len(hashing.null_marker)), expression=trailing)
    length = exp.Sub(this=exp.Length(this=encoding.copy()), expression=cut)
    return exp.Substring(this=encoding, start=exp.Literal.number(1), length=length)


def hash_key_sql(columns: Sequence[TypedColumn], hashing: Hashing, sentinels: SentinelKeys, dialect: Dialect) -> exp.Expression:
    return hash_key_of_parts([business_key_part(column, hashing, dialect) for column in columns], hashing, sentinels, dialect)


def business_key_part(column: TypedColumn, hashing: Hashing, dialect: Dialect) -> exp.Expression:
    """A business key column as the hash key reads it: its canonical string, normalised."""
    return _normalise(column, hashing.business_key, dialect)


def hash_key_of_parts(parts: Sequence[exp.Expression], hashing: Hashing, sentinels: SentinelKeys, dialect: Dialect) -> exp.Expression:
    """The hash key of business key parts already normalised (`business_key_part`); each part is read three times,
    so the staging passes column references to parts it computed once."""
    all_null = exp.and_(*[exp.Is(this=part.copy(), expression=exp.Null()) for part in parts], copy=False)
    all_empty = _all_empty(parts)
    digest = dialect.hash_hex(hashing.algorithm, _encoding([p.copy() for p in parts], hashing))
    return exp.Case(
        ifs=[
            exp.If(this=all_null, true=exp.Literal.string(sentinel(sentinels.null_key, hashing.algorithm))),
            exp.If(this=all_empty, true=exp.Literal.string(sentinel(sentinels.empty_key, hashing.algorithm))),
        ],
        default=digest,
    )


def _all_empty(parts: Sequence[exp.Expression]) -> exp.Expression:
    """Every part is NULL or empty (the empty sentinel; all NULL is the null sentinel and a case of it)."""
    return exp.and_(
        *[exp.EQ(this=exp.Coalesce(this=part.copy(), expressions=[exp.Literal.string("")]), expression=exp.Literal.string("")) for part in parts], copy=False
    )


def is_real_key_of_parts(parts: Sequence[exp.Expression]) -> exp.Expression:
    """Normalised business key parts hash to a real key, neither the null nor the empty sentinel (what
    `common.is_real_key` tests of the hash, without hashing)."""
    return exp.Not(this=exp.Paren(this=_all_empty(parts)))


def hashdiff_sql(columns: Sequence[TypedColumn], hashing: Hashing, dialect: Dialect) -> exp.Expression:
    parts = [_normalise(column, hashing.hashdiff, dialect) for column in columns]
    return dialect.hash_hex(hashing.algorithm, _without_trailing_nulls(_encoding(parts, hashing), columns, hashing))


# --- the Python twin ---------------------------------------------------------------------------------------


def canonical_string(value: Any, logical: str) -> str | None:
    """The engine-independent text of a value of a logical type, as the SQL renders it."""
    if value is None:
        return None
    if logical == "string":
        return str(value)
    if logical in ("int16", "int32", "int64"):
        return str(int(value))
    if logical == "decimal":
        number = Decimal(value)
        return format(number.copy_abs() if number.is_zero() else number, "f")  # engines print no '-0.00'
    if logical in ("float32", "float64"):
        micro_units = math.floor(float(value) * 1e6 + 0.5)  # IEEE double arithmetic, as the SQL does it
        return str(Decimal(micro_units).scaleb(-6))
    if logical == "boolean":
        return "true" if value else "false"
    if logical == "date":
        assert isinstance(value, date)
        return value.isoformat()  # always four year digits (strftime's %Y is not, for years before 1000)
    if logical in ("timestamp", "timestamptz"):
        assert isinstance(value, datetime)
        if logical == "timestamptz" and value.tzinfo is not None:
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
    if rules.unicode == "nfc":
        value = unicodedata.normalize("NFC", value)
    if rules.trim:
        value = value.strip(" ")
    if rules.case == "upper":
        value = "".join(_upper_char(char) for char in value)
    elif rules.case == "lower":
        value = "".join(_lower_char(char) for char in value)
    return value


def escape(value: str, hashing: Hashing) -> str:
    for char in escaped_characters(hashing):
        value = value.replace(char, ESCAPE + char)
    return value


def encoding(parts: Sequence[str | None], hashing: Hashing) -> str:
    """The injective encoding of normalised parts (None for NULL), as the SQL builds it."""
    return hashing.delimiter.join(hashing.null_marker if part is None else escape(part, hashing) for part in parts)


def _digest(text: str, algorithm: str) -> str:
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def hash_key_py(values: Sequence[str | None], hashing: Hashing, sentinels: SentinelKeys) -> str:
    """The hash key of business key values already rendered as strings (None for NULL)."""
    parts = [_normalise_py(value, hashing.business_key) for value in values]
    if all(part is None for part in parts):
        return sentinel(sentinels.null_key, hashing.algorithm)
    if all(not part for part in parts):
        return sentinel(sentinels.empty_key, hashing.algorithm)
    return _digest(encoding(parts, hashing), hashing.algorithm)


def hashdiff_encoding(parts: Sequence[str | None], hashing: Hashing) -> str:
    """The encoding of normalised attributes without their trailing NULLs beyond the first."""
    kept = list(parts)
    while len(kept) > 1 and kept[-1] is None:
        kept.pop()
    return encoding(kept, hashing)


def hashdiff_py(values: Sequence[str | None], hashing: Hashing) -> str:
    """The hashdiff of attribute values already rendered as strings (None for NULL)."""
    return _digest(hashdiff_encoding([_normalise_py(value, hashing.hashdiff) for value in values], hashing), hashing.algorithm)
