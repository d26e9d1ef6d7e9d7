#!/usr/bin/env bash
# Set up and run every test on a fresh clone: system packages, the virtualenv, then the test tiers,
# fast first. Each tier is one pytest run; any failure (or a tier that finds no tests) fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)  # jsii (CDK Terrain) runs on node
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)  # Spark (the glue tier)
[ -f /usr/share/java/postgresql.jar ] || need_apt+=(libpostgresql-jdbc-java)  # Spark's JDBC reads of PostgreSQL
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # the mermaid CLI renders diagrams in it (tests/docs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

echo "== installing vaultgen and test dependencies"
bash scripts/setup.sh dev
# the mermaid CLI into a project-local folder (vaultgen/docs/svg.py finds it there); puppeteer's own browser
# download cannot work offline, so it uses Debian's Chromium
[ -x .mermaid/node_modules/.bin/mmdc ] || PUPPETEER_SKIP_DOWNLOAD=1 npm i --prefix .mermaid --no-audit --no-fund @mermaid-js/mermaid-cli@12.2.0 >/dev/null
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
py=.venv/bin/python

run_tier() {
  local name="$1"; shift
  echo "== tier: ${name}"
  local started=$SECONDS
  "$py" -m pytest -q -p no:cacheprovider "$@"
  echo "== tier ${name} done in $((SECONDS - started)) s"
}

echo "== generated/ must match the spec"
.venv/bin/vaultgen render --check

# the dbt tier on both cores (pytest-xdist: 897 s against 974 s in one process), each test module on one worker
# so that its builds are shared (tests/conftest.py groups them); VAULTGEN_TEST_WORKERS=0 runs it in one process.
# The spark tier ran slower in two workers (1,627 s against 1,222 s), so it and the short tiers run in one.
workers="${VAULTGEN_TEST_WORKERS:-2}"
parallel=(); [ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadgroup)
run_tier fast -m "not dbt and not postgres and not glue and not spark and not infra and not emulated and not fuzz"
run_tier fuzz -m "fuzz"  # 300 seeded broken specs; VAULTGEN_FUZZ_COUNT=10000 for the big run (see tests/fuzz)
run_tier dbt "${parallel[@]}" -m "dbt and not postgres and not spark"
run_tier postgres -m "postgres"
run_tier spark -m "glue or spark"
run_tier infra -m "infra or emulated"
