"""The documented local command for the whole AWS pipeline's stand-in runs end to end:
PostgreSQL (the Northwind dump, then a change batch) -> the Glue job's extract -> Iceberg -> the generated
Spark dbt project -> vault, business vault and marts, with every dbt test passing."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.spark


def test_scripts_aws_standin_runs_both_batches(northwind_dump):
    completed = subprocess.run(["bash", "scripts/aws_standin.sh", str(northwind_dump)], cwd=REPO, capture_output=True, text=True, timeout=1500)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert len(re.findall(r"batch batch_000[12] at .*: 14 tables loaded, 0 failed", output)) == 2
    builds = re.findall(r"dbt build on Spark .*: (\d+) models and tests passed, (\d+) failed", output)
    assert len(builds) == 2 and all(int(passed) > 100 and failed == "0" for passed, failed in builds), builds
