"""`vaultgen init --from URL [--out DIR] [--schema NAME] [--tables ...] [--force]`: introspect a database and write a
draft spec folder that validates and builds as it is (checked before anything is written)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from vaultgen.errors import Location, OutputError, Problem


def draft_spec(url_text: str, schema: str | None = None, tables: list[str] | None = None) -> tuple[dict[str, str], list[str], str]:
    """The draft's files, the tables left out, and where it came from; raises SpecError if the draft does not
    validate (a bug: nothing is written then)."""
    from vaultgen import writer
    from vaultgen.init.catalog import read_catalog
    from vaultgen.init.draft import draft_files
    from vaultgen.source import parse_url
    from vaultgen.spec.loader import load_spec

    url = parse_url(url_text)
    catalog = read_catalog(url, schema, tables)
    files, skipped = draft_files(catalog, url.shown, url.database)
    with tempfile.TemporaryDirectory(prefix="vaultgen-init-") as scratch:
        writer.write(Path(scratch) / "spec", files)
        load_spec(Path(scratch) / "spec")  # the draft must validate as it is
    return files, skipped, f"{url.shown} (schema {catalog.schema}, {len(catalog.tables)} tables)"


def _run(args: argparse.Namespace) -> int:
    from vaultgen import writer

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise OutputError(Problem("VG154", "--out is a file, not a folder", Location(str(out)), "pass a new or empty folder"))
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise OutputError(Problem("VG154", "the folder is not empty; init writes a new spec folder", Location(str(out)),
                                  "pass a new or empty folder with --out, or --force to write over it"))
    files, skipped, origin = draft_spec(args.from_, args.schema, args.tables)
    writer.write(out, files)
    print(f"drafted {out} from {origin}: {len(files)} files")
    for name in sorted(files):
        print(f"  {out / name}")
    if skipped:
        print(f"  left out (no primary key): {', '.join(skipped)}")
    print(f"next: review the `# decide:` / `# review:` comments, then `vaultgen validate --spec {out} --against URL`,"
          f" `vaultgen load --spec {out} --from URL --batch-id b1`, `vaultgen run --spec {out}`")
    return 0


def add_command(commands) -> None:
    init = commands.add_parser("init", help="draft a spec folder from a live database (PostgreSQL, DuckDB or SQLite)")
    init.add_argument("--from", dest="from_", required=True, metavar="URL",
                      help="postgresql://user:password@host:port/database (or PGPASSWORD), duckdb:///path/file.duckdb, sqlite:///path/file.db")
    init.add_argument("--out", type=Path, default=Path("vault_spec"), help="spec folder to write (default: vault_spec); must be new or empty")
    init.add_argument("--schema", default=None, help="source schema (default: public on PostgreSQL, main on DuckDB and SQLite)")
    init.add_argument("--tables", nargs="+", default=None, metavar="TABLE", help="only these tables (source names); default: every table")
    init.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    init.set_defaults(handler=_run)
