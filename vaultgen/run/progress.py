"""Live progress of dbt runs and the colours of the command line. Reporting only, no decisions.

On a terminal the current step's counter is rewritten in place, with the node being built, in colour; otherwise
(CI, a pipe, a log file) every result is a plain line without escape codes. `NO_COLOR` (any value) turns colour
off and `FORCE_COLOR` turns it on, as https://no-color.org and most CLIs read them; `TERM=dumb` is no terminal.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

# dbt's result lines: "12:00:01  3 of 42 OK created sql incremental model raw_vault.hub_customer ... [OK in 0.2s]"
_RESULT = re.compile(r"^\S*\s+(\d+) of (\d+) (OK|PASS|WARN|FAIL|ERROR|SKIP)\b\s*(.*?)\s*(?:\.{2,}.*)?$")
# and the line dbt prints when a node starts: "12:00:01  3 of 42 START sql incremental model raw_vault.hub_customer ... [RUN]"
_START = re.compile(r"^\S*\s+(\d+) of (\d+) START\s+(.*?)\s*(?:\.{2,}.*)?$")
_FAILED = ("FAIL", "ERROR")

_STYLES = {"ok": "32", "error": "31", "warn": "33", "bold": "1", "dim": "2"}


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def colour_enabled(stream: TextIO) -> bool:
    """Whether to write ANSI colours to `stream`: FORCE_COLOR wins, then NO_COLOR, then 'is it a terminal'."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if "NO_COLOR" in os.environ:
        return False
    return is_terminal(stream)


def paint(text: str, style: str, enabled: bool) -> str:
    """`text` in `style` (ok, error, warn, bold, dim) when colour is enabled, else `text` unchanged."""
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if enabled else text


@dataclass
class Progress:
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    interactive: bool | None = None  # rewrite one counter line in place (a terminal)
    colour: bool | None = None
    failures: list[str] = field(default_factory=list)
    _step: str = ""
    _pending_newline: bool = False
    _started: float = 0.0
    _running: str = ""

    def __post_init__(self) -> None:
        if self.interactive is None:
            self.interactive = is_terminal(self.stream)
        if self.colour is None:
            self.colour = colour_enabled(self.stream) if self.interactive else bool(os.environ.get("FORCE_COLOR"))

    def paint(self, text: str, style: str) -> str:
        return paint(text, style, bool(self.colour))

    def step(self, text: str) -> None:
        self._end_line()
        self._step = text
        self._started = time.monotonic()
        self.stream.write(f"{self.paint(text, 'bold')}\n")
        self.stream.flush()

    def dbt_line(self, line: str) -> None:
        """One line of dbt's output; result lines advance the counter, start lines name the node being built."""
        line = line.rstrip()
        start = _START.match(line)
        if start:
            if self.interactive and not start.group(3).startswith("hook"):
                done, total, what = start.groups()
                self._running = what
                self._counter(int(done) - 1, total)
            return
        match = _RESULT.match(line)
        if not match:
            return
        done, total, status, what = match.groups()
        if status in _FAILED:
            self._end_line()
            self.failures.append(what)
            self.stream.write(f"  {self.paint(status, 'error')} {what}\n")
        elif self.interactive:
            if not what.startswith(("hook", "OK hook")):  # on-run-start/end hooks count 1 of 1 of their own
                self._running = ""
                self._counter(int(done), total)
        else:
            self.stream.write(f"  {done}/{total} {status} {what}\n")
        self.stream.flush()

    def _counter(self, done: int, total: str) -> None:
        elapsed = time.monotonic() - self._started if self._started else 0.0
        running = f" {self.paint(self._running[-60:], 'dim')}" if self._running else ""
        self.stream.write(f"\r\x1b[2K  {self.paint(f'{done}/{total}', 'ok')} done, {elapsed:.0f} s{running}")
        self.stream.flush()
        self._pending_newline = True

    def line(self, text: str, style: str | None = None) -> None:
        self._end_line()
        self.stream.write(f"{self.paint(text, style) if style else text}\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self._pending_newline:
            self.stream.write("\n")
            self._pending_newline = False
