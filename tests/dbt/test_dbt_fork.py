"""dbt through the fork server (vaultgen/dbt_fork.py) behaves as the `dbt` command: each call sees only its own
environment, failures keep dbt's exit code, output streams line by line, and the server is started once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.vault import LocalVault
from vaultgen import dbt_fork
from vaultgen.dbt_runner import run_dbt

pytestmark = pytest.mark.dbt

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "history_spec"
PROBE = "select '{{ env_var(\"VG_PROBE\", \"absent\") }}' as probe"


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> LocalVault:
    return LocalVault(SPEC, tmp_path_factory.mktemp("fork"))


def _compile(vault: LocalVault, inline: str, **kwargs):
    return run_dbt(["compile", "--inline", inline], vault.project, vault.work_dir / "dbt", vault.database, check=False, **kwargs)


@pytest.mark.parametrize("forkserver", ["1", "0"])
def test_each_call_sees_only_its_own_environment_and_keeps_the_exit_code(vault, monkeypatch, forkserver):
    monkeypatch.setenv("VAULTGEN_DBT_FORKSERVER", forkserver)
    lines: list[str] = []
    first = _compile(vault, PROBE, env={"VG_PROBE": "first-call"}, on_line=lines.append)
    assert first.ok and "first-call" in first.output
    assert "".join(lines) == first.output and len(lines) > 3  # streamed line by line, nothing lost
    second = _compile(vault, PROBE)
    assert second.ok and "absent" in second.output and "first-call" not in second.output
    broken = _compile(vault, "select {{ no_such_macro() }}")
    assert not broken.ok and "no_such_macro" in broken.output


def test_the_server_is_started_once_and_restarted_when_gone(vault, monkeypatch):
    monkeypatch.setenv("VAULTGEN_DBT_FORKSERVER", "1")
    assert _compile(vault, "select 1 as one").ok
    server = dbt_fork._server
    assert server is not None and server.poll() is None
    assert _compile(vault, "select 2 as two").ok
    assert dbt_fork._server is server  # the same server served both
    server.kill()
    server.wait()
    assert _compile(vault, "select 3 as three").ok  # a new server took over
    assert dbt_fork._server is not server
