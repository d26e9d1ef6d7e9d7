"""Load vault_spec/: read every YAML file, check its shape with pydantic, then its meaning.

All problems of both phases are collected and raised together as one SpecError.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import typing
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from vaultgen.errors import Location, Problem, SpecError, shorten
from vaultgen.spec.checks import check_meaning
from vaultgen.spec.model import Spec
from vaultgen.spec.yaml_source import SourceMap, read_yaml

TOP_LEVEL_KEYS = ("project", "sources", "entities")


@dataclass
class Origin:
    """Where a part of the merged document came from: its file's source map and its path there."""

    source_map: SourceMap
    prefix: tuple[Any, ...]


class SpecLocator:
    """Maps a path in the merged document back to file:line:column."""

    def __init__(self) -> None:
        self._origins: dict[tuple[Any, ...], Origin] = {}
        self.fallback = Location("vault_spec")
        self.files: list[tuple[str, str]] = []  # every spec file read: its path in the spec folder, the SHA-256 of its bytes

    def add(self, merged_prefix: tuple[Any, ...], origin: Origin) -> None:
        self._origins[merged_prefix] = origin

    def locate(self, path: tuple[Any, ...]) -> Location:
        for end in range(len(path), -1, -1):
            origin = self._origins.get(tuple(path[:end]))
            if origin:
                return origin.source_map.locate((*origin.prefix, *path[end:]))
        return self.fallback


def spec_files(spec_dir: Path) -> list[Path]:
    return sorted(p for p in spec_dir.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def _merge(spec_dir: Path, problems: list[Problem]) -> tuple[dict[str, Any], SpecLocator]:
    merged: dict[str, Any] = {"sources": [], "entities": []}
    locator = SpecLocator()
    project_at: Location | None = None
    files = spec_files(spec_dir)
    if not files:
        problems.append(Problem("VG004", "no spec files (*.yml) found", Location(str(spec_dir)),
                                "add a project.yml with `project: {name: ...}` and the sources and entities (see the README)"))
    unreadable = False  # a file that did not parse may hold the project: then its absence is not reported
    for path in files:
        display = _display_name(path)
        document, read_problems = read_yaml(path, display)
        problems.extend(read_problems)
        if document is None:
            unreadable = True
            continue
        locator.files.append((path.relative_to(spec_dir).as_posix(), document.sha))
        if not isinstance(document.data, dict):
            problems.append(Problem("VG005", "a spec file must be a mapping", document.source_map.locate(()),
                                    f"start the file with one of: {', '.join(TOP_LEVEL_KEYS)}"))
            continue
        for key, value in document.data.items():
            origin_location = document.source_map.locate((key,))
            if key not in TOP_LEVEL_KEYS:
                problems.append(Problem("VG010", f"unknown key '{shorten(key)}'", origin_location, _did_you_mean(key, TOP_LEVEL_KEYS)))
            elif key == "project":
                if project_at is not None:
                    problems.append(Problem("VG006", "the project is defined more than once", origin_location,
                                            f"first defined at {project_at.file}:{project_at.line}; keep one `project:` block in one file"))
                    continue
                project_at = origin_location
                merged["project"] = value
                locator.add(("project",), Origin(document.source_map, ("project",)))
            elif not isinstance(value, list):
                problems.append(Problem("VG012", f"'{key}' must be a list", origin_location, f"write `{key}:` followed by `- ...` items"))
            else:
                for index, item in enumerate(value):
                    merged_index = len(merged[key])
                    merged[key].append(item)
                    locator.add((key, merged_index), Origin(document.source_map, (key, index)))
                locator.add((key,), Origin(document.source_map, (key,)))
    # what no file holds (an empty `entities:` everywhere) is reported where the project is declared
    locator.fallback = project_at or Location(str(spec_dir))
    if files and "project" not in merged and not unreadable:
        problems.append(Problem("VG011", "no `project:` block found", Location(str(spec_dir)),
                                "add a project.yml with `project: {name: ...}`"))
    return merged, locator


def _display_name(path: Path) -> str:
    """The file as the user would type it: relative to the working directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of: {', '.join(choices)}" if choices else ""


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the value at `path` (pydantic's error loc, union tags included)."""
    annotation: Any = Spec
    for element in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(element) or next(
                (f for f in annotation.model_fields.values() if f.alias == element), None
            )
            if field is None:
                return None
            annotation = field.annotation
            continue
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is list and isinstance(element, int):
            annotation = args[0]
        elif origin is dict:
            annotation = args[1]
        elif origin is typing.Union:
            annotation = next((a for a in args if _kind_of(a) == element), None)
            if annotation is None:
                return None
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType")) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _kind_of(model: Any) -> str | None:
    if isinstance(model, type) and issubclass(model, BaseModel) and "kind" in model.model_fields:
        return typing.get_args(model.model_fields["kind"].annotation)[0]
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _shape_problem(error: dict[str, Any], locator: SpecLocator) -> Problem:
    path = tuple(error["loc"])
    location = locator.locate(path)
    kind = error["type"]
    field = next((str(element) for element in reversed(path) if isinstance(element, str)), "spec")
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        hint = _did_you_mean(field, _field_names(model)) if model else "remove it"
        return Problem("VG010", f"unknown key '{field}'", location, hint)
    if kind == "missing":
        return Problem("VG011", f"missing required key '{field}'", location, f"add `{field}:`")
    if kind == "union_tag_invalid":
        kinds = error.get("ctx", {}).get("expected_tags", "")
        return Problem("VG014", f"unknown entity kind {error.get('input', {}).get('kind')!r}" if isinstance(error.get("input"), dict) else "unknown entity kind",
                       location, f"kind must be one of: {kinds}")
    if kind == "union_tag_not_found":
        return Problem("VG011", "entity has no 'kind'", location, "add `kind: hub` (or link, satellite, record_tracking_satellite)")
    if kind == "literal_error":
        return Problem("VG015", f"'{field}': {error['msg']}", location, "use one of the listed values")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return Problem("VG013", f"'{field}': {message}", location)
    return Problem("VG012", f"'{field}': {error['msg']}", location, "check the value's type")


@contextmanager
def paused_gc():
    """No cyclic garbage collection inside: reading a spec makes hundreds of thousands of objects that all live on,
    and the collector would walk them again and again (40 % of a large spec's load). What they leave behind is
    freed by reference counting; the collector runs again, as before, afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_spec(spec_dir: Path) -> Spec:
    """Read, check and return the spec in `spec_dir`, or raise SpecError with every problem found."""
    with paused_gc():
        return _load_spec(spec_dir)


def _load_spec(spec_dir: Path) -> Spec:
    problems: list[Problem] = []
    if not spec_dir.is_dir():
        raise SpecError([Problem("VG004", "spec folder not found", Location(str(spec_dir)), "pass --spec DIR")])
    merged, locator = _merge(spec_dir, problems)
    if problems:
        raise SpecError(problems)
    try:
        spec = Spec.model_validate(merged)
    except ValidationError as error:
        raise SpecError([_shape_problem(e, locator) for e in error.errors()]) from None
    meaning_problems = check_meaning(spec, locator.locate)
    if meaning_problems:
        raise SpecError(meaning_problems)
    spec._origins = _origins(spec, locator, spec_dir)
    spec.__dict__["_files_digest"] = hashlib.sha256("".join(f"{name}\0{sha}\n" for name, sha in locator.files).encode("utf-8")).hexdigest()
    return spec


def spec_locator(spec_dir: Path) -> Callable[[tuple[Any, ...]], Location]:
    """Where a path of the merged spec (("sources", 0, "tables", 2, "columns", 1, "type")) is written: for findings
    about a spec that `load_spec` accepted, such as `vaultgen validate --against`."""
    _, locator = _merge(spec_dir, [])
    return locator.locate
def _origins(spec: Spec, locator: SpecLocator, spec_dir: Path) -> dict[str, tuple[str, int]]:
    """Where each entity and table is declared: its file relative to the spec folder (stable wherever the tool
    runs) and its line, for the generated models' dbt meta."""
    root = spec_dir.resolve()
    files: dict[str, str] = {}  # per file once: resolving a path reads the file system

    def relative(location: Location) -> tuple[str, int]:
        file = files.get(location.file)
        if file is None:
            try:
                file = Path(location.file).resolve().relative_to(root).as_posix()
            except ValueError:
                file = Path(location.file).name
            files[location.file] = file
        return file, location.line or 0

    found = {f"entity:{entity.name}": relative(locator.locate(("entities", index))) for index, entity in enumerate(spec.entities)}
    for index, system in enumerate(spec.sources):
        for table_index, table in enumerate(system.tables):
            found[f"table:{table.name}"] = relative(locator.locate(("sources", index, "tables", table_index)))
    return found
