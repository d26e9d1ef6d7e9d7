"""The YAML reader never crashes or hangs: every bad file is a located VG problem with a hint (fast tier).

One row per case from issue 11, then hypothesis properties on arbitrary bytes and YAML-ish text (fixed seed,
bounded count), then the same through `vaultgen validate`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from vaultgen.cli import main
from vaultgen.errors import Problem, SpecError
from vaultgen.spec.loader import load_spec
from vaultgen.spec import yaml_source
from vaultgen.spec.yaml_source import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, parse_yaml, read_yaml

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"
FILE = "vault_spec/vault/x.yml"

LAUGHS = b"a: &a [x,x,x,x,x,x,x,x,x]\n" + b"".join(
    b"%c: &%c [%s]\n" % (name, name, b",".join([b"*" + bytes([name - 1])] * 9)) for name in b"bcdefghi"
)  # 9 levels: about 390 million values once expanded


@dataclass(frozen=True)
class Row:
    id: str
    raw: bytes
    code: str
    line: int
    column: int
    message: str
    hint: str = ""


ROWS = [
    Row("int-tag", b"a:\n  b: !!int abc\n", "VG008", 2, 6, "'abc' is not a valid int", "remove the tag `!!int`"),
    Row("float-tag", b"a: !!float abc\n", "VG008", 1, 4, "'abc' is not a valid float", "!!float"),
    Row("bool-tag", b"a: !!bool maybe\n", "VG008", 1, 4, "'maybe' is not a valid bool", "!!bool"),
    Row("binary-tag", b"a: !!binary 'x'\n", "VG008", 1, 4, "'x' is not a valid binary", "!!binary"),
    Row("timestamp-tag", b"a: !!timestamp garbage\n", "VG008", 1, 4, "'garbage' is not a valid timestamp", "!!timestamp"),
    Row("implicit-bad-date", b"a: 2024-13-45\n", "VG008", 1, 4, "'2024-13-45' is not a valid timestamp", "quote the value"),
    Row("unknown-tag", b"a: !vault x\n", "VG008", 1, 4, "unknown tag '!vault'", "remove the tag"),
    Row("set-tag", b"a: !!set {x, y}\n", "VG008", 1, 4, "'!!set' is not supported on a mapping", "remove the tag"),
    Row("huge-int", b"a: " + b"7" * 5000 + b"\n", "VG008", 1, 4, "(5,000 characters)' is not a valid int"),
    Row("deep-flow", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "VG007", 1, 4 + MAX_DEPTH - 1, f"nested more than {MAX_DEPTH} levels"),
    Row("deep-block", b"".join(b" " * i + b"k:\n" for i in range(900)), "VG007", MAX_DEPTH + 1, MAX_DEPTH + 1, f"nested more than {MAX_DEPTH} levels"),
    Row("recursive-alias", b"loop: &a [*a]\n", "VG007", 1, 11, "recursive alias", "complete before it"),
    Row("billion-laughs", LAUGHS, "VG007", 1, 0, "expands to more than", "each alias '*name' copies its anchor"),
    Row("many-aliases", b"a: &a x\nb: [" + b",".join([b"*a"] * (MAX_ALIASES + 1)) + b"]\n", "VG007", 2, 5 + 3 * MAX_ALIASES, f"more than {MAX_ALIASES} aliases"),
    Row("undefined-alias", b"a: *nope\n", "VG001", 1, 4, "alias '*nope' has no anchor", "define the anchor first"),
    Row("bad-indentation", b"a:\n  b: 1\n c: 2\n", "VG001", 3, 2, "bad indentation", "by the same amount"),
    Row("tab-indent", b"a:\n\tb: 1\n", "VG001", 2, 1, "a tab character", "spaces"),
    Row("colon-in-value", b"a: b: c\n", "VG001", 1, 5, "a ':' where no mapping can start", "quote a value"),
    Row("unclosed-list", b"a: [1, 2\nb: 3\n", "VG001", 1, 4, "'[' list that is not closed", "']'"),
    Row("unclosed-quote", b"a: 'abc\n", "VG001", 1, 4, "quoted string that is never closed", "close the quote"),
    Row("two-documents", b"a: 1\n---\nb: 2\n", "VG001", 2, 1, "a second document", "one document per file"),
    Row("numeric-split-by-comma", b"columns:\n  - {name: amount, type: numeric(10,2)}\n", "VG001", 2, 26,
        "the comma in 'numeric(10,2)' ends the value", "quote the value: 'numeric(10,2)'"),
    Row("duplicate-key", b"a: 1\nb: 2\na: 3\n", "VG003", 3, 1, "duplicate key 'a'", f"first defined at {FILE}:1"),
    Row("duplicate-anchor", b"a: &x 1\nb: &x 2\n", "VG001", 2, 4, "anchor '&x' is defined twice", f"first defined at {FILE}:1"),
    Row("merge-of-a-scalar", b"a: &x 1\nb: {<<: *x}\n", "VG002", 1, 4, "'<<' merges only mappings"),
    Row("utf16", "a: 1\n".encode("utf-16"), "VG009", 1, 1, "UTF-16", "save it as UTF-8"),
    Row("invalid-utf8", b"a: 1\nb: caf\xe9\n", "VG009", 2, 7, "not valid UTF-8: byte 0xe9", "save the file as UTF-8"),
    Row("nul", b"a: 1\nb: x\x00y\n", "VG009", 2, 5, "control character U+0000", "remove it"),
    Row("escape-char", b"a: \x1b[31m\n", "VG009", 1, 4, "control character U+001B"),
]


def _only_problem(raw: bytes) -> Problem:
    document, problems = parse_yaml(raw, FILE)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_yaml_is_a_located_problem_with_a_hint(row: Row):
    problem = _only_problem(row.raw)
    assert (problem.code, problem.location.file, problem.location.line) == (row.code, FILE, row.line), str(problem)
    if row.column:
        assert problem.location.column == row.column, str(problem)
    assert row.message in problem.message and problem.hint and row.hint in problem.hint, str(problem)
    assert len(str(problem)) < 1000


def test_syntax_errors_show_the_line_and_a_caret():
    problem = _only_problem(b"project:\n  name: x\n  hashing: {algorithm: md5\n")
    assert str(problem).startswith(f"{FILE}:3:12: VG001 malformed YAML: a '{{' mapping that is not closed")
    problem = _only_problem(b"project:\n  name: x\n    hashing: md5\n")
    assert "\n    |     hashing: md5\n    |            ^\n" in str(problem), str(problem)


def test_a_huge_value_is_never_echoed_whole():
    problem = _only_problem(b"a: !!int " + b"x" * 1_000_000 + b"\n")
    assert "(1,000,000 characters)" in problem.message and len(str(problem)) < 400


def test_a_file_above_the_size_limit_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "big.yml"
    path.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    document, problems = read_yaml(path, "big.yml")
    assert document is None and [p.code for p in problems] == ["VG007"] and "larger than 256 KiB" in problems[0].message


def test_anchors_aliases_and_merge_keys_still_work():
    document, problems = parse_yaml(b"base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nl: [*b]\n", FILE)
    assert problems == []
    assert document.data == {"base": {"x": 1, "y": 2}, "m": {"y": 3, "x": 1}, "l": [{"x": 1, "y": 2}]}
    assert document.source_map.locate(("m", "y")).line == 4
    assert document.source_map.locate(("m", "x")).line == 1  # where the merged value is written


def test_the_shipped_spec_reads_without_problems(repo: Path):
    for path in sorted((repo / "vault_spec").rglob("*.yml")):
        document, problems = read_yaml(path, path.name)
        assert document is not None and problems == [], path


def test_validate_reports_reader_problems_at_the_spec_file(tmp_path: Path, capsys, monkeypatch):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    (spec_dir / "bomb.yml").write_bytes(LAUGHS)
    (spec_dir / "tags.yml").write_bytes(b"sources: !vault x\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--spec", "spec"]) == 3
    err = capsys.readouterr().err
    assert "spec/bomb.yml:1:8: VG007" in err and "spec/tags.yml:1:10: VG008 unknown tag '!vault'" in err
    assert "<unicode string>" not in err and "Traceback" not in err


# -- properties (fixed seed, bounded count) ----------------------------------------------------------------

PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FRAGMENTS = ["a", "name", "x", ": ", ":", "- ", "-", "[", "]", "{", "}", ", ", ",", "&a ", "*a", "&b ", "*b", "!!int ", "!!str ",
             "!!binary ", "!!timestamp ", "!!set ", "!vault ", "<<: ", "? ", "'", '"', "\\", "\n", "  ", "    ", "\t", "# c", "|", ">",
             "---\n", "...\n", "%YAML 1.1\n", "numeric(10,2)", "1e400", "0x1f", "2024-13-45", "~", "null", "é", "\ufeff", "\x00", "@", "`"]


def _assert_located(raw: bytes) -> None:
    document, problems = parse_yaml(raw, FILE)
    assert document is not None or problems
    for problem in problems:
        assert isinstance(problem, Problem) and problem.code.startswith("VG") and problem.location.file == FILE and problem.hint


@PROPERTY
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_data_or_located_problems(raw: bytes):
    _assert_located(raw)


@PROPERTY
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_arbitrary_yaml_ish_text_gives_data_or_located_problems(text: str):
    _assert_located(text.encode("utf-8", "surrogatepass"))


@PROPERTY
@given(st.text(max_size=200))
def test_arbitrary_unicode_text_gives_data_or_located_problems(text: str):
    _assert_located(text.encode("utf-8", "surrogatepass"))


def test_a_second_project_block_says_where_the_first_is(tmp_path: Path, monkeypatch):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    (spec_dir / "zz.yml").write_text("project:\n  name: other\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as raised:
        load_spec(Path("spec"))
    [problem] = raised.value.problems
    assert (problem.code, str(problem.location)) == ("VG006", "spec/zz.yml:1:1") and "first defined at spec/project.yml:1" in problem.hint


def test_a_problem_no_file_holds_is_located_at_the_project_block(tmp_path: Path, monkeypatch):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    (spec_dir / "vault.yml").unlink()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as raised:
        load_spec(Path("spec"))
    assert [str(p.location) for p in raised.value.problems if "entities" in p.message] == ["spec/project.yml:1:1"]


def _read(raw: bytes) -> tuple:
    document, problems = parse_yaml(raw, FILE)
    return (document.data, dict(document.source_map.positions)) if document else None, [(p.code, p.message, p.location, p.hint) for p in problems]


@PROPERTY
@given(st.lists(st.sampled_from([f for f in FRAGMENTS if not any(c in f for c in "&*!")]), max_size=60).map("".join))
def test_the_c_composer_reads_what_the_python_composer_reads(text: str):
    """Files without anchors, aliases and tags are composed by libyaml's C composer (the fast path); it must give
    the same data, positions and problems as the Python composer, which reads every other file."""
    raw = text.encode("utf-8", "surrogatepass")
    fast = _read(raw)
    original = yaml_source._compose_in_c
    yaml_source._compose_in_c = lambda raw, text: False
    try:
        slow = _read(raw)
    finally:
        yaml_source._compose_in_c = original
    assert fast == slow


def test_deep_flow_nesting_is_refused_without_a_crash():
    """libyaml's C composer recurses without a limit (100,000 '[' crash the interpreter): such files take the
    Python composer, which stops at the nesting limit."""
    problem = _only_problem(b"[" * 100_000 + b"]" * 100_000)
    assert problem.code == "VG007" and "nested more than" in problem.message


@pytest.mark.parametrize("shape", ["list", "mapping"])
@pytest.mark.parametrize("extra", [0, 1])
def test_the_value_limit_holds_exactly_for_text_values(shape: str, extra: int):
    """Text values in lists and mappings skip the builder's call per value (its fast path); the limit on values
    (the builder counts values, not keys) still stops at the first value over it, located there."""
    count = yaml_source.MAX_VALUES - 2 + extra  # the root mapping and the list or mapping are values too
    if shape == "list":
        raw = ("items: [" + ", ".join(f"v{i}" for i in range(count)) + "]\n").encode()
    else:
        raw = ("items:\n" + "".join(f"  k{i}: v\n" for i in range(count))).encode()
    assert yaml_source._compose_in_c(raw, raw.decode()) is not False  # the C composer's path
    document, problems = parse_yaml(raw, FILE)
    if not extra:
        assert not problems and len(document.data["items"]) == count
        return
    assert document is None and [(p.code, p.message) for p in problems] == [("VG007", f"more than {yaml_source.MAX_VALUES} values in one file")]
    if shape == "list":
        assert (problems[0].location.line, problems[0].location.column) == (1, raw.rindex(b"v") + 1)
    else:
        assert (problems[0].location.line, problems[0].location.column) == (count + 1, len(f"  k{count - 1}: ") + 1)
