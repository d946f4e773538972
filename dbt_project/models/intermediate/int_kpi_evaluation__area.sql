-- The area's six KPIs in the common evaluation shape: one row per KPI and period from the
-- year after the baseline (the vision's first year for cumulative KPIs and for KPIs without
-- a baseline) to the target year, with the actual where one has been published.
with definitions as (
    select
        kpi_id,
        name_ja,
        name_en,
        {{ base_unit('unit') }} as unit,
        baseline_value * {{ display_unit_factor('unit') }} as baseline_value,
        baseline_period,
        cast(substr(baseline_period, 3, 4) as integer) as baseline_year,
        target_value * {{ display_unit_factor('unit') }} as target_value,
        split_part(target_period, ' ', 1) as target_period,
        cast(right(split_part(target_period, ' ', 1), 4) as integer) as target_year,
        left(target_period, 2) as period_type,
        kpi_id in ({{ cumulative_target_kpis() }}) as is_cumulative
    from {{ ref('regional_kpi_definitions') }}
),

periods as (
    select
        d.*,
        y.period_year
    from definitions as d,
        range(
            -- without a baseline the evaluation starts with the vision
            case when d.is_cumulative or d.baseline_year is null then {{ vision_start_year() }}
                 else d.baseline_year + 1 end,
            d.target_year + 1
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
    'higher' as direction,
    -- a cumulative target counts from zero at the start of the vision
    case when p.is_cumulative then null else p.baseline_value end as baseline_value,
    p.baseline_period,
    case when p.is_cumulative then {{ vision_start_year() }} - 1 else p.baseline_year end as baseline_year,
    p.target_value,
    p.target_period,
    p.target_year,
    null as target_qualifier,
    p.is_cumulative,
    p.period_type || p.period_year as period,
    p.period_year,
    cast(null as double) as given_period_target,
    case when p.is_cumulative then a.cumulative_value else a.value end as actual_value,
    cast(null as varchar) as actual_flags,
    case when a.kpi_id is null then 'missing' else 'ok' end as actual_status,
    cast(null as varchar) as submitted_outlook,
    cast(null as varchar) as note
from periods as p
left join actuals as a on a.kpi_id = p.kpi_id and a.period_year = p.period_year
