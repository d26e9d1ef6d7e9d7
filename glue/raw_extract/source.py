"""The source side: credentials from Secrets Manager, and reading PostgreSQL tables over JDBC.

SQL sent to PostgreSQL quotes every identifier and literal (raw_extract.sql).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from raw_extract.sql import pg_identifier, pg_string

JDBC_DRIVER = "org.postgresql.Driver"
FETCH_SIZE = 10_000


class SourceError(Exception):
    """The source could not be read as the spec describes it."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    host: str = "localhost"
    port: int = 5432
    dbname: str = "postgres"

    def __repr__(self) -> str:  # never print a password
        return f"Credentials(username={self.username!r}, host={self.host!r}, port={self.port}, dbname={self.dbname!r})"


def fetch_credentials(secrets_client, secret_id: str) -> Credentials:
    """Credentials from a Secrets Manager secret holding JSON {username, password, host, port, dbname} (the shape
    RDS/Aurora-managed secrets have). The client is passed in: boto3's, or one pointed at a moto server."""
    value = json.loads(secrets_client.get_secret_value(SecretId=secret_id)["SecretString"])
    missing = [key for key in ("username", "password", "host") if not value.get(key)]
    if missing:
        raise SourceError(f"secret {secret_id} lacks {', '.join(missing)}")
    return Credentials(value["username"], value["password"], value["host"], int(value.get("port", 5432)), value.get("dbname") or value.get("database") or "postgres")


def jdbc_url(credentials: Credentials) -> str:
    return f"jdbc:postgresql://{credentials.host}:{credentials.port}/{credentials.dbname}"


class JdbcSource:
    """Reads one PostgreSQL database through Spark's JDBC reader."""

    def __init__(self, spark, url: str, credentials: Credentials, schema: str = "public"):
        self.spark = spark
        self.url = url
        self.credentials = credentials
        self.schema = schema

    def _reader(self):
        return (
            self.spark.read.format("jdbc")
            .option("url", self.url)
            .option("driver", JDBC_DRIVER)
            .option("user", self.credentials.username)
            .option("password", self.credentials.password)
            .option("fetchsize", str(FETCH_SIZE))
        )

    def query(self, sql: str):
        return self._reader().option("query", sql).load()

    def columns(self, table: str) -> list[str]:
        """The table's columns in the source, in their order; empty when the table does not exist."""
        sql = (
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = {pg_string(self.schema)} AND table_name = {pg_string(table)} ORDER BY ordinal_position"
        )
        return [row[0] for row in self.query(sql).collect()]

    def select(self, table: str, columns: list[str], where: str | None = None, aliases: list[str] | None = None):
        """SELECT the columns of schema.table (as `aliases`, the spec's names, when given: "AlbumId" AS album_id);
        `where` is a condition built with raw_extract.sql's quoting."""
        names = [pg_identifier(name) for name in columns]
        if aliases is not None:
            names = [name if alias == column else f"{name} AS {pg_identifier(alias)}" for name, column, alias in zip(names, columns, aliases)]
        sql = f"SELECT {', '.join(names)} FROM {pg_identifier(self.schema, table)}"
        return self.query(sql if where is None else f"{sql} WHERE {where}")
