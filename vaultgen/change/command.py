"""`vaultgen plan`: the parser setup and the handler (registered in vaultgen.cli.build_parser)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaultgen.change.compare import IMPACTS, Change, compare
from vaultgen.errors import Location, Problem, VaultgenError

ALLOWABLE = IMPACTS[1:]


class AllowError(VaultgenError):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def parse_allow(text: str | None) -> set[str]:
    if not text:
        return set()
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(ALLOWABLE))
    if unknown:
        raise AllowError(Problem("VG175", f"--allow names unknown impact(s) {', '.join(unknown)}", Location("--allow"),
                                 f"use a comma-separated list of {', '.join(ALLOWABLE)}"))
    return names


def build_plan(spec_dir: Path, base: str, database: Path | None = None) -> list[Change]:
    """Every change from the spec at `base` to the spec in `spec_dir`, classified, with migrations (and counts)."""
    from vaultgen.change.base import load_base
    from vaultgen.change.impact import count_reversions
    from vaultgen.change.migration import plan_migrations
    from vaultgen.spec.loader import load_spec

    new = load_spec(spec_dir)
    old = load_base(base, spec_dir)
    changes = compare(old, new)
    plan_migrations(old, new, changes)
    if database is not None:
        count_reversions(database, old, new, changes)
    return changes


def _cmd_plan(args: argparse.Namespace) -> int:
    from vaultgen.change.report import FORMATS

    allowed = parse_allow(args.allow)
    changes = build_plan(args.spec, args.base, args.database)
    blocking = [change for change in changes if change.impact != "safe" and change.impact not in allowed]
    sys.stdout.write(FORMATS[args.format](changes, blocking))
    return 1 if blocking else 0


def add_command(commands) -> None:
    plan = commands.add_parser("plan", help="what a spec change does to an existing warehouse: classification and migration per target")
    plan.add_argument("--spec", type=Path, default=Path("vault_spec"), help="the changed spec folder (default: vault_spec)")
    plan.add_argument("--base", required=True, help="the spec to compare with: a git ref (origin/main, a tag, a commit) or a folder")
    plan.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="text for a terminal, markdown for a pull request comment, json for tools (default: text)")
    plan.add_argument("--database", type=Path, default=None, help="DuckDB file of the current vault: count the keys each re-versioning change affects")
    plan.add_argument("--allow", default=None, help="impacts the reviewer accepted, e.g. re-version,rehash (exit 0 when they cover every finding)")
    plan.set_defaults(handler=_cmd_plan)
