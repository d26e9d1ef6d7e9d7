"""The main job: render the spec, then for each generated Northwind batch load the raw layer and build the
vault with dbt on DuckDB, then print a summary of rows per hub, link and satellite and of the tests run."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import duckdb
from sqlglot import exp

from vaultgen.dbt_runner import run_dbt
from vaultgen.demo.northwind_data import Snapshot, snapshots
from vaultgen.emit.dbt_project import RENDERERS
from vaultgen.errors import InputError, Location, Problem
from vaultgen.naming import Naming
from vaultgen.pipeline import render
from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch
from vaultgen.run.progress import Progress
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Spec
from vaultgen.verify.roundtrip import compare_batch

FIRST_LOAD = datetime(2024, 1, 1, 6, 0, 0)


def batch_load_ts(number: int) -> datetime:
    return FIRST_LOAD + timedelta(days=number)


def to_batch(spec: Spec, snapshot: Snapshot) -> Batch:
    """Rows of a snapshot in the column order of the spec's source tables."""
    rows = {}
    for _, table in spec.tables():
        if table.name in snapshot.tables:
            rows[table.name] = [tuple(row[c.name] for c in table.columns) for row in snapshot.tables[table.name]]
    return Batch(batch_id=f"batch_{snapshot.number:04d}", load_ts=batch_load_ts(snapshot.number), rows=rows)


class DemoSpecMismatch(InputError):
    """The spec is not one the demo's data generator writes data for; nothing was rendered or loaded."""

    def render(self) -> str:
        count = len(self.problems)
        return "\n".join([f"`vaultgen demo` generates Northwind data and refuses this spec ({count} problem{'s' if count != 1 else ''}):",
                          *(str(problem) for problem in self.problems)])


def fit_problems(spec: Spec, snapshot: Snapshot, where: str) -> list[Problem]:
    """Why the demo's generated data does not fit `spec`: every spec table must be one the generator writes, with
    exactly its columns (the generator is made for the Northwind spec; anything else would load nothing or fail
    half-way). Generated tables the spec leaves out are simply not loaded."""
    generated = {name: list(rows[0]) if rows else [] for name, rows in snapshot.tables.items()}
    tables = [table for _, table in spec.tables()]
    unknown = [table.name for table in tables if table.name not in generated]
    problems = []
    if unknown:
        problems.append(Problem("VG148", f"the demo's data generator writes no table {', '.join(unknown)}", Location(where),
                                "the demo is made for the Northwind spec (vault_spec/); load your own data with `vaultgen load`, "
                                "build it with `vaultgen run` and check it with `vaultgen verify`"))
    for table in tables:
        if table.name in unknown:
            continue
        columns, written = [c.name for c in table.columns], generated[table.name]
        missing, extra = [c for c in columns if c not in written], [c for c in written if c not in columns]
        if missing or extra:
            said = "; ".join(part for part in (f"the generator does not write {', '.join(missing)}" if missing else "",
                                                f"it writes {', '.join(extra)}, which the spec lacks" if extra else "") if part)
            problems.append(Problem("VG148", f"table '{table.name}' does not have the columns the demo generates: {said}", Location(where),
                                    "the demo is made for the Northwind spec (vault_spec/) and its columns"))
    return problems


def vault_row_counts(database: Path, spec: Spec) -> dict[str, int]:
    naming = Naming(spec)
    counts = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for entity in spec.entities:
            name = naming.model_name(entity)
            schema = RENDERERS[type(entity)].folder.split("/")[0]  # raw_vault, business_vault or marts
            query = exp.select(exp.Count(this=exp.Star())).from_(exp.table_(name, db=schema, quoted=True))
            counts[name] = connection.execute(query.sql("duckdb")).fetchone()[0]
    return counts


def run_demo(spec_dir: Path, out_dir: Path, work_dir: Path, scale: float, batches: int, seed: int,
             say: Callable[[str], None] = lambda text: print(text, flush=True), progress: Progress | None = None) -> int:
    """The main job. `progress` shows dbt's builds as they run (nodes done, failures); without it dbt is quiet."""
    started = time.monotonic()
    spec = load_spec(spec_dir)
    if batches < 1 or scale <= 0:
        raise InputError([Problem("VG149", f"--batches must be 1 or more and --scale above 0 (got {batches} and {scale:g})",
                                  Location("--batches" if batches < 1 else "--scale"), "e.g. --batches 4 --scale 1")])
    problems = fit_problems(spec, next(snapshots(seed, min(scale, 0.05), 1)), str(spec_dir))
    if problems:
        raise DemoSpecMismatch(problems)
    report = render(spec_dir, out_dir)
    say(f"[render] {out_dir}: {len(report.written)} files written, {len(report.unchanged)} unchanged")
    work_dir.mkdir(parents=True, exist_ok=True)
    database = work_dir / f"{spec.project.name}.duckdb"
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as connection:
        create_raw_tables(connection, spec)
    project = out_dir / "duckdb"
    totals = {"passed": 0, "failed": 0, "unequal": 0}
    previous: datetime | None = None
    for snapshot in snapshots(seed, scale, batches):
        batch = to_batch(spec, snapshot)
        with duckdb.connect(str(database)) as connection:
            counts = load_batch(connection, spec, batch)
        say(f"[batch {snapshot.number + 1}/{batches}] loaded {sum(counts.values())} raw rows at {batch.load_ts:%Y-%m-%d %H:%M}" + ("" if progress is not None else "; running dbt build"))
        window = {"vaultgen_load_until": batch.load_ts.isoformat(sep=" ")}
        if previous is not None:
            window["vaultgen_load_after"] = previous.isoformat(sep=" ")
        if progress is not None:
            progress.step(f"[batch {snapshot.number + 1}/{batches}] dbt build")
        result = run_dbt(["build"], project, work_dir, database, variables=window,
                         on_line=progress.dbt_line if progress is not None else None)
        totals["passed"] += result.passed
        totals["failed"] += result.failed
        say(f"[batch {snapshot.number + 1}/{batches}] dbt build: {result.passed} models and tests passed, {result.failed} failed")
        with duckdb.connect(str(database), read_only=True) as connection:
            comparisons = compare_batch(connection, spec, batch.load_ts)
        unequal = [c.table for c in comparisons if not c.equal]
        totals["unequal"] += len(unequal)
        say(f"[batch {snapshot.number + 1}/{batches}] round trip: {len(comparisons) - len(unequal)}/{len(comparisons)} source tables rebuilt from the vault"
            f" equal their snapshot{'; differ: ' + ', '.join(unequal) if unequal else ''}")
        previous = batch.load_ts
    counts = vault_row_counts(database, spec)
    say("")
    say(f"{'model':48} {'rows':>8}")
    for name, count in sorted(counts.items()):
        say(f"{name:48} {count:>8}")
    say("")
    say(f"{batches} batches, {totals['passed']} dbt nodes passed, {totals['failed']} failed, "
        f"{totals['unequal']} table snapshots differing from the vault, in {time.monotonic() - started:.0f} s; vault in {database}")
    return 0 if totals["failed"] == 0 and totals["unequal"] == 0 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo(Path("vault_spec"), Path("generated"), Path("work"), 1.0, 4, 42))
