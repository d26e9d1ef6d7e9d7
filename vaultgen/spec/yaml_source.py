"""The one module that reads spec files: YAML in, plain data plus the line of every value out.

The file is decoded here (UTF-8 only) and parsed into YAML events by PyYAML (libyaml when present); the
events are composed into nodes by our own loop and the nodes into plain dicts and lists, so that

- every value's (line, column) is remembered under its path;
- duplicate keys are an error rather than a silent overwrite;
- malformed YAML, bad tags (`!!int abc`, `!vault x`) and bad encodings become located problems;
- nothing can take unbounded time or memory: the file size, the nesting depth, the number of aliases and
  the number of values after alias expansion are limited (LIMITS, stated in the README), a recursive alias
  is refused, and a value echoed in a message is shortened.

Nothing here raises anything but the problems it returns (and SpecError, via the loader).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vaultgen.errors import Location, Problem, shorten

PathKey = tuple[Any, ...]

MAX_FILE_BYTES = 256 * 1024  # a spec file; the shipped ones are below 8 KiB
MAX_DEPTH = 64  # nested mappings and lists, aliases expanded; the shipped spec needs 9
MAX_ALIASES = 1000  # `*name` references in one file
MAX_VALUES = 50_000  # values (scalars, lists, mappings) in one file after alias expansion; the shipped spec has about 1,300 in all
MAX_PROBLEMS = 100  # reported per file; the rest are summarised

LIMITS = {"file bytes": MAX_FILE_BYTES, "nesting depth": MAX_DEPTH, "aliases": MAX_ALIASES, "values after alias expansion": MAX_VALUES}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_MERGE = f"{_TAG}merge"
_STR = f"{_TAG}str"
# characters YAML allows in a stream (YAML 1.1 "printable"); anything else is refused before parsing
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
    sha: str = ""  # SHA-256 of the file's bytes


class _Stop(Exception):
    """Reading this file cannot go on; carries the problem that says why."""

    def __init__(self, problem: Problem):
        self.problem = problem


def _position(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _excerpt(lines: list[str], line: int, column: int) -> str:
    """The offending line with a caret under the column (1-based), for syntax errors."""
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    start = max(0, column - 60)
    shown = text[start:start + 100].expandtabs(1)
    return f"{shorten(shown, 100)}\n{' ' * (column - 1 - start)}^"


# -- decoding ---------------------------------------------------------------------------------------------

def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Stop(Problem("VG009", "the file is UTF-16 (or UTF-32); spec files are UTF-8", Location(file, 1, 1),
                            "save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        column = len(raw[line_start:error.start].decode("utf-8", "replace")) + 1
        raise _Stop(Problem("VG009", f"the file is not valid UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded",
                            Location(file, line, column), "save the file as UTF-8")) from None
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise _Stop(Problem("VG009", f"the file contains the control character U+{ord(bad.group()):04X}, which YAML does not allow",
                            Location(file, line, column), "remove it; if the file is not a text file, it does not belong in the spec folder",
                            _excerpt(text.splitlines(), line, column)))
    return text


# -- syntax errors in plain words ---------------------------------------------------------------------------

_PLAIN = [
    (r"found character '\\t'|found a tab character", "a tab character; YAML indents with spaces only", "replace the tabs with spaces"),
    (r"mapping values are not allowed", "a ':' where no mapping can start: the indentation is off, or a value contains ': '",
     "indent the line like its siblings, or quote a value that contains ': '"),
    (r"expected <block end>|did not find expected key|expected '-' indicator|did not find expected '-'",
     "bad indentation: this line does not line up with the lines before it", "indent each key of a mapping, and each `- ` of a list, by the same amount"),
    (r"could not find expected ':'", "a key without ':' after it (or a quote that is never closed)", "write `key: value`, and close every quote"),
    (r"flow sequence|expected ',' or '\]'", "a '[' list that is not closed where it should be", "close the list with ']' and separate items with ','"),
    (r"flow mapping|expected ',' or '}'", "a '{' mapping that is not closed where it should be", "close the mapping with '}' and separate pairs with ','"),
    (r"quoted scalar|unexpected end of stream", "a quoted string that is never closed", "close the quote on the same value"),
    (r"found undefined alias|found unknown alias", "an alias '*name' with no anchor '&name' before it", "define the anchor first, or remove the alias"),
    (r"expected alphabetic or numeric character|while scanning an (anchor|alias)", "an anchor or alias without a name", "write `&name` and `*name`, or quote the value"),
    (r"while scanning a directive|found unknown directive", "an unknown '%' directive", "remove the line starting with '%', or quote the value"),
    (r"found character .* that cannot start any token", "a character that cannot start a value here ('@', '`', or '%')", "quote the value"),
    (r"block scalar", "a bad '|' or '>' block", "indent the block's text below its key, or quote the value"),
]


_OPENED = re.compile(r"while (parsing a flow (mapping|sequence)|scanning a quoted scalar)")


def _syntax_problem(error: yaml.MarkedYAMLError, file: str, lines: list[str]) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = _position(mark) if mark else (0, 0)
    raw = " ".join(part for part in (error.context, error.problem) if part)
    if 1 <= line <= len(lines) and lines[line - 1][column - 1:column] == "\t":
        raw = "found a tab character"
    opened = ""
    if error.context_mark is not None and _OPENED.search(error.context or ""):
        # an unclosed '{', '[' or quote: PyYAML notices at the end of the file or of the block; show where it opened
        found_at = f"line {line}" if line <= len(lines) else "the end of the file"
        line, column = _position(error.context_mark)
        opened = f" (opened here; the problem shows at {found_at})"
    for pattern, plain, hint in _PLAIN:
        if re.search(pattern, raw):
            return Problem("VG001", f"malformed YAML: {plain}{opened}", Location(file, line, column), hint, _excerpt(lines, line, column))
    return Problem("VG001", f"malformed YAML: {shorten(raw, 200)}{opened}", Location(file, line, column), "check indentation and quoting",
                   _excerpt(lines, line, column))


# -- events -> nodes (iterative, bounded) -----------------------------------------------------------------

class _Composer:
    def __init__(self, file: str):
        self.file = file
        self.resolver = yaml.resolver.Resolver()
        self.anchors: dict[str, yaml.Node] = {}
        self.anchor_lines: dict[str, int] = {}
        self.open: set[int] = set()
        self.aliases = 0

    def stop(self, code: str, message: str, mark: Any, hint: str) -> None:
        raise _Stop(Problem(code, message, Location(self.file, *_position(mark)), hint))

    def compose(self, events: Any) -> yaml.Node | None:
        root: yaml.Node | None = None
        stack: list[yaml.Node] = []
        pending: list[yaml.Node | None] = []  # per open mapping: the key waiting for its value
        documents = 0

        scalar_event, sequence_start, mapping_start, sequence_end, mapping_end = (
            yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent)
        scalar_node, sequence_node = yaml.ScalarNode, yaml.SequenceNode

        def attach(node: yaml.Node) -> None:
            nonlocal root
            if not stack:
                root = node
            elif type(stack[-1]) is sequence_node:
                stack[-1].value.append(node)
            elif pending[-1] is None:
                pending[-1] = node
            else:
                stack[-1].value.append((pending[-1], node))
                pending[-1] = None

        nodes = 0
        resolved: dict[tuple[str, Any], str] = {}  # (plain value, implicit) -> its tag: the resolver's regexes once per value
        for event in events:
            kind = type(event)  # PyYAML's event classes, exact (dispatch on the type, not a chain of isinstance)
            if kind is scalar_event:
                nodes += 1
                if nodes > MAX_VALUES:
                    self._too_many(event)
                if event.tag in (None, "!"):
                    key = (event.value, event.implicit)
                    tag = resolved.get(key)
                    if tag is None:
                        tag = resolved[key] = self.resolver.resolve(scalar_node, event.value, event.implicit)
                else:
                    tag = event.tag
                node = scalar_node(tag, event.value, event.start_mark, event.end_mark, style=event.style or None)  # libyaml says "" for plain
                node.explicit = event.tag not in (None, "!")
                if event.anchor is not None:
                    self.anchor(event, node)
                attach(node)
            elif kind is sequence_start or kind is mapping_start:
                nodes += 1
                if nodes > MAX_VALUES:
                    self._too_many(event)
                node_kind = sequence_node if kind is sequence_start else yaml.MappingNode
                tag = event.tag if event.tag not in (None, "!") else self.resolver.resolve(node_kind, None, event.implicit)
                node = node_kind(tag, [], event.start_mark, event.end_mark, flow_style=event.flow_style)
                if event.anchor is not None:
                    self.anchor(event, node)
                attach(node)
                stack.append(node)
                pending.append(None)
                self.open.add(id(node))
                if len(stack) > MAX_DEPTH:
                    self.stop("VG007", f"nested more than {MAX_DEPTH} levels deep", event.start_mark,
                              "a spec needs a few levels; flatten the structure (the limits are in the README)")
            elif kind is sequence_end or kind is mapping_end:
                node = stack.pop()
                pending.pop()
                node.end_mark = event.end_mark
                self.open.discard(id(node))
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.stop("VG001", "malformed YAML: a second document ('---') in one file", event.start_mark,
                              "keep one document per file; split the rest into another .yml file")
            elif kind is yaml.AliasEvent:
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    self.stop("VG007", f"more than {MAX_ALIASES} aliases ('*name') in one file", event.start_mark,
                              "write the values out, or use fewer aliases (the limits are in the README)")
                node = self.anchors.get(event.anchor)
                if node is None:
                    self.stop("VG001", f"malformed YAML: alias '*{shorten(event.anchor)}' has no anchor '&{shorten(event.anchor)}' before it",
                              event.start_mark, "define the anchor first, or remove the alias")
                if id(node) in self.open:
                    self.stop("VG007", f"alias '*{shorten(event.anchor)}' refers to a value that contains it (a recursive alias)", event.start_mark,
                              "an alias may only repeat a value that is complete before it")
                attach(node)
        return root

    def _too_many(self, event: Any) -> None:
        self.stop("VG007", f"more than {MAX_VALUES} values in one file", event.start_mark,
                  "split the spec into several files (the limits are in the README)")

    def anchor(self, event: Any, node: yaml.Node) -> None:
        if event.anchor is None:
            return
        if event.anchor in self.anchors:
            self.stop("VG001", f"malformed YAML: anchor '&{shorten(event.anchor)}' is defined twice", event.start_mark,
                      f"first defined at {self.file}:{self.anchor_lines[event.anchor]}; give each anchor its own name")
        self.anchors[event.anchor] = node
        self.anchor_lines[event.anchor] = event.start_mark.line + 1


# -- nodes -> plain data ------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, source_map: SourceMap, lines: list[str] | None = None, aliased: bool = True):
        self.lines = lines or []
        self.aliased = aliased  # whether the tree may repeat nodes (composed from events that may hold aliases)
        self.source_map = source_map
        self.file = source_map.file
        self.problems: list[Problem] = []
        self.values = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def problem(self, code: str, message: str, node: yaml.Node, hint: str = "", excerpt: bool = False) -> None:
        line, column = _position(node.start_mark)
        self.problems.append(Problem(code, message, Location(self.file, line, column), hint, _excerpt(self.lines, line, column) if excerpt else ""))

    def build(self, node: yaml.Node, path: PathKey, depth: int = 1) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            if not self.aliased:  # composed without aliases: the same words as the Python composer's limit
                raise _Stop(Problem("VG007", f"more than {MAX_VALUES} values in one file", Location(self.file, *_position(node.start_mark)),
                                    "split the spec into several files (the limits are in the README)"))
            raise _Stop(Problem("VG007", f"the file expands to more than {MAX_VALUES} values (aliases expanded)",
                                Location(self.file, *_position(node.start_mark)),
                                "each alias '*name' copies its anchor; use fewer or smaller ones (the limits are in the README)"))
        if depth > MAX_DEPTH:
            raise _Stop(Problem("VG007", f"nested more than {MAX_DEPTH} levels deep once aliases are expanded",
                                Location(self.file, *_position(node.start_mark)), "flatten the structure, or use fewer nested aliases"))
        mark = node.start_mark
        self.source_map.positions[path] = (mark.line + 1, mark.column + 1)
        if node.tag == _STR and type(node) is yaml.ScalarNode:  # most values: the text itself, as SafeConstructor makes it
            return node.value
        if isinstance(node, yaml.MappingNode):
            if node.tag != f"{_TAG}map":
                self.problem("VG008", f"the tag '{_tag_name(node.tag)}' is not supported on a mapping", node, "remove the tag")
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                self.problem("VG008", f"the tag '{_tag_name(node.tag)}' is not supported on a list", node, "remove the tag")
            return self.sequence(node, path, depth)
        return self.scalar(node)

    def sequence(self, node: yaml.SequenceNode, path: PathKey, depth: int) -> list[Any]:
        if depth + 1 > MAX_DEPTH:
            return [self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
        positions, scalar_node = self.source_map.positions, yaml.ScalarNode
        result = []
        for index, item in enumerate(node.value):
            item_path = (*path, index)
            if item.tag == _STR and type(item) is scalar_node and self.values < MAX_VALUES:  # build() inlined: most items are text
                self.values += 1
                mark = item.start_mark
                positions[item_path] = (mark.line + 1, mark.column + 1)
                result.append(item.value)
            else:
                result.append(self.build(item, item_path, depth + 1))
        return result

    def mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        previous: yaml.Node | None = None
        positions, scalar_node = self.source_map.positions, yaml.ScalarNode
        inline = depth + 1 <= MAX_DEPTH  # a text value may skip build() (which checks the depth)
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem("VG002", "mapping keys must be plain names", key_node, "write `name: value`")
                continue
            key = key_node.value
            if node.flow_style and _split_by_comma(previous, key_node, value_node):
                whole = f"{previous.value},{key}"
                self.problem("VG001", f"the comma in '{shorten(whole)}' ends the value inside a flow mapping {{...}}", previous,
                             f"quote the value: '{shorten(whole)}'", excerpt=True)
                previous = value_node
                continue
            previous = value_node
            if key in result:
                self.problem("VG003", f"duplicate key '{shorten(key)}'", key_node,
                             f"first defined at {self.file}:{first[key].start_mark.line + 1}; each key may appear once in a mapping, remove or rename one")
                continue
            first[key] = key_node
            key_path = (*path, key)
            if inline and value_node.tag == _STR and type(value_node) is scalar_node and self.values < MAX_VALUES:  # build() inlined
                self.values += 1
                result[key] = value_node.value
            else:
                result[key] = self.build(value_node, key_path, depth + 1)
            mark = key_node.start_mark  # a value of a mapping is located at its key
            positions[key_path] = (mark.line + 1, mark.column + 1)
        for merged in merges:
            if not isinstance(merged, yaml.MappingNode):
                self.problem("VG002", "'<<' merges only mappings (an alias of a mapping, or a list of them)", merged,
                             "write `<<: *anchor` where &anchor names a mapping")
                continue
            values = self.build(merged, (*path, "<<"), depth)
            for key, value in values.items():
                if key not in result:  # keys written in the mapping itself win, the first merged mapping next
                    result[key] = value
                    self.source_map.positions.setdefault((*path, key), self.source_map.positions.get((*path, "<<", key), _position(merged.start_mark)))
        return result

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            if node.tag.startswith(_TAG):
                hint = "remove the tag: spec values are strings, numbers, booleans, dates, lists and mappings"
            else:
                hint = "remove the tag, or quote the value if the '!' belongs to it"
            self.problem("VG008", f"unknown tag '{_tag_name(node.tag)}'", node, hint)
            return None
        try:
            value = self.constructor.construct_object(node)
        except Exception:  # noqa: BLE001 - PyYAML's constructors raise ValueError, KeyError, AttributeError, binascii.Error...
            name = node.tag.removeprefix(_TAG)
            hint = f"fix the value, or remove the tag `!!{name}`" if getattr(node, "explicit", False) else "quote the value to keep it as text"
            self.problem("VG008", f"'{shorten(node.value)}' is not a valid {name}", node, hint)
            return None
        finally:
            self.constructor.constructed_objects.clear()
        return value


def _tag_name(tag: str) -> str:
    return shorten(f"!!{tag.removeprefix(_TAG)}" if tag.startswith(_TAG) else tag)


def _split_by_comma(previous: yaml.Node | None, key: yaml.Node, value: yaml.Node) -> bool:
    """`{type: numeric(10,2)}`: the flow mapping's comma ended `numeric(10`, and `2)` became a key without a value."""
    return (
        isinstance(previous, yaml.ScalarNode) and not previous.style and previous.value.count("(") > previous.value.count(")")
        and not key.style and key.value.count(")") > key.value.count("(")
        and isinstance(value, yaml.ScalarNode) and value.value == "" and not value.style
    )


# -- the reader ---------------------------------------------------------------------------------------------

def read_yaml(path: Path, display_name: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Read one YAML file. Returns the document, or None with the problems that stopped it."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return None, [Problem("VG001", f"cannot read file: {error.strerror or error}", Location(display_name), "check the file's permissions")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem("VG007", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB", Location(display_name),
                              "split the spec into several files (the limits are in the README)")]
    return parse_yaml(raw, display_name)


# at most this many '[' and '{' in a file composed by libyaml's C composer, which recurses without a limit
_C_COMPOSE_MAX_BRACKETS = 5_000


class _CachedLoader(_Loader):  # type: ignore[misc, valid-type]
    """The C loader, resolving each distinct plain value's tag once (the resolver's regexes cost more than composing)."""

    _tags: dict[tuple[Any, Any, Any], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any, _scalar: type = yaml.ScalarNode) -> str:
        if kind is not _scalar:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            if len(self._tags) > 100_000:
                self._tags.clear()
            tag = self._tags[key] = super().resolve(kind, value, implicit)
        return tag


def _compose_in_c(raw: bytes, text: str) -> yaml.Node | None | bool:
    """The file's node tree composed by libyaml's C composer (three times faster than composing its events in
    Python), or False where only the Python composer above gives the right answer: a file with anchors, aliases
    or tags (their limits and messages live there), deep flow nesting (the C composer would overflow the stack),
    or any error (the Python composer locates it)."""
    if _Loader is yaml.SafeLoader or b"&" in raw or b"*" in raw or b"!" in raw or raw.count(b"[") + raw.count(b"{") > _C_COMPOSE_MAX_BRACKETS:
        return False
    loader = _CachedLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()


def parse_yaml(raw: bytes, display_name: str) -> tuple[YamlDocument | None, list[Problem]]:
    """The reader's work on the bytes of one file: never raises, returns the document or the problems."""
    source_map = SourceMap(display_name)
    lines: list[str] = []
    try:
        text = _decode(raw, display_name)
        lines = text.splitlines()
        try:
            node = _compose_in_c(raw, text)
            aliased = node is False
            if aliased:
                node = _Composer(display_name).compose(yaml.parse(text, Loader=_Loader))
        except yaml.MarkedYAMLError as error:
            return None, [_syntax_problem(error, display_name, lines)]
        except yaml.YAMLError as error:
            return None, [Problem("VG001", f"malformed YAML: {shorten(str(error), 200)}", Location(display_name), "check indentation and quoting")]
        if node is None:
            return YamlDocument({}, source_map, hashlib.sha256(raw).hexdigest()), []
        builder = _Builder(source_map, lines, aliased)
        data = builder.build(node, ())
    except _Stop as stop:
        return None, [stop.problem]
    problems = builder.problems
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [Problem("VG001", f"{len(problems) - MAX_PROBLEMS} more problems in this file are not shown",
                                                      problems[MAX_PROBLEMS].location, "fix the ones above first")]
    return YamlDocument(data, source_map, hashlib.sha256(raw).hexdigest()), problems
