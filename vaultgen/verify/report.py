"""`vaultgen verify`: which (table, batch) pairs to compare, the comparisons, and the report a person reads.

The batches come from the raw layer's load log, on the same engine as the comparison: `--at T` compares each
table's newest batch loaded at or before T (default: the newest batch), `--all` every batch of every table. A
batch the vault has not built yet (no build-log row) is reported as such instead of being compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlglot import exp

from vaultgen.emit.dbt_project import BUILD_LOG, BUILD_LOG_SCHEMA
from vaultgen.errors import InputError, Location, Problem, shorten
from vaultgen.run.batches import load_log_query
from vaultgen.run.progress import paint
from vaultgen.spec.model import Spec
from vaultgen.sql.common import col
from vaultgen.verify.roundtrip import Engine, TableComparison, compare_table


@dataclass(frozen=True)
class Check:
    table: str
    batch_id: str
    at: datetime
    comparison: TableComparison | None  # None: the vault has not built this batch

    @property
    def status(self) -> str:
        return "not built" if self.comparison is None else self.comparison.status

    @property
    def finding(self) -> bool:
        """A difference or a batch the vault lacks; a table the vault cannot rebuild is reported, not a finding."""
        return self.status in ("differs", "not built")


@dataclass(frozen=True)
class VerifyReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return not any(check.finding for check in self.checks)

    def counts(self) -> dict[str, int]:
        counts = {"equal": 0, "differs": 0, "not built": 0, "not rebuilt": 0}
        for check in self.checks:
            counts[check.status] += 1
        return counts


def _datetime(value) -> datetime:
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def logged_batches(engine: Engine, spec: Spec) -> dict[str, list[tuple[datetime, str]]]:
    """Per source table, its batches in the load log as (load_ts, batch_id), oldest first."""
    names = {table.name for _, table in spec.tables()}
    batches: dict[str, list[tuple[datetime, str]]] = {}
    for table, batch_id, load_ts in engine.fetch(load_log_query(spec)):
        if table in names:
            batches.setdefault(table, []).append((_datetime(load_ts), str(batch_id)))
    return {table: sorted(set(pairs)) for table, pairs in batches.items()}


def built_keys(engine: Engine) -> set[tuple[str, str]]:
    """(table, batch_id) of every batch the vault was built from (the build log; empty before the first build)."""
    exists = exp.select(exp.Count(this=exp.Star())).from_(exp.table_("tables", db="information_schema")).where(exp.and_(
        exp.EQ(this=col("table_schema"), expression=exp.Literal.string(BUILD_LOG_SCHEMA)),
        exp.EQ(this=col("table_name"), expression=exp.Literal.string(BUILD_LOG))))
    (count,), = engine.fetch(exists)
    if not count:
        return set()
    query = exp.select(col("table_name"), col("batch_id")).from_(exp.table_(BUILD_LOG, db=BUILD_LOG_SCHEMA, quoted=True))
    return {(str(table), str(batch_id)) for table, batch_id in engine.fetch(query)}


def select_checks(batches: dict[str, list[tuple[datetime, str]]], at: datetime | None, every: bool, where: str) -> list[tuple[str, str, datetime]]:
    """(table, batch_id, load_ts) to compare, by load timestamp, then table."""
    if not batches:
        raise InputError([Problem("VG142", "the raw layer holds no batch of any spec table", Location(where),
                                 "load a batch first (`vaultgen load`), or name the database with --database")])
    if every:
        chosen = [(table, batch_id, load_ts) for table, pairs in batches.items() for load_ts, batch_id in pairs]
    else:
        moment = at or max(load_ts for pairs in batches.values() for load_ts, _ in pairs)
        chosen = []
        for table, pairs in batches.items():
            earlier = [pair for pair in pairs if pair[0] <= moment]
            if earlier:
                chosen.append((table, earlier[-1][1], earlier[-1][0]))
        if not chosen:
            first = min(load_ts for pairs in batches.values() for load_ts, _ in pairs)
            raise InputError([Problem("VG143", f"no batch was loaded at or before {moment.isoformat(sep=' ')}", Location("--at"),
                                     f"the first batch was loaded at {first.isoformat(sep=' ')}; pass a later --at, or --all")])
    return sorted(chosen, key=lambda item: (item[2], item[0]))


def verify(engine: Engine, spec: Spec, at: datetime | None = None, every: bool = False, limit: int = 20, where: str = "database",
           on_check: Callable[[Check], None] | None = None) -> VerifyReport:
    """Compare the chosen batches; `on_check` sees each result as it is made (live output)."""
    targets = select_checks(logged_batches(engine, spec), at, every, where)
    built = built_keys(engine)
    checks = []
    for table_name, batch_id, load_ts in targets:
        table = spec.table(table_name)
        comparison = compare_table(engine, spec, table, load_ts, limit) if (table_name, batch_id) in built else None
        check = Check(table_name, batch_id, load_ts, comparison)
        checks.append(check)
        if on_check:
            on_check(check)
    return VerifyReport(checks)


# -- the report ---------------------------------------------------------------------------------------------

_STYLE = {"equal": "ok", "differs": "error", "not built": "error", "not rebuilt": "warn"}


def _row_text(columns: tuple[str, ...], row: tuple) -> str:
    pairs = [f"{name}={'NULL' if value is None else repr(value) if isinstance(value, str) else value}" for name, value in zip(columns, row)]
    return shorten(", ".join(pairs), 160)


def check_lines(check: Check, samples: int = 5, colour: bool = False) -> list[str]:
    """The lines of one check: a status line, then the reason or the sample rows of each side."""
    comparison = check.comparison
    status = paint(f"{check.status:<11}", _STYLE[check.status], colour)
    head = f"  {status} {check.table:<28}"
    if comparison is None:
        return [f"{head} batch {check.batch_id} is loaded but the vault has not built it: run `vaultgen run`"]
    if not comparison.rebuildable:
        return [f"{head} cannot be rebuilt from the vault: {comparison.reason}"]
    lines = [f"{head} {comparison.source_rows} rows in the snapshot, {comparison.rebuilt_rows} rebuilt from the vault"]
    if comparison.note:
        lines.append(f"      note: {comparison.note}")
    for title, rows in (("in the snapshot, not in the vault", comparison.missing_from_vault),
                        ("rebuilt from the vault, not in the snapshot", comparison.extra_in_vault)):
        if rows:
            shown = rows[:samples]
            more = f", first {len(shown)} shown" if len(rows) > len(shown) else ""
            lines.append(f"      {title} ({len(rows)}{'+' if len(rows) >= 20 else ''} row{'s' if len(rows) != 1 else ''}{more}):")
            lines.extend(f"        {_row_text(comparison.columns, row)}" for row in shown)
    return lines


def summary_line(report: VerifyReport, colour: bool = False) -> str:
    counts = report.counts()
    parts = [f"{counts['equal']} equal", f"{counts['differs']} differ", f"{counts['not built']} not built", f"{counts['not rebuilt']} cannot be rebuilt"]
    verdict = paint("ok", "ok", colour) if report.ok else paint("FAILED", "error", colour)
    return f"{verdict}: {len(report.checks)} table snapshot{'s' if len(report.checks) != 1 else ''} checked: {', '.join(parts)}"
