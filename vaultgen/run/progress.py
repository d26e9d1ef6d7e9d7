"""Live progress of dbt runs: nodes done of total and failures as they happen. Reporting only, no decisions.

On a terminal the current step's counter is rewritten in place; otherwise (CI, a log file) every result is a
plain line.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TextIO

# dbt's result lines: "12:00:01  3 of 42 OK created sql incremental model raw_vault.hub_customer ... [OK in 0.2s]"
_RESULT = re.compile(r"^\S*\s+(\d+) of (\d+) (OK|PASS|WARN|FAIL|ERROR|SKIP)\b\s*(.*?)\s*(?:\.{2,}.*)?$")
_FAILED = ("FAIL", "ERROR")


@dataclass
class Progress:
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    interactive: bool | None = None
    failures: list[str] = field(default_factory=list)
    _step: str = ""
    _pending_newline: bool = False

    def __post_init__(self) -> None:
        if self.interactive is None:
            self.interactive = self.stream.isatty()

    def step(self, text: str) -> None:
        self._end_line()
        self._step = text
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def dbt_line(self, line: str) -> None:
        """One line of dbt's output; result lines advance the counter."""
        match = _RESULT.match(line.rstrip())
        if not match:
            return
        done, total, status, what = match.groups()
        if status in _FAILED:
            self._end_line()
            self.failures.append(what)
            self.stream.write(f"  {status} {what}\n")
        elif self.interactive:
            self.stream.write(f"\r  {done}/{total} done")
            self._pending_newline = True
        else:
            self.stream.write(f"  {done}/{total} {status} {what}\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        self._end_line()
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self._pending_newline:
            self.stream.write("\n")
            self._pending_newline = False
