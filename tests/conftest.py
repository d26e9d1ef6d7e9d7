from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
GLUE_DIR = REPO / "glue"
if str(GLUE_DIR) not in sys.path:
    sys.path.insert(0, str(GLUE_DIR))  # raw_extract, as glue/job.py sees it


# Session fixtures that several modules share and that cost a whole build: their users run on one worker.
SHARED_BUILDS = ("northwind_build",)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist's `--dist loadgroup` (scripts/test.sh's dbt tier), each test module runs on one worker,
    so its module fixtures (a built vault, a Spark lake) are built once; the users of a shared session build run
    together on one worker. Without xdist the marks do nothing."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        shared = [name for name in SHARED_BUILDS if name in getattr(item, "fixturenames", ())]
        item.add_marker(pytest.mark.xdist_group(shared[0] if shared else item.module.__name__))


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


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark (Glue 5.0's 3.5) with an Iceberg hadoop catalog `lake` for the whole session."""
    missing = [what for what, ok in (("java", shutil.which("java")), ("/usr/share/java/postgresql.jar", Path("/usr/share/java/postgresql.jar").is_file())) if not ok]
    if missing:
        message = f"not installed: {', '.join(missing)} (scripts/test.sh installs them)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from raw_extract.session import local_session

    session = local_session(tmp_path_factory.mktemp("warehouse"), catalog="lake")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
