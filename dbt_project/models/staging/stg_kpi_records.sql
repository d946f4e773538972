-- Members' own strategy KPIs, one value per row. period is FY2016 / CY2016 or a range
-- CY2020-CY2024 (a cumulative figure); the years are split out here.
with source as (
    select * from {{ source('raw', 'kpi_records') }}
)

select
    municipality_code,
    kpi_code,
    kpi_name,
    unit,
    direction,
    period,
    left(period, 2) as period_type,
    cast(substr(period, 3, 4) as integer) as period_start_year,
    cast(right(period, 4) as integer) as period_end_year,
    length(period) > 6 as is_period_range,
    kind,
    cast(value as double precision) as value,
    value_raw,
    value_qualifier,
    value_status,
    value_flags,
    note,
    {{ provenance_columns() }}
from source
