#!/usr/bin/env bash
# The main job on a fresh clone: install, then generate Northwind batches and build the vault on DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
exec .venv/bin/vaultgen demo "$@"
