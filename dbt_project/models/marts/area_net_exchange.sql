-- Published: the area's exchange with each outside area group (福岡市, rest of Fukuoka,
-- Tokyo area, other prefectures, abroad) by calendar year, summed over the members.
select
    calendar_year,
    'CY' || calendar_year as period,
    counterpart_group,
    sum(in_persons) as in_persons,
    sum(out_persons) as out_persons,
    sum(in_persons) - sum(out_persons) as net_persons
from {{ ref('int_population_moves__paired') }}
where counterpart_group <> 'member'
group by calendar_year, counterpart_group
order by calendar_year, counterpart_group
