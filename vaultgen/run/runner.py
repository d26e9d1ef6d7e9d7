"""`vaultgen run`: render the DuckDB project, plan from the raw layer and the build log, repair, build each
pending window, report. The build log itself is written by the generated project's on-run-end hook, so runs by
hand and `vaultgen run` keep one record."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from vaultgen.dbt_runner import run_dbt
from vaultgen.emit.dbt_project import LAYER_SCHEMAS
from vaultgen.errors import RunError
from vaultgen.naming import Naming
from vaultgen.pipeline import render
from vaultgen.run.batches import built_batches, current_batches, rows_per_layer
from vaultgen.run.plan import RunPlan, plan_run
from vaultgen.run.progress import Progress
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Spec


@dataclass(frozen=True)
class RunSummary:
    built: int  # windows built
    repaired: list[str]  # tables whose downstream models were rebuilt
    rows: dict[str, int]
    seconds: float


def read_plan(database: Path, spec: Spec) -> RunPlan:
    if not database.is_file():
        raise RunError(f"{database}: VG130 no such database\n    hint: load a batch first (`vaultgen load`), or name the file with --database")
    with duckdb.connect(str(database), read_only=True) as connection:
        current, unlogged = current_batches(connection, spec)
        built = built_batches(connection)
    if unlogged:
        listed = "\n".join(f"  table {key.table}, batch {key.batch_id} (load_ts {load_ts})" for key, load_ts in unlogged)
        raise RunError(
            f"{database}: VG131 raw rows without a load-log row (record tracking would ignore them); nothing was built:\n{listed}\n"
            "    hint: load batches with `vaultgen load`, which writes the load log in the same transaction, "
            f"or add their rows to {spec.project.raw.schema_name}.{spec.project.raw.load_log_table}")
    return plan_run(current, built)


def _window(after, until) -> dict[str, str]:
    variables = {"vaultgen_load_until": until.isoformat(sep=" ")}
    if after is not None:
        variables["vaultgen_load_after"] = after.isoformat(sep=" ")
    return variables


def run_vault(spec_dir: Path, out_dir: Path, database: Path, work_dir: Path, progress: Progress | None = None) -> RunSummary | None:
    """Build what is pending; None when nothing is. Raises RunError on any failure (the build log is then not
    advanced past the failed window)."""
    progress = progress or Progress()
    started = time.monotonic()
    spec = load_spec(spec_dir)
    render(spec_dir, out_dir)
    project = out_dir / "duckdb"
    plan = read_plan(database, spec)
    if plan.empty:
        progress.line(f"{database}: nothing pending, the vault holds every batch of the raw layer")
        return None
    naming = Naming(spec)

    def dbt_build(label: str, arguments: list[str], variables: dict[str, str]) -> None:
        progress.step(label)
        result = run_dbt(["build", *arguments], project, work_dir, database, variables=variables, check=False,
                         on_line=progress.dbt_line, partial_parse=True)
        if not result.ok:
            failures = "\n".join(f"  {r.get('unique_id')}: {r.get('status')} {r.get('message') or ''}"
                                 for r in result.results if r.get("status") in ("error", "fail", "runtime error"))
            raise RunError(f"{database}: VG132 {label}: dbt build failed; the build log was not advanced:\n{failures or result.output[-3000:]}\n"
                           f"    hint: dbt's log is under {work_dir / 'dbt_logs'}; fix the cause and run `vaultgen run` again")

    built, repaired = 0, set()
    # a repair may leave batches to build (those newer than the newest built one): plan again after each pass; a
    # plan that is not empty after a repair and a round of windows means the project does not record its builds
    for _ in range(4):
        if plan.empty:
            break
        if plan.stale:
            for stale in plan.stale:
                progress.line(f"stale: table {stale.key.table}, batch {stale.key.batch_id} (load_ts {stale.load_ts}): {stale.reason}")
            # `@stg_x`: the models downstream of the table's staging model and every model they read, so that the
            # staging tables of the other sources they join are rebuilt over the same (whole) window, not left
            # holding only the last window's rows
            selection = [f"@{naming.staging_model(table)}" for table in plan.repair_tables]
            dbt_build(f"repair: rebuilding {', '.join(selection)} from the raw layer up to {plan.repair_until}",
                      ["--full-refresh", "--select", *selection], _window(None, plan.repair_until))
            repaired.update(plan.repair_tables)
        else:
            for number, window in enumerate(plan.windows, start=1):
                batches = ", ".join(sorted({key.batch_id for key in window.batches}))
                dbt_build(f"window {number} of {len(plan.windows)}: batch {batches} (load_ts {window.until})", [], _window(window.after, window.until))
            built += len(plan.windows)
        plan = read_plan(database, spec)
    if not plan.empty:
        raise RunError(f"{database}: VG133 batches are still pending after the run: the dbt project under {project} did not record its builds\n"
                       "    hint: render it again (`vaultgen render`) so that its on-run-end hook records them")
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = rows_per_layer(connection, list(LAYER_SCHEMAS.values()))
    summary = RunSummary(built, sorted(repaired), rows, time.monotonic() - started)
    progress.line(
        f"built {summary.built} batch window{'s' if summary.built != 1 else ''}"
        + (f", repaired {', '.join(summary.repaired)}" if summary.repaired else "")
        + f" in {summary.seconds:.1f} s; rows: " + ", ".join(f"{layer} {count}" for layer, count in rows.items()))
    return summary
