#!/usr/bin/env bash
# The AWS pipeline's local stand-in, end to end: a PostgreSQL server (Aurora's stand-in) loaded with the
# Northwind dump -> the Glue job's extract (glue/raw_extract) into Iceberg tables on a local Spark 3.5 ->
# the generated Spark dbt project (dbt-spark, method session), wave by wave in the order of the AWS state machine
# (vaultgen.emit.selectors.run_sequence: each source system's vault, the business vault, the marts).
# Then a change batch (glue/standin_changes.sql) is applied in PostgreSQL and loaded incrementally.
#   bash scripts/aws_standin.sh [path/to/northwind.sql]      (default: ../shared/data/northwind.sql)
# VAULTGEN_STANDIN_TESTS=last runs the dbt tests in the last batch only (the first batch's waves run the models):
# the tests check the vault the last batch leaves, which holds the first batch's rows (tests/spark does this).
set -euo pipefail
cd "$(dirname "$0")/.."
dump="$(realpath "${1:-../shared/data/northwind.sql}")"
tests="${VAULTGEN_STANDIN_TESTS:-every}"
[[ "$tests" = every || "$tests" = last ]] || { echo "VAULTGEN_STANDIN_TESTS must be 'every' or 'last', not '$tests'" >&2; exit 2; }

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
[ -f /usr/share/java/postgresql.jar ] || need_apt+=(libpostgresql-jdbc-java)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
[ -x .venv/bin/python ] && .venv/bin/python -c "import dbt.adapters.spark, pyspark, snowpark_connect_deps_iceberg" 2>/dev/null \
  || bash scripts/setup.sh "spark,glue"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false SPARK_LOCAL_IP=127.0.0.1

work="$(pwd)/work/aws_standin"
rm -rf "$work" && mkdir -p "$work"
# the server's files live in their own world-traversable temp folder: the checkout's folders may be closed to
# user postgres (a clone inside `mktemp -d` is mode 0700)
pg="$(mktemp -d /tmp/vaultgen-standin-pg.XXXXXX)" && chmod 755 "$pg"
bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort | tail -1)")"
as_pg=(); [ "$(id -u)" = 0 ] && { chown postgres "$pg"; as_pg=(runuser -u postgres --); }
port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_pg[@]}" "$bin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$pg/data" -o "-c listen_addresses=127.0.0.1 -p $port -k $pg" -l "$pg/server.log" -w start >/dev/null
trap '"${as_pg[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null; rm -rf "$pg"' EXIT
psql=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
"${psql[@]}" -d postgres -c "CREATE DATABASE northwind"
"${psql[@]}" -d northwind -f "$dump" >/dev/null
echo "== PostgreSQL on port $port holds Northwind"

run_batch() {
  .venv/bin/python glue/local_pipeline.py --jdbc-url "jdbc:postgresql://127.0.0.1:$port/northwind" \
    --work-dir "$work" --batch-id "$1" --load-ts "$2" "${@:3}"
}
echo "== batch 1: the dump"
first=(); [ "$tests" = last ] && first=(--models-only)
run_batch batch_0001 "2024-01-01 06:00:00" "${first[@]}"
echo "== batch 2: glue/standin_changes.sql"
"${psql[@]}" -d northwind -f glue/standin_changes.sql
run_batch batch_0002 "2024-01-02 06:00:00"
echo "== done: the lake is in $work/warehouse"
