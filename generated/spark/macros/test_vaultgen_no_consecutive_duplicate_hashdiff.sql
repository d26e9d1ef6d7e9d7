{#- Generic test: no two consecutive loads of one key carry the same hashdiff (an insert-only satellite stores
    changes only). Multi-active sets share their hashdiff, so loads are compared, not rows. -#}
{% test vaultgen_no_consecutive_duplicate_hashdiff(model, keys, hashdiff, load_ts) %}
with loads as (
  select distinct {{ keys | join(', ') }}, {{ load_ts }}, {{ hashdiff }} from {{ model }}
),
ordered as (
  select {{ keys | join(', ') }}, {{ load_ts }}, {{ hashdiff }},
         lag({{ hashdiff }}) over (partition by {{ keys | join(', ') }} order by {{ load_ts }}) as previous_hashdiff
  from loads
)
select * from ordered where {{ hashdiff }} = previous_hashdiff
{% endtest %}
