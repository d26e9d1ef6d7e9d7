"""The vaultgen command line. One error handler: a VaultgenError is printed, never a traceback (--debug shows it),
and the exit code says what happened (README "Command line"): 0 ok, 1 findings, 2 usage, 3 input, 4 a failed step.

A command lives in its own package as `add_command(commands)` (vaultgen/verify/command.py is one) and is
registered with one line in build_parser(); its handler returns 0 or 1 and raises VaultgenError for the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vaultgen.docs import command as docs_command
from vaultgen.errors import InputError, Location, Problem, VaultgenError


def _cmd_validate(args: argparse.Namespace) -> int:
    from vaultgen.spec.loader import load_spec
    from vaultgen.spec.summary import entity_counts

    spec = load_spec(args.spec)
    tables = len(spec.tables())
    print(f"{args.spec}: ok: {tables} source table{'s' if tables != 1 else ''}, {len(spec.entities)} entities")
    width = max(len(label) for label, _ in entity_counts(spec))
    for label, count in entity_counts(spec):
        print(f"  {label:<{width}} {count:>4}")
    if args.against:
        from vaultgen.source.command import validate_against

        return validate_against(spec, args)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from vaultgen.spec.schema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise InputError([Problem("VG146", f"cannot write the schema: {error.strerror or error}", Location(str(args.output)),
                                      "pass --output with a writable file, or - for stdout")]) from None
        print(f"wrote {args.output}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from vaultgen.pipeline import render

    report = render(args.spec, args.out, check=args.check, unified=args.diff)
    if args.check:
        if report.changed:
            sys.stdout.write(report.patch)
            for name in report.written:
                print(f"differs: {args.out / name}")
            for name in report.removed:
                print(f"stale:   {args.out / name}")
            for path in report.leftovers:
                print(f"leftover: {path} (from an interrupted render; `vaultgen render` removes it)")
            print(f"{args.out} is out of date with {args.spec}: run `vaultgen render`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date ({len(report.unchanged)} files)")
        return 0
    leftovers = f", {len(report.leftovers)} leftovers of an interrupted render cleaned" if report.leftovers else ""
    print(f"rendered {args.out}: {len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.removed)} removed{leftovers}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from vaultgen.demo.job import run_demo
    from vaultgen.run.progress import Progress

    progress = Progress()
    return run_demo(spec_dir=args.spec, out_dir=args.out, work_dir=args.work_dir, scale=args.scale, batches=args.batches, seed=args.seed,
                    say=progress.line, progress=progress)


def _database(args: argparse.Namespace, project_name: str) -> Path:
    """The DuckDB file of the raw layer and the vault: --database, else $VAULTGEN_DUCKDB_PATH, else work/<project>.duckdb."""
    import os

    return args.database or Path(os.environ.get("VAULTGEN_DUCKDB_PATH") or Path("work") / f"{project_name}.duckdb")


database_path = _database  # for the command modules


def _load_from(connection, spec, args: argparse.Namespace, load_ts):
    """A folder of files, or a database URL (vaultgen.raw.database_load)."""
    from vaultgen.source import is_url

    if is_url(args.from_):
        from vaultgen.raw.database_load import load_database
        from vaultgen.source import parse_url

        return load_database(connection, spec, parse_url(args.from_), args.batch_id, load_ts, schema=args.schema)
    from vaultgen.raw.duckdb_raw import load_folder

    return load_folder(connection, spec, Path(args.from_), args.batch_id, load_ts)


def _cmd_load(args: argparse.Namespace) -> int:
    import duckdb

    from vaultgen.errors import LoadError, Location, Problem
    from vaultgen.raw.lifecycle import parse_load_ts
    from vaultgen.source import masked
    from vaultgen.spec.loader import load_spec

    spec = load_spec(args.spec)
    load_ts = None if args.load_ts is None else parse_load_ts(args.load_ts)
    database = _database(args, spec.project.name)
    fresh = not database.exists()
    created = [folder for folder in [database.parent, *database.parent.parents] if not folder.exists()]
    database.parent.mkdir(parents=True, exist_ok=True)

    def forget() -> None:  # a refused first batch leaves no database (nor the folders made for it) behind
        if fresh:
            database.unlink(missing_ok=True)
            for folder in created:
                folder.rmdir()
    try:
        with duckdb.connect(str(database)) as connection:
            connection.execute("SET TimeZone = 'UTC'")  # a timestamp without an offset in a file is UTC
            decision, counts = _load_from(connection, spec, args, load_ts)
    except duckdb.Error as error:
        forget()
        raise LoadError([Problem("VG117", f"DuckDB refused the batch: {str(error).splitlines()[0]}", Location(masked(args.from_)),
                                 "nothing was loaded; run with --debug for the details")]) from error
    except BaseException:
        forget()
        raise
    kind = "corrected batch" if decision.corrected else "batch"
    print(f"loaded {kind} {args.batch_id} at {decision.load_ts.isoformat(sep=' ')} UTC into {database}:")
    for table, count in counts.items():
        print(f"  {table}: {count} row{'s' if count != 1 else ''}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from vaultgen.run.runner import run_vault
    from vaultgen.spec.loader import load_spec

    run_vault(args.spec, args.out, _database(args, load_spec(args.spec).project.name), args.work_dir)
    return 0


def _cmd_glue_sync(args: argparse.Namespace) -> int:
    from vaultgen.catalog.aws import glue_client
    from vaultgen.catalog.sync import sync_catalog
    from vaultgen.spec.loader import load_spec

    spec = load_spec(args.spec)
    report = sync_catalog(glue_client(region=args.region, endpoint_url=args.endpoint_url), spec, allow_drop=args.allow_drop, warehouse=args.warehouse)
    for line in report.lines():
        print(line)
    return 0


def spec_option(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add --spec to a command (for the command modules too)."""
    sub.add_argument("--spec", type=Path, default=Path("vault_spec"), metavar="DIR", help="the spec folder (default: vault_spec)")
    return sub


def database_option(sub: argparse.ArgumentParser, what: str = "holding the raw layer and the vault") -> None:
    sub.add_argument("--database", type=Path, default=None, metavar="FILE",
                     help=f"DuckDB file {what} (default: $VAULTGEN_DUCKDB_PATH, else work/<project name>.duckdb)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaultgen")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from vaultgen.verify import command as verify_command

    parser = argparse.ArgumentParser(
        prog="vaultgen", description="Data Vault 2.0 dbt projects from one YAML spec.",
        epilog="exit codes: 0 ok; 1 findings (drift, differences, failed checks); 2 usage error; "
               "3 spec or input error (nothing changed); 4 a step failed (dbt, a database, AWS)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = spec_option(commands.add_parser("validate", help="check the spec and report every problem; print the entities per kind"))
    validate.add_argument("--against", default=None, metavar="URL", help="also check the live source: tables, columns, types, unique keys, NULL keys")
    validate.add_argument("--schema", default=None, help="with --against: the source schema (default: the spec's source_schema, else public / main)")
    validate.set_defaults(handler=_cmd_validate)

    schema = commands.add_parser("schema", help="write the JSON Schema of the spec (for YAML editors)")
    schema.add_argument("--output", default="-", metavar="FILE", help="file to write, or - for stdout (default: -)")
    schema.set_defaults(handler=_cmd_schema)

    render = spec_option(commands.add_parser("render", help="render the dbt projects and Glue definitions into generated/"))
    render.add_argument("--out", type=Path, default=Path("generated"), metavar="DIR", help="the output folder (default: generated)")
    render.add_argument("--check", action="store_true", help="write nothing; exit 1 when the output folder differs from what the spec renders")
    render.add_argument("--diff", action="store_true", help="with --check: print a unified diff of what differs")
    render.set_defaults(handler=_cmd_render)

    demo = spec_option(commands.add_parser("demo", help="the main job: generate Northwind batches, load and build the vault on DuckDB, verify it"))
    demo.add_argument("--out", type=Path, default=Path("generated"), metavar="DIR", help="where the dbt projects are rendered (default: generated)")
    demo.add_argument("--work-dir", type=Path, default=Path("work"), metavar="DIR",
                      help="the DuckDB file (<project name>.duckdb, replaced) and dbt's target/ and logs/ go here (default: work)")
    demo.add_argument("--scale", type=float, default=1.0, help="data volume factor (default 1.0, about the real Northwind size)")
    demo.add_argument("--batches", type=int, default=4, help="number of batches: the first load plus change batches (default: 4)")
    demo.add_argument("--seed", type=int, default=42, help="seed of the data generator: the same seed makes the same batches (default: 42)")
    demo.set_defaults(handler=_cmd_demo)

    load = spec_option(commands.add_parser("load", help="load one batch (a folder of <table>.csv / <table>.parquet files, or a database URL) into the DuckDB raw layer"))
    load.add_argument("--from", dest="from_", required=True, metavar="DIR|URL",
                      help="folder with one file per source table of the batch, or a database URL (postgresql://..., duckdb:///..., sqlite:///...)")
    load.add_argument("--schema", default=None, help="with a URL: the source schema (default: the spec's source_schema, else public / main)")
    load.add_argument("--batch-id", required=True, metavar="ID", help="the batch's id; an id loaded before is a corrected batch (replaces its rows)")
    load.add_argument("--load-ts", default=None, metavar="TIMESTAMP", help="ISO 8601 (UTC when no offset); default now, or a corrected batch's own")
    database_option(load, "of the raw layer")
    load.set_defaults(handler=_cmd_load)

    run = spec_option(commands.add_parser("run", help="build every loaded batch the vault has not built (in load order), repairing late and corrected batches"))
    run.add_argument("--out", type=Path, default=Path("generated"), metavar="DIR", help="generated projects (rendered first; the DuckDB one is built; default: generated)")
    database_option(run)
    run.add_argument("--work-dir", type=Path, default=Path("work"), metavar="DIR", help="dbt's target/ and logs/ go here (default: work)")
    run.set_defaults(handler=_cmd_run)

    glue = commands.add_parser("glue", help="the Glue Data Catalog of the raw layer and of the vault tables Athena reads").add_subparsers(
        dest="glue_command", required=True, metavar="SUBCOMMAND")
    glue_sync = spec_option(glue.add_parser("sync", help="create or update the raw and vault Iceberg tables in Glue; never drops a table or column"))
    glue_sync.add_argument("--region", default=None, help="AWS region (default: the AWS configuration's)")
    glue_sync.add_argument("--endpoint-url", default=None, metavar="URL", help="Glue endpoint, e.g. a moto server")
    glue_sync.add_argument("--warehouse", default=None, metavar="S3_URL", help="s3://bucket/prefix: new tables get Iceberg metadata at <warehouse>/<database>.db/<table>")
    glue_sync.add_argument("--allow-drop", action="store_true", help="report tables and columns missing from the spec instead of failing (they are still kept)")
    glue_sync.set_defaults(handler=_cmd_glue_sync)

    # one line per command package
    __import__("vaultgen.init.command", fromlist=["add_command"]).add_command(commands)
    __import__("vaultgen.change.command", fromlist=["add_command"]).add_command(commands)
    verify_command.add_command(commands)
    docs_command.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except VaultgenError as error:
        if args.debug:
            raise
        from vaultgen.run.progress import colour_enabled, paint

        print(f"{paint('error:', 'error', colour_enabled(sys.stderr))} {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
