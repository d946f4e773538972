-- Published: the area's KPIs by period, in base units (persons, yen, projects).
-- Every KPI is the sum of the members' components (a survey KPI may have a single member's
-- component). A period is published only when the members the KPI needs have reported it
-- (required_members of the KPI's definition: every listed member for sums of members, one
-- for counts and service use); members' partial figures stay visible in
-- municipal_indicators. A KPI whose target adds up years (cumulative_from) or that is
-- published with a running total (running_total, from the vision's first year) gets
-- cumulative_value: the years from the start up to the period (null before the start or
-- when a year is missing).
with components as (
    select * from {{ ref('int_municipal_indicators__unioned') }}
),

vision as (
    select vision_first_year from {{ source('reference', 'area') }}
),

definitions as (
    select
        d.kpi_id,
        d.name_ja,
        d.name_en,
        d.required_members,
        case
            when d.cumulative_from is not null
                then cast(right(d.cumulative_from, 4) as integer)
            when d.running_total then v.vision_first_year
        end as cumulative_start_year
    from {{ source('reference', 'regional_kpi_definitions') }} as d
    cross join vision as v
),

summed as (
    select
        kpi_id,
        period,
        period_type,
        period_year,
        sum(value) as value,
        min(unit) as unit,  -- one unit per KPI
        count(distinct municipality_code) as members_reporting
    from components
    group by kpi_id, period, period_type, period_year
),

complete as (
    select s.*, d.cumulative_start_year
    from summed as s
    join definitions as d on d.kpi_id = s.kpi_id
    where s.members_reporting >= d.required_members
),

with_cumulative as (
    select
        *,
        case when period_year >= cumulative_start_year
            then sum(value) over (
                partition by kpi_id, period_year >= cumulative_start_year
                order by period_year rows between unbounded preceding and current row)
        end as cumulative_value,
        -- a gap in the years would make the running sum wrong: only keep it when complete
        period_year - cumulative_start_year + 1 = count(*) over (
            partition by kpi_id, period_year >= cumulative_start_year
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
        then s.period_type || s.cumulative_start_year || '-' || s.period end as cumulative_period
from with_cumulative as s
join definitions as d on d.kpi_id = s.kpi_id
order by s.kpi_id, s.period
