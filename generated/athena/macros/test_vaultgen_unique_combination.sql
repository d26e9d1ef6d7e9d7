{#- Generic test: the combination of `columns` is unique (for example a satellite's key and load timestamp). -#}
{% test vaultgen_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
