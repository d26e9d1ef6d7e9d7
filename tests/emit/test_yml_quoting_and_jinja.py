"""schema.yml and sources.yml as dbt reads them, per target: descriptions shown as written (Jinja-literal), reserved
words quoted in the target's case wherever a test names them. The dbt tier builds the same fixture on DuckDB
(tests/dbt/test_reserved_words_and_jinja.py); this checks what each target's files say."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest
import yaml

from vaultgen.emit.schema_yml import jinja_literal
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "quoting_spec"

TEXTS = [
    "{{ this }}", "{% if x %}", "{# note #}", "{{", "{%", "{#", "{{{ triple }}}", "{{- trimmed -}}", "{%- raw -%}{{ x }}{%- endraw -%}",
    "}} %} #}", "{ single } braces", "{{ '{' }}", "ends with {", "", "plain text", "{{ var('x') }} and {{ env_var('HOME') }}",
]


@pytest.mark.parametrize("text", TEXTS)
def test_jinja_literal_renders_back_to_the_text(text: str):
    assert jinja2.Environment().from_string(jinja_literal(text)).render() == text


def test_text_without_jinja_openers_is_unchanged():
    assert jinja_literal("Hash of name, city; {a} }} %}") == "Hash of name, city; {a} }} %}"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    spec_dir = tmp_path_factory.mktemp("quoting") / "spec"
    shutil.copytree(SPEC, spec_dir)
    project = spec_dir / "project.yml"
    project.write_text(project.read_text() + "  targets: [duckdb, spark, athena, snowflake]\n")
    return render_files(load_spec(spec_dir))


def _model(files: dict[str, str], target: str, name: str) -> dict:
    models = yaml.safe_load(files[f"{target}/models/raw_vault/schema.yml"])["models"]
    return next(model for model in models if model["name"] == name)


@pytest.mark.parametrize("target, column, quoted, table_identifier", [
    ("duckdb", "from", '"from"', "order"), ("athena", "from", '"from"', "order"), ("spark", "from", "`from`", "order"),
    ("snowflake", "FROM", '"FROM"', "ORDER"),
])
def test_reserved_words_are_quoted_in_the_targets_case(files, target: str, column: str, quoted: str, table_identifier: str):
    satellite = _model(files, target, "sat_sale_details")
    entry = next(c for c in satellite["columns"] if c["name"] == column)
    assert entry["quote"] is True
    covers = next(t["vaultgen_hashdiff_covers"] for t in satellite["data_tests"] if "vaultgen_hashdiff_covers" in t)
    assert covers["arguments"]["columns"][0] == quoted
    assert covers["arguments"]["hashdiff"] == "hashdiff"  # names that need no quotes stay as they are
    assert not any("quote" in c for c in satellite["columns"] if c["name"] in ("sale_hk", "hashdiff", "load_ts"))
    table = next(t for t in yaml.safe_load(files[f"{target}/models/sources.yml"])["sources"][0]["tables"] if t["name"] == "order")
    assert table["quoting"] == {"identifier": True} and table["identifier"] == table_identifier


def test_descriptions_reach_the_yml_jinja_literal(files):
    hub = _model(files, "duckdb", "hub_sale")
    assert hub["description"] == jinja_literal("Sales {{ var('missing') }} keyed by {% if true %}select{% endif %}")
    assert "{{ '{' }}{ var('missing') }}" in hub["description"]
