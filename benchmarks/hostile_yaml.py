"""Benchmark: hostile spec files cost the reader about what a normal one does, never unbounded time or memory.

The floor is reading every file of the shipped vault_spec/; each hostile input (an alias bomb that would
expand to 390 million values, 5,000 levels of nesting, a recursive alias, a file at the size limit full of
values, a 256 KiB value, 1,000 aliases of a big anchor) is read by the same reader in the same run. Prints
seconds, the ratio to the floor and the peak memory the read allocated. Run:
    .venv/bin/python benchmarks/hostile_yaml.py
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from vaultgen.spec.yaml_source import LIMITS, MAX_FILE_BYTES, parse_yaml

REPO = Path(__file__).resolve().parents[1]


def _bomb(levels: int) -> bytes:
    lines = [b"l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [b"l%d: &l%d [%s]" % (i, i, b", ".join([b"*l%d" % (i - 1)] * 9)) for i in range(1, levels)]
    return b"\n".join(lines) + b"\n"


def _dense(size: int) -> bytes:
    row = b"  - {name: t%06d, columns: [{name: c, type: int}]}\n"
    return (b"sources:\n" + b"".join(row % i for i in range(size // len(row))))[:size]


HOSTILE = {
    "alias bomb, 9 levels": _bomb(9),
    "nesting 5,000 levels": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "recursive alias": b"loop: &a [*a]\n",
    "file at the size limit, dense": _dense(MAX_FILE_BYTES),
    "one value at the size limit": b"a: !!int " + b"9" * (MAX_FILE_BYTES - 20) + b"\n",
    "1,000 aliases of a big anchor": b"a: &a [" + b",".join([b"x"] * 1000) + b"]\nb: [" + b",".join([b"*a"] * 1000) + b"]\n",
}


def _read(files: list[bytes]) -> list[str]:
    return [problem.code for raw in files for problem in parse_yaml(raw, "x.yml")[1]]


def _measure(files: list[bytes]) -> tuple[float, float, str]:
    """Seconds (best of 3), then the peak of memory allocated (a second pass: tracemalloc slows it down)."""
    seconds = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        codes = _read(files)
        seconds = min(seconds, time.perf_counter() - started)
    tracemalloc.start()
    _read(files)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, ",".join(sorted(set(codes))) or "ok"


def main() -> None:
    shipped = [path.read_bytes() for path in sorted((REPO / "vault_spec").rglob("*.yml"))]
    floor = _measure(shipped)[0]
    print(f"limits: {LIMITS}")
    print(f"floor: the shipped spec ({len(shipped)} files, {sum(map(len, shipped)):,} bytes) reads in {floor * 1000:.1f} ms")
    for name, raw in HOSTILE.items():
        seconds, peak, codes = _measure([raw])
        print(f"{name:<32} {len(raw):>9,} bytes {seconds * 1000:>8.1f} ms  x{seconds / floor:>6.1f} floor  peak {peak:>6.1f} MiB  {codes}")


if __name__ == "__main__":
    main()
