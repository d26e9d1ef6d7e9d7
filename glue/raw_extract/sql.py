"""Quoting for the little SQL the job writes: PostgreSQL reads over JDBC, Spark DDL on Iceberg. Standard library
only (the job runs on Glue with nothing else installed); every identifier and value goes through here."""

from __future__ import annotations


def pg_identifier(*parts: str) -> str:
    """A dotted PostgreSQL name, each part double-quoted (embedded quotes doubled)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def pg_string(text: str) -> str:
    """A PostgreSQL string literal (standard_conforming_strings, on since PostgreSQL 9.1)."""
    return "'" + text.replace("'", "''") + "'"


def spark_identifier(*parts: str) -> str:
    """A dotted Spark SQL name, each part back-quoted (embedded back quotes doubled)."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


def spark_string(text: str) -> str:
    """A Spark SQL string literal: Spark reads backslash escapes, so backslashes and quotes are escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
