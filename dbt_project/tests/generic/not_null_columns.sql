{#-
  Every listed column of the model is filled: one data test per model instead of one
  not_null per column. A dbt test node costs ~55 ms of dbt's own work against ~4 ms of
  DuckDB, so a model with seven required columns saves ~0.3 s per build (issue 15).

  It returns one row per null cell, named by its column in null_column, so a failure still
  says which column: dbt's "Got n results" counts the null cells (the sum the single tests
  reported), and the failing rows (dbt test --store-failures, or the compiled query) name
  the column; with store_failures each row also carries the model's row.
-#}
{% test not_null_columns(model, column_names) %}
{%- if column_names is string or not column_names %}
  {{ exceptions.raise_compiler_error(
       "not_null_columns on " ~ model ~ ": column_names must be a non-empty list") }}
{%- endif %}
{%- set row = ", *" if should_store_failures() else "" %}
{%- for column_name in column_names %}
select '{{ column_name | replace("'", "''") }}' as null_column{{ row }}
from {{ model }}
where {{ column_name }} is null
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
