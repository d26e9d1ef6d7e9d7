"""A seeded generator of broken variants of a spec folder (the shipped vault_spec/ and the test fixtures).

`variant(bases, seed, index)` is a pure function of its arguments: the same (seed, index) always gives the
same variant, so any failure reproduces alone (VAULTGEN_FUZZ_ONLY=index). One mutation per variant, from one
category (CATEGORIES), applied to one file of one base spec:

- wrong_type, delete_key, rename_key, dangling_ref, names, injection, sizes: on the parsed data, dumped back;
- yaml_damage, yaml_features: on the text (a deleted or inserted character, broken indentation, truncation;
  anchors, aliases, tags, merge keys, an alias bomb, a recursive alias);
- encoding: on the bytes (BOM, UTF-16, invalid UTF-8, NUL, CRLF, Latin-1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Base:
    name: str
    files: dict[str, bytes]  # relative path -> content


@dataclass(frozen=True)
class Variant:
    index: int
    base: str
    category: str
    file: str
    what: str
    files: dict[str, bytes]


def load_base(name: str, folder: Path) -> Base:
    return Base(name, {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.yml"))})


# -- paths into parsed data ---------------------------------------------------------------------------------

def _walk(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, data)]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _walk(value, (*path, index))
    return found


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for element in path:
        data = data[element]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


RESERVED = ["from", "select", "order", "group", "table", "where", "user", "limit", "join", "end", "default", "case"]
INJECTION = ["x'; drop table customers; --", 'a"b', "{{ config(materialized='table') }}", "{% if true %}x{% endif %}", "{# c #}", "/* c */ x",
             "-- c", "x --", "`x`", "x\\", "$(rm -rf /)", "'; select 1; '", "x\ny", "{{ var('x') }}", "%(x)s", "${x}", "x;", "<script>"]
UNICODE = ["kundé", "名前", "customer\u0301", "ｃｕｓｔｏｍｅｒ", "Customer", "CUSTOMER", "cust omer", "cust-omer", "1customer", "_customer",
           "customer\u200b", "🙂", "ß", "İ"]
TYPO_ALPHABET = "abcdefghijklmnopqrstuvwxyz_0123456789"


def _typo(rng: random.Random, word: str) -> str:
    if not word:
        return "x"
    position = rng.randrange(len(word))
    action = rng.choice(["drop", "double", "swap", "replace", "suffix"])
    if action == "drop":
        return word[:position] + word[position + 1:] or "x"
    if action == "double":
        return word[:position] + word[position] + word[position:]
    if action == "swap" and len(word) > 1:
        position = min(position, len(word) - 2)
        return word[:position] + word[position + 1] + word[position] + word[position + 2:]
    if action == "replace":
        return word[:position] + rng.choice(TYPO_ALPHABET) + word[position + 1:]
    return word + rng.choice(["s", "_x", "2", "_id"])


def _strings(items: list[tuple[tuple[Any, ...], Any]]) -> list[tuple[tuple[Any, ...], Any]]:
    return [(path, value) for path, value in items if isinstance(value, str) and path]


def _data_mutation(category: str, rng: random.Random, data: Any, all_names: list[str]) -> str:
    items = _walk(data)
    mappings = [(path, value) for path, value in items if isinstance(value, dict) and value]
    strings = _strings(items)
    if category == "wrong_type":
        path, value = rng.choice([item for item in items if item[0]])
        new = rng.choice([None, 0, -1, 3.5, True, "", "text", [], ["a", "b"], {}, {"a": 1}, [[1]], 10**30, "1e400"])
        _set(data, path, new)
        return f"{path}: {type(value).__name__} -> {new!r}"
    if category == "delete_key":
        path, mapping = rng.choice(mappings)
        key = rng.choice(list(mapping))
        del mapping[key]
        return f"deleted {(*path, key)}"
    if category == "rename_key":
        path, mapping = rng.choice(mappings)
        key = rng.choice(list(mapping))
        new_key = rng.choice([_typo(rng, str(key)), str(key).upper(), rng.choice(RESERVED), f"{key} ", "<<", "", "x" * 300])
        mapping[new_key] = mapping.pop(key)
        return f"renamed {(*path, key)} -> {new_key!r}"
    if category == "dangling_ref":
        named = [(path, value) for path, value in strings if value in all_names] or strings
        path, value = rng.choice(named)
        new = _typo(rng, value)
        _set(data, path, new)
        return f"{path}: {value!r} -> {new!r}"
    if category == "names":
        named = [(path, value) for path, value in strings if path[-1] in ("name", "hub", "parent", "source", "table", "role", "satellite")] or strings
        path, value = rng.choice(named)
        new = rng.choice([rng.choice(RESERVED), rng.choice(UNICODE), "a" * rng.choice([50, 63, 64, 100, 300]), rng.choice(all_names),
                          value + "__" + rng.choice(all_names), rng.choice(["stg", "hub", "sat", "load_ts", "hashdiff", "valid_from", "is_current"])])
        _set(data, path, new)
        return f"{path}: {value!r} -> {new!r}"
    if category == "injection":
        path, value = rng.choice(strings)
        new = rng.choice([rng.choice(INJECTION), value + rng.choice(INJECTION)])
        _set(data, path, new)
        return f"{path}: {value!r} -> {new!r}"
    if category == "sizes":
        lists = [(path, value) for path, value in items if isinstance(value, list) and value and path]
        choice = rng.choice(["repeat_list", "long_string", "empty_list", "many_entities"])
        if choice == "long_string" or not lists:
            path, value = rng.choice(strings)
            new = value * rng.choice([100, 2000, 30000])
            _set(data, path, new[:200_000])
            return f"{path}: {len(new[:200_000])} characters"
        path, value = rng.choice(lists)
        if choice == "empty_list":
            _set(data, path, [])
            return f"{path}: []"
        factor = rng.choice([2, 10, 200])
        _set(data, path, value * factor)
        return f"{path}: list x{factor}"
    raise ValueError(category)


# -- text and bytes ----------------------------------------------------------------------------------------

DAMAGE_CHARS = list(":-[]{},'\"&*!|>#?%@`\t ") + ["\n", "  ", ": ", "- "]
TAGS = ["!!int ", "!!float ", "!!bool ", "!!str ", "!!null ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ", "!vault ", "!!python/object:os.system ", "! "]
BOMB = "lol0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))


def _text_mutation(category: str, rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    line_no = rng.randrange(len(lines))
    line = lines[line_no]
    if category == "yaml_damage":
        action = rng.choice(["delete_char", "insert_char", "indent", "dedent", "truncate", "duplicate_line", "delete_line", "join_lines"])
        if action == "delete_char" and text:
            position = rng.randrange(len(text))
            return text[:position] + text[position + 1:], f"deleted {text[position]!r} at {position}"
        if action == "insert_char":
            position = rng.randrange(len(text) + 1)
            char = rng.choice(DAMAGE_CHARS)
            return text[:position] + char + text[position:], f"inserted {char!r} at {position}"
        if action == "indent":
            lines[line_no] = " " * rng.choice([1, 2, 3]) + line
        elif action == "dedent":
            lines[line_no] = line[rng.choice([1, 2]):] if line.startswith(" ") else line
        elif action == "truncate":
            position = rng.randrange(len(text) + 1)
            return text[:position], f"truncated at {position}"
        elif action == "duplicate_line":
            lines.insert(line_no, line)
        elif action == "delete_line":
            del lines[line_no]
        elif line_no + 1 < len(lines):
            lines[line_no:line_no + 2] = [line + " " + lines[line_no + 1].lstrip()]
        return "\n".join(lines), f"{action} line {line_no + 1}"
    if category == "yaml_features":
        action = rng.choice(["tag", "anchor_alias", "merge", "bomb", "recursive", "undefined_alias", "second_document", "directive", "complex_key"])
        if action == "tag":
            colon = line.find(": ")
            tag = rng.choice(TAGS)
            if colon < 0:
                dash = line.find("- ")
                colon = dash if dash >= 0 else len(line) - 2
            lines[line_no] = line[:colon + 2] + tag + line[colon + 2:]
            return "\n".join(lines), f"tag {tag.strip()} on line {line_no + 1}"
        if action == "anchor_alias":
            colon = line.find(": ")
            if colon >= 0:
                lines[line_no] = line[:colon + 2] + "&fz " + line[colon + 2:]
                target = rng.randrange(len(lines))
                other = lines[target]
                other_colon = other.find(": ")
                if other_colon >= 0 and target != line_no:
                    lines[target] = other[:other_colon + 2] + "*fz"
            return "\n".join(lines), f"anchor on line {line_no + 1}"
        if action == "merge":
            indent = len(line) - len(line.lstrip())
            lines.insert(line_no, " " * indent + rng.choice(["<<: *fz", "<<: {name: x}", "<<: [*fz]", "<<: 1", "<<: [1, 2]"]))
            if rng.random() < 0.5:
                lines.insert(0, "fz_base: &fz {name: merged, kind: hub}")
            return "\n".join(lines), f"merge key at line {line_no + 1}"
        if action == "bomb":
            return BOMB + text, "alias bomb"
        if action == "recursive":
            return "loop: &r [*r]\n" + text, "recursive alias"
        if action == "undefined_alias":
            colon = line.find(": ")
            if colon >= 0:
                lines[line_no] = line[:colon + 2] + "*nowhere"
            return "\n".join(lines), "undefined alias"
        if action == "second_document":
            lines.insert(line_no, "---")
            return "\n".join(lines), f"--- at line {line_no + 1}"
        if action == "directive":
            return rng.choice(["%YAML 1.1\n---\n", "%TAG ! tag:example.com,2000:\n---\n", "%FOO bar\n---\n", "%YAML 2.0\n---\n"]) + text, "directive"
        lines.insert(line_no, rng.choice(["? [a, b]\n: c", "? {a: 1}\n: c", "[a]: b", "{a: 1}: b"]))
        return "\n".join(lines), "complex key"
    raise ValueError(category)


def _bytes_mutation(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    action = rng.choice(["bom", "utf16", "utf16_no_bom", "utf32", "invalid_utf8", "nul", "crlf", "latin1", "control", "cr_only", "lone_surrogate"])
    text = raw.decode("utf-8")
    position = rng.randrange(len(raw) + 1)
    if action == "bom":
        return b"\xef\xbb\xbf" + raw, action
    if action == "utf16":
        return text.encode("utf-16"), action
    if action == "utf16_no_bom":
        return text.encode("utf-16-le"), action
    if action == "utf32":
        return text.encode("utf-32"), action
    if action == "invalid_utf8":
        return raw[:position] + rng.choice([b"\xff", b"\xc3", b"\xe9", b"\x80\x80", b"\xed\xa0\x80"]) + raw[position:], f"{action} at {position}"
    if action == "nul":
        return raw[:position] + b"\x00" + raw[position:], f"{action} at {position}"
    if action == "control":
        return raw[:position] + bytes([rng.choice([1, 7, 8, 11, 12, 27, 127])]) + raw[position:], f"{action} at {position}"
    if action == "crlf":
        return raw.replace(b"\n", b"\r\n"), action
    if action == "cr_only":
        return raw.replace(b"\n", b"\r"), action
    if action == "lone_surrogate":
        return raw[:position] + b"\xed\xb0\x80" + raw[position:], f"{action} at {position}"
    return (text + "\n# kundé\n").encode("latin-1", "replace"), action


CATEGORIES = ["wrong_type", "delete_key", "rename_key", "dangling_ref", "names", "injection", "sizes", "yaml_damage", "yaml_features", "encoding"]


def _names(base: Base) -> list[str]:
    names: set[str] = set()
    for raw in base.files.values():
        for path, value in _walk(yaml.load(raw, Loader=_LOADER)):
            if path and path[-1] in ("name", "hub", "parent", "source", "table") and isinstance(value, str):
                names.add(value)
    return sorted(names)


_NAMES: dict[str, list[str]] = {}


def variant(bases: list[Base], seed: int, index: int) -> Variant:
    rng = random.Random(f"{seed}:{index}")
    base = rng.choice(bases)
    category = rng.choice(CATEGORIES)
    file = rng.choice(sorted(base.files))
    raw = base.files[file]
    if category == "encoding":
        new, what = _bytes_mutation(rng, raw)
    elif category in ("yaml_damage", "yaml_features"):
        text, what = _text_mutation(category, rng, raw.decode("utf-8"))
        new = text.encode("utf-8")
    else:
        data = yaml.load(raw, Loader=_LOADER)
        names = _NAMES.setdefault(base.name, _names(base))
        what = _data_mutation(category, rng, data, names)
        new = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=rng.random() < 0.5, width=rng.choice([80, 10**6])).encode("utf-8")
    return Variant(index, base.name, category, file, what, {**base.files, file: new})

