-- Published: the area's six KPIs by period, in base units (persons, yen, projects).
-- Every KPI is the sum of the members' components (pedestrian traffic has one component,
-- Kurume's survey). A period is published only when every member the KPI needs has
-- reported it (all six for gross product, tourism and migration; Kurume for pedestrians);
-- members' partial figures stay visible in municipal_indicators. For the two KPIs
-- whose target is cumulative over the vision (FY/CY2026-2030), cumulative_value adds the
-- years from 2026 up to the period (null before 2026 or when a year is missing).
with components as (
    select * from {{ ref('int_municipal_indicators__unioned') }}
),

definitions as (
    select * from {{ ref('regional_kpi_definitions') }}
),

summed as (
    select
        kpi_id,
        period,
        period_type,
        period_year,
        sum(value) as value,
        any_value(unit) as unit,
        count(distinct municipality_code) as members_reporting
    from components
    group by kpi_id, period, period_type, period_year
),

complete as (
    select s.*
    from summed as s
    where s.members_reporting >= case s.kpi_id
        when 'regional_gross_product' then 6
        when 'tourist_visitors' then 6
        when 'net_social_migration' then 6
        else 1  -- pedestrians: Kurume only; projects and services: members with activity
    end
),

with_cumulative as (
    select
        *,
        case when kpi_id in ({{ cumulative_kpis() }}) and period_year >= {{ vision_start_year() }}
            then sum(value) over (
                partition by kpi_id, period_year >= {{ vision_start_year() }}
                order by period_year rows between unbounded preceding and current row)
        end as cumulative_value,
        -- a gap in the years would make the running sum wrong: only keep it when complete
        period_year - {{ vision_start_year() }} + 1 = count(*) over (
            partition by kpi_id, period_year >= {{ vision_start_year() }}
            order by period_year rows between unbounded preceding and current row
        ) as cumulative_is_complete
    from complete
)

select
    s.kpi_id,
    d.name_ja as kpi_name_ja,
    d.name_en as kpi_name_en,
    s.period,
    s.period_type,
    s.period_year,
    s.value,
    s.unit,
    cast(s.members_reporting as integer) as members_reporting,
    case when s.cumulative_is_complete then s.cumulative_value end as cumulative_value,
    case when s.cumulative_value is not null and s.cumulative_is_complete
        then s.period_type || '{{ vision_start_year() }}-' || s.period end as cumulative_period
from with_cumulative as s
join definitions as d on d.kpi_id = s.kpi_id
order by s.kpi_id, s.period
