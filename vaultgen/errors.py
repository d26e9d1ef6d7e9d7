"""One error root for everything vaultgen reports to a user.

Every problem carries a stable code, where it was found (file:line:column) and a hint, so the CLI can print
all of them at once and never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    location: Location
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.code} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class VaultgenError(Exception):
    """Root of every error vaultgen reports to a user; the CLI prints it without a traceback."""


class ProblemsError(VaultgenError):
    """An input with one or more located problems; all of them are listed under a heading naming the input."""

    subject = "the input"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.location, p.code, p.message))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"{self.subject} has {count} problem{'s' if count != 1 else ''}:"]
        lines.extend(str(problem) for problem in self.problems)
        return "\n".join(lines)


class SpecError(ProblemsError):
    """The spec has one or more problems; all of them are listed."""

    subject = "the spec"


class LoadError(ProblemsError):
    """A batch was refused by the raw loader (bad file, bad value, a load timestamp the batch lifecycle forbids);
    the raw layer is unchanged."""

    subject = "the batch"


class RenderDriftError(VaultgenError):
    """`render --check` found files that differ from what the spec renders."""


class RunError(VaultgenError):
    """A step of a run (loading a batch, dbt) failed."""
