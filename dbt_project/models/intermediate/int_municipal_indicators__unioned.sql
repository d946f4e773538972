-- Each member's component of each regional KPI, one row per KPI x member x period, with the
-- provenance of the value (for sums: the submission of the first contributing row).
-- The KPIs are the area's (var area_kpis, from its area.yaml); each is computed by the macro
-- of its method (macros/kpi_methods.sql).
{#- A table on PostgreSQL, a view on DuckDB: two marts and four tests read the KPI
    components, and PostgreSQL evaluates a view again for each (at 1,741 members its tests
    took 18 s), where DuckDB scans it in a fraction of a second. -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
{%- set kpis = var('area_kpis', []) %}
with unioned as (
{%- for kpi in kpis %}
    {{ "union all" if not loop.first }}
    select kpi_id, municipality_code, period_type, period_year, value, unit,
        submission_id, source_sha256, source_sheet, source_row
    from ({{ kpi_components(kpi) }}) as {{ adapter.quote('kpi_' ~ loop.index) }}
{%- else %}
    -- an area without KPIs: no rows, same columns
    select
        cast(null as varchar) as kpi_id, cast(null as varchar) as municipality_code,
        cast(null as varchar) as period_type, cast(null as integer) as period_year,
        cast(null as double precision) as value, cast(null as varchar) as unit,
        cast(null as varchar) as submission_id, cast(null as varchar) as source_sha256,
        cast(null as varchar) as source_sheet, cast(null as integer) as source_row
    where false
{%- endfor %}
)

select
    kpi_id,
    municipality_code,
    period_type || period_year as period,
    period_type,
    period_year,
    value,
    unit,
    submission_id,
    source_sha256,
    source_sheet,
    source_row
from unioned
