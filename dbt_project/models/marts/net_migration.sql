-- Published: net social migration (転入 − 転出) per member and for the area by calendar year.
-- The area row counts only moves across the area's boundary; moves between members cancel.
with members as (
    select
        calendar_year,
        municipality_code as scope_code,
        sum(in_persons) as in_persons,
        sum(out_persons) as out_persons
    from {{ ref('int_population_moves__paired') }}
    group by calendar_year, municipality_code
),

area as (
    select
        calendar_year,
        'area' as scope_code,
        sum(in_persons) as in_persons,
        sum(out_persons) as out_persons
    from {{ ref('int_population_moves__paired') }}
    where counterpart_group <> 'member'
    group by calendar_year
    -- the area's figure needs every member's report of that year
    having count(distinct municipality_code) = (
        select member_count from {{ source('reference', 'area') }})
),

unioned as (
    select * from members
    union all
    select * from area
),

-- how many members reported each year (a join: PostgreSQL would run a correlated count
-- once per output row, over the whole paired view: 34 s of a 200-member build)
reporting as (
    select calendar_year as reported_year, count(distinct municipality_code) as members_reporting
    from {{ ref('int_population_moves__paired') }}
    group by calendar_year
)

select
    calendar_year,
    'CY' || calendar_year as period,
    scope_code,
    in_persons,
    out_persons,
    in_persons - out_persons as net_persons,
    coalesce(r.members_reporting, 0) as members_reporting
from unioned as u
left join reporting as r on r.reported_year = u.calendar_year
order by u.calendar_year, u.scope_code = 'area', u.scope_code
