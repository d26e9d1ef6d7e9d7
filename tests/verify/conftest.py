"""A music-store vault built for real, once per session: two batches through `vaultgen load` (CSV folders) and
`vaultgen run`. Tests that change the vault work on a copy of its DuckDB file."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from vaultgen.cli import main

SPEC = Path(__file__).parent / "music_spec"
LOAD_TS = ("2024-02-01 06:00:00", "2024-02-02 06:00:00")

BATCHES = [
    {
        "invoices": [("invoice_id", "billing_city", "total"), (1, "Oslo", "1.98"), (2, "Lyon", "1.99")],
        "tracks": [("track_id", "name"), (10, "So What"), (11, "Blue in Green"), (12, "Take Five")],
        "invoice_lines": [("invoice_line_id", "invoice_id", "track_id", "unit_price", "quantity"),
                          (100, 1, 10, "0.99", 1), (101, 1, 11, "0.99", 1), (102, 2, 12, "1.99", 1)],
        "genres": [("genre_id", "name"), (1, "Jazz"), (2, "Rock")],
    },
    {  # invoice 2 moves, invoice 3 is new; line 101 is deleted, 102 changes, 103 is new; track 12 is renamed
        "invoices": [("invoice_id", "billing_city", "total"), (1, "Oslo", "1.98"), (2, "Paris", "3.98"), (3, "Rome", "0.99")],
        "tracks": [("track_id", "name"), (10, "So What"), (11, "Blue in Green"), (12, "Take Five (live)")],
        "invoice_lines": [("invoice_line_id", "invoice_id", "track_id", "unit_price", "quantity"),
                          (100, 1, 10, "0.99", 1), (102, 2, 12, "1.99", 2), (103, 3, 10, "0.99", 1)],
        "genres": [("genre_id", "name"), (1, "Jazz"), (2, "Rock")],
    },
]


def write_batch(folder: Path, tables: dict[str, list[tuple]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(rows)
    return folder


@pytest.fixture(scope="session")
def built_vault(tmp_path_factory) -> Path:
    """The DuckDB file of the music vault, both batches loaded and built."""
    work = tmp_path_factory.mktemp("music")
    database = work / "music.duckdb"
    for number, (tables, load_ts) in enumerate(zip(BATCHES, LOAD_TS), start=1):
        folder = write_batch(work / f"batch{number}", tables)
        assert main(["load", "--spec", str(SPEC), "--from", str(folder), "--batch-id", f"b{number}", "--load-ts", load_ts,
                     "--database", str(database)]) == 0
    assert main(["run", "--spec", str(SPEC), "--out", str(work / "generated"), "--database", str(database), "--work-dir", str(work / "dbt")]) == 0
    return database


@pytest.fixture
def vault_copy(built_vault, tmp_path) -> Path:
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(built_vault, copy)
    return copy
