"""The source side: credentials from Secrets Manager, and reading PostgreSQL tables over JDBC.

SQL sent to PostgreSQL is built with sqlglot (quoted identifiers, escaped literals), never with string formatting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlglot import exp

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

    def query(self, select: exp.Expression):
        return self._reader().option("query", select.sql("postgres")).load()

    def columns(self, table: str) -> list[str]:
        """The table's columns in the source, in their order; empty when the table does not exist."""
        select = (
            exp.select(exp.column("column_name"))
            .from_(exp.table_("columns", db="information_schema"))
            .where(exp.and_(
                exp.EQ(this=exp.column("table_schema"), expression=exp.Literal.string(self.schema)),
                exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(table)),
            ))
            .order_by(exp.column("ordinal_position"))
        )
        return [row[0] for row in self.query(select).collect()]

    def select(self, table: str, columns: list[str], where: exp.Expression | None = None):
        select = exp.select(*[exp.column(name, quoted=True) for name in columns]).from_(exp.table_(table, db=self.schema, quoted=True))
        if where is not None:
            select = select.where(where)
        return self.query(select)
