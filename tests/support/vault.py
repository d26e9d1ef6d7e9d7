"""A generated project on a throw-away DuckDB database: render, load raw batches, run dbt, query."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb

from vaultgen.dbt_runner import DbtResult, run_dbt
from vaultgen.pipeline import render
from vaultgen.raw.duckdb_raw import Batch, create_raw_tables, load_batch
from vaultgen.spec.loader import load_spec


class LocalVault:
    def __init__(self, spec_dir: Path, work_dir: Path):
        self.spec = load_spec(spec_dir)
        self.work_dir = work_dir
        self.out_dir = work_dir / "generated"
        render(spec_dir, self.out_dir)
        self.project = self.out_dir / "duckdb"
        self.database = work_dir / "vault.duckdb"
        with duckdb.connect(str(self.database)) as connection:
            create_raw_tables(connection, self.spec)

    def load(self, batch_id: str, load_ts: datetime, rows: Mapping[str, Sequence[Sequence[Any]]]) -> None:
        with duckdb.connect(str(self.database)) as connection:
            load_batch(connection, self.spec, Batch(batch_id, load_ts, rows))

    def build(self, after: datetime | None = None, until: datetime | None = None, extra: Sequence[str] = (),
              variables: Mapping[str, Any] | None = None) -> DbtResult:
        variables = dict(variables or {})
        if after:
            variables["vaultgen_load_after"] = after.isoformat(sep=" ")
        if until:
            variables["vaultgen_load_until"] = until.isoformat(sep=" ")
        return run_dbt(["build", *extra], self.project, self.work_dir, self.database, variables=variables)

    def load_and_build_each(self, load_timestamps: Sequence[datetime], batches: Sequence[Mapping[str, Sequence[Sequence[Any]]]]) -> None:
        """Batch b1, b2, … one at a time, each built in its own window, as a scheduler would."""
        previous = None
        for number, (load_ts, rows) in enumerate(zip(load_timestamps, batches, strict=True)):
            self.load(f"b{number + 1}", load_ts, rows)
            result = self.build(after=previous, until=load_ts)
            assert result.ok and result.passed > 0, f"batch b{number + 1}"
            previous = load_ts

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql, list(parameters)).fetchall()

    def table(self, name: str, order_by: str = "") -> list[tuple]:
        order = f" order by {order_by}" if order_by else " order by all"
        return self.query(f'select * from raw_vault."{name}"{order}')
