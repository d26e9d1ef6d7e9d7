{#- The batch window of a run: rows loaded after var('vaultgen_load_after') and up to
    var('vaultgen_load_until'), both optional ISO timestamps. Without them every raw row is read,
    which is a correct (if slower) full reload: every vault model is idempotent. -#}
{% macro vaultgen_load_window(column) -%}
  {%- set after = var('vaultgen_load_after', none) -%}
  {%- set until = var('vaultgen_load_until', none) -%}
  {%- set conditions = [] -%}
  {%- for value in [after, until] if value is not none -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?', value | string) -%}
      {{ exceptions.raise_compiler_error("vaultgen_load_after/until must be an ISO timestamp, got: " ~ value) }}
    {%- endif -%}
  {%- endfor -%}
  {%- if after is not none -%}{%- do conditions.append(column ~ " > cast('" ~ after ~ "' as timestamp)") -%}{%- endif -%}
  {%- if until is not none -%}{%- do conditions.append(column ~ " <= cast('" ~ until ~ "' as timestamp)") -%}{%- endif -%}
  {%- if conditions -%}({{ conditions | join(' and ') }}){%- else -%}(1 = 1){%- endif -%}
{%- endmacro %}

{#- Whether a full snapshot is staged as its changes: true, unless var('vaultgen_stage_whole') asks for every
    row of the window (the next batch after a spec change that re-versions a satellite). -#}
{% macro vaultgen_stage_changes() -%}
  {%- if var('vaultgen_stage_whole', false) in [true, 'true', 'True', 1, '1'] -%}(1 = 0){%- else -%}(1 = 1){%- endif -%}
{%- endmacro %}
