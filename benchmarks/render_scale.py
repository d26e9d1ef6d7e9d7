"""Benchmark: how validate and render scale with the size of the spec (issue 12).

Writes a synthetic spec of N hubs, N links and 2N satellites (four targets; shaped like vault_spec/: one source
system whose tables each feed a hub, a link from that hub to another one, a satellite of the hub and one of the
link) into a temporary folder, and runs each step as its own `vaultgen` subprocess, so every figure is that
process's own: CPU seconds (user + sys, from os.wait4), wall seconds and peak RSS. Steps: `validate`, a cold
`render`, `render` again with nothing changed, `render --check` with nothing changed. Northwind (vault_spec/)
is measured the same way.

Per the project's rule the figures are read against a floor measured in the same run: the floor is a process
that starts Python, imports vaultgen.cli and parses every YAML file of the spec with PyYAML's C loader (what any
validate must at least do). Each row prints its cost over the floor, and from the second size on its marginal
cost (CPU seconds per 1,000 N above the smallest size, which leaves out the fixed start-up) and that figure's
ratio to the second size's: 1.0 is linear, 3.0 is quadratic between N=1,000 and N=3,000.

Run (a quick look, about a minute):
    .venv/bin/python benchmarks/render_scale.py
the issue's sizes, render only up to 1,000 (N=3,000 validate only):
    nice -n 5 .venv/bin/python benchmarks/render_scale.py --sizes 100,1000,3000 --skip-render-above 1000
only write the synthetic spec (to profile it):
    .venv/bin/python benchmarks/render_scale.py --write-spec /tmp/spec_1000 --sizes 1000
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
VAULTGEN = [sys.executable, "-m", "vaultgen.cli"] if not (Path(sys.executable).parent / "vaultgen").exists() else [str(Path(sys.executable).parent / "vaultgen")]
PER_FILE = 50  # tables per source file and hubs per vault file (a spec file is limited to 256 KiB)
ATTRIBUTES = 5  # attribute columns per table: three for the hub's satellite, two for the link's
TYPES = ["varchar(40)", "integer", "date", "numeric(10,2)", "text", "timestamp", "boolean"]
FLOOR_CODE = (
    "import sys, yaml, vaultgen.cli\n"
    "from pathlib import Path\n"
    "loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)\n"
    "for path in sorted(Path(sys.argv[1]).rglob('*.yml')):\n"
    "    yaml.load(path.read_bytes(), Loader=loader)\n"
)


# --- the synthetic spec -----------------------------------------------------------------------------------


def synthetic_spec(n: int, seed: int = 12) -> dict[str, dict]:
    """The files (relative path -> document) of a spec with n hubs, n links and 2n satellites."""
    rng = random.Random(seed)
    project = {"project": {
        "name": f"scale_{n}", "description": f"Synthetic spec: {n} hubs, {n} links, {2 * n} satellites.",
        "targets": ["duckdb", "spark", "athena", "snowflake"],
        "target_settings": {
            "athena": {"defaults": {"satellite": {"partition_by": [{"column": "load_ts", "transform": "day"}]}}},
            "spark": {"defaults": {"satellite": {"partition_by": [{"column": "load_ts", "transform": "day"}]}}},
            "snowflake": {"defaults": {"satellite": {"cluster_by": ["load_ts"]}}},
        },
        "ghost_records": True, "virtual_end_dating": True,
    }}
    files: dict[str, dict] = {"project.yml": project}
    tables, entities = [], []
    for i in range(n):
        other = rng.randrange(n - 1) if n > 1 else 0
        other += other >= i  # another hub than the table's own
        columns = [Flow(name=f"e{i}_id", type="integer", nullable=False), Flow(name=f"e{other}_ref", type="integer", nullable=False)]
        columns += [Flow(name=f"attr_{a}", type=rng.choice(TYPES)) for a in range(ATTRIBUTES)]
        tables.append({"name": f"t{i}", "description": f"table {i}", "primary_key": [f"e{i}_id"], "columns": columns})
        entities.append([
            {"kind": "hub", "name": f"e{i}", "description": f"entity {i}", "business_keys": [f"e{i}_id"],
             "sources": [Flow(table=f"t{i}", columns=[f"e{i}_id"])]},
            {"kind": "link", "name": f"e{i}_e{other}", "description": f"entity {i} to entity {other}",
             "references": [Flow(hub=f"e{i}"), Flow(hub=f"e{other}")],
             "sources": [{"table": f"t{i}", "columns": {f"e{i}": [f"e{i}_id"], f"e{other}": [f"e{other}_ref"]}}]},
            {"kind": "satellite", "name": f"e{i}_details", "parent": f"e{i}", "source": f"t{i}",
             "attributes": [f"attr_{a}" for a in range(3)]},
            {"kind": "satellite", "name": f"e{i}_e{other}_details", "parent": f"e{i}_e{other}", "source": f"t{i}",
             "attributes": [f"attr_{a}" for a in range(3, ATTRIBUTES)]},
        ])
    for part, start in enumerate(range(0, n, PER_FILE)):
        chunk = tables[start:start + PER_FILE]
        files[f"sources/part_{part:03d}.yml"] = {"sources": [{"name": f"erp{part:03d}", "description": "synthetic ERP", "tables": chunk}]}
        files[f"vault/part_{part:03d}.yml"] = {"entities": [e for group in entities[start:start + PER_FILE] for e in group]}
    return files


class Flow(dict):
    """A mapping written on one line, `{name: x, type: integer}`, as vault_spec/ writes columns and sources."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))
_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(  # a list of names on one line: [a, b]
    "tag:yaml.org,2002:seq", data, flow_style=all(isinstance(item, str) for item in data)))


def write_files(folder: Path, files: dict[str, dict]) -> Path:
    for name, document in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=140), encoding="utf-8")
    return folder


def write_spec(folder: Path, n: int, seed: int = 12) -> Path:
    return write_files(folder, synthetic_spec(n, seed))


# --- measuring --------------------------------------------------------------------------------------------


@dataclass
class Cost:
    cpu: float  # user + sys seconds of the child
    wall: float
    rss_mb: float  # peak resident set of the child


def measure(command: list[str], cwd: Path, must_pass: bool = True) -> Cost:
    """Run `command` and return its own CPU seconds, wall seconds and peak RSS; fail on a non-zero exit."""
    # bytecode caches on, as an installed vaultgen has them (the first run writes them): else every process would
    # compile its ~180 modules again, a second of CPU that says nothing about vaultgen
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    # this checkout's vaultgen, whichever the virtualenv's (editable) install points at: a worktree measures itself
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    if process.returncode != 0 and must_pass:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{output.decode(errors='replace')[-3000:]}")
    return Cost(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def best(command: list[str], cwd: Path, repeat: int) -> Cost:
    costs = [measure(command, cwd) for _ in range(repeat)]
    return min(costs, key=lambda cost: cost.cpu)


def steps(spec: Path, out: Path, render: bool) -> list[tuple[str, list[str]]]:
    found = [("floor", [sys.executable, "-c", FLOOR_CODE, str(spec)]), ("validate", [*VAULTGEN, "validate", "--spec", str(spec)])]
    if render:
        render_command = [*VAULTGEN, "render", "--spec", str(spec), "--out", str(out)]
        found += [("render (cold)", render_command), ("render (unchanged)", render_command), ("render --check", [*render_command, "--check"])]
    return found


def run_steps(spec: Path, out: Path, render: bool, repeat: int) -> dict[str, Cost]:
    results: dict[str, Cost] = {}
    for name, command in steps(spec, out, render):
        # a cold render is cold once: repeating it would measure the unchanged case
        results[name] = measure(command, REPO) if name == "render (cold)" else best(command, REPO, repeat)
    return results


def count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


# --- report -----------------------------------------------------------------------------------------------


def print_table(title: str, results: dict[str, Cost], base: tuple[int, dict[str, Cost]] | None, n: int | None,
                marginal: dict[str, float]) -> None:
    """One size's figures; from the second size on, the marginal cost: CPU seconds per 1,000 N above the smallest
    size, and its ratio to the same figure of the second size (1.0 = linear; 3.0 would be quadratic from 1k to 3k)."""
    floor = results["floor"]
    print(f"\n{title}")
    header = f"  {'step':<20} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'CPU/floor':>10}"
    if base is not None:
        header += f" {'s per 1k N':>11} {'vs first':>9}"
    print(header)
    for name, cost in results.items():
        line = f"  {name:<20} {cost.cpu:>8.2f} {cost.wall:>8.2f} {cost.rss_mb:>8.0f} {cost.cpu / floor.cpu:>10.2f}"
        if base is not None and n is not None and name in base[1]:
            n0, base_results = base
            per_1k = (cost.cpu - base_results[name].cpu) / (n - n0) * 1000
            first = marginal.setdefault(name, per_1k)
            line += f" {per_1k:>11.2f} {per_1k / first if first > 0 else float('nan'):>9.2f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300", help="comma-separated N (hubs; as many links, twice as many satellites)")
    parser.add_argument("--skip-render-above", type=int, default=None, metavar="N", help="above this N, measure validate only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step but the cold render; the lowest CPU counts")
    parser.add_argument("--no-northwind", action="store_true", help="skip vault_spec/")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--write-spec", type=Path, default=None, metavar="DIR", help="only write the spec of the (first) size to DIR")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if args.write_spec is not None:
        write_spec(args.write_spec, sizes[0], args.seed)
        print(f"wrote a spec of {sizes[0]} hubs, {sizes[0]} links, {2 * sizes[0]} satellites to {args.write_spec}")
        return
    print(f"vaultgen render scaling: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; CPU = user + sys seconds of each process")
    print("floor = python + import vaultgen.cli + parse the spec's YAML (C loader); s per 1k N = (CPU - CPU at the smallest N) / (N - N0) * 1000,\n"
          "'vs first' = that over its value at the second size: 1.0 is linear")
    with tempfile.TemporaryDirectory(prefix="vaultgen_scale_") as folder:
        work = Path(folder)
        # warm up: every module vaultgen's commands import gets its bytecode cache written (the check fails: no output yet)
        measure([*VAULTGEN, "render", "--check", "--spec", str(REPO / "vault_spec"), "--out", str(work / "warm")], REPO, must_pass=False)
        if not args.no_northwind:
            results = run_steps(REPO / "vault_spec", work / "northwind_out", True, args.repeat)
            print_table(f"Northwind (vault_spec/): {count_files(work / 'northwind_out')} files", results, None, None, {})
        base: tuple[int, dict[str, Cost]] | None = None
        marginal: dict[str, float] = {}  # per step: the marginal cost at the second size
        for n in sizes:
            spec = write_spec(work / f"spec_{n}", n, args.seed)
            out = work / f"out_{n}"
            render = args.skip_render_above is None or n <= args.skip_render_above
            results = run_steps(spec, out, render, args.repeat)
            files = f", {count_files(out)} files" if render else ", validate only"
            print_table(f"N={n}: {n} hubs, {n} links, {2 * n} satellites, 4 targets{files}", results, base, n, marginal)
            base = base or (n, results)  # the marginal cost is against the smallest size


if __name__ == "__main__":
    main()
