{#- Generic test on a raw table: every batch of its rows has its load-log row (record tracking reads the load log,
    so a batch without one would be silently ignored). -#}
{% test vaultgen_batch_logged(model, table_name, load_log, batch_id, load_ts) %}
select distinct raw_rows.{{ batch_id }}, raw_rows.{{ load_ts }}
from {{ model }} as raw_rows
where not exists (
  select 1 from {{ load_log }} as logged
  where logged.table_name = '{{ table_name }}' and logged.{{ batch_id }} = raw_rows.{{ batch_id }} and logged.{{ load_ts }} = raw_rows.{{ load_ts }}
)
{% endtest %}
