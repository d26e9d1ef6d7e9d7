#!/usr/bin/env bash
# Create .venv and install vaultgen with the given extras (default: duckdb). Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-duckdb}"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
.venv/bin/uv pip install --quiet --python .venv/bin/python -e ".[${extras}]"
