"""Benchmark: `vaultgen load --from postgresql://...` against DuckDB's own copy of the same table.

Starts a PostgreSQL server (tests/support/postgres.py), fills a CamelCase table "OrderLine" with N rows
(generate_series), drafts a spec with `vaultgen init`, then times on fresh DuckDB files:
- the floor: ATTACH the database and `CREATE TABLE AS SELECT * FROM pg.public."OrderLine"` (DuckDB's postgres
  scanner, binary COPY);
- `load_database` (vaultgen load --from URL): the same scan renamed to the spec's names, typed with TRY_CAST,
  NULL and duplicate-key checks, the lifecycle decision, the insert and the load log in one transaction.
Prints rows per second and the ratio to the floor. Run:
    .venv/bin/python benchmarks/source_load.py --rows 1000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.postgres import start_postgres  # noqa: E402
from vaultgen import writer  # noqa: E402
from vaultgen.init.command import draft_spec  # noqa: E402
from vaultgen.raw.database_load import load_database  # noqa: E402
from vaultgen.source import attach, parse_url  # noqa: E402
from vaultgen.spec.loader import load_spec  # noqa: E402


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    server = start_postgres()
    try:
        url = server.url()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute('create table "OrderLine" ("OrderId" integer not null, "LineNo" smallint not null, "ProductId" integer not null,'
                               ' "UnitPrice" numeric(10,2) not null, "Quantity" smallint not null, "ShippedAt" timestamp,'
                               ' primary key ("OrderId", "LineNo"))')
            connection.execute('insert into "OrderLine" select i / 10 + 1, i %% 10, i %% 77 + 1, (i %% 9000) / 100.0 + 1, 1 + i %% 50,'
                               " timestamp '2024-01-01' + i * interval '1 second' from generate_series(0, %s - 1) as t(i)", [args.rows])
            connection.execute('vacuum analyze "OrderLine"')
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            files, _, _ = draft_spec(url)
            writer.write(work / "spec", files)
            spec = load_spec(work / "spec")
            source = parse_url(url)

            def floor() -> None:
                with duckdb.connect(str(work / "floor.duckdb")) as connection:
                    attach(connection, source)
                    connection.execute('create table copied as select * from vaultgen_source.public."OrderLine"')

            def vaultgen() -> None:
                with duckdb.connect(str(work / "vault.duckdb")) as connection:
                    load_database(connection, spec, source, "b1", datetime(2024, 1, 1))

            seconds = {"floor": timed(floor), "vaultgen": timed(vaultgen)}
        print(f'{args.rows:,} rows of "OrderLine" from PostgreSQL into DuckDB')
        print("| path | seconds | rows/s | vs floor |\n| --- | ---: | ---: | ---: |")
        print(f'| floor: ATTACH + `CREATE TABLE AS SELECT * FROM pg."OrderLine"` | {seconds["floor"]:.2f} | {args.rows / seconds["floor"]:,.0f} | 1.00 |')
        print(f'| `vaultgen load --from postgresql://...` | {seconds["vaultgen"]:.2f} | {args.rows / seconds["vaultgen"]:,.0f} |'
              f' {seconds["vaultgen"] / seconds["floor"]:.2f} |')
    finally:
        server.stop()


if __name__ == "__main__":
    main()
