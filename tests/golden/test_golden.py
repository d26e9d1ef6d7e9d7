"""Golden files per construct (the datamodel-code-generator way): tests/golden/<kind>/spec/ is the smallest spec
with one entity of that kind, tests/golden/<kind>/expected/<target>/models/... the models of that kind it renders
on every target. A change to the SQL shows here as a small reviewed diff, beside the committed Northwind output.

Update every expected file (after a deliberate change to the SQL), then review the diff:

    VAULTGEN_UPDATE_GOLDEN=1 /work/main/.venv/bin/python -m pytest -q tests/golden
"""

from __future__ import annotations

import difflib
import os
import shutil
import typing
from pathlib import Path

import pytest

from vaultgen.dialects import get_dialect
from vaultgen.emit.plan import plan_models
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Entity

GOLDEN = Path(__file__).parent
CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "spec").is_dir())
UPDATE = os.environ.get("VAULTGEN_UPDATE_GOLDEN") == "1"


def rendered(case: str) -> dict[str, str]:
    """<target>/models/...: the case's models of its own kind (the folder's name), as `vaultgen render` writes them."""
    spec = load_spec(GOLDEN / case / "spec")
    files = render_files(spec)
    paths = [f"{target}/{model.path}" for target in spec.project.targets for model in plan_models(spec, get_dialect(target)) if model.kind == case]
    assert paths, f"the {case} spec renders no {case} model"
    return {path: files[path] for path in paths}


def expected(case: str) -> dict[str, str]:
    folder = GOLDEN / case / "expected"
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*")) if path.is_file()}


def write_expected(case: str, files: dict[str, str]) -> None:
    folder = GOLDEN / case / "expected"
    shutil.rmtree(folder, ignore_errors=True)
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    files = rendered(case)
    if UPDATE:
        write_expected(case, files)
    want = expected(case)
    assert sorted(files) == sorted(want), "models added or gone: VAULTGEN_UPDATE_GOLDEN=1 pytest tests/golden, then review the diff"
    drifted = ["".join(difflib.unified_diff(want[path].splitlines(True), files[path].splitlines(True), f"expected/{path}", f"rendered/{path}"))
               for path in sorted(files) if files[path] != want[path]]
    assert not drifted, "\n".join(drifted) + "\nupdate with VAULTGEN_UPDATE_GOLDEN=1 pytest tests/golden, then review the diff"


def test_every_entity_kind_has_a_golden_case():
    kinds = {typing.get_args(model.model_fields["kind"].annotation)[0] for model in typing.get_args(typing.get_args(Entity)[0])}
    assert kinds | {"end_dated_view"} == set(CASES)
