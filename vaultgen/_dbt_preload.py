"""Imported once by the dbt fork server (vaultgen/dbt_fork.py): dbt and the DuckDB adapter, the slow part of dbt's
start-up. A missing adapter is not an error here; dbt reports it when a project needs it."""

import dbt.cli.main  # noqa: F401

try:
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.adapters.duckdb.impl  # noqa: F401
except ImportError:  # pragma: no cover - only the duckdb extra installs it
    pass
