{#- Generic test: the hashdiff covers every attribute: rows with one hashdiff never differ in any of `columns`. -#}
{% test vaultgen_hashdiff_covers(model, hashdiff, columns) %}
select {{ hashdiff }}, count(*) as variants
from (select distinct {{ hashdiff }}, {{ columns | join(', ') }} from {{ model }}) as distinct_rows
group by {{ hashdiff }}
having count(*) > 1
{% endtest %}
