{#- Every staged row keeps where it came from: the ledger submission, the file's SHA-256,
    and the sheet and row a member's staff can open. -#}
{% macro provenance_columns() -%}
    submission_id,
    source_sha256,
    source_sheet,
    cast(source_row as integer) as source_row
{%- endmacro %}
