"""The base of a plan: a git ref read with `git archive`, or a folder; bad refs and invalid specs on either side are
located errors, never tracebacks. And `render --check --diff`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.change.support import HISTORY_SPEC, changed_copy, entity, read_spec, write_spec
from vaultgen.cli import main


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(HISTORY_SPEC, repo / "vault_spec")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    return repo


def reorder(docs) -> None:
    entity(docs, "customer_details")["attributes"] = ["city", "name"]


def test_base_is_a_git_ref(repo: Path, capsys) -> None:
    docs = read_spec(repo / "vault_spec")
    reorder(docs)
    write_spec(repo / "vault_spec", docs)  # the working copy changes; HEAD and main keep v1
    for ref in ("HEAD", "main", git(repo, "rev-parse", "HEAD")[:10]):
        code = main(["plan", "--spec", str(repo / "vault_spec"), "--base", ref, "--format", "json"])
        changes = json.loads(capsys.readouterr().out)["changes"]
        assert code == 1
        assert [(c["entity"], c["change"]) for c in changes] == [("customer_details", "attributes_reordered")]


def test_bad_ref(repo: Path, capsys) -> None:
    assert main(["plan", "--spec", str(repo / "vault_spec"), "--base", "no-such-branch"]) == 3
    err = capsys.readouterr().err
    assert "no-such-branch: VG172 'no-such-branch' is neither a folder nor a git commit, branch or tag" in err
    assert "Traceback" not in err


def test_spec_folder_missing_at_ref(repo: Path, capsys) -> None:
    shutil.copytree(repo / "vault_spec", repo / "spec2")
    assert main(["plan", "--spec", str(repo / "spec2"), "--base", "HEAD"]) == 3
    assert "HEAD:spec2: VG173 the spec folder 'spec2' does not exist at 'HEAD'" in capsys.readouterr().err


def test_invalid_base_spec_is_located_at_the_ref(repo: Path, capsys) -> None:
    docs = read_spec(repo / "vault_spec")
    entity(docs, "customer_details")["parent"] = "custmer"
    write_spec(repo / "vault_spec", docs)
    git(repo, "commit", "-qam", "broken")
    good = read_spec(HISTORY_SPEC)
    write_spec(repo / "vault_spec", good)
    assert main(["plan", "--spec", str(repo / "vault_spec"), "--base", "HEAD"]) == 3
    err = capsys.readouterr().err
    assert "HEAD:vault_spec/vault.yml:" in err and "(base)" in err and "custmer" in err
    assert "/tmp/" not in err.split("hint")[0]  # the temporary folder the ref was read into is never shown


def test_invalid_working_spec(tmp_path: Path, capsys) -> None:
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", lambda d: entity(d, "customer_details").update(parent="custmer"))
    assert main(["plan", "--spec", str(new), "--base", str(HISTORY_SPEC)]) == 3
    assert "vault.yml:" in capsys.readouterr().err


def test_not_in_a_repository(tmp_path: Path, capsys) -> None:
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", None)
    assert main(["plan", "--spec", str(new), "--base", "HEAD"]) == 3
    assert "VG171" in capsys.readouterr().err


def test_render_check_diff_is_a_unified_diff(tmp_path: Path, capsys) -> None:
    out = tmp_path / "generated"
    assert main(["render", "--spec", str(HISTORY_SPEC), "--out", str(out)]) == 0
    new = changed_copy(HISTORY_SPEC, tmp_path / "new", lambda d: entity(d, "customer_details")["attributes"].remove("city"))
    capsys.readouterr()
    assert main(["render", "--spec", str(new), "--out", str(out), "--check", "--diff"]) == 1
    text = capsys.readouterr().out
    assert "--- a/duckdb/models/raw_vault/satellites/sat_customer_details.sql\n+++ b/duckdb/models/raw_vault/satellites/sat_customer_details.sql\n" in text
    assert '-    "city"\n' in text and "@@ " in text
    # applying the diff to the old tree gives what the new spec renders
    (tmp_path / "patch.diff").write_text(text.split("differs:")[0])
    subprocess.run(["git", "apply", "--unsafe-paths", "-p1", "--directory", str(out.relative_to(tmp_path)), str(tmp_path / "patch.diff")],
                   cwd=tmp_path, check=True)
    assert main(["render", "--spec", str(new), "--out", str(out), "--check"]) == 0
    capsys.readouterr()
    assert main(["render", "--spec", str(HISTORY_SPEC), "--out", str(out), "--check", "--diff"]) == 1


def test_pre_commit_hooks_run_their_commands(tmp_path: Path) -> None:
    """Each hook of .pre-commit-hooks.yaml runs its entry at the root of a repository holding a spec (vault_spec/) and its
    rendered generated/: both pass, and the render check fails with a diff once the spec changes."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    hooks = {hook["id"]: hook for hook in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"vaultgen-validate", "vaultgen-render-check"}
    repo = tmp_path / "repo"
    changed_copy(HISTORY_SPEC, repo / "vault_spec", None)
    assert main(["render", "--spec", str(repo / "vault_spec"), "--out", str(repo / "generated")]) == 0

    def run(hook: dict) -> subprocess.CompletedProcess:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        command, *arguments = hook["entry"].split()
        assert command == "vaultgen"
        return subprocess.run([str(root / ".venv" / "bin" / "vaultgen"), *arguments], cwd=repo, capture_output=True, text=True)

    for hook in hooks.values():
        result = run(hook)
        assert result.returncode == 0, (hook["id"], result.stdout[-1000:], result.stderr[-1000:])
    docs = read_spec(repo / "vault_spec")
    reorder(docs)
    write_spec(repo / "vault_spec", docs)
    assert run(hooks["vaultgen-validate"]).returncode == 0
    drift = run(hooks["vaultgen-render-check"])
    assert drift.returncode == 1 and "+++ b/duckdb/models/raw_vault/satellites/sat_customer_details.sql" in drift.stdout
