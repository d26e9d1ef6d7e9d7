"""The command line as a user meets it: --version, help on every option, documented exit codes, validate's
counts per entity kind, colour and live progress only on a terminal."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import REPO
from vaultgen.cli import build_parser, main
from vaultgen.errors import EXIT_FAILED, EXIT_FINDINGS, EXIT_INPUT, EXIT_USAGE, ExternalError, InputError, RunError, SpecError, VaultgenError
from vaultgen.run.progress import Progress, colour_enabled
from vaultgen.spec.loader import load_spec
from vaultgen.spec.summary import KIND_LABELS, entity_counts

MINI = REPO / "tests/fixtures/mini_spec"


def _subparsers(parser: argparse.ArgumentParser, prefix: str = ""):
    yield prefix or "vaultgen", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subparsers(sub, f"{prefix} {name}".strip())


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"vaultgen {version('vaultgen')}"


def test_every_option_of_every_command_has_help():
    commands = dict(_subparsers(build_parser()))
    assert {"validate", "schema", "render", "demo", "load", "run", "glue sync", "verify"} <= set(commands)
    for name, parser in commands.items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(choice.help for choice in action._choices_actions), name
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {'/'.join(action.option_strings) or action.dest} has no help"


def test_exit_codes_are_distinct_and_each_error_class_has_its_own():
    assert len({0, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_FAILED}) == 5
    assert SpecError([]).exit_code == InputError([]).exit_code == VaultgenError().exit_code == EXIT_INPUT == 3
    assert RunError().exit_code == ExternalError().exit_code == EXIT_FAILED == 4
    from vaultgen.catalog.sync import GlueDropRefused, GlueSyncError

    assert GlueSyncError().exit_code == EXIT_FAILED and GlueDropRefused().exit_code == EXIT_FINDINGS


def test_exit_codes_of_the_process_and_of_main(tmp_path: Path, capsys):
    spec_error = subprocess.run([sys.executable, "-m", "vaultgen", "validate", "--spec", str(tmp_path / "missing")], capture_output=True, text=True)
    assert spec_error.returncode == 3 and "VG004 spec folder not found" in spec_error.stderr and "Traceback" not in spec_error.stderr
    assert "\x1b[" not in spec_error.stderr  # not a terminal: no colour
    with pytest.raises(SystemExit) as usage:
        main(["validate", "--no-such-option"])
    assert usage.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    out = tmp_path / "generated"
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 0
    (out / "duckdb" / "dbt_project.yml").write_text("changed\n")
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 1  # drift is a finding


def test_validate_counts_every_entity_kind(capsys):
    spec = load_spec(REPO / "vault_spec")
    counts = dict(entity_counts(spec))
    assert set(KIND_LABELS.values()) <= set(counts)
    assert sum(count for label, count in counts.items() if label != "satellites of every kind") == len(spec.entities)
    assert counts["effectivity satellites"] >= 1 and counts["reference tables"] >= 1 and counts["multi-active satellites"] >= 1
    assert counts["satellites of every kind"] == sum(counts[k] for k in ("satellites", "multi-active satellites", "effectivity satellites",
                                                                          "record tracking satellites"))
    assert main(["validate", "--spec", str(REPO / "vault_spec")]) == 0
    out = capsys.readouterr().out
    assert f"{len(spec.entities)} entities" in out and "14 source tables" in out
    for label, count in counts.items():
        assert any(line.split() == [*label.split(), str(count)] for line in out.splitlines()), label


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


DBT_LINES = [
    "12:00:00  Running with dbt=1.11.8",
    "12:00:01  1 of 3 START sql table model staging.stg_orders ........ [RUN]",
    "12:00:02  1 of 3 OK created sql table model staging.stg_orders ... [OK in 0.20s]",
    "12:00:02  2 of 3 START test not_null_hub_order_order_hk .......... [RUN]",
    "12:00:02  2 of 3 FAIL 1 not_null_hub_order_order_hk ............ [FAIL 1 in 0.05s]",
    "12:00:03  3 of 3 PASS unique_hub_order_order_hk ................ [PASS in 0.04s]",
    "12:00:03  1 of 1 START hook: vault.on-run-end.0 ................. [RUN]",
    "12:00:03  1 of 1 OK hook: vault.on-run-end.0 .................... [OK in 0.01s]",
]


def test_progress_is_plain_lines_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    stream = io.StringIO()
    progress = Progress(stream)
    progress.step("window 1 of 1")
    for line in DBT_LINES:
        progress.dbt_line(line)
    text = stream.getvalue()
    assert "\x1b[" not in text and "\r" not in text
    assert text.splitlines() == ["window 1 of 1", "  1/3 OK created sql table model staging.stg_orders", "  FAIL 1 not_null_hub_order_order_hk",
                                 "  3/3 PASS unique_hub_order_order_hk", "  1/1 OK hook: vault.on-run-end.0"]
    assert progress.failures == ["1 not_null_hub_order_order_hk"]


def test_progress_rewrites_one_counter_line_in_colour_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal()
    progress = Progress(stream)
    assert progress.interactive
    progress.step("window 1 of 1")
    for line in DBT_LINES:
        progress.dbt_line(line)
    progress.line("built 1 batch window")
    text = stream.getvalue()
    assert "\x1b[1mwindow 1 of 1\x1b[0m" in text and "\r\x1b[2K" in text
    assert "staging.stg_orders" in text  # the node being built is named while it runs
    assert "\x1b[31mFAIL\x1b[0m 1 not_null_hub_order_order_hk" in text  # a failure gets a line of its own, in red
    assert "3/3\x1b[0m done" in text and "1/1" not in text  # the run-end hook does not reset the counter
    assert text.endswith("\nbuilt 1 batch window\n")


def test_colour_follows_no_color_force_color_and_the_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert colour_enabled(_Terminal()) and not colour_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(_Terminal())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colour_enabled(io.StringIO())
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not colour_enabled(_Terminal())


def test_demo_refuses_a_spec_it_was_not_made_for_and_writes_nothing(tmp_path, capsys):
    for spec_dir, fragments in ((REPO / "tests/verify/music_spec", ["writes no table invoices, tracks, invoice_lines, genres", "vaultgen load"]),
                                (MINI, ["table 'customers' does not have the columns the demo generates: the generator does not write name"])):
        code = main(["demo", "--spec", str(spec_dir), "--out", str(tmp_path / "generated"), "--work-dir", str(tmp_path / "work")])
        err = capsys.readouterr().err
        assert code == 3 and "`vaultgen demo` generates Northwind data and refuses this spec" in err and "Traceback" not in err
        for fragment in fragments:
            assert fragment in err
        assert not (tmp_path / "generated").exists() and not (tmp_path / "work").exists()
    assert main(["demo", "--batches", "0", "--work-dir", str(tmp_path / "work")]) == 3
    assert "VG149" in capsys.readouterr().err


def test_no_color_keeps_the_live_counter_without_escape_colours(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal()
    progress = Progress(stream)
    assert progress.interactive and not progress.colour
    for line in DBT_LINES:
        progress.dbt_line(line)
    text = stream.getvalue()
    assert "\r" in text and "3/3 done" in text and "\x1b[3" not in text and "\x1b[1m" not in text
