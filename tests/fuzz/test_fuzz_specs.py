"""The fuzzing tier (`-m fuzz`): seeded broken variants of the shipped spec and the test fixtures.

For each variant, `vaultgen validate` and `vaultgen render` run in process (vaultgen.cli.main, output
captured) into a temporary copy whose output folder already holds the base spec's render. Asserted:

- zero tracebacks: nothing but the tool's own error class leaves main (it returns 0 or 2);
- zero partial writes: after a failed render the output folder is byte-identical to before;
- every error located: each reported problem names a spec file and a line (a few file-level problems name
  the file or folder only: FILE_LEVEL), and validate and render agree.

CI runs 300 variants (seed 11). The big run, and one variant alone:

    VAULTGEN_FUZZ_COUNT=10000 .venv/bin/python -m pytest -m fuzz -s tests/fuzz
    VAULTGEN_FUZZ_ONLY=1234 .venv/bin/python -m pytest -m fuzz -s tests/fuzz
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

from tests.fuzz.mutate import Base, Variant, load_base, variant
from vaultgen import writer
from vaultgen.cli import main

pytestmark = pytest.mark.fuzz

COUNT = int(os.environ.get("VAULTGEN_FUZZ_COUNT", "300"))
SEED = int(os.environ.get("VAULTGEN_FUZZ_SEED", "11"))
ONLY = [int(i) for i in os.environ.get("VAULTGEN_FUZZ_ONLY", "").split(",") if i]
REPO = Path(__file__).resolve().parents[2]
# the shipped spec renders in ~10 s when a variant is valid, the fixtures in < 2 s: weighted so; mini_4 is the
# mini fixture rendered for every target, so the Spark, Athena and Snowflake emitters are fuzzed cheaply too
BASES = {"vault_spec": REPO / "vault_spec", "mini_spec": REPO / "tests/fixtures/mini_spec", "mini_4": REPO / "tests/fixtures/mini_spec",
         "dv_spec": REPO / "tests/fixtures/dv_spec"}
WEIGHTS = {"vault_spec": 1, "mini_spec": 6, "mini_4": 2, "dv_spec": 3}
EVERY_TARGET = ("  name: mini_vault\n", "  name: mini_vault\n  targets: [duckdb, spark, athena, snowflake]\n")
# problems about a whole file or folder, located by the file (or folder) alone
FILE_LEVEL = {
    "VG004": "no spec files in the folder",
    "VG007": "a file larger than the size limit",
    "VG011": "no `project:` block in any file",
}
PROBLEM = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: (?P<code>VG\d{3}) ")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(argv: list[str]) -> tuple[int | None, str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return main(argv), out.getvalue(), err.getvalue(), ""
        except BaseException:  # noqa: BLE001 - what we hunt: anything escaping the CLI is a traceback
            return None, out.getvalue(), err.getvalue(), traceback.format_exc()


def _problems_located(stderr: str, spec_dir: str) -> list[str]:
    """The reported problems that do not name a spec file and line (empty when all do)."""
    bad = []
    heads = [line for line in stderr.splitlines()[1:] if line and not line.startswith("    ")]
    if not heads:
        return [f"no problem listed in: {stderr[:300]!r}"]
    for head in heads:
        match = PROBLEM.match(head)
        if not match or not match["file"].startswith(spec_dir):
            bad.append(head[:300])
        elif not match["line"] and match["code"] not in FILE_LEVEL:
            bad.append(head[:300])
    return bad


def _check(item: Variant, work: Path, rendered: dict[str, Path]) -> tuple[str, str]:
    """(outcome, detail): outcome is rejected, accepted, or a failure kind."""
    spec_dir = work / "spec"
    for name, content in item.files.items():
        (spec_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (spec_dir / name).write_bytes(content)
    out_dir = work / "generated"
    shutil.copytree(rendered[item.base], out_dir, copy_function=os.link)
    before = _tree(out_dir)
    validated, _, validate_err, crash = _run(["validate", "--spec", "spec"])
    if crash:
        return "traceback", f"validate:\n{crash}"
    code, _, stderr, crash = _run(["render", "--spec", "spec", "--out", "generated"])
    if crash:
        return "traceback", f"render:\n{crash}"
    if code not in (0, 3) or code != validated:
        return "exit_code", f"validate {validated}, render {code}: {stderr[:500]}{validate_err[:500]}"
    if writer.leftovers(out_dir):
        return "leftovers", str(writer.leftovers(out_dir))
    if code == 0:
        return "accepted", ""
    if _tree(out_dir) != before:
        return "partial_write", stderr[:500]
    unlocated = _problems_located(stderr, "spec")
    if unlocated:
        return "unlocated", "\n".join(unlocated[:5])
    return "rejected", stderr.splitlines()[1][:200] if len(stderr.splitlines()) > 1 else stderr


def test_broken_variants_fail_cleanly(tmp_path: Path, monkeypatch):
    bases: list[Base] = []
    rendered = {}
    for name, folder in BASES.items():
        base = load_base(name, folder)
        if name == "mini_4":
            base.files["project.yml"] = base.files["project.yml"].decode().replace(*EVERY_TARGET).encode()
        bases += [base] * WEIGHTS[name]
        spec_dir = tmp_path / "bases" / name
        for file, content in base.files.items():
            (spec_dir / file).parent.mkdir(parents=True, exist_ok=True)
            (spec_dir / file).write_bytes(content)
        rendered[name] = tmp_path / "rendered" / name
        assert main(["render", "--spec", str(spec_dir), "--out", str(rendered[name])]) == 0
    indexes = ONLY or list(range(COUNT))
    outcomes: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    seconds: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    for index in indexes:
        item = variant(bases, SEED, index)
        work = tmp_path / "v"
        monkeypatch.chdir(tmp_path)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        monkeypatch.chdir(work)
        variant_started = time.perf_counter()
        outcome, detail = _check(item, work, rendered)
        outcomes[(item.category, outcome)] += 1
        seconds[(item.base, outcome)] += time.perf_counter() - variant_started
        if outcome not in ("accepted", "rejected"):
            failures.append(f"#{index} {item.base}/{item.file} {item.category}: {item.what[:200]}\n  {outcome}: {detail}")
            print(failures[-1], flush=True)
        if len(indexes) > 1000 and (index + 1) % 500 == 0:
            print(f"... {index + 1} variants, {len(failures)} failures, {time.perf_counter() - started:.0f} s", flush=True)
        if ONLY:
            print(f"#{index} {item.base}/{item.file} {item.category}: {item.what[:200]} -> {outcome}: {detail}")
    monkeypatch.chdir(tmp_path)
    elapsed = time.perf_counter() - started
    categories = sorted({category for category, _ in outcomes})
    kinds = sorted({kind for _, kind in outcomes})
    print(f"\nfuzz: {len(indexes)} variants, seed {SEED}, {elapsed:.0f} s")
    print(f"{'category':<14}" + "".join(f"{kind:>14}" for kind in kinds))
    for category in categories:
        print(f"{category:<14}" + "".join(f"{outcomes[(category, kind)]:>14}" for kind in kinds))
    print(f"{'total':<14}" + "".join(f"{sum(n for (_, k), n in outcomes.items() if k == kind):>14}" for kind in kinds))
    print("seconds by base and outcome: " + ", ".join(f"{base} {kind} {value:.0f}" for (base, kind), value in sorted(seconds.items())))
    assert not failures, f"{len(failures)} of {len(indexes)} variants failed (VAULTGEN_FUZZ_ONLY=<index> repeats one):\n" + "\n".join(failures[:20])
