"""Benchmark: does an incremental build cost grow with the batch or with the history?

Loads N generated Northwind batches at a given scale and, for each, times `dbt build` of the batch window
and reads how many rows the satellites hold; also times the batch guard's scan (the content fingerprint of every
raw batch, which every run's on-run-start computes) and prints it as a share of the build. Prints one line per
batch. Run:
    .venv/bin/python benchmarks/incremental_cost.py --scale 5 --batches 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from vaultgen.dbt_runner import run_dbt
from vaultgen.demo.job import to_batch
from vaultgen.demo.northwind_data import snapshots
from vaultgen.pipeline import render
from vaultgen.raw.duckdb_raw import create_raw_tables, load_batch
from vaultgen.run.batches import current_batches
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument("--batches", type=int, default=8)
    args = parser.parse_args()
    spec = load_spec(REPO / "vault_spec")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        render(REPO / "vault_spec", work / "generated")
        database = work / "bench.duckdb"
        with duckdb.connect(str(database)) as connection:
            create_raw_tables(connection, spec)
        print(f"scale {args.scale}, {args.batches} batches")
        print(f"{'batch':>5} {'batch rows':>10} {'raw order_details (history)':>28} {'sat_order_line rows':>19} {'dbt build s':>11} {'guard scan s':>12} {'guard/build':>11}")
        previous = None
        for snapshot in snapshots(42, args.scale, args.batches):
            batch = to_batch(spec, snapshot)
            with duckdb.connect(str(database)) as connection:
                counts = load_batch(connection, spec, batch)
            window = {"vaultgen_load_until": batch.load_ts.isoformat(sep=" ")}
            if previous:
                window["vaultgen_load_after"] = previous.isoformat(sep=" ")
            started = time.perf_counter()
            run_dbt(["build"], work / "generated" / "duckdb", work, database, variables=window)
            elapsed = time.perf_counter() - started
            with duckdb.connect(str(database), read_only=True) as connection:
                history = connection.execute("select count(*) from raw.order_details").fetchone()[0]
                satellite = connection.execute("select count(*) from raw_vault.sat_order_line").fetchone()[0]
                scan_started = time.perf_counter()
                current_batches(connection, spec)
                scan = time.perf_counter() - scan_started
            print(f"{snapshot.number + 1:>5} {sum(counts.values()):>10} {history:>28} {satellite:>19} {elapsed:>11.1f} {scan:>12.3f} {scan / elapsed:>11.4f}")
            previous = batch.load_ts


if __name__ == "__main__":
    main()
