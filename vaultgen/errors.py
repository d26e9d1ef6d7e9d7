"""One error root for everything vaultgen reports to a user.

Every problem carries a stable code, where it was found (file:line:column) and a hint, so the CLI can print
all of them at once and never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ECHO = 80  # characters of a value from the spec echoed in a message
MAX_MESSAGE = 400  # characters of a message or hint; longer ones keep their start and end
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def shorten(text: object, limit: int = MAX_ECHO) -> str:
    """`text` cut to `limit` characters, saying how long it was: a 1 MB value is never echoed whole."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _cut_middle(text: str) -> str:
    """One line of at most MAX_MESSAGE characters: control characters from the spec (a newline, an escape
    sequence) are shown escaped, and a long text keeps its start and end."""
    text = _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[:MAX_MESSAGE * 2 // 3]}… ({len(text):,} characters) …{text[-MAX_MESSAGE // 3:]}"


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
    excerpt: str = ""  # for syntax errors: the offending line and a caret under the column

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", _cut_middle(self.message))
        object.__setattr__(self, "hint", _cut_middle(self.hint))

    def __str__(self) -> str:
        text = f"{self.location}: {self.code} {self.message}"
        if self.excerpt:
            text += "".join(f"\n    | {line}" for line in self.excerpt.splitlines())
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


# The command line's exit codes (README "Command line"): a handler returns OK or FINDINGS; an error's class says
# which of the others it is (argparse itself exits USAGE).
EXIT_OK = 0
EXIT_FINDINGS = 1  # the command ran and found something: drift, differences, failed checks
EXIT_USAGE = 2  # the command line does not parse (argparse)
EXIT_INPUT = 3  # a spec, a batch, a file or a flag value is wrong; nothing was changed
EXIT_FAILED = 4  # a step outside vaultgen failed: dbt, a database, an AWS service


class VaultgenError(Exception):
    """Root of every error vaultgen reports to a user; the CLI prints it without a traceback and exits with its
    class's `exit_code`."""

    exit_code = EXIT_INPUT


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


class InputError(ProblemsError):
    """A command's input other than the spec or a batch is wrong (a flag's value, a missing file); nothing was changed."""

    subject = "the command line"

    def render(self) -> str:
        return str(self.problems[0]) if len(self.problems) == 1 else super().render()


class LoadError(ProblemsError):
    """A batch was refused by the raw loader (bad file, bad value, a load timestamp the batch lifecycle forbids);
    the raw layer is unchanged."""

    subject = "the batch"


class RenderDriftError(VaultgenError):
    """`render --check` found files that differ from what the spec renders."""


class OutputError(VaultgenError):
    """The output folder cannot be written; nothing in it was changed."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


class RunError(VaultgenError):
    """A step of a run (loading a batch, dbt) failed."""

    exit_code = EXIT_FAILED


class ExternalError(VaultgenError):
    """A service vaultgen talks to (AWS, Athena, a database server) refused or failed a call."""

    exit_code = EXIT_FAILED
