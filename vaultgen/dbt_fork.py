"""dbt invocations without dbt's start-up: each one runs in a process forked from a server that imported dbt once.

Importing dbt and its adapter costs 3-12 s of CPU per call, more than a small project's whole build (issue 13:
"dbt adds about 10 s per run"). The server (`python -m vaultgen.dbt_fork`, started on first use, one per
process, gone when its parent is) imports dbt and the DuckDB adapter, then forks a child per request: the child
starts with the state of a process that has only imported dbt, as the `dbt` command does, and runs
`dbt.cli.main.cli` with the request's argv, working directory and environment, its output going to a file the
caller reads (and follows line by line for live progress). Its exit code is dbt's.

Off with VAULTGEN_DBT_FORKSERVER=0 (each call is then the `dbt` command in a subprocess), and where the platform
has no fork.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable

_lock = threading.Lock()
_server: subprocess.Popen | None = None


def available() -> bool:
    return os.environ.get("VAULTGEN_DBT_FORKSERVER", "1") != "0" and hasattr(os, "fork")


def _started() -> subprocess.Popen:
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, "-m", "vaultgen.dbt_fork"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, close_fds=True)
    return _server


def run(args: list[str], cwd: Path, environment: dict[str, str], on_line: Callable[[str], None] | None = None) -> tuple[str, int]:
    """Run `dbt <args>` in `cwd` with exactly `environment`: its whole output and its exit code."""
    handle, log = tempfile.mkstemp(prefix="dbt-", suffix=".log", dir=cwd)
    os.close(handle)
    lines: list[str] = []
    with _lock:
        server = _started()
        assert server.stdin is not None and server.stdout is not None
        replies = _Replies(server.stdout.fileno())
        child = None
        try:
            server.stdin.write(json.dumps({"args": list(args), "cwd": str(cwd), "env": dict(environment), "log": log}) + "\n")
            server.stdin.flush()
            child = replies.next(None).get("pid")
            if child is None:  # the server could not start (its error went to stderr)
                return "the dbt fork server stopped before running dbt\n", 1
            with open(log, encoding="utf-8", errors="replace", newline="") as output:
                pending, reply = "", None
                while True:
                    if reply is None:
                        reply = replies.next(0.05)
                    chunk = output.read()
                    if chunk:
                        pending += chunk
                        *complete, pending = pending.split("\n")
                        for line in complete:
                            lines.append(line + "\n")
                            if on_line is not None:
                                on_line(line + "\n")
                    elif reply is not None:  # the child is gone and its output is read
                        break
                if pending:
                    lines.append(pending)
                    if on_line is not None:
                        on_line(pending)
        except BaseException:
            if child is not None:
                os.kill(child, signal.SIGTERM)
            if server.poll() is None:
                server.kill()
            raise
        finally:
            Path(log).unlink(missing_ok=True)
    if "code" not in reply:
        return "".join(lines) + "\nthe dbt fork server stopped\n", 1
    return "".join(lines), int(reply["code"])


class _Replies:
    """The server's reply lines, read from its pipe without Python's buffering (so that select sees every one)."""

    def __init__(self, descriptor: int):
        self.descriptor, self.buffer = descriptor, b""

    def next(self, timeout: float | None) -> dict | None:
        """The next reply; None when none came within `timeout`; {} when the server is gone."""
        while b"\n" not in self.buffer:
            if timeout is not None and not select.select([self.descriptor], [], [], timeout)[0]:
                return None
            chunk = os.read(self.descriptor, 65536)
            if not chunk:
                return {}
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when its parent ends (a killed caller takes its server and dbt child along)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the child ends with its dbt call
        pass


def _child(request: dict) -> None:
    """In the forked child: dbt's argv, directory and environment; stdout and stderr into the request's log."""
    os.setsid()
    _die_with_parent()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    descriptor = os.open(request["log"], os.O_WRONLY | os.O_TRUNC)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["dbt", *request["args"]]
    code = 0
    try:
        from dbt.cli.main import cli

        cli(prog_name="dbt")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException as error:  # dbt's own handler prints its errors; anything else is printed here
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        code = 1
    finally:
        atexit._run_exitfuncs()  # what the `dbt` command's interpreter runs at exit (e.g. a Spark session's stop)
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _serve() -> None:
    _die_with_parent()
    import vaultgen._dbt_preload  # noqa: F401  (the slow imports, once)

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    _serve()
