-- Published: the area's KPIs by period, in base units. A sum-type KPI is the sum of the
-- members' components; members_reporting says how many members the period includes so
-- readers (and the quality gate) can see an incomplete year.
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
    cast(s.members_reporting as integer) as members_reporting
from summed as s
join definitions as d on d.kpi_id = s.kpi_id
order by s.kpi_id, s.period
