"""Benchmark: the whole Northwind vault on DuckDB at scale, against a floor measured in the same run.

Builds the data (generated Northwind, streamed batch by batch into the raw layer through the project's loader),
then, each on its own copy of the same raw database:
- the floor: every model's compiled SQL (the full branch, from `dbt compile --full-refresh`) run in dependency
  order as CREATE TABLE AS (CREATE VIEW for view models, as dbt makes them) in one DuckDB connection, no dbt;
  once with staging as tables (what the DuckDB project does) and once with staging as views (each consumer
  hashes the batch again), which measures what hashing each batch once saves;
- `dbt run` and `dbt build` of the first batch (the full load of every model, PITs and bridges included);
- then 10 batches each changing 1 % of the keys of the large full-snapshot tables, one `dbt run` per batch in
  its window: the incremental cost per batch while the history grows;
- with `--source cdc`, the same vault on a copy of the spec whose every source table is change data capture
  (`load: cdc`, an operation and a sequence column): the loader gets each batch as its changes against the
  batch before (inserts, updates, deletes), so a 1 % batch holds 1 % of the rows;
- datavault4sqlglot's hub and satellite SQL (PyPI, the `benchmark` extra) for hub_order and sat_order_line on
  the same staging tables in the same connection, against vaultgen's own hub and satellite SQL.

dbt's figures are its node time (the "Finished running ... in N s" line); its start-up (parsing, connecting) is
the rest of the wall time and is reported apart. Peak memory: the largest resident set of this process (the
generator, the loader and the floor's DuckDB) and of any dbt process. Prints ratios; absolute times depend on
the machine (and on anything else running on it). Run:
    .venv/bin/python benchmarks/warehouse.py                 # scale 100: about 2 million order lines loaded
    .venv/bin/python benchmarks/warehouse.py --scale 1 --batches 3   # a quick run
    .venv/bin/python benchmarks/warehouse.py --source cdc            # every source table as CDC
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import tempfile
import time
from datetime import datetime

import yaml
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from vaultgen.dbt_runner import run_dbt
from vaultgen.demo.job import to_batch
from vaultgen.demo.northwind_data import NorthwindGenerator, Snapshot
from vaultgen.graph import hub_feeds
from vaultgen.naming import Naming
from vaultgen.pipeline import render
from vaultgen.raw.duckdb_raw import create_raw_tables, load_batch
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[1]
FINISHED = re.compile(r"Finished running .* in .*\(([\d.]+)s\)")
DATABASE = "vault.duckdb"  # one file name everywhere: compiled SQL names its catalog after the file


def say(text: str) -> None:
    print(text, flush=True)


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


CDC = {"operation_column": "cdc_op", "sequence_column": "cdc_seq"}


def cdc_spec(folder: Path) -> Path:
    """A copy of vault_spec/ whose every source table is change data capture."""
    shutil.copytree(REPO / "vault_spec", folder)
    sources = folder / "sources" / "northwind.yml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    for table in data["sources"][0]["tables"]:
        table.update(load="cdc", cdc=CDC)
        table["columns"] += [{"name": CDC["operation_column"], "type": "varchar(1)", "nullable": False},
                             {"name": CDC["sequence_column"], "type": "integer", "nullable": False}]
    sources.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


class ChangeCapture:
    """Turns full snapshots into CDC batches: each row that is new (I), changed (U) or gone (D, with its last
    values) since the snapshot before. Holds one snapshot per table."""

    def __init__(self, spec):
        self.keys = {table.name: table.primary_key for _, table in spec.tables()}
        self.before: dict[str, dict[tuple, dict]] = {}

    def changes(self, snapshot: Snapshot) -> Snapshot:
        tables = {}
        for name, rows in snapshot.tables.items():
            if name not in self.keys:
                continue
            now = {tuple(row[c] for c in self.keys[name]): row for row in rows}
            before = self.before.get(name, {})
            changed = []
            for key, row in now.items():
                if key not in before:
                    changed.append(("I", row))
                elif row != before[key]:
                    changed.append(("U", row))
            changed += [("D", row) for key, row in before.items() if key not in now]
            tables[name] = [{**row, CDC["operation_column"]: op, CDC["sequence_column"]: number} for number, (op, row) in enumerate(changed, start=1)]
            self.before[name] = now
        return Snapshot(snapshot.number, tables)


class Warehouse:
    def __init__(self, work: Path, scale: float, seed: int, source: str = "full_snapshot"):
        self.work = work
        spec_dir = cdc_spec(work / "spec") if source == "cdc" else REPO / "vault_spec"
        self.spec = load_spec(spec_dir)
        self.naming = Naming(self.spec)
        self.capture = ChangeCapture(self.spec) if source == "cdc" else None
        render(spec_dir, work / "generated")
        self.project = work / "generated" / "duckdb"
        self.generator = NorthwindGenerator(seed, scale)
        self.load_timestamps: list[datetime] = []
        self.slowest: list[tuple[str, float]] = []

    def database(self, name: str) -> Path:
        folder = self.work / name
        folder.mkdir(exist_ok=True)
        return folder / DATABASE

    def load(self, database: Path, snapshot) -> int:
        batch = to_batch(self.spec, self.capture.changes(snapshot) if self.capture else snapshot)
        self.load_timestamps.append(batch.load_ts)
        with duckdb.connect(str(database)) as connection:
            return sum(load_batch(connection, self.spec, batch).values())

    def dbt(self, command: str, database: Path, after: datetime | None, until: datetime) -> tuple[float, float]:
        """(dbt's node time, wall time) of one dbt command on the window (after, until]; its slowest models in
        `self.slowest`."""
        window = {"vaultgen_load_until": until.isoformat(sep=" ")}
        if after is not None:
            window["vaultgen_load_after"] = after.isoformat(sep=" ")
        started = time.perf_counter()
        result = run_dbt([command], self.project, database.parent, database, variables=window)
        wall = time.perf_counter() - started
        timed = [(r["unique_id"].rsplit(".", 1)[-1], float(r.get("execution_time") or 0)) for r in result.results]
        self.slowest = sorted(timed, key=lambda item: -item[1])[:6]
        found = FINISHED.search(result.output)
        if not found:
            raise SystemExit(f"dbt {command}: no 'Finished running' line in its output:\n{result.output[-2000:]}")
        return float(found.group(1)), wall

    def compiled_models(self, database: Path) -> list[dict]:
        """Every model's full-branch compiled SQL, in dependency order."""
        work = database.parent / "compile"
        run_dbt(["compile", "--full-refresh", "--select", "resource_type:model"], self.project, work, database)
        nodes = json.loads((work / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))["nodes"]
        models = {uid: node for uid, node in nodes.items() if node["resource_type"] == "model"}
        ordered: list[dict] = []
        done: set[str] = set()

        def visit(uid: str) -> None:
            if uid in done or uid not in models:
                return
            done.add(uid)
            for parent in models[uid]["depends_on"]["nodes"]:
                visit(parent)
            ordered.append(models[uid])

        for uid in sorted(models):
            visit(uid)
        return ordered


def create_as(node: dict, query: exp.Expression, view: bool) -> str:
    target = exp.table_(node["alias"], db=node["schema"], catalog=node["database"], quoted=True)
    return exp.Create(this=target, kind="VIEW" if view else "TABLE", expression=query, replace=True).sql("duckdb")


def floor(database: Path, models: list[dict], staging_as: str) -> tuple[float, dict[str, float]]:
    """Seconds to run every model's compiled SQL as CREATE ... AS in one connection, and seconds per model."""
    per_model: dict[str, float] = {}
    with duckdb.connect(str(database)) as connection:
        for schema in sorted({node["schema"] for node in models}):
            connection.execute(exp.Create(this=exp.to_identifier(schema, quoted=True), kind="SCHEMA", exists=True).sql("duckdb"))
        for node in models:
            materialized = staging_as if node["fqn"][1] == "staging" else node["config"]["materialized"]
            statement = create_as(node, sqlglot.parse_one(node["compiled_code"], read="duckdb"), materialized == "view")
            started = time.perf_counter()
            connection.execute(statement)
            per_model[node["name"]] = time.perf_counter() - started
    return sum(per_model.values()), per_model


# Models whose work per batch is the snapshot, however little changed: a PIT or bridge by batch writes a row per
# key and snapshot, record tracking compares every key with the snapshot before, a mart is rebuilt as a table.
REDONE = {"PITs and bridges by batch": re.compile(r"^(pit|bridge)_.*_by_batch$"), "record tracking": re.compile(r"^rts_"),
          "marts": re.compile(r"^(fct|dim|agg)_")}


def redone_per_batch(per_model: dict[str, float], floor_s: float) -> str:
    """What of the full load's floor an incremental batch redoes by design: a bound on how cheap it can get."""
    parts = {label: sum(s for name, s in per_model.items() if pattern.match(name)) for label, pattern in REDONE.items()}
    listed = ", ".join(f"{label} {seconds:.2f} s" for label, seconds in parts.items())
    return f"  redone by every batch whatever changed: {listed} = {sum(parts.values()) / floor_s:.0%} of the floor"


def datavault4sqlglot_sql(warehouse: Warehouse, schema: str, catalog: str) -> dict[str, exp.Expression] | None:
    """datavault4sqlglot's full-load SQL for hub_order and sat_order_line over vaultgen's staging tables."""
    try:
        from datavault4sqlglot import HubGenerator, SatelliteGenerator, SourceBinding, SourceModel, config
    except ImportError:
        return None
    spec, naming = warehouse.spec, warehouse.naming
    config.ldts_alias, config.rsrc_alias, config.dialect = naming.load_ts, naming.record_source, "duckdb"
    hub = spec.entity("order")
    bindings = [SourceBinding(source=SourceModel(database=catalog, schema=schema, table_name=naming.staging_model(feed.table)),
                              bk_columns=list(feed.columns), hash_key_col=feed.hash_key_column) for feed in hub_feeds(spec, hub)]
    hub_sql = HubGenerator(naming.model_name(hub), bindings, naming.hash_key(hub.name), list(hub.business_keys), dialect="duckdb").generate_sql()
    satellite = spec.entity("order_line")
    source = SourceModel(database=catalog, schema=schema, table_name=naming.staging_model(satellite.source))
    sat_sql = SatelliteGenerator(naming.model_name(satellite), source, naming.parent_key(satellite),
                                 {"source_column": naming.staged_hashdiff(satellite), "alias": naming.hashdiff},
                                 payload=list(satellite.attributes), dialect="duckdb").generate_sql()
    return {naming.model_name(hub): hub_sql, naming.model_name(satellite): sat_sql}


def compare_with_datavault4sqlglot(warehouse: Warehouse, database: Path, models: list[dict], ours: dict[str, float]) -> None:
    staging = next(node for node in models if node["fqn"][1] == "staging")
    theirs = datavault4sqlglot_sql(warehouse, staging["schema"], staging["database"])
    if theirs is None:
        say("datavault4sqlglot: not installed (pip install -e '.[benchmark]'); comparison skipped")
        return
    spec, naming = warehouse.spec, warehouse.naming
    staged = [naming.staging_model(t) for t in sorted({feed.table for feed in hub_feeds(spec, spec.entity("order"))} | {spec.entity("order_line").source})]
    rounds = []
    with duckdb.connect(str(database)) as connection:
        connection.execute(exp.Create(this=exp.to_identifier("dv4sqlglot", quoted=True), kind="SCHEMA", exists=True).sql("duckdb"))
        for _ in range(3):
            started = time.perf_counter()
            for name, query in theirs.items():
                connection.execute(exp.Create(this=exp.table_(name, db="dv4sqlglot", quoted=True), kind="TABLE", expression=query, replace=True).sql("duckdb"))
            rounds.append(time.perf_counter() - started)
    theirs_s = statistics.median(rounds)
    ours_s = sum(ours[name] for name in theirs)
    staging_s = sum(ours[name] for name in staged)
    say(f"datavault4sqlglot hub_order + sat_order_line: {theirs_s:.2f} s (median of 3); vaultgen's: {ours_s:.2f} s "
          f"= {ours_s / theirs_s:.2f}x; with vaultgen's staging of their sources ({staging_s:.2f} s) on both sides: "
          f"{(ours_s + staging_s) / (theirs_s + staging_s):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=100.0, help="Northwind scale (100: ~207,000 order lines per snapshot)")
    parser.add_argument("--batches", type=int, default=10, help="incremental batches after the full load")
    parser.add_argument("--change", type=float, default=0.01, help="fraction of keys each incremental batch changes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--source", choices=("full_snapshot", "cdc"), default="full_snapshot",
                        help="how every source table is delivered: whole snapshots (the spec as it is) or change data capture")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Warehouse(Path(folder), args.scale, args.seed, args.source)
        raw = warehouse.database("raw")
        with duckdb.connect(str(raw)) as connection:
            create_raw_tables(connection, warehouse.spec)
        started = time.perf_counter()
        first = warehouse.generator.initial()
        rows = warehouse.load(raw, first)
        order_lines = len(first.tables["order_details"])
        say(f"scale {args.scale}, sources as {args.source}: first snapshot {rows:,} raw rows ({order_lines:,} order lines), generated and loaded in "
              f"{time.perf_counter() - started:.1f} s")
        until = warehouse.load_timestamps[0]
        for name in ("floor", "floor_views", "run", "build"):
            shutil.copy(raw, warehouse.database(name))

        models = warehouse.compiled_models(warehouse.database("floor"))
        floor_s, per_model = floor(warehouse.database("floor"), models, "table")
        floor_views_s, _ = floor(warehouse.database("floor_views"), models, "view")
        say(f"floor: {len(models)} models as CREATE TABLE AS in one connection: {floor_s:.2f} s with staging as tables, "
              f"{floor_views_s:.2f} s with staging as views (hashing once saves {1 - floor_s / floor_views_s:.0%})")
        slowest = sorted(per_model.items(), key=lambda item: -item[1])[:5]
        say("  slowest: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in slowest))
        say(redone_per_batch(per_model, floor_s))

        run_s, run_wall = warehouse.dbt("run", warehouse.database("run"), None, until)
        build_s, build_wall = warehouse.dbt("build", warehouse.database("build"), None, until)
        say(f"dbt run (full load): {run_s:.2f} s = {run_s / floor_s:.2f}x the floor (start-up {run_wall - run_s:.1f} s apart)")
        say(f"dbt build (full load and every test): {build_s:.2f} s = {build_s / floor_s:.2f}x the floor (start-up {build_wall - build_s:.1f} s apart)")

        if args.source == "full_snapshot":  # their staging reads the spec's raw tables as they are
            compare_with_datavault4sqlglot(warehouse, warehouse.database("floor"), models, per_model)

        database = warehouse.database("run")
        incremental = []
        for number in range(args.batches):
            snapshot = warehouse.generator.small_change_batch(args.change)
            warehouse.load(database, snapshot)
            seconds, wall = warehouse.dbt("run", database, warehouse.load_timestamps[-2], warehouse.load_timestamps[-1])
            incremental.append(seconds)
            say(f"incremental batch {number + 1} ({args.change:.0%} of keys changed, {number + 2} snapshots of history): "
                  f"dbt run {seconds:.2f} s = {seconds / run_s:.0%} of the full load (start-up {wall - seconds:.1f} s apart)")
            say("  slowest: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in warehouse.slowest))
        if incremental:
            say(f"incremental over {len(incremental)} batches: median {statistics.median(incremental) / run_s:.0%} of the full load; "
                  f"last / first = {incremental[-1] / incremental[0]:.2f}, max / min = {max(incremental) / min(incremental):.2f}")
        say(f"peak memory: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB (generator, loader, floor), "
              f"largest dbt process {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")


if __name__ == "__main__":
    main()
