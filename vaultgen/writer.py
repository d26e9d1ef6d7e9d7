"""The one module that writes output files.

Writes only under its output folder, only the files that changed, removes stale files it owns (those that
carry the generated marker), and never leaves a half-written project: every file is staged first.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".vaultgen-manifest"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def _owned_files(out_dir: Path) -> list[str]:
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return []
    return [line for line in manifest.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def _with_manifest(files: dict[str, str]) -> dict[str, str]:
    body = "# files written by `vaultgen render`; stale ones are removed on the next render\n" + "".join(f"{name}\n" for name in sorted(files))
    return {**files, MANIFEST: body}


def diff(out_dir: Path, files: dict[str, str]) -> WriteReport:
    """What writing `files` would change, without writing."""
    files = _with_manifest(files)
    report = WriteReport()
    for name, text in files.items():
        path = out_dir / name
        current = path.read_bytes() if path.is_file() else None
        (report.unchanged if current == text.encode("utf-8") else report.written).append(name)
    report.removed = sorted(set(_owned_files(out_dir)) - set(files))
    return report


def write(out_dir: Path, files: dict[str, str]) -> WriteReport:
    report = diff(out_dir, files)
    files = _with_manifest(files)
    staged: list[tuple[Path, Path]] = []
    try:
        for name in report.written:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".vaultgen-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(files[name].encode("utf-8"))
            staged.append((Path(temp), target))
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in staged:
        os.replace(temp, target)
    for name in report.removed:
        stale = out_dir / name
        stale.unlink(missing_ok=True)
        parent = stale.parent
        while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return report
