"""Run dbt on a generated project, keeping dbt's own output (target/, logs/) out of generated/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vaultgen import dbt_fork
from vaultgen.errors import RunError


@dataclass(frozen=True)
class DbtResult:
    command: str
    passed: int
    failed: int
    output: str
    results: list[dict]

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _dbt_executable() -> list[str]:
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dbt")
    if not found:
        raise RunError("dbt is not installed: run the README's setup command (pip install -e '.[duckdb]')")
    return [found]


def run_dbt(
    args: list[str],
    project_dir: Path,
    work_dir: Path,
    duckdb_path: Path,
    variables: dict[str, str] | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    partial_parse: bool = False,
) -> DbtResult:
    """Run `dbt <args>` on `project_dir`; target/ and logs/ go under `work_dir`.

    `on_line` receives dbt's output line by line as it is printed (live progress). `partial_parse` lets dbt reuse
    the manifest it wrote under `work_dir` (dbt re-parses the files whose checksum changed); safe when one work
    dir serves one project."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "dbt_target"
    (target / "run_results.json").unlink(missing_ok=True)  # never read a previous run's results
    command = [
        *_dbt_executable(),
        *args,
        "--project-dir", str(project_dir.resolve()),
        "--profiles-dir", str(project_dir.resolve()),
        "--target-path", str(target.resolve()),
        "--log-path", str((work_dir / "dbt_logs").resolve()),
    ]
    if variables:
        command += ["--vars", json.dumps(variables, sort_keys=True)]
    environment = {
        **os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "VAULTGEN_DUCKDB_PATH": str(duckdb_path.resolve()),
        "DBT_PARTIAL_PARSE": "true" if partial_parse else "false", **({"DBT_USE_COLORS": "false"} if on_line else {}), **(env or {}),
    }
    if dbt_fork.available():
        output, returncode = dbt_fork.run(command[1:], work_dir, environment, on_line)
    elif on_line is None:
        completed = subprocess.run(command, cwd=work_dir, env=environment, capture_output=True, text=True)
        output, returncode = completed.stdout + completed.stderr, completed.returncode
    else:
        output, returncode = _streamed(command, work_dir, environment, on_line)
    results: list[dict] = []
    run_results = target / "run_results.json"
    if run_results.is_file():
        results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    passed = sum(1 for r in results if r.get("status") in ("success", "pass"))
    failed = sum(1 for r in results if r.get("status") in ("error", "fail", "runtime error"))
    if returncode != 0 and not failed:
        failed = 1
    result = DbtResult(" ".join(args), passed, failed, output, results)
    if check and not result.ok:
        raise RunError(f"dbt {' '.join(args)} failed:\n{_failures(result)}")
    return result


def _streamed(command: list[str], work_dir: Path, environment: dict[str, str], on_line: Callable[[str], None]) -> tuple[str, int]:
    lines: list[str] = []
    with subprocess.Popen(command, cwd=work_dir, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            on_line(line)
    return "".join(lines), process.returncode


def _failures(result: DbtResult) -> str:
    lines = [f"  {r.get('unique_id')}: {r.get('status')} {r.get('message') or ''}" for r in result.results if r.get("status") not in ("success", "pass", "skipped")]
    return "\n".join(lines) or result.output[-4000:]
