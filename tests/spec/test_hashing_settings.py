"""Hashing settings the encoding cannot work with are refused with a located error, one row per mistake:
delimiter and null marker empty, with control characters, NUL, spaces or backslashes, sharing a character
(so also equal); sentinel fill characters that are not one hex digit or that are equal; NFC asked of a target
that cannot normalise. The accepted settings render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vaultgen.cli import main
from vaultgen.errors import SpecError
from vaultgen.spec.loader import load_spec

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"
HASHING = "  hashing:\n    algorithm: md5\n"

# (id, lines added under `hashing:` or a replacement of the whole project block tail, code, text the error points at, message)
CASES = [
    ("empty-delimiter", '    delimiter: ""\n', "VG013", 'delimiter: ""', "1 to 8 printable ASCII characters"),
    ("empty-null-marker", "    null_marker: ''\n", "VG013", "null_marker: ''", "1 to 8 printable ASCII characters"),
    ("nul-in-delimiter", '    delimiter: "|\\0|"\n', "VG013", "delimiter:", "control characters"),
    ("control-character-in-marker", '    null_marker: "^\\x1f"\n', "VG013", "null_marker:", "control characters"),
    ("line-break-in-delimiter", '    delimiter: "|\\n|"\n', "VG013", "delimiter:", "control characters"),
    ("space-in-delimiter", '    delimiter: "| |"\n', "VG013", "delimiter:", "without spaces"),
    ("backslash-in-null-marker", '    null_marker: "\\\\N"\n', "VG013", "null_marker:", "backslashes"),
    ("non-ascii-delimiter", '    delimiter: "§"\n', "VG013", "delimiter:", "printable ASCII"),
    ("too-long-marker", '    null_marker: "<nothing!>"\n', "VG013", "null_marker:", "1 to 8"),
    ("marker-equals-delimiter", '    delimiter: "~"\n    null_marker: "~"\n', "VG013", "null_marker: \"~\"", "no character in common"),
    ("marker-shares-a-character", '    delimiter: "||"\n    null_marker: "^|"\n', "VG013", 'null_marker: "^|"', "shares '|' with the delimiter"),
    ("default-marker-in-delimiter", '    delimiter: "^"\n', "VG013", "hashing:", "shares '^' with the delimiter"),
    ("nfc-on-spark-and-snowflake", "    business_key: {unicode: nfc}\n", "VG060", "business_key: {unicode: nfc}", "has no Unicode normalisation, so it cannot hash business keys as NFC"),
    ("nfc-hashdiff-on-snowflake", "    hashdiff: {unicode: nfc, trim: false, case: preserve}\n", "VG060", "hashdiff:", "target 'snowflake'"),
    ("unknown-unicode-form", "    business_key: {unicode: nfd}\n", "VG015", "unicode: nfd", "'unicode'"),
]
SENTINEL_CASES = [
    ("equal-sentinels", "  sentinels: {null_key: '0', empty_key: '0'}\n", "VG013", "sentinels:", "equals null_key '0'"),
    ("sentinel-not-hex", "  sentinels: {null_key: 'z'}\n", "VG013", "sentinels:", "hexadecimal"),
    ("sentinel-two-characters", "  sentinels: {empty_key: 'ff'}\n", "VG013", "sentinels:", "one lower-case hexadecimal"),
]


def _spec(tmp_path: Path, hashing_lines: str = "", project_lines: str = "", targets: str = "[duckdb, spark, snowflake]") -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    project = spec_dir / "project.yml"
    text = project.read_text()
    assert HASHING in text, "the mini spec's project block changed"
    if "business_key:" in hashing_lines:
        text = text.replace("    business_key: {trim: true, case: upper}\n", "")
    text = text.replace(HASHING, f"  targets: {targets}\n{project_lines}{HASHING}{hashing_lines}", 1)
    project.write_text(text)
    return spec_dir


def _line_of(spec_dir: Path, at: str) -> int:
    text = (spec_dir / "project.yml").read_text()
    return text[: text.index(at)].count("\n") + 1


@pytest.mark.parametrize("case", CASES + SENTINEL_CASES, ids=[c[0] for c in CASES + SENTINEL_CASES])
def test_bad_hashing_settings_get_a_located_error_and_nothing_is_written(case, tmp_path: Path, capsys, monkeypatch):
    name, lines, code, at, message = case
    spec_dir = _spec(tmp_path, project_lines=lines) if name in {c[0] for c in SENTINEL_CASES} else _spec(tmp_path, lines)
    with pytest.raises(SpecError) as raised:
        load_spec(spec_dir)
    problems = [p for p in raised.value.problems if p.code == code]
    assert problems, [str(p) for p in raised.value.problems]
    problem = problems[0]
    assert message in problem.message, str(problem)
    assert problem.location.file.endswith("spec/project.yml") and problem.location.line == _line_of(spec_dir, at), str(problem)
    out_dir = tmp_path / "generated"
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--spec", str(spec_dir), "--out", str(out_dir)]) == 3
    captured = capsys.readouterr()
    assert not out_dir.exists() and "Traceback" not in captured.err + captured.out
    assert f"project.yml:{problem.location.line}:{problem.location.column}: {code}" in captured.err


def test_nfc_error_names_every_target_that_cannot_normalise(tmp_path: Path):
    spec_dir = _spec(tmp_path, "    business_key: {unicode: nfc}\n")
    with pytest.raises(SpecError) as raised:
        load_spec(spec_dir)
    problems = [p for p in raised.value.problems if p.code == "VG060"]
    assert sorted(p.message.split("'")[1] for p in problems) == ["snowflake", "spark"]
    assert all("athena, duckdb" in p.hint for p in problems)


@pytest.mark.parametrize("lines,targets", [
    ('    delimiter: "~"\n    null_marker: "<null>"\n', "[duckdb, spark, snowflake]"),
    ('    delimiter: "|"\n    null_marker: "^"\n', "[duckdb]"),
    ("    business_key: {unicode: nfc, trim: true, case: upper}\n    hashdiff: {unicode: nfc, trim: false, case: preserve}\n", "[duckdb, athena]"),
], ids=["multi-character-marker", "one-character-each", "nfc-on-duckdb-and-athena"])
def test_accepted_hashing_settings_render(lines: str, targets: str, tmp_path: Path):
    spec_dir = _spec(tmp_path, lines, targets=targets)
    spec = load_spec(spec_dir)
    assert main(["render", "--spec", str(spec_dir), "--out", str(tmp_path / "generated")]) == 0
    if "nfc" in lines:
        assert spec.project.hashing.business_key.unicode == "nfc"
        staging = next((tmp_path / "generated" / "duckdb").rglob("stg_*.sql")).read_text()
        assert "nfc_normalize(" in staging.lower()
        athena = next((tmp_path / "generated" / "athena").rglob("stg_*.sql")).read_text()
        assert "normalize(" in athena.lower() and "nfc)" in athena.lower()
