"""Spec errors in plain words, table-driven: each case damages the mini spec, runs `vaultgen validate` through
vaultgen.cli.main and checks the exit code, the located message, the excerpt with its caret, and that neither a
traceback nor PyYAML's own wording reaches the user."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from vaultgen.cli import main

MINI = REPO / "tests/fixtures/mini_spec"
HUB = "  - kind: hub\n    name: customer\n    business_keys: [customer_id]\n"


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    old: str  # replaced by new in the file (an empty old appends new)
    new: str
    expected: tuple[str, ...]  # fragments of stderr, in this order


CASES = [
    Case("bare numeric in a flow mapping", "source.yml", '{name: amount, type: "numeric(10,2)"}', "{name: amount, type: numeric(10,2)}",
         ("source.yml:15:34: VG001 the comma in 'numeric(10,2)' ends the value inside a flow mapping",
          "| " + " " * 10 + "- {name: amount, type: numeric(10,2)}", "| " + " " * 33 + "^", "hint: quote the value: 'numeric(10,2)'")),
    Case("a key indented less than its siblings", "vault.yml", HUB, "  - kind: hub\n    name: customer\n   business_keys: [customer_id]\n",
         ("vault.yml:4:4: VG001 malformed YAML: bad indentation: this line does not line up with the lines before it",
          "|    business_keys: [customer_id]", "|    ^", "hint: indent each key of a mapping")),
    Case("a list item indented less than the list", "vault.yml", "  - kind: hub\n    name: order\n", " - kind: hub\n    name: order\n",
         ("vault.yml:7:2: VG001 malformed YAML: bad indentation", "|  - kind: hub", "|  ^")),
    Case("a key indented more than its siblings", "vault.yml", HUB, "  - kind: hub\n    name: customer\n      business_keys: [customer_id]\n",
         ("vault.yml:4:20: VG001 malformed YAML: a ':' where no mapping can start", "|       business_keys: [customer_id]")),
    Case("a tab in the indentation", "vault.yml", HUB, "  - kind: hub\n\tname: customer\n    business_keys: [customer_id]\n",
         ("vault.yml:3:1: VG001 malformed YAML: a tab character; YAML indents with spaces only", "hint: replace the tabs with spaces")),
    Case("an unclosed flow mapping", "vault.yml", "  - {kind: record_tracking_satellite, name: order_status, parent: order, source: orders}",
         "  - {kind: record_tracking_satellite, name: order_status, parent: order, source: orders", 
         ("vault.yml:31:5: VG001 malformed YAML: a '{' mapping that is not closed where it should be (opened here;",
          "|   - {kind: record_tracking_satellite", "|     ^")),
    Case("an unclosed quote", "project.yml", "name: mini_vault", 'name: "mini_vault',
         ("project.yml:2:9: VG001 malformed YAML: a quoted string that is never closed (opened here;", '|   name: "mini_vault', "|         ^")),
    Case("a duplicate entity", "vault.yml", "", "  - kind: hub\n    name: customer\n    business_keys: [customer_id]\n    sources:\n"
         "      - {table: customers, columns: [customer_id]}\n",
         ("vault.yml:34:5: VG020 duplicate entity 'customer'", "hint: first defined at tests/spec/vault.yml:3; entity names must be unique")),
    Case("a duplicate column", "source.yml", "          - {name: city, type: varchar(15)}\n",
         "          - {name: city, type: varchar(15)}\n          - {name: city, type: text}\n",
         ("source.yml:10:14: VG020 duplicate column 'city'", "first defined at tests/spec/source.yml:9; column names must be unique")),
    Case("a duplicate table", "source.yml", "", "      - name: orders\n        primary_key: [order_id]\n        columns:\n"
         "          - {name: order_id, type: integer}\n",
         ("source.yml:16:9: VG020 duplicate table 'orders'", "first defined at tests/spec/source.yml:10; table names must be unique")),
    Case("a duplicate key in one mapping", "project.yml", "  name: mini_vault\n", "  name: mini_vault\n  name: other\n",
         ("project.yml:3:3: VG003 duplicate key 'name'", "hint: first defined at", "project.yml:2")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_spec_error_messages(case: Case, tmp_path: Path, capsys, monkeypatch):
    spec_dir = tmp_path / "tests" / "spec"
    shutil.copytree(MINI, spec_dir)
    path = spec_dir / case.file
    text = path.read_text(encoding="utf-8")
    assert case.old in text, case.old
    path.write_text(text.replace(case.old, case.new, 1) if case.old else text + case.new, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # file names are shown relative to the working directory
    code = main(["validate", "--spec", "tests/spec"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err and "expected <block end>" not in err and "while parsing" not in err and "while scanning" not in err
    assert err.count(" VG0") == 1, err  # one problem, never the same mistake reported twice
    position = 0
    for fragment in case.expected:
        found = err.find(fragment, position)
        assert found >= 0, f"{fragment!r} not in (after {position}):\n{err}"
        position = found + len(fragment)
