"""`vaultgen verify`: rebuild every source table from the vault and compare it with its raw snapshot.

Exit 0 when every table that can be rebuilt equals its snapshot, 1 when one differs or a loaded batch is not
built; a table the vault cannot rebuild is reported with the reason and does not fail the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaultgen.errors import EXIT_FINDINGS, EXIT_OK, InputError, Location, Problem

TARGETS = ("duckdb", "athena")
LIMIT = 20  # differing rows fetched per side and table


def add_command(commands) -> None:
    from vaultgen.cli import database_option, spec_option

    verify = spec_option(commands.add_parser(
        "verify", help="rebuild every source table from the vault and compare it with its raw snapshot (exit 1 on a difference)",
        description="Rebuild every source table from the vault as of a batch and compare it, row for row, with the raw snapshot "
                    "of that batch. Exit 0 when every table that can be rebuilt equals its snapshot, 1 when one differs or a loaded "
                    "batch is not built yet; a table the vault cannot rebuild is reported with the reason."))
    database_option(verify, "holding the raw layer and the vault (--target duckdb)")
    when = verify.add_mutually_exclusive_group()
    when.add_argument("--at", default=None, metavar="TIMESTAMP",
                      help="compare each table's newest batch loaded at or before this ISO 8601 time (UTC when no offset; default: the newest batch)")
    when.add_argument("--all", dest="every", action="store_true", help="compare every batch of every table")
    verify.add_argument("--target", choices=TARGETS, default="duckdb", help="where the vault is: the DuckDB file, or Athena (default: duckdb)")
    verify.add_argument("--samples", type=int, default=5, metavar="N", help="differing rows shown per side and table (default: 5)")
    verify.add_argument("--print-sql", action="store_true", help="print the comparison queries in the target's SQL and run nothing")
    athena = verify.add_argument_group("Athena (--target athena; defaults from the generated Athena profile)")
    athena.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="dbt profiles.yml with the Athena output (default: <out>/athena/profiles.yml)")
    athena.add_argument("--out", type=Path, default=Path("generated"), metavar="DIR", help="the generated projects (default: generated)")
    athena.add_argument("--workgroup", default=None, help="Athena workgroup (default: the profile's work_group)")
    athena.add_argument("--athena-database", default=None, metavar="NAME", help="Glue database the queries run in (default: the profile's schema)")
    athena.add_argument("--s3-output", default=None, metavar="S3_URL", help="query result location (default: the profile's s3_staging_dir)")
    athena.add_argument("--region", default=None, help="AWS region (default: the profile's region_name)")
    athena.add_argument("--endpoint-url", default=None, metavar="URL", help="an AWS endpoint for Athena, S3 and Glue, e.g. a moto server")
    verify.set_defaults(handler=run_command)


def _moment(text: str | None):
    if text is None:
        return None
    from vaultgen.errors import LoadError
    from vaultgen.raw.lifecycle import parse_load_ts

    try:
        return parse_load_ts(text, "--at")
    except LoadError as error:
        raise InputError(error.problems) from None


def run_command(args: argparse.Namespace) -> int:
    from vaultgen.run.progress import colour_enabled
    from vaultgen.spec.loader import load_spec
    from vaultgen.verify.report import check_lines, summary_line, verify

    spec = load_spec(args.spec)
    at = _moment(args.at)
    if args.samples < 0:
        raise InputError([Problem("VG144", f"--samples must be 0 or more, not {args.samples}", Location("--samples"), "pass --samples 5")])
    if args.print_sql:
        return _print_sql(args, spec, at)
    colour = colour_enabled(sys.stdout)
    batch: list[tuple] = []

    def show(check) -> None:
        if batch != [(check.at, check.batch_id)]:
            batch[:] = [(check.at, check.batch_id)]
            print(f"batch {check.batch_id} loaded at {check.at.isoformat(sep=' ')}:")
        for line in check_lines(check, args.samples, colour):
            print(line, flush=True)

    if args.target == "athena":
        engine = _athena_engine(args)
        where = f"Athena workgroup {engine.settings.workgroup}"
        print(f"verify {args.spec} against Athena (workgroup {engine.settings.workgroup}, database {engine.settings.database})", flush=True)
        report = verify(engine, spec, at, args.every, LIMIT, where, show)
    else:
        import duckdb

        from vaultgen.verify.roundtrip import DuckDBEngine

        database = _database(args, spec)
        print(f"verify {args.spec} against {database}", flush=True)
        try:
            connection = duckdb.connect(str(database), read_only=True)
        except duckdb.Error as error:  # not a DuckDB file, or held by a writer (a dbt build) right now
            raise InputError([Problem("VG145", f"cannot open the database: {str(error).splitlines()[0]}", Location(str(database)),
                                      "name the DuckDB file `vaultgen load` wrote (--database); wait for a running build to end")]) from None
        with connection:
            report = verify(DuckDBEngine(connection), spec, at, args.every, LIMIT, str(database), show)
    print(summary_line(report, colour))
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _database(args: argparse.Namespace, spec) -> Path:
    from vaultgen.cli import database_path

    database = database_path(args, spec.project.name)
    if not database.is_file():
        raise InputError([Problem("VG130", "no such database", Location(str(database)),
                                 "load and build a batch first (`vaultgen load`, `vaultgen run`), or name the file with --database")])
    return database


def _athena_engine(args: argparse.Namespace):
    from vaultgen.verify.athena import AthenaEngine, AthenaSettings

    profile = args.profile or args.out / "athena" / "profiles.yml"
    flags_complete = args.workgroup and args.athena_database and args.s3_output
    settings = AthenaSettings.resolve(None if flags_complete or not profile.is_file() else profile, args.workgroup, args.athena_database,
                                      args.s3_output, args.region, args.endpoint_url)
    return AthenaEngine(settings)


def _print_sql(args: argparse.Namespace, spec, at) -> int:
    """Every query of the comparison at `at` (default: now, for every table), in the target's SQL."""
    from datetime import datetime, timezone

    from vaultgen.verify.reconstruct import ReconstructError
    from vaultgen.verify.roundtrip import comparison_queries

    dialect = "trino" if args.target == "athena" else "duckdb"
    moment = at or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    for _, table in spec.tables():
        try:
            queries = comparison_queries(spec, table, moment, LIMIT)
        except ReconstructError as error:
            print(f"-- {table.name}: cannot be rebuilt from the vault: {error}\n")
            continue
        for name, query in (("counts", queries.counts), ("differences", queries.differences)):
            print(f"-- {table.name}: {name} at {moment.isoformat(sep=' ')}\n{query.sql(dialect, pretty=True)};\n")
    return EXIT_OK
