"""A small evaluator of vaultgen's Athena (Trino) expression trees, following Trino's documented semantics
for the few functions the hash expressions use. There is no Athena or Trino engine here: this is the closest
executable check of the Athena hash expressions, and it catches what transpilers get wrong (md5 on varchar
instead of varbinary, upper-case to_hex, a lost format). Anything outside that small set raises."""

from __future__ import annotations

import hashlib
import math
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from sqlglot import exp

JODA_FORMATS = {  # Joda patterns -> how Trino's format_datetime renders them (four-digit years, zero-padded).
    # Joda formats milliseconds only: Trino drops the rest of a microsecond ("date formatting only supports up to
    # millis", io.trino.operator.scalar.timestamp.FormatDateTime)
    "yyyy-MM-dd": lambda v: f"{v.year:04d}-{v.month:02d}-{v.day:02d}",
    "yyyy-MM-dd HH:mm:ss.SSSSSS": lambda v: f"{_wall_clock(v)[:23]}000",
}


def _wall_clock(value: datetime) -> str:
    """How Trino prints a timestamp(6): 'yyyy-MM-dd HH:mm:ss.ffffff'."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"


class Unsupported(Exception):
    pass


def _cast(value: Any, to: exp.DataType) -> Any:
    if value is None:
        return None
    kind = to.this
    if kind == exp.DataType.Type.VARCHAR:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal) and value.is_zero():
            return str(value.copy_abs())  # a decimal is an unscaled integer: no negative zero
        if isinstance(value, (int, Decimal, str)):
            return str(value)
        if isinstance(value, datetime):  # a timestamp(6), the precision vaultgen casts to before printing
            if value.tzinfo is None:
                return _wall_clock(value)
            zone = "UTC" if value.utcoffset() == timedelta(0) and value.tzinfo is timezone.utc else value.strftime("%z")
            return f"{_wall_clock(value)} {zone}"
        if isinstance(value, date):
            return value.isoformat()
        raise Unsupported(f"cast {type(value).__name__} to varchar")
    if kind == exp.DataType.Type.TIMESTAMP:
        if isinstance(value, str):
            return datetime.fromisoformat(value)  # Trino reads 'yyyy-MM-dd HH:mm:ss[.ffffff]' as a timestamp
        if value.tzinfo is not None:
            raise Unsupported("Athena refuses casts from timestamp with time zone to timestamp")
        return value
    if kind == exp.DataType.Type.TIMESTAMPTZ:
        if value.tzinfo is None:
            raise Unsupported("timestamp to timestamp with time zone depends on the session zone")
        return value
    if kind == exp.DataType.Type.DOUBLE:
        return float(value)
    if kind == exp.DataType.Type.BIGINT:  # a double is rounded half away from zero (Math.round), then range-checked
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("Trino: cannot cast NaN or Infinity to bigint")
            value = int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))
        if not -2**63 <= int(value) < 2**63:
            raise ValueError("Trino: out of range for bigint")
        return int(value)
    if kind == exp.DataType.Type.DECIMAL:
        scale = int(to.expressions[1].this.this)
        # a double goes through its shortest decimal text (BigDecimal.valueOf), then rounds half up
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        return number.copy_abs() if number.is_zero() else number  # an unscaled integer: no negative zero
    raise Unsupported(f"cast to {kind}")


def _call(name: str, args: list[Any]) -> Any:
    name = name.lower()
    if any(a is None for a in args):
        return None  # Trino functions return NULL on NULL input
    if name == "to_utf8":
        return args[0].encode("utf-8")
    if name in ("md5", "sha1", "sha256"):
        if not isinstance(args[0], bytes):
            raise TypeError(f"Trino's {name} takes varbinary, got {type(args[0]).__name__}")
        return hashlib.new(name, args[0]).digest()
    if name == "to_hex":
        if not isinstance(args[0], bytes):
            raise TypeError("to_hex takes varbinary")
        return args[0].hex().upper()  # Trino's to_hex is upper case
    if name == "format_datetime":
        return JODA_FORMATS[args[1]](args[0])
    if name == "normalize":  # normalize(string, form): the form is a keyword (NFC, NFD, NFKC, NFKD)
        return unicodedata.normalize(args[1], args[0])
    if name == "at_timezone":
        if args[0].tzinfo is None:
            raise Unsupported("at_timezone of a timestamp without time zone depends on the session zone")
        return args[0].astimezone(timezone.utc)
    raise Unsupported(name)


def evaluate(node: exp.Expression, row: Mapping[str, Any]) -> Any:
    if isinstance(node, exp.Column):
        return row[node.name]
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else Decimal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Var):  # a keyword argument such as normalize's form
        return node.name
    if isinstance(node, exp.Cast):
        return _cast(evaluate(node.this, row), node.to)
    if isinstance(node, exp.Anonymous):
        return _call(node.name, [evaluate(a, row) for a in node.expressions])
    if isinstance(node, (exp.Lower, exp.Upper)):
        value = evaluate(node.this, row)
        if value is None:
            return None
        # Trino maps case code point by code point
        return "".join((c.lower() if isinstance(node, exp.Lower) else c.upper()) if len(c.upper()) == 1 else c for c in value)
    if isinstance(node, exp.Trim):
        value = evaluate(node.this, row)
        characters = evaluate(node.expression, row) if node.expression else " "
        return None if value is None else value.strip(characters)
    if isinstance(node, exp.Coalesce):
        for candidate in [node.this, *node.expressions]:
            value = evaluate(candidate, row)
            if value is not None:
                return value
        return None
    if isinstance(node, exp.DPipe):
        left, right = evaluate(node.this, row), evaluate(node.expression, row)
        return None if left is None or right is None else left + right
    if isinstance(node, exp.Is):
        return evaluate(node.this, row) is None
    if isinstance(node, exp.EQ):
        left, right = evaluate(node.this, row), evaluate(node.expression, row)
        return None if left is None or right is None else left == right
    if isinstance(node, exp.And):
        return bool(evaluate(node.this, row)) and bool(evaluate(node.expression, row))
    if isinstance(node, exp.Substring):  # 1-based, as Trino's substr
        value = evaluate(node.this, row)
        start = int(evaluate(node.args["start"], row))
        length = node.args.get("length")
        if value is None:
            return None
        return value[start - 1:] if length is None else value[start - 1:start - 1 + int(evaluate(length, row))]
    if isinstance(node, exp.Replace):  # replace(string, search, replacement): every occurrence, literally
        value, search, replacement = (evaluate(node.args[key], row) for key in ("this", "expression", "replacement"))
        return None if None in (value, search, replacement) else value.replace(search, replacement)
    if isinstance(node, exp.Length):  # in code points
        value = evaluate(node.this, row)
        return None if value is None else len(value)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):  # double with double, decimal with decimal (exact)
        left, right = evaluate(node.this, row), evaluate(node.expression, row)
        if left is None or right is None:
            return None
        if isinstance(left, float) != isinstance(right, float):
            raise TypeError(f"{type(node).__name__} of {type(left).__name__} and {type(right).__name__}: cast first")
        return left + right if isinstance(node, exp.Add) else left - right if isinstance(node, exp.Sub) else left * right
    if isinstance(node, exp.Floor):  # floor(double) is a double
        value = evaluate(node.this, row)
        return None if value is None else float(math.floor(value))
    if isinstance(node, exp.Nullif):
        value, other = evaluate(node.this, row), evaluate(node.expression, row)
        return None if value is not None and value == other else value
    if isinstance(node, exp.Not):
        value = evaluate(node.this, row)
        return None if value is None else not value
    if isinstance(node, exp.Paren):
        return evaluate(node.this, row)
    if isinstance(node, exp.Case):
        for branch in node.args["ifs"]:
            if evaluate(branch.this, row):
                return evaluate(branch.args["true"], row)
        default = node.args.get("default")
        return evaluate(default, row) if default is not None else None
    raise Unsupported(type(node).__name__)
