"""`vaultgen plan`: what a spec change does to an existing warehouse, and how to migrate each target.

base.py reads the spec a change starts from (a git ref or a folder); compare.py classifies every change per entity
and target; migration.py builds the per-target artefacts (DDL as sqlglot trees, dbt selectors, rehash statements,
the Glue update); impact.py counts the keys a re-versioning change affects on a DuckDB vault; report.py prints the
plan as text, Markdown or JSON.
"""
