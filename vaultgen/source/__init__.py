"""Live sources: a database URL (PostgreSQL, DuckDB or SQLite file) parsed, checked and attached to DuckDB.

`vaultgen init`, `vaultgen load --from URL` and `vaultgen validate --against URL` read the source through one
DuckDB connection that ATTACHes it read-only (DuckDB's postgres and sqlite extensions, installed from PyPI as
packages, so nothing is downloaded at run time). A PostgreSQL password comes from the URL or from PGPASSWORD
(libpq reads it). A URL is never echoed with its password.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlglot import exp

from vaultgen.errors import Location, Problem, ProblemsError

ALIAS = "vaultgen_source"  # the attached catalog's name in DuckDB
SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "duckdb": "duckdb", "sqlite": "sqlite"}
DEFAULT_SCHEMA = {"postgres": "public", "duckdb": "main", "sqlite": "main"}
EXTENSION_PACKAGES = {"postgres": "duckdb_extension_postgres", "sqlite": "duckdb_extension_sqlite"}


class SourceError(ProblemsError):
    """A live source cannot be used: an unknown URL scheme, a missing file, an unreachable database."""

    subject = "the source"


@dataclass(frozen=True)
class SourceUrl:
    kind: str  # postgres, duckdb or sqlite
    target: str  # libpq URL (postgres) or a file path
    shown: str  # the URL without its password, for messages
    database: str  # the database's name (PostgreSQL) or the file's stem

    @property
    def default_schema(self) -> str:
        return DEFAULT_SCHEMA[self.kind]

    def where(self, *parts: str) -> Location:
        return Location("/".join([self.shown, *parts]) if parts else self.shown)


def is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(text)))


def masked(text: str) -> str:
    """A folder as it is; a URL without its password."""
    if not is_url(text):
        return str(text)
    parts = urlsplit(str(text))
    userinfo, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{userinfo.split(':', 1)[0]}@{host}" if userinfo else host).geturl()


def parse_url(text: str, where: str = "--from") -> SourceUrl:
    """postgresql://user:pw@host:port/db, duckdb:///path/file.duckdb, sqlite:///path/file.db (also relative:
    duckdb://file.duckdb); else a located SourceError."""
    hint = "use postgresql://user:password@host:port/database, duckdb:///path/file.duckdb or sqlite:///path/file.db"
    parts = urlsplit(str(text))
    kind = SCHEMES.get(parts.scheme.lower())
    if kind is None:
        raise SourceError([Problem("VG150", f"unknown source URL scheme '{parts.scheme}://'", Location(where), hint)])
    if kind == "postgres":
        shown = masked(str(text))
        database = unquote(parts.path.lstrip("/")) or "postgres"
        return SourceUrl(kind, str(text), shown, database)
    path = unquote(parts.netloc + parts.path) if parts.netloc else unquote(parts.path)
    if not path:
        raise SourceError([Problem("VG150", f"{parts.scheme}:// names no file", Location(where), hint)])
    file = Path(re.sub(r"^/+", "/", path))
    if not file.is_file():
        raise SourceError([Problem("VG151", "no such database file", Location(str(file)), f"{hint}; the file must exist (it is opened read-only)")])
    return SourceUrl(kind, str(file), f"{parts.scheme}://{file}", file.stem)


def load_extension(connection, kind: str) -> None:
    """LOAD postgres / sqlite from the PyPI package's file (never a download)."""
    package = EXTENSION_PACKAGES.get(kind)
    if package is None:
        return
    spec = importlib.util.find_spec(package)
    files = sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.duckdb_extension")) if spec else []
    if not files:
        raise SourceError([Problem("VG152", f"DuckDB's {kind} extension is not installed", Location(kind),
                                   f"pip install {package.replace('_', '-')}==1.5.5 (bash scripts/setup.sh installs it)")])
    connection.execute("SET autoinstall_known_extensions = false")
    connection.install_extension(str(files[-1]))
    connection.load_extension(kind)


def attach(connection, url: SourceUrl, alias: str = ALIAS) -> None:
    """ATTACH the source read-only as `alias`; an unreachable or unreadable source is a located SourceError.
    PostgreSQL reads run in one REPEATABLE READ transaction per DuckDB transaction (the extension's default)."""
    import duckdb

    load_extension(connection, url.kind)
    options = [exp.AttachOption(this=exp.var("READ_ONLY"))]
    if url.kind != "duckdb":
        options.insert(0, exp.AttachOption(this=exp.var("TYPE"), expression=exp.to_identifier(url.kind)))
    statement = exp.Attach(this=exp.alias_(exp.Literal.string(url.target), alias, quoted=True), expressions=options)
    try:
        connection.execute(statement.sql("duckdb"))
        if url.kind != "duckdb":  # the extensions connect lazily: touch the catalog now
            connection.execute(exp.select(exp.Count(this=exp.Star())).from_("duckdb_tables()")
                               .where(exp.EQ(this=exp.column("database_name"), expression=exp.Literal.string(alias))).sql("duckdb")).fetchone()
    except duckdb.Error as error:
        detail = str(error).splitlines()[0]
        if url.target in detail:
            detail = detail.replace(url.target, url.shown)
        raise SourceError([Problem("VG151", f"cannot open the source: {detail}", url.where(),
                                   "check the host, port, database, user and password (or PGPASSWORD), and that the server runs")]) from None
