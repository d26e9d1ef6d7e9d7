"""The batch lifecycle of the raw layer, as pure rules: which load timestamp a batch gets, or why it is refused.

Load timestamps are arrival times and strictly increase (design (a) of issue 10): a NEW batch id must be later
than every batch already in the raw layer. Loading an EXISTING batch id again is a corrected batch: it keeps
its original load timestamp and replaces that batch's rows of the tables it brings; it may bring a table the
batch did not have only while it is the newest batch (otherwise that table's rows would arrive late). The
source's own extract time, when it matters, travels as a source column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping

from vaultgen.errors import Location, LoadError, Problem


def to_utc(moment: datetime) -> datetime:
    """A naive UTC datetime (the raw layer's load timestamp type); a naive input is taken as UTC already."""
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


def parse_load_ts(text: str, where: str = "--load-ts") -> datetime:
    """An ISO 8601 timestamp ('2024-03-01 06:00', '2024-03-01T06:00:00+02:00'), converted to naive UTC."""
    try:
        return to_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise LoadError([Problem("VG110", f"'{text}' is not an ISO 8601 timestamp", Location(where),
                                 "write it as YYYY-MM-DD HH:MM[:SS[.ffffff]][+HH:MM]; a timestamp without an offset is UTC")]) from None


@dataclass(frozen=True)
class LoadHistory:
    """What the raw layer already holds: per batch id, its load timestamps and the tables it logged."""

    batches: Mapping[str, frozenset[datetime]] = field(default_factory=dict)
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    latest: datetime | None = None  # the newest load timestamp anywhere in the raw layer (log or raw rows)

    @classmethod
    def from_log(cls, rows: Iterable[tuple[str, str, datetime]], raw_latest: datetime | None = None) -> "LoadHistory":
        """From load log rows (table_name, batch_id, load_ts) and the newest load timestamp of the raw tables."""
        stamps: dict[str, set[datetime]] = {}
        tables: dict[str, set[str]] = {}
        latest = raw_latest
        for table, batch_id, load_ts in rows:
            stamps.setdefault(batch_id, set()).add(load_ts)
            tables.setdefault(batch_id, set()).add(table)
            latest = load_ts if latest is None or load_ts > latest else latest
        return cls({b: frozenset(s) for b, s in stamps.items()}, {b: frozenset(t) for b, t in tables.items()}, latest)


@dataclass(frozen=True)
class BatchDecision:
    load_ts: datetime  # naive UTC
    corrected: bool  # the batch id was loaded before: its rows of these tables are replaced


def decide(history: LoadHistory, batch_id: str, requested: datetime | None, tables: Iterable[str], now: datetime,
           where: str = "batch") -> BatchDecision:
    """The load timestamp of `batch_id` bringing `tables`, or a LoadError naming the rule it breaks."""
    requested = None if requested is None else to_utc(requested)
    location = Location(where)
    if not batch_id or batch_id != batch_id.strip():
        raise LoadError([Problem("VG111", f"batch id '{batch_id}' is empty or has surrounding spaces", location, "pass --batch-id ID")])
    known = history.batches.get(batch_id)
    if not known:
        load_ts = requested if requested is not None else to_utc(now)
        if history.latest is not None and load_ts <= history.latest:
            raise LoadError([Problem(
                "VG112", f"new batch '{batch_id}' has load timestamp {load_ts.isoformat(sep=' ')}, not later than the newest"
                f" batch already loaded ({history.latest.isoformat(sep=' ')}): load timestamps are arrival times and must increase",
                location, "omit --load-ts (now) or pass a later one; the source's own extract time belongs in a source column")])
        return BatchDecision(load_ts, corrected=False)
    if len(known) > 1:
        listed = ", ".join(sorted(ts.isoformat(sep=" ") for ts in known))
        raise LoadError([Problem("VG113", f"batch '{batch_id}' is logged with several load timestamps ({listed})", location,
                                 "the load log was written by something else; repair it before loading this batch again")])
    original = next(iter(known))
    if requested is not None and requested != original:
        raise LoadError([Problem(
            "VG114", f"batch '{batch_id}' was loaded at {original.isoformat(sep=' ')}; a corrected batch keeps its load timestamp,"
            f" not {requested.isoformat(sep=' ')}", location, "omit --load-ts to correct the batch, or load a new batch id")])
    newest = history.latest is None or original >= history.latest
    added = sorted(set(tables) - history.tables.get(batch_id, frozenset()))
    if added and not newest:
        raise LoadError([Problem(
            "VG115", f"batch '{batch_id}' (loaded {original.isoformat(sep=' ')}) had no {', '.join(added)}; adding a table to a batch"
            f" older than the newest ({history.latest.isoformat(sep=' ')}) would be a late batch of that table", location,
            "load these tables as a new batch id")])
    return BatchDecision(original, corrected=True)
