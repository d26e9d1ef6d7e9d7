"""The vaultgen command line. One error handler: a VaultgenError is printed, never a traceback (--debug shows it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vaultgen.docs import command as docs_command
from vaultgen.errors import VaultgenError


def _cmd_validate(args: argparse.Namespace) -> int:
    from vaultgen.spec.loader import load_spec

    spec = load_spec(args.spec)
    print(f"{args.spec}: ok ({len(spec.hubs)} hubs, {len(spec.links)} links, {len(spec.satellites) + len(spec.tracking_satellites)} satellites)")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from vaultgen.spec.schema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from vaultgen.pipeline import render

    report = render(args.spec, args.out, check=args.check)
    if args.check:
        if report.changed:
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

    return run_demo(spec_dir=args.spec, out_dir=args.out, work_dir=args.work_dir, scale=args.scale, batches=args.batches, seed=args.seed)


def _database(args: argparse.Namespace, project_name: str) -> Path:
    """The DuckDB file of the raw layer and the vault: --database, else $VAULTGEN_DUCKDB_PATH, else work/<project>.duckdb."""
    import os

    return args.database or Path(os.environ.get("VAULTGEN_DUCKDB_PATH") or Path("work") / f"{project_name}.duckdb")


def _cmd_load(args: argparse.Namespace) -> int:
    import duckdb

    from vaultgen.errors import LoadError, Location, Problem
    from vaultgen.raw.duckdb_raw import load_folder
    from vaultgen.raw.lifecycle import parse_load_ts
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
            decision, counts = load_folder(connection, spec, args.from_, args.batch_id, load_ts)
    except duckdb.Error as error:
        forget()
        raise LoadError([Problem("VG117", f"DuckDB refused the batch: {str(error).splitlines()[0]}", Location(str(args.from_)),
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaultgen", description="Data Vault 2.0 dbt projects from one YAML spec.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_spec(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--spec", type=Path, default=Path("vault_spec"), help="spec folder (default: vault_spec)")
        return sub

    validate = with_spec(commands.add_parser("validate", help="check the spec and report every problem"))
    validate.set_defaults(handler=_cmd_validate)

    schema = commands.add_parser("schema", help="write the JSON Schema of the spec (for YAML editors)")
    schema.add_argument("--output", default="-", help="file to write, or - for stdout")
    schema.set_defaults(handler=_cmd_schema)

    render = with_spec(commands.add_parser("render", help="render the dbt projects into generated/"))
    render.add_argument("--out", type=Path, default=Path("generated"))
    render.add_argument("--check", action="store_true", help="write nothing; exit 1 when generated/ differs from the spec")
    render.set_defaults(handler=_cmd_render)

    demo = with_spec(commands.add_parser("demo", help="the main job: generate Northwind batches, load and build the vault on DuckDB"))
    demo.add_argument("--out", type=Path, default=Path("generated"))
    demo.add_argument("--work-dir", type=Path, default=Path("work"))
    demo.add_argument("--scale", type=float, default=1.0, help="data volume factor (1.0 ~ the real Northwind size)")
    demo.add_argument("--batches", type=int, default=4, help="number of batches: the first load plus change batches")
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(handler=_cmd_demo)

    load = with_spec(commands.add_parser("load", help="load one batch (a folder of <table>.csv / <table>.parquet files) into the DuckDB raw layer"))
    load.add_argument("--from", dest="from_", type=Path, required=True, help="folder with one file per source table of the batch")
    load.add_argument("--batch-id", required=True, help="the batch's id; an id loaded before is a corrected batch (replaces its rows)")
    load.add_argument("--load-ts", default=None, help="ISO 8601 (UTC when no offset); default now, or a corrected batch's own")
    load.add_argument("--database", type=Path, default=None, help="DuckDB file (default: $VAULTGEN_DUCKDB_PATH or work/<project>.duckdb)")
    load.set_defaults(handler=_cmd_load)

    run = with_spec(commands.add_parser("run", help="build every loaded batch the vault has not built (in load order), repairing late and corrected batches"))
    run.add_argument("--out", type=Path, default=Path("generated"), help="generated projects (rendered first; the DuckDB one is built)")
    run.add_argument("--database", type=Path, default=None, help="DuckDB file holding the raw layer and the vault (default: $VAULTGEN_DUCKDB_PATH or work/<project>.duckdb)")
    run.add_argument("--work-dir", type=Path, default=Path("work"), help="dbt's target/ and logs/ go here")
    run.set_defaults(handler=_cmd_run)

    glue = commands.add_parser("glue", help="the Glue Data Catalog of the raw layer and of the vault tables Athena reads").add_subparsers(dest="glue_command", required=True)
    glue_sync = with_spec(glue.add_parser("sync", help="create or update the raw and vault Iceberg tables in Glue; never drops a table or column"))
    glue_sync.add_argument("--region", default=None, help="AWS region (default: the AWS configuration's)")
    glue_sync.add_argument("--endpoint-url", default=None, help="Glue endpoint, e.g. a moto server")
    glue_sync.add_argument("--warehouse", default=None, help="s3://bucket/prefix: new tables get Iceberg metadata at <warehouse>/<database>.db/<table>")
    glue_sync.add_argument("--allow-drop", action="store_true", help="report tables and columns missing from the spec instead of failing (they are still kept)")
    glue_sync.set_defaults(handler=_cmd_glue_sync)
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
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
