from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def northwind_dump() -> Path:
    """The real Northwind dump from ../shared; skipped where shared/ is absent, but never in CI."""
    dump = SHARED / "data" / "northwind.sql"
    if not dump.is_file():
        if IN_CI:
            pytest.fail(f"{dump} is missing: CI must have ../shared")
        pytest.skip(f"{dump} not present")
    return dump


@pytest.fixture(scope="session")
def postgres():
    from tests.support.postgres import find_bin_dir, start_postgres

    if find_bin_dir() is None and not IN_CI:
        pytest.skip("PostgreSQL server binaries not installed (scripts/test.sh installs them)")
    server = start_postgres()
    yield server
    server.stop()
