"""The music store in a DuckDB and a SQLite file, made once per session; drafts are written by `vaultgen init`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from tests.init.music import create


@pytest.fixture(scope="session")
def music_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("music")
    files = {"duckdb": folder / "music.duckdb", "sqlite": folder / "music.db"}
    with duckdb.connect(str(files["duckdb"])) as connection:
        create(connection)
    connection = sqlite3.connect(files["sqlite"])
    create(connection, comments=False, sqlite=True)
    connection.commit()
    connection.close()
    return files


def url_of(kind: str, path: Path) -> str:
    return f"{kind}://{path}"  # path is absolute: duckdb:///tmp/...
