"""The thin dbt wrapper around generated SQL: a config() header and the is_incremental() switch.

Generator-time work is done before this point; the only Jinja left is what dbt itself must evaluate. An
incremental model is one query: the full and the incremental texts are merged line by line, and only the lines
that differ sit inside `{% if is_incremental() %} ... {% else %} ... {% endif %}`. Either branch of every switch
taken throughout gives back exactly one of the two texts, so the merge cannot change what runs.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.dialects.generation import generate

_PLACEHOLDER = re.compile(r"""["`](vg\.(?:ref|source|window):[a-z0-9_]+|vg\.this|vg\.stage_changes)["`]""")


def _jinja(placeholder: str, dialect: Dialect) -> str:
    if placeholder == "vg.this":
        return "{{ this }}"
    if placeholder == "vg.stage_changes":
        return "{{ vaultgen_stage_changes() }}"
    kind, name = placeholder[3:].split(":", 1)
    if kind == "ref":
        return "{{ ref('%s') }}" % name
    if kind == "source":
        return "{{ source('raw', '%s') }}" % name
    quoted = exp.to_identifier(dialect.identifier(name), quoted=True).sql(dialect.sqlglot_dialect)
    return "{{ vaultgen_load_window(%s) }}" % json.dumps(quoted)


def _binary_key_literals(query: exp.Expression, dialect: Dialect) -> exp.Expression:
    def convert(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string and node.this in dialect.binary_key_literals:
            return dialect.key_literal(node.this)
        return node

    return query.transform(convert, copy=False)


def _query_text(query: exp.Expression, dialect: Dialect) -> str:
    """The generated text of a built query, placeholders as written. Consumes the tree."""
    if dialect.binary_key_literals:
        query = _binary_key_literals(query, dialect)
    return generate(query, dialect.sqlglot_dialect, upper_identifiers=dialect.identifier_case == "upper")


def _with_jinja(text: str, dialect: Dialect) -> str:
    return _PLACEHOLDER.sub(lambda match: _jinja(match.group(1), dialect), text)


def sql_text(query: exp.Expression, dialect: Dialect) -> str:
    """The text of a built query on the target. Consumes the tree (rewritten in place, not copied): build one per call."""
    return _with_jinja(_query_text(query, dialect), dialect)


@dataclass(frozen=True)
class ModelSql:
    """A model's SQL as dbt runs it and what it reads, found in that text: the placeholders the builders put in."""

    text: str  # the full and the incremental query merged (merge_incremental), placeholders as Jinja
    refs: tuple[str, ...]  # models it reads
    sources: tuple[str, ...]  # raw tables it reads


def model_sql(full: exp.Expression, incremental: exp.Expression | None, dialect: Dialect) -> ModelSql:
    """The SQL of a model built as `full` and, when incremental, `incremental`. Consumes the trees."""
    texts = [_query_text(query, dialect) for query in (full, incremental) if query is not None]
    placeholders = {name for text in texts for name in _PLACEHOLDER.findall(text)}
    refs = tuple(sorted(name[len("vg.ref:"):] for name in placeholders if name.startswith("vg.ref:")))
    sources = tuple(sorted(name[len("vg.source:"):] for name in placeholders if name.startswith("vg.source:")))
    full_text, *incremental_text = [_with_jinja(text, dialect) for text in texts]
    return ModelSql(merge_incremental(full_text, *incremental_text) if incremental_text else full_text, refs, sources)


def config_call(config: dict[str, object]) -> str:
    arguments = ", ".join(f"{key}={json.dumps(value, sort_keys=True)}" for key, value in config.items())
    return "{{ config(%s) }}" % arguments


IF_INCREMENTAL, ELSE, END_IF = "{% if is_incremental() %}", "{% else %}", "{% endif %}"


def merge_incremental(full: str, incremental: str) -> str:
    """One text holding both: the common lines once, each run of differing lines as an is_incremental() switch."""
    full_lines, incremental_lines = full.split("\n"), incremental.split("\n")
    merged: list[str] = []
    matcher = difflib.SequenceMatcher(None, full_lines, incremental_lines, autojunk=False)
    for operation, full_start, full_end, incremental_start, incremental_end in matcher.get_opcodes():
        if operation == "equal":
            merged += full_lines[full_start:full_end]
            continue
        merged += [IF_INCREMENTAL, *incremental_lines[incremental_start:incremental_end]]
        if full_end > full_start:
            merged += [ELSE, *full_lines[full_start:full_end]]
        merged.append(END_IF)
    return "\n".join(merged)


def one_branch(text: str, incremental: bool) -> str:
    """The text dbt runs when is_incremental() is `incremental`: the inverse of `merge_incremental` (a model without a
    switch comes back unchanged)."""
    kept: list[str] = []
    side = None  # None outside a switch, else whether the lines are the incremental side
    for line in text.split("\n"):
        if line == IF_INCREMENTAL:
            side = True
        elif line == ELSE and side is not None:
            side = False
        elif line == END_IF and side is not None:
            side = None
        elif side is None or side == incremental:
            kept.append(line)
    return "\n".join(kept)


def render_model(config: dict[str, object], sql: str, header: str) -> str:
    """A model's file: its description, the config() header and its SQL (ModelSql.text)."""
    lines = [f"-- {header}", "-- Generated by vaultgen from vault_spec/. Do not edit: change the spec and run `vaultgen render`."]
    if config:
        lines.append(config_call(config))
    lines.append(sql)
    return "\n".join(lines) + "\n"
