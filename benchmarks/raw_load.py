"""Benchmark: how fast does the raw loader take a batch, against a floor measured in the same run?

Generates N Northwind order lines (`order_details`, a full snapshot with a composite primary key) as CSV and
parquet, then times on fresh DuckDB files:
- the floor: a bare `CREATE TABLE AS SELECT * FROM read_csv(...)` / `read_parquet(...)` of the same file;
- `vaultgen load`'s logic (`load_folder`: header and names checked, typed read with a rejects table, NULL and
  duplicate-key checks, the lifecycle decision, delete + insert + load log in one transaction);
- `load_batch` from Python rows (the demo's and the tests' path, through pyarrow), against the row-by-row
  `executemany` INSERT the loader used before, timed here on a sample.
Prints rows per second and the ratios. Run:
    .venv/bin/python benchmarks/raw_load.py --rows 1000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
from sqlglot import exp

from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch, load_folder
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[1]
TABLE = "order_details"
GENERATE = """
select (i // 77 + 1)::smallint as order_id, (i % 77 + 1)::smallint as product_id, (10 + i % 90 + 0.25)::real as unit_price,
       (1 + i % 50)::smallint as quantity, ((i % 4) * 0.05)::real as discount
from range(?) as t(i)
"""


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the old row-by-row INSERT")
    args = parser.parse_args()
    spec = load_spec(REPO / "vault_spec")
    table = next(t for _, t in spec.tables() if t.name == TABLE)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        batches = {kind: work / kind for kind in ("csv", "parquet")}
        with duckdb.connect() as connection:
            connection.execute("create table generated as " + GENERATE, [args.rows])
            for kind, batch in batches.items():
                batch.mkdir()
                relation = connection.table("generated")
                (relation.write_csv if kind == "csv" else relation.write_parquet)(str(batch / f"{TABLE}.{kind}"))
            rows = connection.table("generated").fetchall()
        print(f"{args.rows} rows of {TABLE}")
        print(f"{'path':34} {'seconds':>8} {'rows/s':>12} {'vs floor':>9}")
        for kind, batch in batches.items():
            path = batch / f"{TABLE}.{kind}"
            reader = "read_csv" if kind == "csv" else "read_parquet"
            with duckdb.connect(str(work / f"floor_{kind}.duckdb")) as connection:
                floor = timed(lambda: connection.execute(exp.Create(this=exp.to_table("t"), kind="TABLE", expression=exp.select(exp.Star()).from_(
                    exp.Table(this=exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(path))])))).sql("duckdb")))
            with duckdb.connect(str(work / f"load_{kind}.duckdb")) as connection:
                create_raw_tables(connection, spec)
                seconds = timed(lambda: load_folder(connection, spec, batch, "b1", datetime(2024, 1, 1), create=False))
                assert connection.execute("select count(*) from raw.order_details").fetchone() == (args.rows,)
            print(f"{'floor: CTAS from ' + reader:34} {floor:8.2f} {args.rows / floor:12,.0f} {1:9.2f}")
            print(f"{'vaultgen load (' + kind + ')':34} {seconds:8.2f} {args.rows / seconds:12,.0f} {seconds / floor:9.2f}")
        with duckdb.connect(str(work / "rows.duckdb")) as connection:
            create_raw_tables(connection, spec)
            seconds = timed(lambda: load_batch(connection, spec, Batch("b1", datetime(2024, 1, 1), {TABLE: rows})))
        with duckdb.connect(str(work / "old.duckdb")) as connection:
            create_raw_tables(connection, spec)
            values = exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in range(len(table.columns) + 2)])])
            insert = exp.Insert(this=exp.table_(TABLE, db="raw", quoted=True), expression=values).sql("duckdb")
            sample = [(*row, datetime(2024, 1, 1), "b1") for row in rows[: args.sample]]
            old = timed(lambda: connection.executemany(insert, sample))
        old_rate = len(sample) / old
        print(f"{'old: executemany INSERT (sample)':34} {old:8.2f} {old_rate:12,.0f}")
        print(f"{'load_batch (Python rows, pyarrow)':34} {seconds:8.2f} {args.rows / seconds:12,.0f}   {args.rows / seconds / old_rate:,.0f}x the old")


if __name__ == "__main__":
    main()
