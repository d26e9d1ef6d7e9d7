"""The one module that reads spec files: YAML in, plain data plus the line of every value out.

PyYAML composes a node tree that keeps marks; we build plain dicts and lists from it ourselves so that every
value's (line, column) is remembered under its path, duplicate keys are an error rather than a silent
overwrite, and malformed YAML becomes a located problem instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vaultgen.errors import Location, Problem

PathKey = tuple[Any, ...]


@dataclass
class SourceMap:
    """Where each value of a document came from, by its path of keys and indexes."""

    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey) -> Location:
        """The location of the deepest known part of `path`; elements that are not in the document (the
        union tags in pydantic's error paths) are skipped."""
        current: PathKey = ()
        for element in path:
            if (*current, element) in self.positions:
                current = (*current, element)
        position = self.positions.get(current)
        return Location(self.file, *position) if position else Location(self.file)


@dataclass
class YamlDocument:
    data: Any
    source_map: SourceMap


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: PathKey, source_map: SourceMap, problems: list[Problem]) -> Any:
    source_map.positions[path] = _position(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem("VG002", "mapping keys must be plain names", Location(source_map.file, *_position(key_node)))
                )
                continue
            key = key_node.value
            if key in result:
                problems.append(
                    Problem(
                        "VG003",
                        f"duplicate key '{key}'",
                        Location(source_map.file, *_position(key_node)),
                        "each key may appear once in a mapping; remove or rename the second one",
                    )
                )
                continue
            result[key] = _build(value_node, (*path, key), source_map, problems)
            source_map.positions[(*path, key)] = _position(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), source_map, problems) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def read_yaml(path: Path, display_name: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Read one YAML file. Returns the document, or None with the problems that stopped it."""
    source_map = SourceMap(display_name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem("VG001", f"cannot read file: {error}", Location(display_name))]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = Location(display_name, mark.line + 1, mark.column + 1) if mark else Location(display_name)
        message = " ".join(part for part in (error.context, error.problem) if part)
        return None, [Problem("VG001", f"malformed YAML: {message}", location, "check indentation and quoting")]
    except yaml.YAMLError as error:
        return None, [Problem("VG001", f"malformed YAML: {error}", Location(display_name))]
    if node is None:
        return YamlDocument({}, source_map), []
    problems: list[Problem] = []
    data = _build(node, (), source_map, problems)
    return YamlDocument(data, source_map), problems
