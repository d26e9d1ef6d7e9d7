"""The spec's dictionary lookups (SpecIndex, Naming's staging keys) answer as the linear searches they replaced,
and validating broken variants of a generated spec reports exactly the problems the linear-search code reported
(tests/spec/index_problems.json, written by that code: see `write_expected` below).

Regenerate the expected problems (only when a message changes on purpose):
    .venv/bin/python tests/spec/test_spec_index.py > tests/spec/index_problems.json
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from vaultgen.errors import SpecError
from vaultgen.naming import Naming
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Hub, Link, ReferenceTable, Satellite, Spec

REPO = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("index_problems.json")
N = 12


def _benchmark():
    found = importlib.util.spec_from_file_location("render_scale", REPO / "benchmarks" / "render_scale.py")
    module = importlib.util.module_from_spec(found)
    sys.modules[found.name] = module  # its dataclasses look their module up
    found.loader.exec_module(module)
    return module


SCALE = _benchmark()


def _entity(files: dict, name: str) -> dict:
    return next(e for document in files.values() for e in document.get("entities", []) if e["name"] == name)


def _table(files: dict, name: str) -> dict:
    return next(t for document in files.values() for s in document.get("sources", []) for t in s["tables"] if t["name"] == name)


def _link_of(files: dict, i: int) -> dict:
    return next(e for e in files["vault/part_000.yml"]["entities"] if e["kind"] == "link" and e["name"].startswith(f"e{i}_"))


def _add(files: dict, *entities: dict) -> None:
    files["vault/part_000.yml"]["entities"].extend(entities)


def _conflicting_link(files: dict) -> None:
    other = _table(files, "t0")["columns"][1]["name"]  # e<k>_ref
    _add(files, {"kind": "link", "name": "e0_again", "references": [{"hub": "e0"}, {"hub": "e1"}],
                 "sources": [{"table": "t0", "columns": {"e0": [other], "e1": ["e0_id"]}}]})


BREAKS = {
    "dangling-parent": lambda f: _entity(f, "e3_details").update(parent="e3x"),
    "duplicate-entity": lambda f: _entity(f, "e5").update(name="e4"),
    "unknown-table": lambda f: _entity(f, "e2")["sources"][0].update(table="t22"),
    "duplicate-table": lambda f: _table(f, "t7").update(name="t6"),
    "missing-column": lambda f: _entity(f, "e1_details").update(attributes=["attr_0", "attr_9"]),
    "link-unknown-hub": lambda f: _link_of(f, 6)["references"][1].update(hub="e99"),
    "staging-key-conflict": _conflicting_link,
    "parent-not-loaded": lambda f: _entity(f, "e0_details").update(source="t1"),
    "pit-foreign-satellite": lambda f: _add(f, {"kind": "pit", "name": "p0", "hub": "e0", "satellites": ["e0_details", "e1_details"],
                                                "calendar": {"load_timestamps": True}}),
    "model-name-clash": lambda f: _add(f, {"kind": "satellite", "name": "e0_details_history", "parent": "e0", "source": "t0",
                                           "attributes": ["attr_1"]}),
}


def problems(folder: Path) -> list[list]:
    try:
        load_spec(folder)
    except SpecError as error:
        return [[p.code, p.message.replace(str(folder), "<spec>"), p.hint.replace(str(folder), "<spec>"),
                 Path(p.location.file).relative_to(folder).as_posix() if p.location.file.startswith(str(folder)) else p.location.file,
                 p.location.line, p.location.column] for p in error.problems]
    return []


def broken(break_id: str, folder: Path) -> list[list]:
    files = copy.deepcopy(SCALE.synthetic_spec(N))
    BREAKS[break_id](files)
    return problems(SCALE.write_files(folder, files))


@pytest.mark.parametrize("break_id", sorted(BREAKS))
def test_broken_variant_reports_what_the_linear_searches_reported(break_id, tmp_path):
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[break_id]
    assert expected, "every variant is broken"
    assert broken(break_id, tmp_path) == expected


def test_the_generated_spec_itself_is_valid(tmp_path):
    assert problems(SCALE.write_spec(tmp_path, N)) == []


# -- the lookups against linear searches, on specs with duplicated and dangling names ---------------------------

def _staging_keys_linear(spec: Spec, table_name: str) -> dict[str, set[tuple[str, ...]]]:
    """Naming.staging_key_definitions as it was: every hub and link, per table."""
    naming = Naming(spec)
    definitions: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for hub in [e for e in spec.entities if isinstance(e, Hub)]:
        for source in hub.sources:
            if source.table == table_name:
                definitions[naming.hash_key(hub.name)].add(tuple(source.columns))
    for link in [e for e in spec.entities if isinstance(e, Link)]:
        for source in link.sources:
            if source.table == table_name:
                all_columns: list[str] = []
                for reference in link.references:
                    columns = tuple(source.columns.get(reference.role_name, ()))
                    definitions[naming.hash_key(reference.role_name)].add(columns)
                    all_columns.extend(columns)
                definitions[naming.hash_key(link.name)].add(tuple(all_columns))
    return definitions


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 8), seed=st.integers(0, 1000), renames=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=4))
def test_index_answers_as_linear_search(n, seed, renames):
    files = SCALE.synthetic_spec(n, seed)
    entities = [e for document in files.values() for e in document.get("entities", [])]
    tables = [t for document in files.values() for s in document.get("sources", []) for t in s["tables"]]
    for source, target in renames:  # duplicate names: an entity or table takes another's name (the first must still win)
        if source % 2:
            entities[source % len(entities)]["name"] = entities[target % len(entities)]["name"]
        else:
            tables[source % len(tables)]["name"] = tables[target % len(tables)]["name"]
    spec = Spec.model_validate({"project": files["project.yml"]["project"],
                                "sources": [s for d in files.values() for s in d.get("sources", [])],
                                "entities": [e for d in files.values() for e in d.get("entities", [])]})
    pairs = [(system, table) for system in spec.sources for table in system.tables]
    assert spec.tables() == pairs
    for name in {e.name for e in spec.entities} | {"missing"}:
        assert spec.entity(name) is next((e for e in spec.entities if e.name == name), None)
    for kind in (Hub, Link, Satellite, ReferenceTable):
        assert spec.of_kind(kind) == [e for e in spec.entities if isinstance(e, kind)]
    naming = Naming.of(spec)
    for name in {t.name for _, t in pairs} | {"missing"}:
        assert spec.table(name) is next((t for _, t in pairs if t.name == name), None)
        if name != "missing":
            assert spec.system_of(name) is next(s for s, t in pairs if t.name == name)
        assert naming.staging_key_definitions(name) == _staging_keys_linear(spec, name)
        assert naming.staging_columns(name) >= set(_staging_keys_linear(spec, name))
    for _, table in pairs:
        for column in table.columns:
            assert table.column(column.name) is next(c for c in table.columns if c.name == column.name)


def test_a_changed_copy_does_not_keep_the_old_lookups():
    spec = load_spec(REPO / "vault_spec")
    assert spec.entity("customer") is not None and spec.table("orders") is not None
    copied = spec.model_copy(update={"entities": [e for e in spec.entities if e.name != "customer"]})
    assert copied.entity("customer") is None and spec.entity("customer") is not None
    orders = spec.table("orders")
    fewer = orders.model_copy(update={"columns": orders.columns[1:]})
    assert fewer.column(orders.columns[0].name) is None and orders.column(orders.columns[0].name) is not None
    assert copied == copied.model_copy() and spec != copied


def write_expected() -> None:
    """Print every variant's problems as JSON (run with the code whose problems are the reference)."""
    import tempfile

    found = {}
    for break_id in sorted(BREAKS):
        with tempfile.TemporaryDirectory() as folder:
            found[break_id] = broken(break_id, Path(folder))
    json.dump(found, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    write_expected()
