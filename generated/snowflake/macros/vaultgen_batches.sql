{#- The batch guard and the build log. The build log (var('vaultgen_batches').build_log, beside the vault models)
    holds one row per source table and batch the vault was built from, with the content fingerprint of that
    batch's raw rows at build time. on-run-start: vaultgen_batch_guard() fails a run that would silently skip or
    mis-order a batch; on-run-end: vaultgen_record_build(results) records the batches of a successful run.
    `vaultgen run` plans from the same facts (vaultgen/run/batches.py computes the DuckDB fingerprint alike). -#}

{#- The content fingerprint of a group of raw rows: row count and an order-independent sum of row hashes. -#}
{% macro vaultgen_fingerprint(columns) -%}
  {{ return(adapter.dispatch('vaultgen_fingerprint')(columns)) }}
{%- endmacro %}

{% macro default__vaultgen_fingerprint(columns) -%}
cast(count(*) as varchar) || ':' || cast(coalesce(sum(hash({{ vaultgen_quoted(columns) }})), 0) as varchar)
{%- endmacro %}

{% macro spark__vaultgen_fingerprint(columns) -%}
concat(cast(count(*) as string), ':', cast(coalesce(sum(cast(xxhash64({{ vaultgen_quoted(columns) }}) as decimal(38, 0))), 0) as string))
{%- endmacro %}

{% macro athena__vaultgen_fingerprint(columns) -%}
cast(count(*) as varchar) || ':' || cast(coalesce(sum(cast(from_big_endian_64(xxhash64(to_utf8(json_format(cast(array[
  {%- for column in columns %}cast({{ adapter.quote(column) }} as varchar){% if not loop.last %}, {% endif %}{% endfor -%}
] as json))))) as decimal(38, 0))), 0) as varchar)
{%- endmacro %}

{% macro snowflake__vaultgen_fingerprint(columns) -%}
cast(count(*) as varchar) || ':' || cast(coalesce(sum(hash({{ vaultgen_quoted(columns) }})), 0) as varchar)
{%- endmacro %}

{% macro vaultgen_quoted(columns) -%}
  {%- for column in columns %}{{ adapter.quote(column) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{#- Every (table, batch) of the raw layer with its load timestamp and fingerprint: the raw rows' batches, and the
    load log's (an empty snapshot has a load-log row and no raw rows). -#}
{% macro vaultgen_current_batches() -%}
{%- set meta = var('vaultgen_batches') -%}
{%- set batch_id = adapter.quote(meta.batch_id_column) -%}
{%- set load_ts = adapter.quote(meta.load_ts_column) -%}
with raw_batches as (
{%- for table, columns in meta.tables.items() %}
  select '{{ table }}' as table_name, {{ batch_id }} as batch_id, {{ load_ts }} as load_ts, {{ vaultgen_fingerprint(columns) }} as fingerprint
  from {{ source('raw', table) }}
  group by {{ batch_id }}, {{ load_ts }}
  {%- if not loop.last %}
  union all
  {%- endif %}
{%- endfor %}
),
logged as (
  select table_name, {{ batch_id }} as batch_id, {{ load_ts }} as load_ts from {{ source('raw', meta.load_log) }}
)
select
  coalesce(raw_batches.table_name, logged.table_name) as table_name,
  coalesce(raw_batches.batch_id, logged.batch_id) as batch_id,
  coalesce(raw_batches.load_ts, logged.load_ts) as load_ts,
  coalesce(raw_batches.fingerprint, '0:0') as fingerprint
from raw_batches
full outer join logged on raw_batches.table_name = logged.table_name and raw_batches.batch_id = logged.batch_id
{%- endmacro %}

{% macro vaultgen_build_log_relation() -%}
  {%- set meta = var('vaultgen_batches') -%}
  {#- Spark has no database level: its target carries none, and its relations take none -#}
  {{ return(api.Relation.create(database=(target.database if target.database is defined else none), schema=meta.build_log_schema, identifier=meta.build_log)) }}
{%- endmacro %}

{#- Creates the build log when it does not exist yet. -#}
{% macro vaultgen_ensure_build_log() -%}
  {%- set relation = vaultgen_build_log_relation() -%}
  {%- do adapter.create_schema(relation) -%}
  {%- do run_query(adapter.dispatch('vaultgen_create_build_log')(relation)) -%}
  {{ return(relation) }}
{%- endmacro %}

{% macro default__vaultgen_create_build_log(relation) -%}
create table if not exists {{ relation }} (table_name varchar, batch_id varchar, load_ts timestamp, fingerprint varchar)
{%- endmacro %}

{% macro spark__vaultgen_create_build_log(relation) -%}
create table if not exists {{ relation }} (table_name string, batch_id string, load_ts timestamp, fingerprint string) using iceberg
{%- endmacro %}

{% macro athena__vaultgen_create_build_log(relation) -%}
create table if not exists {{ relation }} (table_name string, batch_id string, load_ts timestamp(6), fingerprint string)
location '{{ target.s3_data_dir }}{{ relation.schema }}/{{ relation.identifier }}/'
tblproperties ('table_type' = 'ICEBERG')
{%- endmacro %}

{#- on-run-start of `dbt run` / `dbt build`: refuse a window that would leave the vault unequal to a fresh build
    of the raw layer. A full refresh rebuilds from the raw layer, so only the gap check applies to it. -#}
{% macro vaultgen_batch_guard() -%}
  {%- if not execute or flags.WHICH not in ['run', 'build'] -%}{{ return('') }}{%- endif -%}
  {#- only a model that reads the raw layer (a source) can skip or mis-order a batch: a run of models that read
      only vault models (a business vault or marts wave) has nothing to guard, and fingerprints no raw row -#}
  {%- set reads_raw = [] -%}
  {%- for unique_id in selected_resources if unique_id in graph.nodes and graph.nodes[unique_id].resource_type == 'model' -%}
    {%- for parent in graph.nodes[unique_id].depends_on.nodes if parent.startswith('source.') -%}
      {%- do reads_raw.append(unique_id) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if not reads_raw -%}{{ return('') }}{%- endif -%}
  {%- set build_log = vaultgen_ensure_build_log() -%}
  {%- set after = var('vaultgen_load_after', none) -%}
  {%- set checks = [] -%}
  {%- if not flags.FULL_REFRESH -%}
    {%- do checks.append("select 'changed since it was built' as problem, current_batches.table_name, current_batches.batch_id, current_batches.load_ts
  from current_batches join built on built.table_name = current_batches.table_name and built.batch_id = current_batches.batch_id
  where built.fingerprint <> current_batches.fingerprint or built.load_ts <> current_batches.load_ts") -%}
    {%- do checks.append("select 'built, then removed from the raw layer' as problem, built.table_name, built.batch_id, built.load_ts
  from built where not exists (select 1 from current_batches where current_batches.table_name = built.table_name and current_batches.batch_id = built.batch_id)") -%}
    {%- do checks.append("select 'older than batches the vault already holds' as problem, table_name, batch_id, load_ts from unbuilt
  where load_ts <= (select max(load_ts) from built) and " ~ vaultgen_load_window('load_ts')) -%}
  {%- endif -%}
  {%- if after is not none -%}
    {%- do checks.append("select 'not built, and before the window' as problem, table_name, batch_id, load_ts from unbuilt
  where not " ~ vaultgen_load_window('load_ts') ~ " and load_ts <= cast('" ~ after ~ "' as timestamp)") -%}
  {%- endif -%}
  {%- if not checks -%}{{ return('') }}{%- endif -%}
  {%- set query -%}
with current_batches as (
{{ vaultgen_current_batches() }}
),
built as (select table_name, batch_id, load_ts, fingerprint from {{ build_log }}),
unbuilt as (
  select table_name, batch_id, load_ts from current_batches
  where not exists (select 1 from built where built.table_name = current_batches.table_name and built.batch_id = current_batches.batch_id)
)
select problem, table_name, batch_id, cast(load_ts as {{ dbt.type_string() }}) as load_ts from (
{{ checks | join('\nunion all\n') }}
) as problems
order by load_ts, table_name, batch_id
  {%- endset -%}
  {%- set problems = run_query(query) -%}
  {%- if problems.rows | length > 0 -%}
    {%- set lines = [] -%}
    {%- for row in problems.rows -%}
      {%- do lines.append("  table " ~ row[1] ~ ", batch " ~ row[2] ~ " (load_ts " ~ row[3] ~ "): " ~ row[0]) -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("vaultgen: this run would leave the vault unequal to a fresh build of the raw layer:\n" ~ (lines | join("\n")) ~ "\nRepair with `vaultgen run` (it rebuilds the affected models from the raw layer, then builds the pending batches in order).") }}
  {%- endif -%}
  {{ return('') }}
{%- endmacro %}

{#- on-run-end: a run without failures records, for every source table whose staging model it built, the table's
    batches in the run's window with their fingerprints (replacing what the build log held for them). -#}
{% macro vaultgen_record_build(results) -%}
  {%- if not execute or flags.WHICH not in ['run', 'build'] -%}{{ return('') }}{%- endif -%}
  {%- set meta = var('vaultgen_batches') -%}
  {%- set built_tables = [] -%}
  {%- for result in results -%}
    {%- if result.status in ['error', 'fail', 'runtime error'] -%}{{ return('') }}{%- endif -%}
    {%- for table, staging in meta.staging.items() if result.node.name == staging and result.status == 'success' -%}
      {%- do built_tables.append(table) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if not built_tables -%}{{ return('') }}{%- endif -%}
  {%- set build_log = vaultgen_ensure_build_log() -%}
  {%- set tables -%}({% for table in built_tables | sort %}'{{ table }}'{% if not loop.last %}, {% endif %}{% endfor %}){%- endset -%}
  {%- do run_query("delete from " ~ build_log ~ " where table_name in " ~ tables ~ " and " ~ vaultgen_load_window('load_ts')) -%}
  {%- set insert -%}
insert into {{ build_log }}
select table_name, batch_id, load_ts, fingerprint from (
{{ vaultgen_current_batches() }}
) as current_batches
where table_name in {{ tables }} and {{ vaultgen_load_window('load_ts') }}
  {%- endset -%}
  {%- do run_query(insert) -%}
  {{ return('') }}
{%- endmacro %}
