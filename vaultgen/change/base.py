"""The spec a change starts from: a folder, or the spec folder as it is at a git ref (read with `git archive`)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from vaultgen.errors import Location, Problem, SpecError, VaultgenError
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Spec


class BaseError(VaultgenError):
    """The base of a plan (a git ref or a folder) cannot be read."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _git(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise BaseError(Problem("VG171", f"cannot run git: {error.strerror or error}", Location(str(cwd)),
                                "install git, or pass --base a folder holding the old spec")) from None


def _relabel(error: SpecError, root: Path, label: str) -> SpecError:
    """The base spec's problems located as `<ref>:<path in the repository>`, not in a temporary folder."""
    problems = []
    for problem in error.problems:
        file = problem.location.file
        if file.startswith(str(root)):
            file = f"{label}:{Path(file).relative_to(root).as_posix()}"
        problems.append(Problem(problem.code, f"(base) {problem.message}", Location(file, problem.location.line, problem.location.column),
                                problem.hint, problem.excerpt))
    return SpecError(problems)


@contextmanager
def _spec_at_ref(ref: str, spec_dir: Path) -> Iterator[tuple[Path, Path]]:
    folder = spec_dir.resolve()
    top = _git(["rev-parse", "--show-toplevel"], folder if folder.is_dir() else Path.cwd())
    if top.returncode != 0:
        raise BaseError(Problem("VG171", f"'{ref}' is not a folder, and {spec_dir} is not in a git repository", Location(str(spec_dir)),
                                "pass --base a folder holding the old spec, or run inside the repository"))
    root = Path(top.stdout.decode().strip())
    relative = folder.relative_to(root).as_posix()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if commit.returncode != 0:
        raise BaseError(Problem("VG172", f"'{ref}' is neither a folder nor a git commit, branch or tag", Location(ref),
                                "pass a branch (origin/main), a tag, a commit or a folder; in CI fetch the base branch first (fetch-depth: 0)"))
    archive = _git(["archive", "--format=tar", commit.stdout.decode().strip(), "--", relative], root)
    if archive.returncode != 0:
        raise BaseError(Problem("VG173", f"the spec folder '{relative}' does not exist at '{ref}'", Location(f"{ref}:{relative}"),
                                "pass --base a ref that has the spec, or --spec the folder the spec is in at both sides"))
    with tempfile.TemporaryDirectory(prefix="vaultgen-base-") as temp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(temp, filter="data")
        yield Path(temp), Path(temp) / relative


def load_base(base: str, spec_dir: Path) -> Spec:
    """The spec at `base`: a folder when one exists by that name, else a git ref of the repository `spec_dir` is in."""
    if Path(base).is_dir():
        return load_spec(Path(base))
    with _spec_at_ref(base, spec_dir) as (root, folder):
        if not folder.is_dir():
            raise BaseError(Problem("VG173", f"the spec folder '{folder.relative_to(root).as_posix()}' does not exist at '{base}'",
                                    Location(base), "pass --base a ref that has the spec"))
        try:
            return load_spec(folder)
        except SpecError as error:
            raise _relabel(error, root, base) from None
