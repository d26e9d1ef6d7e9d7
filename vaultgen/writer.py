"""The one module that writes output files.

Writes only under its output folder, removes stale files it owns (those listed in its manifest), keeps files
it does not own, and a render is all-or-nothing: the new tree is built beside the old one
(`.<name>.vaultgen-new`, unchanged and foreign files hard-linked from the old tree, so they keep their
mtimes and only changed files look changed), then swapped in with one atomic rename (Linux renameat2
RENAME_EXCHANGE; elsewhere two renames that the next render rolls back if they were cut in between). A
render killed at any moment leaves the old tree or the new one, and at most a leftover sibling folder,
which the next render removes and `render --check` reports.

The manifest lists every file the writer owns, one a line: its path, the SHA-256 of its content and, for a
render, the fingerprint of what it was made from and the plan's notes on it (tab-separated; a line with a path
alone, as earlier versions wrote, still counts). `Previous` reads it back so an incremental render can keep a
file whose fingerprint is unchanged and whose content on disk still has the recorded hash (a hand edit is seen).
Fingerprints hold only within one stamp (the caller's: the vaultgen version and a hash of its source), written
once in the manifest's header, so a new vaultgen changes one line of the manifest, not every line. A manifest
that differs only in its stamp, hashes, fingerprints or notes is refreshed by `write` but is no difference for `diff`.

A stat cache, like git's index, spares reading and hashing the files again (`StatCache`): beside the output
folder, in `.vaultgen-cache/<folder>.stat` (machine-local, never part of the output), each file checked against
its recorded hash is kept with its inode, size, mtime and ctime. A file whose stat is still the recorded one,
and whose recorded hash is the manifest's, is taken as checked without being read (`OnDisk`); any other file is
read and hashed as before. A stat recorded within a second of the run that recorded it proves nothing (the file
may have changed within the clock's tick: git's "racy" rule) and the file is hashed again; a cache that cannot be
read, or was made for another folder, is no cache.
"""

from __future__ import annotations

import ctypes
import difflib
import errno
import hashlib
import marshal
import os
import shutil
import stat as stat_module
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from vaultgen.errors import Location, OutputError, Problem

MANIFEST = ".vaultgen-manifest"
TEMP_PREFIX = ".vaultgen-"  # temporary files of earlier vaultgen versions, inside the tree
NEW, OLD = ".vaultgen-new", ".vaultgen-old"  # the sibling folders of a swap


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # temporary files or folders of an interrupted render
    patch: str = ""  # with diff(..., unified=True): a unified diff from what is on disk to what the spec renders
    refreshed: bool = False  # the manifest lists the same files, with other hashes, fingerprints or stamp (write() rewrites it; no difference)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed or self.leftovers)


def _sibling(out_dir: Path, suffix: str) -> Path:
    return out_dir.parent / f".{out_dir.name}{suffix}"


class Entry(NamedTuple):
    """A manifest line: what the writer knows of one file it owns (a named tuple: a manifest has tens of
    thousands, and a tuple is made in C)."""

    sha: str = ""  # SHA-256 of the content ("" in a manifest of an earlier version)
    fingerprint: str = ""  # of what the file was made from ("" when the caller gave none)
    note: str = ""  # the caller's own data on the file (the plan: the inputs of a model), kept as written


MANIFEST_HEADER = ("# files written by `vaultgen render`; stale ones are removed on the next render\n"
                   "# path, SHA-256 of the content, fingerprint of what it was made from, notes (tab-separated)\n")
STAMP = "# stamp: "  # the header line of the stamp the fingerprints hold under


def content_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CACHE_DIR = ".vaultgen-cache"  # beside the output folder (its parent), machine-local: gitignore it
CACHE_FORMAT = "vaultgen stat cache 1"
RACY_NS = 1_000_000_000  # a stat this close to (or after) the start of the run that recorded it is not trusted

StatKey = tuple[int, int, int, int, int]  # inode, device, size, mtime_ns, ctime_ns


def _stat_key(status: os.stat_result) -> StatKey:
    return status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns, status.st_ctime_ns


class StatCache:
    """What earlier renders found on disk: per file (relative to the output folder) its stat and the SHA-256 its
    content had then. `known` is the cache as read; `checked` what this run found (and `save` keeps)."""

    def __init__(self, out_dir: Path, known: dict[str, tuple[StatKey, str]] | None = None, recorded_at: int = 0):
        self.out_dir = Path(os.path.abspath(out_dir))
        self.path = self.out_dir.parent / CACHE_DIR / f"{self.out_dir.name}.stat"
        self.known = known or {}
        self.recorded_at = recorded_at  # the start of the run that recorded `known` (ns since the epoch)
        self.started = time.time_ns()  # before this run stats any file
        self.checked: dict[str, tuple[StatKey, str]] = {}

    @classmethod
    def load(cls, out_dir: Path) -> StatCache:
        """The cache of `out_dir`; an empty one when there is none, it cannot be read or it is another folder's."""
        cache = cls(out_dir)
        try:
            with open(cache.path, "rb") as file:
                form, folder, recorded_at, known = marshal.loads(file.read())  # marshal.load(file) reads in small pieces
            if form != CACHE_FORMAT or folder != str(cache.out_dir) or type(recorded_at) is not int or type(known) is not dict:
                return cache
        except (OSError, EOFError, ValueError, TypeError):  # missing, unreadable, truncated or not a cache
            return cache
        cache.known, cache.recorded_at = known, recorded_at
        return cache

    def vouches(self, name: str, status: os.stat_result, sha: str) -> bool:
        """Whether the file with this stat is known to have the content `sha` without reading it."""
        found = self.known.get(name)
        if found is None or type(found) is not tuple or len(found) != 2:
            return False
        key = _stat_key(status)
        if found[0] != key or found[1] != sha or not stat_module.S_ISREG(status.st_mode):
            return False
        if max(status.st_mtime_ns, status.st_ctime_ns) >= self.recorded_at - RACY_NS:
            return False  # changed within a second of being recorded: a change after it might keep this stat
        self.checked[name] = found
        return True

    def record(self, name: str, status: os.stat_result, sha: str) -> None:
        """The file had this stat (taken before it was read) and its content this hash."""
        self.checked[name] = (_stat_key(status), sha)

    def save(self, names: set[str] | dict | None = None) -> None:
        """Keep what this run checked (of `names`, when given) for the next run; a cache that cannot be written
        is left out (every file is then hashed, as without one)."""
        checked = self.checked if names is None else {name: found for name, found in self.checked.items() if name in names}
        if checked == self.known:
            return  # every file as the cache has it (the recorded run's start still holds for each)
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            with open(temporary, "wb") as file:
                file.write(marshal.dumps((CACHE_FORMAT, str(self.out_dir), self.started, checked)))
            os.replace(temporary, self.path)
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass


class OnDisk:
    """A file the stat cache vouches for: on disk with the content the manifest records, not read. The writer
    reads it only where it needs the text (`_text`), which a render with nothing changed never does."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def read(self) -> str:
        with open(self.path, "rb") as file:
            return file.read().decode("utf-8")

    def __repr__(self) -> str:
        return f"OnDisk({self.path!r})"


def _text(text: str | OnDisk) -> str:
    return text if isinstance(text, str) else text.read()


def _parse_manifest(text: str, stamp: str | None = None) -> dict[str, Entry]:
    """The manifest's entries; with `stamp`, fingerprints recorded under another stamp are dropped."""
    entries, recorded = {}, ""
    for line in text.splitlines():
        if line.startswith(STAMP):
            recorded = line[len(STAMP):]
        elif line and not line.startswith("#"):
            name, *rest = line.split("\t")
            entries[name] = Entry(*rest[:3])
    if stamp is not None and recorded != stamp:
        entries = {name: Entry(entry.sha) for name, entry in entries.items()}
    return entries


def _read_manifest(out_dir: Path, stamp: str | None = None) -> dict[str, Entry]:
    manifest = out_dir / MANIFEST
    return _parse_manifest(manifest.read_text(encoding="utf-8"), stamp) if manifest.is_file() else {}


def _owned_files(out_dir: Path) -> list[str]:
    return list(_read_manifest(out_dir))


def _manifest_text(files: dict[str, str], entries: dict[str, Entry], stamp: str = "", shas: dict[str, str] | None = None) -> str:
    """The manifest of `files`; `shas`: hashes already known (of files read from disk and checked)."""
    lines = [f"{STAMP}{stamp}\n"] if stamp else []
    shas = shas or {}
    for name in sorted(files):
        entry = entries.get(name, Entry())
        sha = shas.get(name) or content_sha(_text(files[name]).encode("utf-8"))
        fields = [name, sha, entry.fingerprint, entry.note]
        while fields[-1] == "":
            fields.pop()
        lines.append("\t".join(fields) + "\n")
    return MANIFEST_HEADER + "".join(lines)


def _with_manifest(files: dict[str, str], entries: dict[str, Entry] | None = None, previous: Previous | None = None) -> dict[str, str]:
    if previous is None:
        return {**files, MANIFEST: _manifest_text(files, entries or {})}
    shas = {name: previous.entries[name].sha for name, text in previous.verified.items() if files.get(name) is text}
    return {**files, MANIFEST: _manifest_text(files, entries or {}, previous.stamp, shas)}


class Previous:
    """What the last render left under `out_dir`: its manifest (fingerprints only when made under `stamp`), and
    the files on disk that still match it. With a `cache` (StatCache), a file whose stat it vouches for is not
    read: its text is an OnDisk. `prefix`: where `out_dir` is in the cache's folder ("duckdb/" for a target's)."""

    def __init__(self, out_dir: Path, stamp: str = "", entries: dict[str, Entry] | None = None,
                 cache: StatCache | None = None, prefix: str = ""):
        self.out_dir = out_dir
        self.stamp = stamp
        self.cache = cache
        self.prefix = prefix
        self.root = os.path.join(out_dir, "")  # with a trailing separator
        if entries is None:
            try:
                entries = _read_manifest(out_dir, stamp)
            except (OSError, UnicodeDecodeError):
                entries = {}
        self.entries = entries
        self.verified: dict[str, str | OnDisk] = {}  # path -> its text on disk, found to have the recorded hash

    def note(self, name: str, fingerprint: str) -> str | None:
        """The note recorded with the file when it was made from the same inputs (whatever is on disk now)."""
        entry = self.entries.get(name)
        return entry.note if entry is not None and entry.fingerprint == fingerprint else None

    def text(self, name: str, fingerprint: str) -> str | OnDisk | None:
        """The file's text on disk when it was made from the same inputs and nobody changed it since; else None.
        An OnDisk, not read, when the stat cache vouches for the file."""
        entry = self.entries.get(name)
        if entry is None or not entry.sha or entry.fingerprint != fingerprint:
            return None
        if name in self.verified:
            return self.verified[name]
        path = self.root + name  # not pathlib, nor os.path.join: tens of thousands of files
        cache, cached_name = self.cache, self.prefix + name
        status = None
        if cache is not None:
            try:
                status = os.stat(path)  # before reading: a change after it makes the recorded stat stale, never wrong
            except OSError:
                return None
            if cache.vouches(cached_name, status, entry.sha):
                found = self.verified[name] = OnDisk(path)
                return found
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError:
            return None
        if content_sha(data) != entry.sha:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if cache is not None:
            cache.record(cached_name, status, entry.sha)
        self.verified[name] = text
        return text

    def unit(self, fingerprint: str) -> dict[str, str] | None:
        """Every file recorded with `fingerprint` (one unit of work made them all), when each is still as written."""
        names = [name for name, entry in self.entries.items() if entry.fingerprint == fingerprint]
        texts = {name: self.text(name, fingerprint) for name in names}
        if not names or any(text is None for text in texts.values()):
            return None
        return texts  # type: ignore[return-value]

    def everything(self, fingerprints: set[str]) -> dict[str, str] | None:
        """Every file of the last render, when it recorded each of `fingerprints` (so it rendered the same inputs)
        and every file is still as written; else None."""
        recorded = {entry.fingerprint for entry in self.entries.values()}
        if not self.entries or "" in recorded or not fingerprints <= recorded:
            return None
        texts = {}
        for name, entry in self.entries.items():
            text = self.text(name, entry.fingerprint)
            if text is None:
                return None
            texts[name] = text
        return texts

    def under(self, folder: str) -> Previous:
        """The same, for the files under `folder` (names relative to it): what a target's project sees."""
        prefix = f"{folder}/"
        return Previous(self.out_dir / folder, self.stamp,
                        {name[len(prefix):]: entry for name, entry in self.entries.items() if name.startswith(prefix)},
                        self.cache, self.prefix + prefix)

    def save_cache(self) -> None:
        """Keep the stats of the files this render found unchanged for the next one (with a stat cache)."""
        if self.cache is not None:
            self.cache.save(self.entries)


def leftovers(out_dir: Path) -> list[Path]:
    """What an interrupted render left: the swap's sibling folders and old-style temporary files in the tree."""
    found = [path for path in (_sibling(out_dir, NEW), _sibling(out_dir, OLD)) if path.exists() or path.is_symlink()]
    if out_dir.is_dir():
        found += sorted(Path(folder) / name for folder, _, names in os.walk(out_dir) for name in names
                        if name.startswith(TEMP_PREFIX) and Path(folder) / name != out_dir / MANIFEST)
    return found


def _output_error(error: OSError, out_dir: Path) -> OutputError:
    where = error.filename or out_dir
    if error.errno in (errno.ENOTDIR, errno.EEXIST) or (out_dir.exists() and not out_dir.is_dir()):
        hint = f"'{out_dir}' must be a folder (or not exist yet); pass another folder with --out"
    else:
        hint = f"make '{out_dir}' and its parent folder writable, or pass another folder with --out; nothing was changed"
    return OutputError(Problem("VG090", f"cannot write the output: {error.strerror or error}", Location(str(where)), hint))


def diff(out_dir: Path, files: dict[str, str], unified: bool = False, entries: dict[str, Entry] | None = None,
         previous: Previous | None = None) -> WriteReport:
    """What writing `files` would change, without writing; with `unified`, also as a unified diff (`report.patch`).
    `entries`: fingerprints and notes for the manifest; `previous`: its stamp, and files already read and found
    unchanged."""
    try:
        return _diff(out_dir, _with_manifest(files, entries, previous), unified, previous)
    except OSError as error:
        raise _output_error(error, out_dir) from None


def _diff(out_dir: Path, files: dict[str, str], unified: bool = False, previous: Previous | None = None) -> WriteReport:
    """diff() of `files` with their manifest."""
    verified = previous.verified if previous is not None and previous.out_dir == out_dir else {}
    report = WriteReport()
    patches: list[str] = []
    for name, text in files.items():
        if verified.get(name) is text:
            report.unchanged.append(name)
            continue
        path = out_dir / name
        current = path.read_bytes() if path.is_file() else None
        text = _text(text)
        same = current == text.encode("utf-8")
        if not same and name == MANIFEST and current is not None and _same_files(current, text):
            report.refreshed = True  # the same files: only what the next render trusts differs
            report.unchanged.append(name)
            continue
        (report.unchanged if same else report.written).append(name)
        if unified and not same and name != MANIFEST:
            patches.append(_patch(name, current, text))
    owned = previous.entries if previous is not None and previous.entries and previous.out_dir == out_dir else _owned_files(out_dir)
    report.removed = sorted(set(owned) - set(files))
    if unified:
        patches += [_patch(name, (out_dir / name).read_bytes() if (out_dir / name).is_file() else b"", None) for name in report.removed]
    report.leftovers = [str(path) for path in leftovers(out_dir)]
    report.patch = "".join(patches)
    return report


def _same_files(current: bytes, text: str) -> bool:
    """Whether two manifests list the same files. Their hashes, fingerprints and stamps are what the next render
    trusts, not what the tree is: each file is compared itself (and a stale hash only makes it be built again)."""
    try:
        return _parse_manifest(current.decode("utf-8")).keys() == _parse_manifest(text).keys()
    except UnicodeDecodeError:
        return False


def _patch(name: str, current: bytes | None, text: str | None) -> str:
    """A unified diff of one file (git's a/ b/ labels, /dev/null for a created or removed file), 3 lines of context."""
    before = current.decode("utf-8", errors="replace").splitlines(keepends=True) if current is not None else []
    after = text.splitlines(keepends=True) if text is not None else []
    lines = difflib.unified_diff(before, after, "/dev/null" if current is None else f"a/{name}", "/dev/null" if text is None else f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def write(out_dir: Path, files: dict[str, str], entries: dict[str, Entry] | None = None, previous: Previous | None = None) -> WriteReport:
    """Write `files` under `out_dir` all-or-nothing; raises OutputError (nothing changed) when it cannot."""
    if out_dir.is_symlink():
        out_dir = out_dir.resolve()  # swap the folder it points to, not the link
    try:
        _recover(out_dir)
        files = _with_manifest(files, entries, previous)
        report = _diff(out_dir, files, previous=previous)
        _remove_leftovers(out_dir)
        if report.written or report.removed or report.refreshed:
            _build_and_swap(out_dir, files, report)
    except OSError as error:
        raise _output_error(error, out_dir) from None
    return report


def _recover(out_dir: Path) -> None:
    """A swap by two renames cut in between leaves no `out_dir` but the old tree beside it: put it back."""
    old = _sibling(out_dir, OLD)
    if not out_dir.exists() and old.is_dir():
        os.rename(old, out_dir)


def _remove_leftovers(out_dir: Path) -> None:
    for path in leftovers(out_dir):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _build_and_swap(out_dir: Path, files: dict[str, str], report: WriteReport) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    new = _sibling(out_dir, NEW)
    new.mkdir()
    written = [*report.written, *([MANIFEST] if report.refreshed else [])]
    replaced = set(written) | set(report.removed)
    if out_dir.is_dir():
        _link_tree(out_dir, new, replaced)
    root, folders = os.fspath(new), set()  # plain paths, each folder made once: tens of thousands of files
    for name in written:
        folder = os.path.dirname(name)
        if folder not in folders:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            folders.add(folder)
        with open(os.path.join(root, name), "wb") as file:
            file.write(_text(files[name]).encode("utf-8"))
    for name in report.removed:  # folders emptied by removing stale files go too
        parent = (new / name).parent
        while parent != new and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    if out_dir.is_dir():
        _exchange(new, out_dir)
        shutil.rmtree(new)  # now the old tree
    else:
        os.rename(new, out_dir)


def _link_tree(source: Path, destination: Path, skip: set[str]) -> None:
    """Recreate `source` under `destination` with hard links (copies where links cannot be made), leaving out
    the files in `skip` (relative paths)."""
    for folder, dirs, names in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                os.symlink(os.readlink(Path(folder) / name), destination / relative / name)
            else:
                (destination / relative / name).mkdir()
        dirs[:] = [name for name in dirs if not (Path(folder) / name).is_symlink()]
        for name in names:
            if (relative / name).as_posix() in skip:
                continue
            here, there = Path(folder) / name, destination / relative / name
            if here.is_symlink():
                os.symlink(os.readlink(here), there)
                continue
            try:
                os.link(here, there)
            except OSError:
                shutil.copy2(here, there)


def _exchange(new: Path, out_dir: Path) -> None:
    """Swap two folders atomically; where the system cannot, rename twice (see _recover)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(out_dir), rename_exchange) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(out_dir))
    old = _sibling(out_dir, OLD)
    os.rename(out_dir, old)
    os.rename(new, out_dir)
    os.rename(old, new)  # so the caller removes it as after an exchange
