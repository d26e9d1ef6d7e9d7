"""Fingerprints of generated files: a hash of everything a file is made from, so an incremental render rebuilds
only the files whose inputs changed. Pure (reads the vaultgen package's own source once, for the code hash).

Fingerprints hold under a stamp: the vaultgen version and a hash of its source (`stamp()`; the manifest keeps
it once, and a code change invalidates every fingerprint). Every fingerprint covers the project settings (hashing, naming, ghost records, target settings), the target, and the file's path. Beyond
that:
- an entity's model: the entity, every entity and table it names, transitively (a PIT its satellites and their
  hub, a satellite its parent, a bridge its links and their hubs), and every link that names a hub among them
  (a hub is loaded from the links' sources too: vaultgen.graph.hub_feeds); each table with its source system's
  own settings; and where the entity is declared (the model's meta names the spec file and line);
- a staging model: its table, the source system's settings, and every entity that names the table (their keys
  and hashdiffs are computed there);
- the project-level files (dbt_project.yml, sources.yml, schema.yml, selectors.yml, the docs, the Glue
  definitions): the whole spec with every origin, so any change rebuilds them. For a spec as the loader read
  it, that is the spec files' paths and bytes (`Spec.files_digest`: the same files make the same spec, and a
  render with nothing changed need not dump it; an edit of a comment rebuilds these files too).
An entity "names" another when one of the strings of its spec (model dump) is that entity's or table's name:
a column that happens to share a name only makes the fingerprint cover more than it needs.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

from vaultgen.spec.model import Hub, Link, Spec

FORMAT = "2"  # bump when the fingerprint's recipe changes


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 over the vaultgen package's files (sources, macros, templates): a change to vaultgen changes it."""
    digest = hashlib.sha256()
    root = resources.files("vaultgen")

    def walk(folder, prefix: str) -> None:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.name == "__pycache__" or item.name.startswith("."):
                continue
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif not item.name.endswith((".pyc", ".pyo")):
                digest.update(f"{prefix}{item.name}\0".encode())
                digest.update(item.read_bytes())
                digest.update(b"\0")

    walk(root, "")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaultgen")
    except PackageNotFoundError:
        return "unknown"


def stamp() -> str:
    """What the fingerprints hold under: this vaultgen (version, source) and the recipe of the fingerprints."""
    return f"vaultgen {_version()} source {code_hash()[:16]} fingerprints {FORMAT}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _strings(node: object, found: set[str]) -> None:
    if isinstance(node, str):
        found.add(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            found.add(str(key))
            _strings(value, found)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _strings(item, found)


class Fingerprints:
    """The fingerprints of one spec's files; built once per render and shared by every target."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self._entities = {entity.name: entity for entity in spec.entities}
        self._systems = {table.name: system for system, table in spec.tables()}
        self._node: dict[str, str] = {}  # "entity:<name>" / "table:<name>" -> hash of its spec and origin
        self._names: dict[str, tuple[str, ...]] = {}  # entity -> the entities and tables it names
        self._base = _digest(json.dumps(spec.project.model_dump(mode="json"), sort_keys=True))
        self._input_digests: dict[str, str] = {}
        self._readers: dict[str, list[str]] | None = None  # table or hub -> the entities (links for a hub) naming it

    def _dump(self, key: str) -> str:
        if key not in self._node:
            kind, name = key.split(":", 1)
            if kind == "entity":
                data: object = self._entities[name].model_dump(mode="json")
            else:
                system = self._systems[name]
                table = next(table for table in system.tables if table.name == name)
                data = [system.model_dump(mode="json", exclude={"tables"}), table.model_dump(mode="json")]
            self._node[key] = _digest(key, json.dumps(data, sort_keys=True), json.dumps(self.spec.origin(key)))
        return self._node[key]

    def names(self, entity_name: str) -> tuple[str, ...]:
        """The entities and tables an entity's spec names (as keys "entity:<name>" / "table:<name>")."""
        if entity_name not in self._names:
            found: set[str] = set()
            _strings(self._entities[entity_name].model_dump(mode="json"), found)
            found.discard(entity_name)
            keys = [f"entity:{name}" for name in found if name in self._entities] + [f"table:{name}" for name in found if name in self._systems]
            self._names[entity_name] = tuple(sorted(keys))
        return self._names[entity_name]

    def _readers_of(self, name: str) -> list[str]:
        if self._readers is None:
            self._readers = {}
            for entity in self.spec.entities:
                for key in self.names(entity.name):
                    kind, named = key.split(":", 1)
                    if kind == "table" or (isinstance(entity, Link) and isinstance(self._entities.get(named), Hub)):
                        self._readers.setdefault(named, []).append(entity.name)
        return self._readers.get(name, [])

    def _closure(self, entity_name: str) -> set[str]:
        seen, todo = set(), [f"entity:{entity_name}"]
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            if key.startswith("entity:"):
                todo += self.names(key[len("entity:"):])
        for key in [key for key in seen if key.startswith("entity:") and isinstance(self._entities[key[7:]], Hub)]:
            for link in self._readers_of(key[len("entity:"):]):
                seen.add(f"entity:{link}")
                seen.update(self.names(link))
        return seen

    def _inputs(self, entity_name: str) -> str:
        """One hash of every part of the spec an entity's models read (the same on every target)."""
        if entity_name not in self._input_digests:
            self._input_digests[entity_name] = _digest(*sorted(self._dump(key) for key in self._closure(entity_name)))
        return self._input_digests[entity_name]

    def entity_model(self, entity_name: str, target: str, path: str) -> str:
        return _digest(self._base, target, path, self._inputs(entity_name))

    def staging_model(self, table_name: str, target: str, path: str) -> str:
        keys = {f"table:{table_name}", *(f"entity:{name}" for name in self._readers_of(table_name))}
        return _digest(self._base, target, path, *sorted(self._dump(key) for key in keys))

    def whole(self, unit: str) -> str:
        """Of a unit of files that reads the whole spec (a target's project-level files, the Glue definitions)."""
        files = self.spec.files_digest()
        if files is not None:
            return _digest(self._base, "whole files", unit, files)
        keys = [f"entity:{name}" for name in self._entities] + [f"table:{name}" for name in self._systems]
        return _digest(self._base, "whole", unit, *sorted(self._dump(key) for key in keys))
