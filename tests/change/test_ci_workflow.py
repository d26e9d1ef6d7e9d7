"""examples/ci/vaultgen.yml, run here since no CI runner is: its `run:` steps, in order, in a temporary clone of this
repository whose pull request adds a nullable attribute at the end of a satellite (the base branch lacks it). The
`uses:` steps are what the clone and this machine's Python 3.11 stand for; only the comment-posting step (it needs
GitHub) is skipped. Then the review gate: a re-versioning change fails the job unless a label accepts it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "vaultgen.yml"
SATELLITE = "vault_spec/vault/customer.yml"
NEEDS_GITHUB = "gh pr comment"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def expand(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        expression = match.group(1).strip()
        assert expression in context, f"the test does not know the workflow expression {expression!r}"
        return context[expression]
    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


class Runner:
    """Runs a workflow's steps as GitHub's bash shell does (bash -eo pipefail), with GITHUB_OUTPUT and GITHUB_PATH."""

    def __init__(self, repo: Path, labels: str = ""):
        self.repo, self.outputs, self.paths = repo, {}, []
        self.context = {"github.base_ref": "main", "join(github.event.pull_request.labels.*.name, ',')": labels,
                        "github.event.pull_request.number": "1", "github.token": "unused"}

    def condition(self, text: str | None) -> bool:
        if text is None:
            return True
        match = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+) != '(.*)'", text.strip())
        assert match, f"the test does not know the condition {text!r}"
        return self.outputs.get(match.group(1), {}).get(match.group(2), "") != match.group(3)

    def run(self, step: dict) -> subprocess.CompletedProcess:
        output, path_file = self.repo / ".github_output", self.repo / ".github_path"
        output.write_text("")
        path_file.write_text("")
        env = {**os.environ, **{k: expand(str(v), self.context) for k, v in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(output), "GITHUB_PATH": str(path_file),
               "PATH": os.pathsep.join([*self.paths, os.environ["PATH"]])}
        env.pop("VIRTUAL_ENV", None)
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step["run"], self.context)],
                                cwd=self.repo, env=env, capture_output=True, text=True, timeout=900)
        if "id" in step:
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        self.paths = [line for line in path_file.read_text().splitlines() if line] + self.paths
        return result


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory) -> Path:
    """A clone whose origin/main lacks customer_details.fax and whose head (this repository's state) has it."""
    repo = tmp_path_factory.mktemp("ci") / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(repo)], check=True)
    head = git(repo, "rev-parse", "HEAD")
    spec = (repo / SATELLITE).read_text()
    assert "postal_code, country, phone, fax]" in spec
    (repo / SATELLITE).write_text(spec.replace("postal_code, country, phone, fax]", "postal_code, country, phone]"))
    # the base's generated/ is not re-rendered: no step reads it (the plan reads the base's spec, the checks the head's)
    git(repo, "commit", "-qam", "base: customer_details without fax")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", head, "--", "vault_spec", "generated")
    git(repo, "commit", "-qam", "pull request: fax at the end of customer_details")
    return repo


def steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert set(workflow[True]) == {"pull_request"}  # `on:` (YAML 1.1 reads the key as true)
    return workflow["jobs"]["spec"]["steps"]


def test_workflow_steps_in_a_clone(pull_request: Path) -> None:
    runner, ran, skipped = Runner(pull_request), [], []
    for step in steps():
        if "uses" in step:
            continue
        if NEEDS_GITHUB in step["run"]:
            skipped.append(step["name"])
            continue
        if not runner.condition(step.get("if")):
            continue
        result = runner.run(step)
        assert result.returncode == 0, (step["name"], result.stdout[-2000:], result.stderr[-2000:])
        ran.append((step["name"], result.stdout))
    assert skipped == ["Post the plan as a pull-request comment"]
    names = [name for name, _ in ran]
    assert names == ["Install vaultgen with dbt-duckdb", "Validate the spec", "Check that generated/ matches the spec",
                     "Plan the change against the base branch", "Build the generated dbt project on DuckDB with the sample data"]
    plan = (pull_request / "plan.md").read_text()
    assert plan.startswith("## vaultgen plan")
    assert "| ✅ safe | customer_details | all | `attribute_added` |" in plan
    assert "ADD COLUMN \"fax\"" in plan
    assert runner.outputs["plan"] == {"exit_code": "0"}
    assert "0 failed, 0 table snapshots differing from the vault" in ran[-1][1]


@pytest.mark.parametrize("labels, gate_fails", [("", True), ("ready,vaultgen-allow:re-version", False)])
def test_review_gate(pull_request: Path, labels: str, gate_fails: bool) -> None:
    """A re-versioning pull request (fax added before phone, not at the end): the plan step passes, the gate fails unless
    a label accepts re-versions."""
    work = pull_request.parent / f"gate{int(gate_fails)}"
    shutil.copytree(pull_request, work, symlinks=True, ignore=shutil.ignore_patterns(".venv", "work"))  # the gate runs this venv's vaultgen
    spec = (work / SATELLITE).read_text()
    (work / SATELLITE).write_text(spec.replace("postal_code, country, phone, fax]", "postal_code, country, fax, phone]"))
    runner = Runner(work, labels)
    runner.paths = [str(ROOT / ".venv" / "bin")]
    by_name = {step["name"]: step for step in steps() if "name" in step}
    assert runner.run(by_name["Plan the change against the base branch"]).returncode == 0
    assert "| 🔁 re-version | customer_details | all | `attribute_added` |" in (work / "plan.md").read_text()  # fax before the end
    gate = by_name["Require review of what the plan found"]
    assert runner.condition(gate.get("if")) is gate_fails
    if gate_fails:
        assert runner.run(gate).returncode == 1
