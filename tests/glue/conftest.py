"""Fixtures of the raw layer on AWS: the spec, a moto server standing in for AWS, and boto3 clients on it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

REGION = "eu-west-1"
GLUE_DIR = REPO / "glue"
if str(GLUE_DIR) not in sys.path:
    sys.path.insert(0, str(GLUE_DIR))  # raw_extract, as glue/job.py sees it


@pytest.fixture(scope="session")
def spec():
    from vaultgen.spec.loader import load_spec

    return load_spec(REPO / "vault_spec")


def plan_of(spec):
    """The extract plan the Glue job reads, as `vaultgen render` writes it for this spec."""
    from raw_extract.plan import parse_plan
    from vaultgen.catalog.extract_plan import PLAN_PATH, render_extract_plan

    return parse_plan(render_extract_plan(spec)[PLAN_PATH], PLAN_PATH)


@pytest.fixture(scope="session")
def plan(spec):
    return plan_of(spec)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    """The endpoint URL of a moto server (S3, Secrets Manager, Glue) on a free loopback port."""
    binary = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    if not Path(binary).exists():
        pytest.skip("moto[server] is not installed (pip install 'vaultgen[glue]')")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        os.environ.setdefault(key, value)
    port = _free_port()
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start on port {port}")
            time.sleep(0.1)
    url = f"http://127.0.0.1:{port}"
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def aws_client(moto_server):
    """aws_client("glue") -> a boto3 client on the moto server."""
    import boto3

    def make(service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=moto_server, aws_access_key_id="testing", aws_secret_access_key="testing")

    return make


@pytest.fixture
def reset_moto(moto_server):
    """Wipe the moto server's state before a test (moto's reset endpoint)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    return moto_server
