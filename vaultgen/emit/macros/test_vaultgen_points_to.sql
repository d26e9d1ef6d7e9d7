{#- Generic test: every row's `columns` point at a row of `to` (its `to_columns`), for PIT pointers (ghost rows
    included: they exist in the satellite) and bridge link keys. -#}
{% test vaultgen_points_to(model, columns, to, to_columns) %}
select {% for column in columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} as child
where not exists (
  select 1 from {{ to }} as parent
  where {% for column in columns %}parent.{{ to_columns[loop.index0] }} = child.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{% endtest %}
