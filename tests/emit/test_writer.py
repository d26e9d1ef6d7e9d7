"""The writer: a render is all-or-nothing, even under SIGKILL; leftovers are cleaned by the next render and
reported by `render --check`; an unwritable output folder is a located error, not a traceback (fast tier)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vaultgen import writer
from vaultgen.cli import main
from vaultgen.errors import OutputError
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"
KILLS = int(os.environ.get("VAULTGEN_KILL_COUNT", "12"))
CHILD = """
import json, sys
from pathlib import Path
from vaultgen import writer
files = json.loads(Path(sys.argv[1]).read_text())
print("ready", flush=True)
sys.stdin.readline()
writer.write(Path(sys.argv[2]), files)
print("done", flush=True)
"""


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _expected(files: dict[str, str], foreign: dict[str, bytes]) -> dict[str, bytes]:
    return {**{name: text.encode() for name, text in writer._with_manifest(files).items()}, **foreign}


@pytest.fixture(scope="module")
def northwind_files(repo: Path) -> dict[str, str]:
    """A real render (the dv fixture: Northwind's 10 s render is too slow for the fast tier), widened to
    Northwind's ~550 files so that a write lasts long enough to be cut at many points."""
    files = render_files(load_spec(repo / "tests/fixtures/dv_spec"))
    models = sorted(name for name in files if name.endswith(".sql"))
    for copy in range(1, 1 + 550 // len(models)):
        files.update({name.replace(".sql", f"_{copy}.sql"): files[name] for name in models})
    return files


def _other_version(files: dict[str, str]) -> dict[str, str]:
    """Half the files changed, a tenth gone (stale), some new ones: a render that touches everything."""
    names = sorted(files)
    other = {name: files[name] + "-- changed\n" for name in names[::2]}
    other.update({name: files[name] for name in names[1::2] if names.index(name) % 10 != 1})
    other.update({f"duckdb/models/new/model_{i}.sql": f"select {i}\n" for i in range(20)})
    return other


def test_sigkill_at_random_moments_leaves_the_old_tree_or_the_new_one(tmp_path: Path, northwind_files, capsys):
    versions = [northwind_files, _other_version(northwind_files)]
    payloads = []
    for index, files in enumerate(versions):
        payload = tmp_path / f"files_{index}.json"
        payload.write_text(json.dumps(files))
        payloads.append(payload)
    out = tmp_path / "generated"
    foreign = {"NOTES.md": b"mine", "duckdb/target/run.log": b"dbt's"}
    for name, content in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    writer.write(out, versions[0])
    trees = [_expected(files, foreign) for files in versions]
    assert _tree(out) == trees[0]

    started = time.perf_counter()
    writer.write(out, versions[1])
    writer.write(out, versions[0])
    window = (time.perf_counter() - started) / 2  # how long one whole render's write takes here
    rng = random.Random(11)
    current, outcomes = 0, {"old": 0, "new": 0, "leftovers": 0}
    for _ in range(KILLS):
        wanted = 1 - current
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(payloads[wanted]), str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n"
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0, window * 1.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        tree = _tree(out)
        assert tree in trees, "a killed render left a mix of old and new files"
        current = trees.index(tree)
        outcomes["new" if current == wanted else "old"] += 1
        left = writer.leftovers(out)
        if left:
            outcomes["leftovers"] += 1
            assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 1
            assert "leftover: " in capsys.readouterr().out
        report = writer.write(out, versions[wanted])  # the next render cleans up and completes
        assert writer.leftovers(out) == [] and _tree(out) == trees[wanted]
        assert sorted(report.leftovers) == sorted(str(path) for path in left)
        current = wanted
    print(f"{KILLS} kills: {outcomes}")
    assert outcomes["old"] + outcomes["new"] == KILLS


def test_only_changed_files_are_replaced(tmp_path: Path):
    out = tmp_path / "generated"
    files = {"a/one.sql": "select 1\n", "a/two.sql": "select 2\n", "b/gone.sql": "select 3\n"}
    writer.write(out, files)
    before = {name: (out / name).stat() for name in ("a/one.sql", "a/two.sql")}
    report = writer.write(out, {"a/one.sql": "select 1\n", "a/two.sql": "select 22\n"})
    assert (report.written, report.removed) == (["a/two.sql", ".vaultgen-manifest"], ["b/gone.sql"])
    assert (out / "a/one.sql").stat().st_ino == before["a/one.sql"].st_ino
    assert (out / "a/one.sql").stat().st_mtime_ns == before["a/one.sql"].st_mtime_ns
    assert (out / "a/two.sql").read_text() == "select 22\n" and not (out / "b").exists()
    assert writer.write(out, {"a/one.sql": "select 1\n", "a/two.sql": "select 22\n"}).changed is False


def test_old_style_temp_files_are_reported_by_check_and_removed_by_render(tmp_path: Path, capsys):
    out = tmp_path / "generated"
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 0
    stray = out / "duckdb/models/.vaultgen-x1y2z3"
    stray.write_text("half a model")
    (tmp_path / ".generated.vaultgen-new").mkdir()
    capsys.readouterr()
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 1
    printed = capsys.readouterr().out
    assert f"leftover: {stray}" in printed and f"leftover: {tmp_path / '.generated.vaultgen-new'}" in printed
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 0
    assert "2 leftovers of an interrupted render cleaned" in capsys.readouterr().out
    assert not stray.exists() and not (tmp_path / ".generated.vaultgen-new").exists()
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 0


def test_a_swap_cut_between_two_renames_is_rolled_back(tmp_path: Path):
    """Where renameat2 cannot exchange, the swap is two renames; a kill between them leaves only the sibling."""
    out = tmp_path / "generated"
    writer.write(out, {"a.sql": "old\n"})
    tree = _tree(out)
    os.rename(out, tmp_path / ".generated.vaultgen-old")
    (tmp_path / ".generated.vaultgen-new").mkdir()
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 1
    writer.write(out, {"a.sql": "old\n"})
    assert _tree(out) == tree and writer.leftovers(out) == []


# Tests run as root, which writes through any permission bit, so "unwritable" is made with what root cannot
# write either: a file where the folder (or its parent) should be, and a path under /proc, where no process
# can create anything. The error names the path, has a code and a hint, and the process exits 2.
UNWRITABLE = {
    "file-where-the-folder-is": lambda tmp: tmp / "generated",
    "file-where-the-parent-is": lambda tmp: tmp / "generated" / "out",
    "under-proc": lambda tmp: Path("/proc/vaultgen-test/generated"),
}


@pytest.mark.parametrize("case", sorted(UNWRITABLE))
def test_an_unwritable_output_folder_is_a_located_error(case: str, tmp_path: Path, capsys):
    (tmp_path / "generated").write_text("a file, not a folder")
    out = UNWRITABLE[case](tmp_path)
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "VG090 cannot write the output" in err and "hint: " in err and "Traceback" not in err, err
    assert (tmp_path / "generated").read_text() == "a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
    with pytest.raises(OutputError) as raised:
        writer.write(out, {"a.sql": "x\n"})
    assert str(raised.value.problem.location).startswith(("/proc/", str(tmp_path)))
