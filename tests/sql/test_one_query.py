"""One query per incremental model: the full and incremental texts merged, is_incremental() only around what differs."""

from __future__ import annotations

from pathlib import Path

import jinja2
from hypothesis import given, settings, strategies as st

from tests.conftest import REPO
from vaultgen.emit.dbt_model import ELSE, END_IF, IF_INCREMENTAL, merge_incremental, one_branch

LINES = st.lists(st.sampled_from(["SELECT", "  *", "FROM a", "FROM b", "WHERE", "  x = 1", "UNION ALL", ")", ""]), max_size=30)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(LINES, LINES)
def test_either_branch_of_the_merge_is_one_of_the_two_texts(full: list[str], incremental: list[str]):
    merged = merge_incremental("\n".join(full), "\n".join(incremental))
    assert one_branch(merged, incremental=False) == "\n".join(full)
    assert one_branch(merged, incremental=True) == "\n".join(incremental)
    # dbt's Jinja reads the switches the same way (a block tag keeps its line's newline: compare without blank lines)
    template = jinja2.Environment().from_string(merged)
    for flag, expected in ((False, full), (True, incremental)):
        rendered = template.render(is_incremental=lambda flag=flag: flag)
        assert [line for line in rendered.split("\n") if line] == [line for line in expected if line]


def test_common_lines_are_written_once():
    merged = merge_incremental("SELECT\n  a\nFROM t", "SELECT\n  a\nFROM t\nWHERE\n  a > 1")
    assert merged.split("\n") == ["SELECT", "  a", "FROM t", IF_INCREMENTAL, "WHERE", "  a > 1", END_IF]
    assert ELSE not in merged


def test_every_generated_model_is_one_query():
    models = sorted((REPO / "generated").glob("*/models/**/*.sql"))
    assert models
    for model in models:
        text = model.read_text()
        first_ctes = [line for line in text.split("\n") if line.startswith("WITH ")]
        assert len(first_ctes) <= 1, model  # the old form repeated the whole query per branch
        assert text.count(IF_INCREMENTAL) == text.count(END_IF), model


def test_a_hub_holds_its_query_once():
    hub = Path(REPO / "generated/duckdb/models/raw_vault/hubs/hub_customer.sql").read_text()
    assert hub.count("FROM {{ ref('stg_northwind__customers') }}") == 1
    assert hub.count(IF_INCREMENTAL) == 3  # the new-key filter and the two ghost rows' NOT EXISTS
    assert ELSE not in hub
