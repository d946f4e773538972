-- The area's KPIs in the common evaluation shape: one row per KPI and period from the year
-- after the baseline (the first year of a cumulative target, or the vision's first year for
-- a KPI without a baseline) to the target year, with the actual where one has been
-- published. Baselines and targets are in base units, as the published values.
with vision as (
    select vision_first_year from {{ source('reference', 'area') }}
),

definitions as (
    select
        d.kpi_id,
        d.name_ja,
        d.name_en,
        d.unit,
        d.direction,
        d.baseline_value,
        d.baseline_period,
        cast(right(d.baseline_period, 4) as integer) as baseline_year,
        d.target_value,
        d.target_period,  -- as published: CY<from>-CY<to> for a cumulative target
        cast(right(d.target_final_period, 4) as integer) as target_year,
        d.period_type,
        d.cumulative_from is not null as is_cumulative,
        -- a cumulative target counts from zero at its first year
        cast(right(d.cumulative_from, 4) as integer) as cumulative_start_year,
        v.vision_first_year
    from {{ source('reference', 'regional_kpi_definitions') }} as d
    cross join vision as v
),

periods as (
    select
        d.*,
        -- bigint on both engines (DuckDB's generate_series gives bigint, PostgreSQL's integer)
        cast(y.period_year as bigint) as period_year
    from definitions as d
    cross join lateral generate_series(
            case
                when d.is_cumulative then d.cumulative_start_year
                -- without a baseline the evaluation starts with the vision
                when d.baseline_year is null then d.vision_first_year
                else d.baseline_year + 1
            end,
            d.target_year
        ) as y(period_year)
),

actuals as (
    select kpi_id, period_year, value, cumulative_value
    from {{ ref('regional_kpis') }}
)

select
    p.kpi_id,
    p.name_ja as kpi_name_ja,
    p.name_en as kpi_name_en,
    'area' as scope_code,
    p.unit,
    p.direction,
    case when p.is_cumulative then null else p.baseline_value end as baseline_value,
    p.baseline_period,
    case when p.is_cumulative then p.cumulative_start_year - 1 else p.baseline_year end
        as baseline_year,
    p.target_value,
    p.target_period,
    p.target_year,
    cast(null as varchar) as target_qualifier,
    p.is_cumulative,
    p.period_type || p.period_year as period,
    p.period_year,
    cast(null as double precision) as given_period_target,
    case when p.is_cumulative then a.cumulative_value else a.value end as actual_value,
    cast(null as varchar) as actual_flags,
    case when a.kpi_id is null then 'missing' else 'ok' end as actual_status,
    cast(null as varchar) as submitted_outlook,
    cast(null as varchar) as note
from periods as p
left join actuals as a on a.kpi_id = p.kpi_id and a.period_year = p.period_year
